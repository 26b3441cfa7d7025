"""The formula runner: one math body in, the registered formula rules' findings (offsets into the body) out.

Results are cached per (body, context), so a document that repeats a formula pays once. `check_all` fills the
cache for many formulas at once, on two CPUs where there are two (a forked process checks half of them).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence

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

    def check_all(self, items: Sequence[tuple[str, str]]) -> None:
        """Check many (body, context) pairs ahead of `check`, which then reads them from the cache. With at least
        PARALLEL_FROM new ones and a second CPU (Linux), a forked child checks the second half while this process
        checks the first, and sends its results back pickled through a pipe: the same results, in about half
        the time. Anything that goes wrong in the child leaves its half to `check`, as without it."""
        todo = list(dict.fromkeys(item for item in items if item not in self.cache))
        if len(todo) < PARALLEL_FROM or not _two_cpus():
            return
        import pickle  # here: most runs check fewer formulas, and a small file's lint is mostly start-up

        half = len(todo) // 2
        read, write = os.pipe()
        child = os.fork()
        if child == 0:  # the child: its half, written whole, then gone without running the parent's exit code
            try:
                os.close(read)
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(pickle.dumps([self.check(body, context) for body, context in todo[half:]]))
            finally:
                os._exit(0)
        os.close(write)
        for body, context in todo[:half]:
            self.check(body, context)
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
        os.waitpid(child, 0)
        try:
            found = pickle.loads(data)
        except Exception:  # noqa: BLE001 - the child failed: check() does its half
            return
        if len(found) == len(todo) - half:
            self.cache.update(zip(todo[half:], found, strict=True))

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


# check_all forks from this many new formulas: below it, the fork and the pickling cost more than half the checks
PARALLEL_FROM = 2000


def _two_cpus() -> bool:
    """Whether this process may run on two CPUs and fork safely: Linux, and no other thread (`notes watch` has its
    watcher's) that could hold a lock the child would need."""
    return sys.platform == "linux" and len(os.sched_getaffinity(0)) >= 2 and threading.active_count() == 1
