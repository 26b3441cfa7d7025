"""FormulaChecker.check_all: a forked child checks half of many formulas; the results are those of `check` alone."""

from __future__ import annotations

import pytest

from notes_builder.lint import checker as checker_module
from notes_builder.lint.checker import FormulaChecker
from notes_builder.tex import macros
from tests.lint.corpus.broken import BROKEN
from tests.lint.corpus.valid import valid_formulas


def _items() -> list[tuple[str, str]]:
    items = [(formula, context if context in ("inline", "display") else "display")
             for context, formula in valid_formulas()]
    items += [(case[0], case[3] if case[3] in ("inline", "display") else "display") for case in BROKEN]
    return items + [(f"x_{{{index}}} + h_t-1", "inline") for index in range(50)]


def test_check_all_gives_the_results_of_check(monkeypatch):
    items = _items()
    alone = FormulaChecker(macros.base_macros())
    expected = [alone.check(body, context) for body, context in items]
    monkeypatch.setattr(checker_module, "PARALLEL_FROM", 2)
    together = FormulaChecker(macros.base_macros())
    together.check_all(items)
    assert [together.check(body, context) for body, context in items] == expected
    assert any(expected)


@pytest.mark.skipif(not checker_module._two_cpus(), reason="needs Linux and two CPUs")
def test_the_child_checks_the_second_half(monkeypatch):
    items = list(dict.fromkeys(_items()))
    monkeypatch.setattr(checker_module, "PARALLEL_FROM", 2)
    checker = FormulaChecker(macros.base_macros())
    ran = []
    run = checker._run
    monkeypatch.setattr(checker, "_run", lambda body, context: ran.append(body) or run(body, context))
    checker.check_all(items)
    assert len(ran) == len(items) // 2  # this process ran the first half; the child's results are cached
    assert all((body, context) in checker.cache for body, context in items)


def test_few_formulas_are_checked_here(monkeypatch):
    checker = FormulaChecker(macros.base_macros())
    checker.check_all([("x", "inline")])
    assert checker.cache == {}  # below PARALLEL_FROM: check() computes them as they come
