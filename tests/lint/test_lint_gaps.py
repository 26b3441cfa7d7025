"""Gaps an acceptance test found in `notes lint`: compile skipping by line, built-in macro arguments,
the hint for package macros, and wording (plurals, `$$`, the interactive prompt)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from notes_builder.cli import cli
from notes_builder.lint.checker import FormulaChecker
from notes_builder.lint.rules import RULES
from notes_builder.tex import macros

CHECKER = FormulaChecker(macros.base_macros())
needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")


def project(tmp_path: Path, body: str, yaml_extra: str = "") -> Path:
    (tmp_path / "notes.yaml").write_text(f"title: T\nsections: [a.md]\n{yaml_extra}", encoding="utf-8")
    (tmp_path / "a.md").write_text(body, encoding="utf-8")
    return tmp_path


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, ["lint", *args], input=stdin, catch_exceptions=False)


def codes(formula: str, code: str = "NB142") -> list[tuple[int, str]]:
    return [(f.start, f.message) for f in CHECKER.check(formula) if f.code == code]


# -- 1. --compile leaves out the broken formula, not every formula on its line -------------------------


@needs_pdflatex
def test_compile_checks_good_formula_on_the_line_of_a_broken_one(tmp_path):
    project(tmp_path, "# T\n\nUnbalanced: $x^{2$ and a bad fraction $\\hspace{1}$ here.\n")
    result = run(str(tmp_path), "--compile")
    assert "a.md:3:49: NB191" in result.output, result.output
    assert "compiled 1 of 2 formulas in " in result.output
    assert "(1 with errors already reported was not compiled)" in result.output


@needs_pdflatex
def test_compile_error_only_tex_finds_next_to_a_broken_formula(tmp_path):
    project(tmp_path, "# T\n\nBad $\\left( a$ and $\\hspace{1}$.\n")
    items = json.loads(run(str(tmp_path), "--compile", "--format", "json").output)
    assert [(i["code"], i["line"]) for i in items] == [("NB132", 3), ("NB191", 3)]
    assert 21 <= items[1]["column"] <= 30  # inside `\hspace{1}`, where TeX noticed


# -- 2. built-in commands whose arguments run out --------------------------------------------------------


@pytest.mark.parametrize(("formula", "start", "name"), [
    (r"\frac{a}", 0, "frac"), (r"x + \frac{a}", 4, "frac"), (r"\sqrt", 0, "sqrt"), (r"\sqrt[3]", 0, "sqrt"),
    (r"\binom{n}", 0, "binom"), (r"\overset{a}", 0, "overset"), (r"\underset{a}", 0, "underset"),
    (r"\stackrel{a}", 0, "stackrel"), (r"\mathbb", 0, "mathbb"), (r"\dfrac{a}", 0, "dfrac"),
    (r"\tfrac", 0, "tfrac"), (r"\hat", 0, "hat"), (r"\left(\frac{a}\right)", 6, "frac"),
    (r"{\frac{a}} b", 1, "frac"), (r"\frac{a} \\ b", 0, "frac"), (r"\frac{a} & b", 0, "frac"),
    (r"\operatorname*", 0, "operatorname"), (r"\xrightarrow[f]", 0, "xrightarrow"),
])
def test_builtin_macro_with_missing_argument(formula, start, name):
    found = codes(formula)
    assert [at for at, _ in found] == [start], found
    assert found[0][1].startswith(f"\\{name} takes ")


@pytest.mark.parametrize("formula", [
    r"\frac ab", r"\frac12", r"\frac\alpha\beta", r"\frac{a}{b}", r"\frac{a}" "\n" r"{b}", r"\frac{a}% why" "\n{b}",
    r"\sqrt[3]{x}", r"\sqrt x", r"\sqrt[a[b]c]{x}", r"\binom nk", r"\mathbb R", r"\hat{x}", r"\overset{!}{=}",
    r"\stackrel{def}=", r"\operatorname*{arg\,max}_x", r"\xrightarrow[a]{b}", r"\text{\frac}", r"\frac{}{}",
    r"\left(\frac{a}{b}\right)", r"\textcolor{red}{x}", r"\color{red} x", r"\tag*{1}",
])
def test_builtin_macro_with_its_arguments_is_clean(formula):
    assert codes(formula) == []


def test_user_macro_overrides_builtin_argument_count():
    checker = FormulaChecker(macros.base_macros(), argument_macros={"hat": 0})
    assert [f.code for f in checker.check(r"\hat")] == []


def test_builtin_argument_check_stays_fast():
    for body in ["\\sqrt[" * 3000, "\\frac" * 5000, "\\sqrt[{}" * 3000, "\\frac{a}" * 5000, "\\hat%\n" * 5000]:
        started = time.perf_counter()
        CHECKER.check(body, "inline")
        assert time.perf_counter() - started < 1.0, body[:20]


def test_plain_lint_reports_missing_fraction_argument(tmp_path):
    project(tmp_path, "# T\n\nA $\\frac{a}$ here.\n")
    items = json.loads(run(str(tmp_path), "--format", "json").output)
    assert [(i["code"], i["line"], i["column"]) for i in items] == [("NB142", 3, 4)]


# -- 3. unknown macros of template.packages ----------------------------------------------------------------


def test_unknown_package_macro_hint_names_extra_macros(tmp_path):
    project(tmp_path, "# T\n\nSpeed $\\SI{3}{m/s}$.\n", "template:\n  packages: [siunitx]\n")
    items = json.loads(run(str(tmp_path), "--format", "json").output)
    assert [i["code"] for i in items] == ["NB141"]
    assert "lint.extra_macros" in items[0]["message"] and "`SI: 2`" in items[0]["message"]
    (tmp_path / "notes.yaml").write_text("title: T\nsections: [a.md]\ntemplate:\n  packages: [siunitx]\n"
                                         "lint:\n  extra_macros: {SI: 2}\n", encoding="utf-8")
    assert run(str(tmp_path)).exit_code == 0


def test_unknown_macro_without_packages_has_no_package_hint(tmp_path):
    project(tmp_path, "# T\n\n$\\SI{3}{m}$\n")
    items = json.loads(run(str(tmp_path), "--format", "json").output)
    assert "extra_macros" not in items[0]["message"]


# -- 4. wording -------------------------------------------------------------------------------------------


def test_one_formula_is_singular(tmp_path):
    project(tmp_path, "# T\n\nFine $x$.\n")
    assert "no problems in 1 formula\n" in run(str(tmp_path)).output


def test_unclosed_double_dollar_is_one_finding_naming_double_dollar(tmp_path):
    project(tmp_path, "# T\n\nText $$x + y\n\nmore $z^10$.\n")
    items = json.loads(run(str(tmp_path), "--format", "json").output)
    assert [(i["code"], i["line"], i["column"]) for i in items] == [("NB135", 3, 6), ("NB111", 5, 8)]
    assert "'$$'" in items[0]["message"] and "matching '$'" not in items[0]["message"]


def test_interactive_prompt_shows_fix_as_typed(tmp_path):
    project(tmp_path, "# T\n\n$sigma$\n")
    result = run(str(tmp_path), "--fix", "--interactive", stdin="n\n")
    assert "replace 'sigma' with '\\sigma'" in result.output, result.output
    assert "\\\\sigma" not in result.output


def test_explain_of_touched_rules_reads_right():
    assert "lint.extra_macros" in RULES["NB141"].explain()
    assert "\\frac" in RULES["NB142"].explain() and "notes macro" not in RULES["NB142"].explain()
    assert "$$" in RULES["NB135"].summary
