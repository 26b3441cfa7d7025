"""Property tests: no input crashes or hangs the linter; fixes are idempotent."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notes_builder.config import NotesConfig
from notes_builder.lint.checker import FormulaChecker
from notes_builder.lint.engine import section_findings
from notes_builder.lint.fixes import fixed_text
from notes_builder.tex import macros
from tests.lint.test_lint_corpus import fix_formula

CHECKER = FormulaChecker(macros.base_macros())
TOKENS = ["\\tilde", "\\hat", "\\bar", "<", ">", "{", "}", "_", "^", "-", "+", "1", "10", "x", "t", "h", "W",
          "sigma", "tanh", "(", ")", "[", "]", "\\big", "\\Big", "\\bigl", "\\bigr", "\\left", "\\right", "$",
          "&", "\\\\", "\\begin{align}", "\\end{align}", "\\begin{aligned}", "\\end{aligned}", "\\R", "σ", "−",
          "*", "\\LaTeX", "\\input", "\\text{", "\\mathbf{", "\\sum", "=", " ", "\\", "%", "\n", "\\{", "\\}",
          "alpha", "'", "\\operatorname*", "⊙", "\\to", "\\lim", "log", "\\frac"]
FORMULA = st.one_of(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join), st.text(max_size=60))
CONTEXT = st.sampled_from(["inline", "display", "env:align", "env:equation"])
SETTINGS = settings(max_examples=300, deadline=1000, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(FORMULA, CONTEXT)
def test_checker_never_crashes_and_stays_in_bounds(formula, context):
    for finding in CHECKER.check(formula, context):
        assert 0 <= finding.start < max(1, len(formula)) + 1
        assert finding.end >= finding.start
        if finding.fix:
            assert 0 <= finding.fix.start <= finding.fix.end <= len(formula)


@SETTINGS
@given(FORMULA, CONTEXT)
def test_fixes_are_idempotent(formula, context):
    once = fix_formula(formula, context)
    assert fix_formula(once, context) == once


MARKDOWN = st.lists(st.sampled_from(["# T\n", "text ", "$", "$$", "\n", "\\[", "\\]", "`code`", "> ", "- ",
                                     "<!-- notes-lint: ignore NB111 -->\n", "\r\n", "x^10", "h_t-1", "\\R",
                                     "\\$", "|a|b|\n", "```\n", "σ"]), max_size=30).map("".join)


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(MARKDOWN)
def test_markdown_files_never_crash_and_fix_is_a_fixed_point(text):
    config = NotesConfig(source=Path("notes.yaml"), root=Path("."))
    path = Path("prop.md")
    section_findings(config, path, text)
    fixed, _, _ = fixed_text(config, path, text)
    again, count, _ = fixed_text(config, path, fixed)
    assert again == fixed and count == 0


def test_pathological_inputs_stay_fast():
    for body in ["\\text{" * 3000, "\\tilde{" * 3000, "x_{" * 3000, "a*" * 5000, "\\hat{x_" * 3000,
                 "\\left(" * 3000, "σ" * 10000, "\\big(" * 3000 + ")" * 3000, "\\begin{align}" * 2000]:
        started = time.perf_counter()
        CHECKER.check(body, "inline")
        assert time.perf_counter() - started < 2.0, body[:20]
