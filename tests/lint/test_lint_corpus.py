"""The lint corpus: valid formulas give nothing, broken ones give the expected code at the expected column,
and every fix, applied, lints clean and compiles (all fixed formulas in ONE pdflatex run)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from notes_builder.config import NotesConfig
from notes_builder.content import Document, MathSpan, SourceFile
from notes_builder.lint.checker import FormulaChecker
from notes_builder.lint.compile_check import compile_spans
from notes_builder.lint.fixes import apply_fixes
from notes_builder.lint.rules import RULES
from notes_builder.tex import macros
from tests.lint.corpus.broken import BROKEN
from tests.lint.corpus.valid import valid_formulas

CHECKER = FormulaChecker(macros.base_macros())
VALID = valid_formulas()


def test_corpus_size():
    assert len(VALID) + len(BROKEN) >= 300
    per_rule = {}
    for _, code, _, _ in BROKEN:
        per_rule[code] = per_rule.get(code, 0) + 1
    # every formula rule (the document, source and compile rules have their fixtures in tests/lint/fixtures)
    checked = {code for code, rule in RULES.items() if rule.scope == "formula" and code not in ("NB100", "NB142")}
    assert set(per_rule) == checked
    assert min(per_rule.values()) >= 2


@pytest.mark.parametrize(("context", "formula"), VALID, ids=[f[:40] for _, f in VALID])
def test_valid_formula_is_clean(context, formula):
    assert CHECKER.check(formula, context) == ()


@pytest.mark.parametrize(("formula", "code", "where", "context"), BROKEN, ids=[b[0][:40] for b in BROKEN])
def test_broken_formula_reports_code_at_column(formula, code, where, context):
    found = CHECKER.check(formula, context)
    column = formula.index(where) + 1
    assert any(f.code == code and f.start + 1 == column for f in found), \
        f"expected {code} at column {column}, got {[(f.code, f.start + 1) for f in found]}"


class _Fix:
    def __init__(self, raw, body):
        self.start, self.end, self.replacement = raw.start, raw.end, raw.replacement
        self.original = body[raw.start:raw.end]


def fix_formula(formula: str, context: str) -> str:
    for _ in range(10):
        fixes = [_Fix(f.fix, formula) for f in CHECKER.check(formula, context) if f.fix]
        new, _ = apply_fixes(formula, fixes)
        if new == formula:
            break
        formula = new
    return formula


FIXABLE = [b for b in BROKEN if any(f.fix for f in CHECKER.check(b[0], b[3]))]


@pytest.mark.parametrize(("formula", "code", "where", "context"), FIXABLE, ids=[b[0][:40] for b in FIXABLE])
def test_fix_reaches_clean_fixed_point(formula, code, where, context):
    before = CHECKER.check(formula, context)
    fixed = fix_formula(formula, context)
    after = CHECKER.check(fixed, context)
    assert not any(f.fix for f in after), after
    if all(f.fix for f in before):
        assert after == (), f"{formula!r} -> {fixed!r}: {after}"
    assert fix_formula(fixed, context) == fixed  # idempotent


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
def test_fixed_and_valid_formulas_compile_in_one_run(tmp_path):
    formulas = [(c, f) for c, f in VALID]
    for formula, _, _, context in FIXABLE:
        if all(f.fix for f in CHECKER.check(formula, context)):
            formulas.append((context, fix_formula(formula, context)))
    text = "\n".join(f for _, f in formulas)
    source = SourceFile(tmp_path / "corpus.md", text)
    spans, offset = [], 0
    for context, formula in formulas:
        env = context[4:] if context.startswith("env:") else ""
        spans.append(MathSpan(source, formula, offset, context != "inline", "env" if env else
                              ("$$" if context == "display" else "$"), env))
        offset += len(formula) + 1
    document = Document(NotesConfig(source=tmp_path / "notes.yaml", root=tmp_path), [])
    failures = compile_spans(document, spans)
    assert failures == [], [(f.line, f.message, spans[f.line - 1].body) for f in failures]


def test_compile_reports_a_broken_formula_at_its_position(tmp_path):
    if shutil.which("pdflatex") is None:
        pytest.skip("needs pdflatex")
    text = "$a + b$\n$\\frac{a}$\n$c$\n"
    source = SourceFile(Path(tmp_path / "x.md"), text)
    spans = [MathSpan(source, "a + b", 1, False, "$"), MathSpan(source, "\\frac{a}", 9, False, "$"),
             MathSpan(source, "c", 20, False, "$")]
    document = Document(NotesConfig(source=tmp_path / "notes.yaml", root=tmp_path), [])
    failures = compile_spans(document, spans)
    assert [(f.code, f.line) for f in failures] == [("NB191", 2)]
