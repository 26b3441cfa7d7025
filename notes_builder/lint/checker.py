"""The formula runner: one math body in, the registered formula rules' findings (offsets into the body) out.

Results are cached per (body, context), so a document that repeats a formula pays once.
"""

from __future__ import annotations

import notes_builder.lint.rules  # noqa: F401 - registers the rules
from notes_builder.lint.formula import Formula, MacroTable, RawFinding, RawFix
from notes_builder.lint.registry import CHECKS, EXCLUSIVE

__all__ = ["FormulaChecker", "RawFinding", "RawFix"]


class FormulaChecker:
    """Checks math bodies against a set of known macros; caches per (body, context)."""

    def __init__(self, known: frozenset[str], allow_primitives: bool = False,
                 argument_macros: dict[str, int] | None = None, template_packages: bool = False):
        self.table = MacroTable.make(known, allow_primitives, argument_macros, template_packages)
        self.cache: dict[tuple[str, str], tuple[RawFinding, ...]] = {}

    def check(self, body: str, context: str = "inline") -> tuple[RawFinding, ...]:
        """context: "inline" ($...$, YAML), "display" ($$, \\[), or "env:NAME" (an amsmath environment)."""
        key = (body, context)
        found = self.cache.get(key)
        if found is None:
            try:
                found = tuple(sorted(self._run(body, context), key=lambda f: (f.start, f.code)))
            except RecursionError:  # pragma: no cover - defensive
                found = ()
            if len(self.cache) > 200_000:
                self.cache.clear()
            self.cache[key] = found
        return found

    def _run(self, body: str, context: str) -> list[RawFinding]:
        formula = Formula(self.table, body, context)
        for _rank, check in EXCLUSIVE:
            check(formula)
            if formula.out:
                return formula.out
        for check in _FORMULA_CHECKS:
            check(formula)
        return formula.out


_FORMULA_CHECKS = tuple(CHECKS["formula"])  # the rules package registered them all on import, above
