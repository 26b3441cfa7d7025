"""The Jinja sandbox shared by placeholders (resolve) and templates (writers): operators that build big values work
on numbers only, so Jinja run on notes or on a project's template folder cannot exhaust the machine."""

from __future__ import annotations

from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment, SecurityError

MAX_POWER_BITS = 10_000  # `a ** b` up to about 3,000 digits; 9 ** 999999999 would take minutes and gigabytes


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float)


class BoundedOperators(SandboxedEnvironment):
    """The operators that build big values (`'x' * 10**9`, `'%999999999d' % 1`, `9 ** 999999999`) work on
    numbers only, and `**` within bounds, so Jinja run on notes (placeholders, a template folder) cannot
    exhaust the machine. Environments using this must be built with optimized=False: Jinja's constant
    folding would compute such expressions while compiling, before these checks."""

    intercepted_binops = frozenset({"*", "%", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if isinstance(left, jinja2.Undefined) or isinstance(right, jinja2.Undefined):
            return super().call_binop(context, operator, left, right)  # raises the unknown-name error
        if not (_is_number(left) and _is_number(right)):
            raise SecurityError(f"'{operator}' works on numbers only here "
                                f"(not {type(left).__name__} {operator} {type(right).__name__})")
        if (operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0
                and abs(left).bit_length() * right > MAX_POWER_BITS):  # checked before computing it
            raise SecurityError(f"the result of '**' is too large (over {MAX_POWER_BITS * 3 // 10:,} digits)")
        return super().call_binop(context, operator, left, right)
