"""Bad input: each case has one defect at a known place; the build must name the user's file:line,
exit non-zero, and leave the previous PDF exactly as it was."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from pdfcheck import pdftotext, run_notes, write_project

PREVIOUS_PDF = b"%PDF-1.5\n% the previous, good build\n%%EOF\n"
# A valid 1x1 PNG, for cases whose defect is elsewhere.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
                       "AAAABJRU5ErkJggg==")
YAML = "title: Bad input\noutput: notes\nsections: [a.md]\n"


def project(body: str, yaml: str = YAML) -> dict[str, str]:
    return {"notes.yaml": yaml, "a.md": body}


# name: (files, expected 'file:line[:col]' + message fragment, exit code)
CASES: dict[str, tuple[dict[str, str | bytes], list[str], int]] = {
    "math_unbalanced_brace": (project("Text.\n\n$x^{2$ end.\n"), ["a.md:3:4: error: NB133"], 1),
    "left_without_right": (project("# T\n\n$$\n\\left( a + b\n$$\n"), ["a.md:4:1: error: NB132"], 1),
    "unknown_macro": (project("One.\n\nTwo $\\sigmoid(x)$.\n"), ["a.md:3:6: error: NB141", "\\sigmoid"], 1),
    "begin_end_mismatch": (project("$$\n\\begin{aligned} a \\end{align}\n$$\n"), ["a.md:2:19: error: NB136"], 1),
    "input_etc_passwd": (project("Leak $\\input{/etc/passwd}$.\n"), ["a.md:1:7: error: NB171", "\\input"], 1),
    "write18": (project("\n\nRun $\\immediate\\write18{ls}$.\n"), ["a.md:3:6: error: NB171"], 1),
    "end_document_in_math": (project("x\n\n$a \\end{document}$\n"), ["a.md:3:4", "end{document}"], 1),
    "catcode": (project("$\\catcode`\\@=11$\n"), ["a.md:1:2: error: NB171", "\\catcode"], 1),
    "unclosed_dollar": (project("Fine.\n\nPrice $x for two.\n"), ["a.md:3:7", "unclosed '$'"], 1),
    "macro_replaces_a_latex_command": ({"notes.yaml": "title: T\noutput: notes\nsections: [a.md]\nmacros:\n"
                                                      "  R: '\\mathbb{R}'\n  textless: PWNED\n", "a.md": "A < B.\n"},
                                       ["notes.yaml:6:3: error: macro \\textless would replace a command",
                                        "\\mytextless"], 1),
    "figure_name_with_nul": (project("Text.\n\n![x](a%00.png)\n"), ["a.md:3:1: error: figure name", "NUL"], 1),
    "encoded_figure_name_missing": (project("Text.\n\n![c](<my fig.png>)\n"),
                                    ["a.md:3:1: error: figure file not found: my fig.png"], 1),
    "char_without_font_in_callout_title": (project("::: note Rare 㲜\ntext\n:::\n"), ["a.md:1:", "U+3C9C"], 1),
    "macro_name_starting_with_end": ({"notes.yaml": "title: T\noutput: notes\nsections: [a.md]\nmacros:\n"
                                                    "  endx: x\n", "a.md": "A.\n"},
                                     ["notes.yaml:5:3: error: macro name \\endx may not start with 'end'"], 1),
    "unclosed_double_dollar": (project("Fine.\n\nSo $$ a + b here.\n"),
                               ["a.md:3:4", "unclosed '$$'", "matching '$$'"], 1),
    "xelatex_font_not_installed": ({"notes.yaml": "title: T\noutput: notes\nsections: [a.md]\ntemplate:\n"
                                                  "  engine: xelatex\n  cjk_main_font: No Such Font\n",
                                    "a.md": "中文 text.\n"},
                                   ["notes.yaml:6:18", 'The font "No Such Font" cannot be found', "fc-list"], 1),
    "missing_figure": (project("Intro.\n\n![Loss](results/loss.pdf)\n"), ["a.md:3:", "figure file not found"], 1),
    "unsupported_figure_type": (project("![x](anim.gif)\n"), ["a.md:1:", "unsupported type '.gif'"], 1),
    "unknown_placeholder": ({**project("Acc {{ metrics.test_acc }}.\n"),
                             "results/metrics.json": '{"test_accuracy": 0.9}'},
                            ["a.md:1:5", "unknown placeholder", "test_accuracy"], 1),
    "unclosed_placeholder": (project("\nAcc {{ metrics.test_accuracy.\n"), ["a.md:2:5", "never closed"], 1),
    "placeholder_without_results": (project("A {{ metrics.x }}\n"), ["a.md:1:3", "needs results"], 1),
    "placeholder_dunder_attribute": ({**project("A {{ metrics['\\x5f\\x5fclass\\x5f\\x5f'] }}\n"),
                                      "results/metrics.json": '{"a": 1}'}, ["a.md:1:3", "is not allowed"], 1),
    "placeholder_calls_a_method": ({**project("\nA {{ metrics.keys() }}\n"), "results/metrics.json": '{"a": 1}'},
                                   ["a.md:2:3", "placeholders cannot call functions"], 1),
    "placeholder_jinja_global": (project("A {{ lipsum }}\n"), ["a.md:1:3", "'lipsum' is undefined"], 1),
    "duplicate_label": (project("$$\na\n$$ (eq:a)\n\n$$\nb\n$$ (eq:a)\n"), ["a.md:6:1", "duplicate label 'eq:a'"], 1),
    "unknown_reference": (project("$$\na\n$$ (eq:a)\n\nSee \\eqref{eq:b}.\n"), ["a.md:5:5", "unknown label 'eq:b'"],
                          1),
    "missing_include": (project("Code:\n\n```python {include=\"nope.py\"}\n```\n"), ["a.md:3:1", "nope.py"], 1),
    "include_lines_out_of_range": ({**project('```python {include="c.py" lines="5-9"}\n```\n'), "c.py": "x = 1\n"},
                                   ["a.md:1:1", "outside c.py"], 1),
    "include_outside_project": (project('```text {include="/etc/hostname"}\n```\n'), ["a.md:1:1", "outside"], 1),
    "char_without_font": (project("Good.\n\nRocket 㲜 launch.\n"), ["a.md:3:8", "U+3C9C"], 1),
    "invalid_utf8": ({"notes.yaml": YAML, "a.md": b"Fine line\nbad \xff byte\n"}, ["a.md:2:5", "not valid UTF-8"],
                     1),
    "crlf_line_endings": (project("One.\r\n\r\nTwo $\\sigmoid$ x.\r\n"), ["a.md:3:6: error: NB141"], 1),
    "bom": ({"notes.yaml": YAML, "a.md": "\ufeffFirst.\n\nSee {{ nope }}.\n"}, ["a.md:3:5", "unknown placeholder"],
            1),
    "extremely_long_line": (project("x " * 40000 + "{{ missing }}\n"), ["a.md:1:80001", "unknown placeholder"], 1),
    "empty_notes_yaml": ({"notes.yaml": "", "a.md": "x\n"}, ["notes.yaml:1", "no 'sections'"], 1),
    "empty_section_list": ({"notes.yaml": "title: T\nsections: []\n", "a.md": "x"}, ["notes.yaml:2:11",
                                                                                     "at least one"], 1),
    "missing_section_file": ({"notes.yaml": "title: T\nsections:\n  - a.md\n  - b.md\n", "a.md": "x"},
                             ["notes.yaml:4:5", "section file not found: b.md"], 1),
    "yaml_syntax_unclosed_bracket": ({"notes.yaml": "title: T\nsections: [a.md\n", "a.md": "x"},
                                     ["notes.yaml:3:1", "invalid YAML"], 1),
    "yaml_bad_indentation": ({"notes.yaml": "title: T\nsections:\n  - a.md\n template:\n  toc: true\n", "a.md": "x"},
                             ["notes.yaml:4:", "invalid YAML"], 1),
    "yaml_tab_indent": ({"notes.yaml": "title: T\nsections:\n\t- a.md\n", "a.md": "x"}, ["notes.yaml:3:1",
                                                                                         "invalid YAML"], 1),
    "yaml_wrong_type": ({"notes.yaml": "title: [a, b]\nsections: [a.md]\n", "a.md": "x"},
                        ["notes.yaml:1:8", "'title' must be str"], 1),
    "yaml_unknown_key_typo": ({"notes.yaml": "title: T\nsections: [a.md]\ntemplate:\n  code_stile: x\n", "a.md": "x"},
                              ["notes.yaml:4:3", "unknown key 'template.code_stile'", "code_style"], 1),
    "yaml_bad_choice": ({"notes.yaml": "title: T\nsections: [a.md]\ntemplate:\n  engine: lualatex\n", "a.md": "x"},
                        ["notes.yaml:4:3", "must be one of pdflatex, xelatex"], 1),
    "yaml_below_range": ({"notes.yaml": "title: T\nsections: [a.md]\ntraining:\n  learning_rate: -0.1\n", "a.md": "x"},
                         ["notes.yaml:4:3", "'training.learning_rate' must be greater than 0, not -0.1"], 1),
    "yaml_above_range": ({"notes.yaml": "title: T\nsections: [a.md]\ntraining:\n  augment_stretch: 1.5\n", "a.md": "x"},
                         ["notes.yaml:4:3", "'training.augment_stretch' must be between 0 and 0.5, not 1.5"], 1),
    "yaml_zero_timeout": ({"notes.yaml": "title: T\nsections: [a.md]\ncompile_timeout: 0\n", "a.md": "x"},
                          ["notes.yaml:3:18", "'compile_timeout' must be greater than 0"], 1),
    "yaml_font_size": ({"notes.yaml": "title: T\nsections: [a.md]\ntemplate:\n  font_size: 13\n", "a.md": "x"},
                       ["notes.yaml:4:3", "must be one of 10, 11, 12, not 13"], 1),
    "yaml_unknown_code_style": ({"notes.yaml": "title: T\nsections: [a.md]\ntemplate:\n  code_style: nosuch\n",
                                 "a.md": "x"}, ["notes.yaml:4:15", "unknown code style"], 1),
    "front_matter_error": ({"a.md": "---\ntitle: T\nlanguage: [\n---\nBody\n"}, ["a.md:3:", "invalid YAML"], 1),
    "malformed_metrics": ({**project("Acc {{ metrics.test_accuracy }}\n"), "results/metrics.json": "{\n  \"a\": ,\n}"},
                          ["metrics.json:2:8", "not valid JSON"], 1),
    "missing_sty": ({"notes.yaml": "title: T\noutput: notes\nsections: [a.md]\ntemplate:\n  packages:\n"
                                   "    - nosuchpackagexyz\n", "a.md": "x\n"},
                    ["notes.yaml:6:7", "LaTeX package 'nosuchpackagexyz.sty' not found"], 1),
    "runaway_macro_timeout": ({"notes.yaml": "title: T\noutput: notes\nsections: [a.md]\ncompile_timeout: 4\nallow:\n"
                                             "  tex_primitives: true\nlint:\n  ignore: [NB141]\n",
                               "a.md": "First.\n\nLoop $\\def\\a{\\a}\\a$ here.\n"},
                              ["a.md:3:17", "did not finish within 4 s"], 1),
    "template_syntax_error": ({"notes.yaml": "title: T\noutput: notes\nsections: [a.md]\ntemplate:\n  directory: tpl\n",
                               "a.md": "x\n", "tpl/elements.tex.j2": "((* macro heading(level) *))\n\n((* if *))\n"},
                              ["elements.tex.j2:3", "template syntax error"], 1),
    "tex_error_mapped_to_source": (project("One.\n\nTwo $\\sigmoid(x)$ here.\n", YAML + "lint:\n  ignore: [NB141]\n"),
                                   ["a.md:3:6: error: Undefined control sequence \\sigmoid", "hint: `notes lint`",
                                    "full log:"], 1),
    "raw_latex_off_by_default": (project("Text\n\n```{=latex}\n\\textbf{x}\n```\n"),
                                 ["a.md:3:1", "raw LaTeX blocks are off"], 1),
    "raw_latex_forbidden_primitive": (project("```{=latex}\nok\n\\openout1=x.tex\n```\n",
                                              YAML + "allow:\n  raw_latex: true\n"),
                                      ["a.md:3:1: error: \\openout"], 1),
    "raw_latex_forbidden_primitive_mid_line": (project("Text.\n\n```{=latex}\nok\n  \\relax \\openout1=x.tex\n```\n",
                                                       YAML + "allow:\n  raw_latex: true\n"),
                                               ["a.md:5:10: error: \\openout is not allowed"], 1),
    "raw_latex_forbidden_primitive_in_a_list": (project("- item\n\n  ```{=latex}\n  \\write18{ls}\n  ```\n",
                                                        YAML + "allow:\n  raw_latex: true\n"),
                                                ["a.md:4:3: error: \\write18 is not allowed"], 1),
    "svg_figure_corrupt": ({**project("Text.\n\n![x](figs/bad.svg)\n"), "figs/bad.svg": "<svg"},
                           ["a.md:3:1: error: cannot convert figs/bad.svg: ", "XML parse error",
                            "hint: check that the file opens in a web browser"], 1),
    "png_figure_truncated": ({**project("Text.\n\n![x](cut.png)\n"), "cut.png": PNG[:40]},
                             ["a.md:3:1: error: figure cut.png is truncated (its PNG end marker is missing)"], 1),
    "pdf_figure_truncated": ({**project("![x](cut.pdf)\n"), "cut.pdf": "%PDF-1.5\n1 0 obj\n<< /Type /Catalog"},
                             ["a.md:1:1: error: figure cut.pdf is truncated"], 1),
    "figure_outside_the_project": (project("Text.\n\n![x](/usr/share/doc/x.pdf)\n"),
                                   ["a.md:3:1: error: figure '/usr/share/doc/x.pdf' is outside the notes project"], 1),
    "figure_outside_by_dotdot": (project("![x](../../../../../../../../etc/x.png)\n"),
                                 ["a.md:1:1: error: figure", "is outside the notes project"], 1),
    "label_with_tex_characters": (project("$$\na = b \\label{a~b}\n$$\n"),
                                  ["a.md:", "label 'a~b' may use only ASCII letters, digits and : . _ -"], 1),
    "png_figure_garbage": ({**project("Text.\n\n![x](figs/bad.png)\n"), "figs/bad.png": b"\x00garbage, no PNG"},
                           ["a.md:3:1: error: figure figs/bad.png is not a valid PNG file"], 1),
    "jpg_figure_empty": ({**project("![x](e.jpg)\n"), "e.jpg": b""}, ["a.md:1:1: error: figure e.jpg is empty"], 1),
    "pdf_figure_garbage": ({**project("Intro.\n\nAs drawn:\n\n  ![x](f.pdf)\n"), "f.pdf": "not a PDF at all\n"},
                           ["a.md:5:3: error: figure f.pdf is not a valid PDF file"], 1),
    "placeholder_inside_math": ({**project("Intro.\n\nX $n = {{ metrics.hidden_size }}$.\n"),
                                 "results/metrics.json": '{"hidden_size": 32}'},
                                ["a.md:3:8: error: NB172 placeholders are not replaced inside math"], 1),
    "placeholder_inside_display_math": ({**project("$$\nn = {{metrics.hidden_size | thousands}}\n$$\n"),
                                         "results/metrics.json": '{"hidden_size": 32}'},
                                        ["a.md:2:5: error: NB172 placeholders are not replaced inside math"], 1),
    "unknown_callout_type": (project("Intro.\n\n::: foo Bar\ntext in foo\n:::\n"),
                             ["a.md:3:1: error: unknown call-out type 'foo'", "note, tip, warning"], 1),
    "callout_type_typo": (project("Intro.\n\n::: nte Remember\ntext\n:::\n"),
                          ["a.md:3:1: error: unknown call-out type 'nte'", "did you mean 'note'?"], 1),
    # lint reports this one itself (at the backslash); with its rule off, TeX's error must land there too
    "tex_error_column_on_the_backslash": (project("Some text.\n\nAnd more words $\\frac{a}$ here.\n",
                                                  YAML + "lint:\n  ignore: [NB142]\n"), ["a.md:3:17: error: "], 1),
    "undefined_control_sequence_in_template": (
        {"notes.yaml": "title: T\noutput: notes\nsections: [a.md]\ntemplate:\n  directory: tpl\n",
         "a.md": "# Heading\n",
         "tpl/elements.tex.j2": '((* macro heading(level, text, anchor) *))\n\\nosuchcommand{((( text )))}\n'
                                '((* endmacro *))\n((* macro figure() *))((* endmacro *))\n'},
        ["a.md:1:", "Undefined control sequence \\nosuchcommand"], 1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_names_the_users_line_and_keeps_the_pdf(tmp_path: Path, name: str):
    files, expected, code = CASES[name]
    for relative, content in files.items():
        path = tmp_path / "notes" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    target = tmp_path / "notes" / ("a.md" if "notes.yaml" not in files else "")
    out = tmp_path / "out"
    out.mkdir()
    previous = out / ("a.pdf" if "notes.yaml" not in files else "notes.pdf")
    previous.write_bytes(PREVIOUS_PDF)
    result = run_notes("build", target, "--pdf", "--out", out)
    assert result.returncode == code, result.stderr
    for fragment in expected:
        assert fragment in result.stderr, result.stderr
    assert previous.read_bytes() == PREVIOUS_PDF
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_at_least_thirty_cases():
    assert len(CASES) >= 30


def test_forbidden_file_content_never_reaches_the_pdf(tmp_path):
    """Even with lint skipped, TeX itself may not read outside the build folder (openin_any=p)."""
    write_project(tmp_path, {"a.md": "---\nallow:\n  tex_primitives: true\nlint:\n  ignore: [NB141, NB171]\n---\n"
                                     "Start $\\input{/etc/hostname}$ end.\n"})
    result = run_notes("build", tmp_path / "a.md", "--pdf", "--out", tmp_path / "out")
    hostname = Path("/etc/hostname").read_text().strip()
    assert result.returncode != 0
    assert "a.md:7" in result.stderr
    pdf = tmp_path / "out" / "a.pdf"
    assert not pdf.exists() or hostname not in pdftotext(pdf)


def test_unbalanced_brace_in_prose_is_text_not_an_error(tmp_path):
    write_project(tmp_path, {"a.md": "A lone { brace and } another { here.\n"})
    result = run_notes("build", tmp_path / "a.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "A lone { brace and } another { here." in pdftotext(tmp_path / "out" / "a.pdf")


def test_error_excerpt_of_a_long_line_is_windowed(tmp_path):
    write_project(tmp_path, {"a.md": "word " * 5000 + "{{ missing }}\n"})
    result = run_notes("build", tmp_path / "a.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 1
    excerpt = result.stderr.splitlines()[1]
    assert len(excerpt) < 200 and "{{ missing }}" in excerpt


def test_a_permission_error_inside_the_output_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    """As root no folder is read-only, so the refusal is the file system's own, simulated where it is raised."""
    from click.testing import CliRunner

    from notes_builder import files
    from notes_builder.cli import cli

    (tmp_path / "n.md").write_text("# A\n\nText.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def refuse(path, data, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(files, "write_atomic", refuse)
    monkeypatch.setattr("notes_builder.build.write_atomic", refuse)
    result = CliRunner().invoke(cli, ["build", "n.md"])
    assert result.exit_code == 1
    assert "cannot write" in result.output and "permission denied" in result.output
    assert "Traceback" not in result.output
