"""Bypasses of the "notes are data, not programs" rule, each found by an adversarial tester: TeX's `^^`
notation, commands that call or define commands by name, `\\begin{NAME}` calling `\\NAME`, lint settings
that hid NB171, notes.yaml values pasted raw into the preamble, the symbols table, and two lint gaps."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from pdfcheck import config_error, run_notes, where, write_project

from notes_builder.cli import cli
from notes_builder.config import load_config
from notes_builder.content import load_document
from notes_builder.lint import compile_check, lint_paths
from notes_builder.lint.checker import FormulaChecker
from notes_builder.lint.engine import LintOptions
from notes_builder.lint.fixes import apply_fixes, fixed_text
from notes_builder.tex import macros

HEAD = "title: T\noutput: notes\nsections: [a.md]\n"  # three lines: a key after it is on line 4
CHECKER = FormulaChecker(macros.base_macros())


def notes(tmp_path: Path, yaml: str, body: str = "Hello $x$.\n") -> Path:
    return write_project(tmp_path / "notes", {"notes.yaml": HEAD + yaml, "a.md": body})


def nothing_written_contains(folder: Path, needle: str) -> bool:
    """Whether no file the build left in `folder` holds `needle` (nothing got as far as the .tex)."""
    return not any(needle in path.read_text(errors="replace") for path in folder.rglob("*") if path.is_file())


# -- 1. TeX's ^^ notation (find_forbidden itself: tests/tex/test_tex_safety.py) ------------------------------
def test_caret_notation_in_a_macro_body_is_a_located_error(tmp_path):
    error = config_error(notes(tmp_path, "macros:\n  R: '^^5cimmediate^^5copenout5=pwn.txt'\n"))
    assert "'^^' is not allowed in notes" in error.message
    assert where(error) == "notes.yaml:5:6"
    assert error.hint and "allow.tex_primitives" in error.hint


def test_caret_notation_is_nb171_at_its_column():
    found = [f for f in CHECKER.check("x + ^^5cinput{a}") if f.code == "NB171"]
    assert [(f.start, f.end) for f in found] == [(4, 6)]
    assert "'^^' is not allowed" in found[0].message


def test_caret_notation_is_nb171_even_with_nb112_ignored(tmp_path):
    folder = notes(tmp_path, "lint:\n  ignore: [NB112]\n", "Text $a^^5cinput{b}$.\n")
    report = lint_paths([folder])
    assert [(f.code, f.line, f.column) for f in report.findings] == [("NB171", 1, 8)]


@pytest.mark.parametrize("formula", ["x^²", "x^ᵀ", "x ^²", "a_{}^²"])
def test_no_single_fix_writes_caret_notation(formula):
    for finding in CHECKER.check(formula):
        if finding.fix is not None:
            fixed = formula[:finding.fix.start] + finding.fix.replacement + formula[finding.fix.end:]
            assert "^^" not in fixed, (finding, fixed)


def test_interactive_fix_never_writes_caret_notation(tmp_path):
    folder = notes(tmp_path, "", "Square $x^²$ and $y²$.\n")
    config = load_config(folder)
    path = config.sections[0]
    answers = iter(["yes"])
    fixed, _, _ = fixed_text(config, path, path.read_text(encoding="utf-8"), LintOptions(select=["NB152"]),
                             confirm=lambda finding: next(answers, "quit"))  # NB152 (mapped Unicode) is opt-in
    assert "^^" not in fixed
    assert "$y^{2}$" in fixed  # the fix that is safe is still offered


def test_fixes_side_by_side_never_spell_caret_notation():
    fixes = [SimpleNamespace(start=1, end=2, replacement="^", original="b"),
             SimpleNamespace(start=2, end=3, replacement="^{2}", original="c")]
    assert apply_fixes("abc", fixes) == ("a^c", 1)


def test_caret_notation_in_a_raw_block_stops_the_build(tmp_path):
    folder = notes(tmp_path, "allow:\n  raw_latex: true\n", "Text.\n\n```{=latex}\n^^5cinput{/etc/hostname}\n```\n")
    out = tmp_path / "out"
    result = run_notes("build", folder, "--out", out)
    assert result.returncode != 0
    assert "a.md:4:1" in result.stderr, result.stderr
    assert not out.exists() or nothing_written_contains(out, "^^5c")


# -- 2. commands that call or define commands by name: tests/tex/test_tex_safety.py ------------------------
# -- 3. \begin{NAME} calls \NAME -----------------------------------------------------------------------------
def test_begin_of_a_forbidden_command_stops_the_build(tmp_path):
    folder = notes(tmp_path, "", "Text $\\begin{input}{/etc/hostname}\\end{input}$.\n")
    out = tmp_path / "out"
    result = run_notes("build", folder, "--out", out)
    assert result.returncode != 0
    assert "a.md:1:7: error: NB171" in result.stderr, result.stderr


# -- 4. lint settings cannot un-forbid -----------------------------------------------------------------------
@pytest.mark.parametrize("lint", [
    "lint:\n  extra_macros: {UseName: 2}\n",
    "lint:\n  extra_macros: {UseName: 2}\n  ignore: [NB171, NB141]\n",
    "lint:\n  select: [NB13]\n",
    "lint:\n  per_file_ignores: {'*.md': [NB1]}\n",
])
def test_lint_settings_cannot_hide_a_forbidden_command(tmp_path, lint):
    folder = notes(tmp_path, lint, "Leak $\\UseName{input}{/etc/hostname}$.\n")
    report = lint_paths([folder])
    assert ("NB171", 1, 7) in [(f.code, f.line, f.column) for f in report.findings]
    ignored = lint_paths([folder], options=_options(ignore=["NB171"]))
    assert "NB171" in [f.code for f in ignored.findings]


def _options(**kwargs):
    from notes_builder.lint.engine import LintOptions

    return LintOptions(**kwargs)


def test_build_refuses_a_forbidden_command_that_lint_settings_tried_to_allow(tmp_path):
    folder = notes(tmp_path, "lint:\n  extra_macros: {UseName: 2}\n  ignore: [NB171]\n",
                   "Leak $\\UseName{input}{/etc/hostname}$.\n")
    out = tmp_path / "out"
    result = run_notes("build", folder, "--out", out)
    assert result.returncode != 0
    assert "a.md:1:7" in result.stderr and "UseName" in result.stderr, result.stderr
    assert not out.exists() or nothing_written_contains(out, "UseName")


# -- 5. notes.yaml values pasted into the preamble -----------------------------------------------------------
@pytest.mark.parametrize(("key", "value", "message"), [
    ("paper", "'a4paper]{article}\\input{x}%'", "'template.paper' must be one of a4paper"),
    ("cjk_font", "'gbsn}\\input{/etc/hostname}{'", "'template.cjk_font'"),
    ("cjk_main_font", "'AR PL UMing CN}\\input{/etc/hostname}{'", "'template.cjk_main_font'"),
    ("cjk_main_font", "' Leading space'", "'template.cjk_main_font'"),
])
def test_template_options_pasted_into_tex_are_checked(tmp_path, key, value, message):
    error = config_error(notes(tmp_path, f"template:\n  {key}: {value}\n"))
    assert message in error.message
    assert where(error) == "notes.yaml:5:3"  # the key, as for every other template option
    assert error.hint


@pytest.mark.parametrize(("key", "value"), [
    ("paper", "letterpaper"), ("paper", "a5paper"), ("cjk_font", "gkai"),
    ("cjk_main_font", "Noto Serif CJK SC"), ("cjk_main_font", "AR PL UMing CN"),
    ("cjk_main_font", "FandolSong-Regular"),
])
def test_ordinary_template_options_are_accepted(tmp_path, key, value):
    config = load_config(notes(tmp_path, f"template:\n  {key}: {value}\n"))
    assert getattr(config.template, key) == value


# -- 6. the symbols table ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("entry", "message", "field"), [
    ("{symbol: 'x', meaning: 'm', shape: '\\input{secret}'}", "\\input is not allowed in notes (reads a file)",
     "shape"),
    ("{symbol: '\\def\\x{1}\\x', meaning: 'm'}", "\\def is not allowed in notes", "symbol"),
    ("{symbol: 'x', meaning: 'm', shape: '^^5cinput{s}'}", "'^^' is not allowed in notes", "shape"),
    ("{symbol: 'x', meaning: 'm', shape: '\\begin{input}{s}'}", "\\begin{input} is not allowed in notes", "shape"),
    ("{symbol: 'x_{t', meaning: 'm'}", "'{' is never closed", "symbol"),
    ("{symbol: 'x', meaning: 'm', shape: 'n}'}", "'}' has no matching '{'", "shape"),
])
def test_symbols_table_gets_the_macro_body_checks(tmp_path, entry, message, field):
    line = f"  - {entry}"
    error = config_error(notes(tmp_path, f"symbols:\n  - {{symbol: 'y', meaning: 'ok'}}\n{line}\n"))
    assert message in error.message
    assert f"symbols[1].{field}" in error.message
    assert where(error) == f"notes.yaml:6:{line.index(field + ':') + len(field) + 3}"  # the value


def test_symbols_table_may_use_primitives_when_allowed(tmp_path):
    config = load_config(notes(tmp_path, "symbols:\n  - {symbol: 'x', meaning: 'm', shape: '\\input{s}'}\n"
                                         "allow:\n  tex_primitives: true\n"))
    assert config.symbols[0].shape == "\\input{s}"


def test_symbols_table_shape_never_reaches_tex(tmp_path):
    folder = notes(tmp_path, "symbols:\n  - {symbol: 'x', meaning: 'm', shape: '\\input{secret}'}\n"
                             "lint:\n  ignore: [NB171]\n", "Text.\n\n::: symbols\n:::\n")
    out = tmp_path / "out"
    result = run_notes("build", folder, "--out", out)
    assert result.returncode != 0
    assert "notes.yaml:5:" in result.stderr and "\\input is not allowed" in result.stderr, result.stderr
    assert not out.exists() or nothing_written_contains(out, "secret")


# -- 7. lint --compile honours compile_timeout ---------------------------------------------------------------
def test_lint_compile_uses_the_projects_compile_timeout(tmp_path, monkeypatch):
    if shutil.which("pdflatex") is None:
        pytest.skip("needs pdflatex")
    folder = notes(tmp_path, "compile_timeout: 7\n", "Text $x$.\n")
    seen: list[float] = []

    def fake_run(*args, **kwargs):
        seen.append(kwargs["timeout"])
        raise subprocess.TimeoutExpired(args[0], kwargs["timeout"])

    monkeypatch.setattr(compile_check.subprocess, "run", fake_run)
    document = load_document(folder)
    found, _, _ = compile_check.compile_documents([document], [])
    assert seen == [7.0]
    assert [f.message for f in found] == ["pdflatex did not finish within 7 s"]


# -- 8. TeX's fraction primitives are known ------------------------------------------------------------------
@pytest.mark.parametrize("tex", ["{n \\choose k}", "{a \\atop b}", "{a \\over b}", "{n \\brace k}",
                                 "{n \\brack k}", "{a \\above 1pt b}"])
def test_fraction_primitives_are_known_macros(tex):
    assert [f.code for f in CHECKER.check(tex)] == []


def test_lint_cli_reports_caret_notation_as_json(tmp_path):
    folder = notes(tmp_path, "", "Text $a^^5cinput{b}$.\n")
    result = CliRunner().invoke(cli, ["lint", str(folder), "--format", "json", "--ignore", "NB112"])
    items = json.loads(result.output)
    assert [(i["code"], i["column"], i["end_column"]) for i in items] == [("NB171", 8, 10)]


@pytest.mark.parametrize("tex", [r"\newline x", r"\bullet", r"\left\{{ x | x>0 }\right\}", r"a^{{ T }}",
                                 r"\mathbf{{ W }} x", r"\colorlet"])
def test_ordinary_math_is_neither_forbidden_nor_a_placeholder(tex):
    found = [f.code for f in CHECKER.check(tex, "inline")]
    assert "NB171" not in found and "NB172" not in found
