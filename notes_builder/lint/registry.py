"""The one registry of lint rules: `@rule(...)` on a check function records the rule's code, name, severity,
explanation (`notes lint --explain CODE`), fix applicability and default; the runners iterate the registry.

Codes never change meaning once published; a retired rule keeps its code reserved. A check function may carry
several `@rule`s when one pass over the formula finds them together (the scripts, the delimiters...); it is
registered once, in the order the family modules are imported (notes_builder.lint.rules).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Scope = Literal["formula", "document", "source", "compile"]
FIX_TEXT = {
    "safe": "yes (applied by `notes lint --fix`)",
    "sometimes": "yes, safe when the formula has one reading (`notes lint --fix`); unsafe when it has another "
                 "(`--fix --unsafe-fixes` or `--fix --interactive`: check the result)",
    "unsafe": "yes, unsafe: it may change what the formula means (`--fix --unsafe-fixes` or `--fix --interactive`)",
    "none": "no (the message says what to write)",
}


@dataclass(frozen=True)
class Rule:
    """One lint rule: its stable code and name, what `--explain` prints, and its check."""

    code: str
    name: str
    severity: str  # "error" | "warning"
    summary: str
    why: str
    before: str
    after: str
    fix: str = "none"  # applicability of its fixes: safe | sometimes | unsafe | none (Fix.safe per finding)
    default: bool = True  # False: a style rule, on only when `select` names it (code or name)
    scope: Scope = "formula"  # what its check reads: one formula, the document, the source file, or pdflatex
    # a formula rule that, when it reports, makes the other formula rules moot: its rank among those (1 runs first)
    exclusive: int = 0
    derails_tex: bool = False  # its errors would derail pdflatex for the next formulas: `--compile` leaves them out
    check: Callable | None = None

    @property
    def fixable(self) -> bool:
        return self.fix != "none"

    def explain(self) -> str:
        return (f"{self.code} {self.name} ({self.severity})\n\n{self.summary}\n\n{self.why}\n\n"
                f"Before:  {self.before}\nAfter:   {self.after}\n\nAutofix: {FIX_TEXT[self.fix]}\n")


RULES: dict[str, Rule] = {}
CHECKS: dict[Scope, list[Callable]] = {"formula": [], "document": [], "source": [], "compile": []}
# (rank, check) of the exclusive formula checks: they run first, by rank; the first that reports ends the checks
EXCLUSIVE: list[tuple[int, Callable]] = []
SPAN_FILTERS: dict[str, Callable] = {}  # code -> drop(span, raw finding): see span_filter


def rule(code: str, name: str, severity: str, summary: str, why: str, before: str, after: str, *,
         fix: str = "none", default: bool = True, scope: Scope = "formula", exclusive: int = 0,
         derails_tex: bool = False) -> Callable[[Callable], Callable]:
    """Register a rule whose findings `check` reports (see the family modules for the check signatures)."""
    if fix not in FIX_TEXT:
        raise ValueError(f"{code}: fix must be one of {', '.join(FIX_TEXT)}")

    def register(check: Callable) -> Callable:
        if code in RULES:
            raise ValueError(f"rule {code} is registered twice")
        RULES[code] = Rule(code, name, severity, summary, why, before, after, fix, default, scope, exclusive,
                           derails_tex, check)
        _add(check, scope, exclusive)
        return check

    return register


def _add(check: Callable, scope: Scope, exclusive: int) -> None:
    if exclusive:
        EXCLUSIVE.append((exclusive, check))
        EXCLUSIVE.sort(key=lambda item: item[0])
    elif check not in CHECKS[scope]:
        CHECKS[scope].append(check)


@dataclass(frozen=True)
class Deferred:
    """A check named as "module:function" and imported when it first runs: the compile check (NB191) needs the
    renderer and pdflatex machinery, which plain `notes lint` must not load (as cli.COMMANDS defers commands)."""

    target: str

    def __call__(self, *args: object) -> object:
        module, _, function = self.target.partition(":")
        return getattr(importlib.import_module(module), function)(*args)


def also(code: str, *, exclusive: int = 0) -> Callable[[Callable], Callable]:
    """Register one more check for a rule defined with `@rule` just above it in the same module (NB135 finds prose
    read as math in an exclusive check, and a `$` inside math in an ordinary one)."""

    def register(check: Callable) -> Callable:
        _add(check, RULES[code].scope, exclusive)
        return check

    return register


def span_filter(code: str) -> Callable[[Callable], Callable]:
    """Register `drop(span, raw) -> bool`: whether a formula finding of `code` is no defect where the formula
    stands (what the prose around it says). Formula checks see only the body, so that their results can be
    cached per body."""

    def register(drop: Callable) -> Callable:
        SPAN_FILTERS[code] = drop
        return drop

    return register


def selected(code: str, select: list[str], ignore: list[str]) -> bool:
    """select/ignore entries are codes or code prefixes ("NB1", "NB13") or rule names."""

    def matches(entry: str) -> bool:
        entry = entry.strip()
        return code.startswith(entry.upper()) or RULES[code].name == entry

    if select and not any(matches(entry) for entry in select):
        return False
    if not RULES[code].default and not any(entry.strip().upper() == code or entry.strip() == RULES[code].name
                                            for entry in select):
        return False
    return not any(matches(entry) for entry in ignore)
