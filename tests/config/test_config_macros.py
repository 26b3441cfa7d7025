"""notes.yaml `macros`: a body is pasted into every formula that uses it, so it gets the same checks as math
(no forbidden primitives, balanced braces), and a name may not silently replace a LaTeX command. Every error
names the notes.yaml line and column of that macro."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdfcheck import config_error, run_notes, where, write_project

from notes_builder.config import load_config, macro_arguments

HEAD = "title: T\noutput: notes\nsections: [a.md]\n"  # three lines: `macros:` is line 4, its first entry line 5


def notes(tmp_path: Path, yaml: str, body: str = "Hello $\\R$.\n") -> Path:
    return write_project(tmp_path / "notes", {"notes.yaml": yaml, "a.md": body})


# -- 1. forbidden primitives ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("body", "message"), [
    ("'\\input{/etc/hostname}'", "macro \\R: \\input is not allowed in notes (reads a file)"),
    ("'\\write18{ls}'", "macro \\R: \\write18 is not allowed in notes (runs a command)"),
    ('"\\\\immediate\\\\write18{touch /tmp/x}"', "\\immediate is not allowed in notes"),
    ("'\\def\\x{1}\\x'", "\\def is not allowed in notes (defines a macro)"),
    ("'a \\end{document}'", "\\end{document} is not allowed in notes"),
])
def test_forbidden_command_in_a_macro_body_is_a_located_error(tmp_path, body, message):
    error = config_error(notes(tmp_path, HEAD + f"macros:\n  R: {body}\n"))
    assert message in error.message
    assert where(error) == "notes.yaml:5:6"  # the body, on the macro's own line
    assert error.hint and "allow.tex_primitives: true" in error.hint


@pytest.mark.parametrize("allow_first", [True, False])
def test_allow_tex_primitives_lets_a_macro_use_them_whatever_the_key_order(tmp_path, allow_first):
    allow, macros = "allow:\n  tex_primitives: true\n", "macros:\n  R: '\\input{x}'\n"
    config = load_config(notes(tmp_path, HEAD + (allow + macros if allow_first else macros + allow)))
    assert config.macros == {"R": "\\input{x}"}


def test_build_stops_on_a_forbidden_macro_with_its_notes_yaml_line(tmp_path):
    marker = tmp_path / "ran"
    folder = notes(tmp_path, HEAD + f'macros:\n  R: "\\\\immediate\\\\write18{{touch {marker}}}"\n')
    result = run_notes("build", folder, "--pdf", "--out", tmp_path / "out")
    assert result.returncode != 0
    assert "notes.yaml:5:6: error: macro \\R: \\immediate is not allowed in notes" in result.stderr, result.stderr
    assert "allow.tex_primitives: true" in result.stderr
    assert not marker.exists()
    assert not (tmp_path / "out" / "notes.pdf").exists()


# -- 2. names ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["frac", "\\frac", "mathbb", "sum", "vec", "nbcaption", "nbformula", "enddocument",
                                  "def", "input", "write"])
def test_a_macro_may_not_replace_a_latex_command(tmp_path, name):
    error = config_error(notes(tmp_path, HEAD + f"macros:\n  R: '\\mathbb{{R}}'\n  '{name}': 'x'\n"))
    assert f"macro \\{name.lstrip(chr(92))} would replace a LaTeX command" in error.message
    assert where(error) == "notes.yaml:6:3"  # the name
    assert error.hint and "another name" in error.hint


def test_build_stops_on_a_macro_named_like_a_latex_command(tmp_path):
    folder = notes(tmp_path, HEAD + "macros: {R: '\\mathbb{R}', frac: 'x'}\n", "$\\frac{1}{2} \\in \\R$\n")
    result = run_notes("build", folder, "--pdf", "--out", tmp_path / "out")
    assert result.returncode != 0
    assert "notes.yaml:4:27: error: macro \\frac would replace a LaTeX command" in result.stderr, result.stderr


@pytest.mark.parametrize("name", ["R2", "my_R", "\\\\R", '"R\\n"', "''"])
def test_a_macro_name_must_be_a_tex_control_word(tmp_path, name):
    error = config_error(notes(tmp_path, HEAD + f"macros:\n  {name}: 'x'\n"))
    assert "must be letters only" in error.message
    assert where(error) == "notes.yaml:5:3"


def test_the_same_macro_twice_is_an_error(tmp_path):
    error = config_error(notes(tmp_path, HEAD + "macros:\n  R: 'a'\n  '\\R': 'b'\n"))
    assert "macro \\R is defined twice" in error.message
    assert where(error) == "notes.yaml:6:3"


# -- 3. braces and parameters --------------------------------------------------------------------------------
@pytest.mark.parametrize(("body", "message", "column"), [
    ("'\\mathbb{R'", "macro \\R: '{' is never closed", 6),
    ("'\\mathbb{R}}'", "macro \\R: '}' has no matching '{'", 6),
])
def test_unbalanced_brace_in_a_macro_body_is_a_located_error(tmp_path, body, message, column):
    error = config_error(notes(tmp_path, HEAD + f"macros:\n  N: 'x'\n  R: {body}\n"))
    assert message in error.message
    assert where(error) == f"notes.yaml:6:{column}"


def test_lint_reports_an_unbalanced_macro_body(tmp_path):
    folder = notes(tmp_path, HEAD + "macros:\n  R: '\\mathbb{R'\n")
    result = run_notes("lint", folder)
    assert result.returncode != 0
    assert "notes.yaml:5:6" in result.stderr + result.stdout
    assert "'{' is never closed" in result.stderr + result.stdout


@pytest.mark.parametrize("body", ["'#0'", "'x #'", "'#a'"])
def test_a_parameter_character_must_name_an_argument(tmp_path, body):
    error = config_error(notes(tmp_path, HEAD + f"macros:\n  R: {body}\n"))
    assert "'#' must be followed by an argument number 1-9" in error.message
    assert where(error) == "notes.yaml:5:6"


def test_good_macros_still_load_in_notes_yaml_and_front_matter(tmp_path):
    yaml = HEAD + "macros:\n  R: '\\mathbb{R}'\n  '\\norm': '\\lVert #1 \\rVert'\n  hash: '\\#'\n  pair: '(#1, #2)'\n"
    config = load_config(notes(tmp_path, yaml))
    assert config.macros == {"R": "\\mathbb{R}", "norm": "\\lVert #1 \\rVert", "hash": "\\#", "pair": "(#1, #2)"}
    assert [macro_arguments(body) for body in config.macros.values()] == [0, 1, 0, 2]
    single = write_project(tmp_path / "single", {"a.md": "---\nmacros:\n  frac: 'x'\n---\n$\\frac12$\n"})
    error = config_error(single / "a.md")
    assert where(error) == "a.md:3:3"
