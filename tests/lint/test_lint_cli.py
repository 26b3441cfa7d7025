"""`notes lint` end to end: exit codes, text/JSON output, --fix/--diff/--interactive, config, suppression."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from notes_builder.cli import cli
from notes_builder.config import load_config, read_text
from notes_builder.content import load_document
from notes_builder.lint import error_findings, lint_paths
from notes_builder.lint.engine import section_findings

REPO = Path(__file__).resolve().parents[2]
JSON_KEYS = {"path", "line", "column", "end_line", "end_column", "code", "severity", "message", "fix"}


def project(tmp_path: Path, body: str, yaml_extra: str = "", name: str = "a.md", newline: str = "\n") -> Path:
    (tmp_path / "notes.yaml").write_text(f"title: T\nsections: [{name}]\n{yaml_extra}", encoding="utf-8")
    (tmp_path / name).write_bytes(body.replace("\n", newline).encode("utf-8"))
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(cli, ["lint", *args], catch_exceptions=False)


def test_a_folder_named_like_markdown_is_searched_not_read(tmp_path):
    (tmp_path / "book" / "part.md").mkdir(parents=True)  # Hugo's and Jekyll's page bundles are named so
    (tmp_path / "book" / "part.md" / "page.md").write_text("# P\n\n$h_t-1$\n", encoding="utf-8")
    result = run(str(tmp_path / "book"))
    assert result.exit_code == 1 and "NB111" in result.output and "notes.yaml" not in result.output


def test_clean_project_exits_0(tmp_path):
    project(tmp_path, "# T\n\nFine $h_{t-1} = \\tanh(x)$.\n")
    result = run(str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


def test_text_output_has_location_code_line_and_caret(tmp_path):
    project(tmp_path, "# T\n\nSee $h_t-1$ here.\n")
    result = run(str(tmp_path))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].endswith("a.md:3:7: NB111 subscript 't-1' needs braces: _{t-1}")
    assert lines[1] == "  See $h_t-1$ here."
    assert lines[2] == "        ^~~~"
    assert "1 problem" in result.output and "1 fixable" in result.output


def test_json_output_keys_and_fix(tmp_path):
    project(tmp_path, "# T\n\nSee $\\tilde<c>_t$ and $\\R$.\n")
    result = run(str(tmp_path), "--format", "json")
    assert result.exit_code == 1
    items = json.loads(result.output)
    assert [i["code"] for i in items] == ["NB101", "NB141"]
    for item in items:
        assert set(item) == JSON_KEYS
    first = items[0]
    assert (first["line"], first["column"], first["severity"]) == (3, 6, "error")
    assert first["fix"] == {"replacement": "{c}", "line": 3, "column": 12, "end_line": 3, "end_column": 15,
                            "applicability": "safe"}
    assert items[1]["fix"] is None and "\\mathbb{R}" in items[1]["message"]


def test_explain_and_unknown_code():
    result = run("--explain", "NB111")
    assert result.exit_code == 0 and "Before:" in result.output and "After:" in result.output
    assert run("--explain", "NB999").exit_code == 2


def test_missing_path_is_usage_error(tmp_path):
    assert run(str(tmp_path / "nope")).exit_code == 2


def test_fix_rewrites_only_fixed_spans_keeping_crlf_and_bom(tmp_path):
    body = "\ufeff# T\n\nA $h_t-1$ and $σ(x)$; also $x_t_1$ and $\\R$.\n\nTrailing  spaces  \n"
    project(tmp_path, body, newline="\r\n")
    path = tmp_path / "a.md"
    # h_t-1 -> h_{t-1} is unsafe ((n_h-1) is a subtraction); σ -> \\sigma is the opt-in style rule NB152
    result = run(str(tmp_path), "--fix", "--unsafe-fixes", "--select", "NB1", "--select", "NB152")
    assert result.exit_code == 1  # \R is not fixable
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    expected = body.replace("\n", "\r\n").replace("h_t-1", "h_{t-1}").replace("σ", "\\sigma")
    expected = expected.replace("x_t_1", "x_{t_1}")
    assert data.decode("utf-8") == expected
    again = run(str(tmp_path), "--format", "json")
    assert [i["code"] for i in json.loads(again.output)] == ["NB141"]
    assert all(i["fix"] is None for i in json.loads(again.output))
    run(str(tmp_path), "--fix")
    assert path.read_bytes() == data  # idempotent


def test_fix_count_leaves_out_overlapping_fixes(tmp_path):
    # Round 1 offers NB111 `{alpha}` and NB122 `\alpha` on the same span: only one of them can apply.
    # Round 2 offers NB102 over the whole accent and NB122 inside it: again only one applies.
    project(tmp_path, "# T\n\nSee $\\hat{x_alpha}$ here.\n")
    path = tmp_path / "a.md"
    config, text, applied = load_config(tmp_path), read_text(path), 0
    for _ in range(10):  # what `notes lint --fix` should do, applying each round's non-overlapping fixes
        fixes = [f.fix for f in section_findings(config, path.resolve(), text) if f.fix and f.fix.safe]
        if not fixes:
            break
        taken, cursor = [], 0
        for fix in sorted(fixes, key=lambda f: (f.start, f.end)):
            if fix.start >= cursor:
                taken.append(fix)
                cursor = fix.end
        for fix in reversed(taken):
            text = text[:fix.start] + fix.replacement + text[fix.end:]
        applied += len(taken)
    assert applied == 2 and "$\\hat{x}_\\alpha$" in text  # x_{alpha} (unsafe) is not taken: \\alpha is
    result = run(str(tmp_path), "--fix")
    assert result.exit_code == 0, result.output
    assert path.read_text(encoding="utf-8") == text
    assert "fixed 2 problems" in result.output, result.output


def test_diff_changes_nothing(tmp_path):
    project(tmp_path, "# T\n\n$x^10$\n")
    before = (tmp_path / "a.md").read_bytes()
    result = run(str(tmp_path), "--diff")
    assert result.exit_code == 1
    assert "-$x^10$" in result.output and "+$x^{10}$" in result.output
    assert (tmp_path / "a.md").read_bytes() == before


def test_interactive_yes_no_all_quit(tmp_path):
    project(tmp_path, "# T\n\n$x^10$ $y^11$ $z^12$ $w^13$\n")
    result = CliRunner().invoke(cli, ["lint", str(tmp_path), "--fix", "--interactive"], input="y\nn\nq\n")
    text = (tmp_path / "a.md").read_text()
    assert "$x^{10}$ $y^11$ $z^12$ $w^13$" in text, result.output
    CliRunner().invoke(cli, ["lint", str(tmp_path), "--fix", "-i"], input="n\na\n")
    assert "$x^{10}$ $y^11$ $z^{12}$ $w^{13}$" in (tmp_path / "a.md").read_text()


def test_inline_suppression_and_config(tmp_path):
    body = "# T\n\n<!-- notes-lint: ignore NB111 -->\n$x^10$ $a * b$\n\n$y^10$\n"
    project(tmp_path, body, "lint:\n  ignore: [NB162]\n")
    items = json.loads(run(str(tmp_path), "--format", "json").output)
    assert [(i["code"], i["line"]) for i in items] == [("NB111", 6)]
    project(tmp_path, body, "lint:\n  select: [NB16]\n")
    items = json.loads(run(str(tmp_path), "--format", "json").output)
    assert [i["code"] for i in items] == ["NB162"]
    project(tmp_path, body, "lint:\n  per_file_ignores:\n    'a.md': [NB1]\n")
    assert run(str(tmp_path)).exit_code == 0


def test_extra_macros_and_notes_macros_are_known(tmp_path):
    project(tmp_path, "# T\n\n$\\vx + \\foo{a}$\n", "macros:\n  vx: '\\mathbf{x}'\nlint:\n  extra_macros: {foo: 1}\n")
    assert run(str(tmp_path)).exit_code == 0


def test_notes_macro_with_missing_argument(tmp_path):
    yaml = "macros:\n  norm: '\\lVert #1 \\rVert'\nlint:\n  extra_macros: {pair: 2}\n"
    project(tmp_path, "# T\n\n$\\norm{x} + \\norm$ and $\\pair{a}$ and $\\pair{a}{b}$\n", yaml)
    items = json.loads(run(str(tmp_path), "--format", "json").output)
    assert [(i["code"], i["column"]) for i in items] == [("NB142", 13), ("NB142", 25)]


def test_pyproject_tool_notes_lint(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.notes.lint]\nignore = ['NB111']\n")
    notes = tmp_path / "notes"
    notes.mkdir()
    project(notes, "# T\n\n$x^10$\n")
    assert run(str(notes)).exit_code == 0
    (tmp_path / "pyproject.toml").write_text("[tool.notes.lint]\nbogus = 1\n")
    result = run(str(notes))
    assert result.exit_code != 0 and "bogus" in result.output


def test_unclosed_dollar_is_a_finding_and_rest_is_checked(tmp_path):
    project(tmp_path, "# T\n\nIt costs $x today.\n\n$x^10$\n")
    items = json.loads(run(str(tmp_path), "--format", "json").output)
    assert [(i["code"], i["line"], i["column"]) for i in items] == [("NB135", 3, 10), ("NB111", 5, 3)]


def test_single_markdown_file_outside_a_project(tmp_path):
    path = tmp_path / "one.md"
    path.write_text("# One\n\n$alpha + \\beta$\n")
    items = json.loads(run(str(path), "--format", "json").output)
    assert [i["code"] for i in items] == ["NB122"]


def test_symbols_table_and_notation_consistency(tmp_path):
    yaml = "symbols:\n  - {symbol: 'W_f', meaning: 'weights'}\n  - {symbol: 'x_t', meaning: 'input'}\n"
    project(tmp_path, "# T\n\n$W_f x_t$ and $\\mathbf{W}_f$ and $c_t$ and $F_1$\n", yaml)
    items = json.loads(run(str(tmp_path), "--format", "json").output)
    assert [(i["code"], i["column"]) for i in items] == [("NB181", 16), ("NB182", 35)]


def test_forbidden_primitive_and_opt_in(tmp_path):
    project(tmp_path, "# T\n\n$\\input{x}$\n")
    items = json.loads(run(str(tmp_path), "--format", "json").output)
    assert [i["code"] for i in items] == ["NB171"]
    project(tmp_path, "# T\n\n$\\input{x}$\n", "allow:\n  tex_primitives: true\n")
    assert run(str(tmp_path)).exit_code == 0


def test_error_findings_api(tmp_path):
    project(tmp_path, "# T\n\n$x^10$ and $\\frac{a}{b$\n")
    document = load_document(tmp_path)
    errors = error_findings(document)
    assert [(f.code, f.severity, f.line, f.column) for f in errors] == [("NB133", "error", 3, 21)]


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
def test_compile_flag_maps_tex_errors(tmp_path):
    project(tmp_path, "# T\n\nGood $a^2$, bad $\\hspace{1}$, good $b$.\n")  # only TeX sees this one
    items = json.loads(run(str(tmp_path), "--compile", "--format", "json").output)
    assert [(i["code"], i["line"]) for i in items] == [("NB191", 3)]


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
def test_compile_count_leaves_out_formulas_that_already_have_errors(tmp_path):
    project(tmp_path, "# T\n\nGood $a^2$ and $b$.\n\nBroken $\\frac{a}{b$ here.\n")
    result = run(str(tmp_path), "--compile")
    assert result.exit_code == 1
    assert "compiled 2 of 3 formulas in " in result.output
    assert "(1 with errors already reported was not compiled)" in result.output


@pytest.mark.skipif(not (REPO / "content" / "notes.yaml").exists(), reason="default notes not written yet")
def test_default_notes_lint_clean():
    report = lint_paths([REPO / "content"])
    assert report.findings == [], [(f.location, f.code, f.message) for f in report.findings]


def test_fix_applicability_safe_unsafe_and_settled_by_the_symbols_table(tmp_path):
    project(tmp_path, "# T\n\nState $h_t-1$, size $(n_h-1)$, power $x^10$.\n")
    path = tmp_path / "a.md"
    items = json.loads(run(str(tmp_path), "--format", "json").output)
    # (n_h-1) is a subtraction: not reported at all; h_t-1 is probably h_{t-1}: an unsafe fix; x^10: a safe one
    assert [(i["code"], i["column"], i["fix"]["applicability"]) for i in items] == [("NB111", 9, "unsafe"),
                                                                                    ("NB111", 40, "safe")]
    result = run(str(tmp_path), "--fix")  # safe only
    assert "fixed 1 problem" in result.output
    assert path.read_text() == "# T\n\nState $h_t-1$, size $(n_h-1)$, power $x^{10}$.\n"
    # where the symbols table declares h_{t-1}, that reading is the notes' own: the fix is safe
    project(tmp_path, "# T\n\nState $h_t-1$, size $(n_h-1)$.\n",
            "symbols:\n  - {symbol: 'h_{t-1}', meaning: 'previous hidden state'}\n")
    run(str(tmp_path), "--fix")
    assert path.read_text() == "# T\n\nState $h_{t-1}$, size $(n_h-1)$.\n"
    assert "unsafe" in run("--explain", "NB111").output


def test_fix_through_a_symlink_edits_the_file_and_keeps_the_link(tmp_path):
    (tmp_path / "real").mkdir()
    project(tmp_path / "real", "# T\n\nSee $\\tilde<c>_t$.\n")
    link = tmp_path / "link.md"
    link.symlink_to(tmp_path / "real" / "a.md")
    run(str(link), "--fix")
    assert link.is_symlink() and "\\tilde{c}_t" in (tmp_path / "real" / "a.md").read_text()


def test_interactive_fixing_applies_nested_fixes_and_keeps_them_when_input_ends(tmp_path):
    body = "# T\n\nSee $\\hat{x_alpha}$ and $\\tilde<c>_t$ and $sigma(x)$.\n"
    project(tmp_path, body)
    path = tmp_path / "a.md"
    run(str(tmp_path), "--fix", "--unsafe-fixes")
    every_fix = path.read_text()
    path.write_text(body)
    result = CliRunner().invoke(cli, ["lint", str(tmp_path), "--fix", "--interactive"], input="y\n" * 20)
    assert path.read_text() == every_fix  # yes to each, nested ones included: the same as applying them all
    path.write_text(body)
    result = CliRunner().invoke(cli, ["lint", str(tmp_path), "--fix", "--interactive"], input="y\n")
    assert "Aborted" not in result.output
    kept = path.read_text()
    assert kept != body and kept != every_fix  # the one accepted fix is written when the input ends


def test_one_unreadable_file_never_hides_the_findings_of_the_others(tmp_path):
    (tmp_path / "bad.md").write_text("---\ntitle: [unclosed\n---\n\n$x$\n")
    (tmp_path / "good.md").write_text("Good $sigma(x)$.\n")
    (tmp_path / "latin.md").write_bytes(b"\xff\xfe bad bytes\n")
    result = run(str(tmp_path / "bad.md"), str(tmp_path / "good.md"), str(tmp_path / "latin.md"), "--format", "json")
    assert result.exit_code == 1
    items = json.loads(result.output)  # valid JSON, every file's findings
    assert [(Path(i["path"]).name, i["code"]) for i in items] == [("bad.md", "NB100"), ("good.md", "NB122"),
                                                                   ("latin.md", "NB100")]


def test_the_source_echo_shows_the_line_as_written_with_the_caret_under_wide_characters(tmp_path):
    (tmp_path / "w.md").write_text("中文字 $sigma(x)$ and :tada: 1:x:2\n")
    result = subprocess.run([sys.executable, "-m", "notes_builder", "lint", str(tmp_path / "w.md")],
                            capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    lines = (result.stdout + result.stderr).splitlines()
    echo = next(line for line in lines if ":tada:" in line)
    caret = lines[lines.index(echo) + 1]
    assert "1:x:2" in echo and "🎉" not in echo
    assert caret.index("^") == len("  中文字 $") + 3  # three wide characters take six columns


def test_brackets_and_stars_are_judged_in_their_paragraph(tmp_path):
    project(tmp_path, "# T\n\nThe tuple $(S$, $A$, $R)$ and (known $x)$.\n\n"
                      "The convolution is symmetric: $f * g = g * f$.\n\nA product $3 * 3$ and $f(x))$.\n")
    items = json.loads(run(str(tmp_path), "--format", "json").output)
    assert [(i["code"], i["line"]) for i in items] == [("NB162", 7), ("NB134", 7)]


def test_prose_read_as_math_is_one_finding(tmp_path):
    project(tmp_path, "# T\n\nLet $x$ be 5$ and then the rest of this long sentence becomes math until $y$ here.\n")
    items = json.loads(run(str(tmp_path), "--format", "json").output)
    assert [i["code"] for i in items] == ["NB135"]
