"""Rendering: every CommonMark construct compiles, escaping is exact, goldens pin the generated LaTeX."""

from __future__ import annotations

import base64
import functools
import os
import subprocess
from pathlib import Path

import pytest
from pdfcheck import pdftotext, run_notes, squash, write_project

from notes_builder.compile import compile_tex
from notes_builder.content import load_document
from notes_builder.errors import CompileError
from notes_builder.render import assets, render_document

GOLDEN = Path(__file__).parent / "golden"
# A 1x1 PNG, written by the tests that need a raster image.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
                       "AAAABJRU5ErkJggg==")
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" '
       'fill="#3366cc"/></svg>')

CONSTRUCTS = {
    "heading": ("# Top\n\n## Second\n\n### Third\n\n#### Fourth\n", ["Top", "Second", "Third", "Fourth"]),
    "emphasis": ("Some *emphasis* and _more_ here.\n", ["Some emphasis and more here."]),
    "strong": ("A **strong** word.\n", ["A strong word."]),
    "strikethrough": ("An ~~old~~ word.\n", ["An old word."]),
    "inline_code": ("Call `torch.nn.LSTM(9, 32)` now.\n", ["Call torch.nn.LSTM(9, 32) now."]),
    "link": ("See [the docs](https://pytorch.org/docs/stable/nn.html#lstm) for more.\n", ["See the docs for more."]),
    "image_pdf": ("![A vector figure](fig.pdf)\n", ["Figure 1.", "A vector figure"]),
    "image_png": ("![A raster figure](dot.png)\n", ["Figure 1. A raster figure"]),
    "image_jpg": ("![A photo](photo.jpg)\n", ["Figure 1. A photo"]),
    "image_svg": ("![A drawing](box.svg)\n", ["Figure 1. A drawing"]),
    "bullet_list": ("- one\n- two\n  - nested a\n  - nested b\n- three\n", ["one", "nested a", "three"]),
    "ordered_list": ("3. three\n4. four\n   1. inner\n", ["3. three", "4. four", "1. inner"]),
    "blockquote": ("> quoted *text*\n>\n> second paragraph\n", ["quoted text", "second paragraph"]),
    "table": ("| Name | Value |\n|:--|--:|\n| $h_t$ | 32 |\n| rate | 0.002 |\n", ["Name", "Value", "rate"]),
    "thematic_break": ("before\n\n---\n\nafter\n", ["before", "after"]),
    "hard_break": ("line one  \nline two\\\nline three\n", ["line one", "line two", "line three"]),
    "fenced_code": ("```python\nprint('hi')  # comment\n```\n", ["print('hi')", "# comment"]),
    "indented_code": ("Text.\n\n    x = 1\n    y = 2\n", ["x = 1", "y = 2"]),
    "display_math": ("$$\na^2 + b^2 = c^2\n$$\nPythagoras, as a caption.\n", ["Equation (1). Pythagoras"]),
    "bracket_math": ("\\[\ne^{i\\pi} + 1 = 0\n\\]\n", ["(1)"]),
    "align_env": ("\\begin{align}\na &= b \\\\\nc &= d\n\\end{align}\n", ["(1)"]),
    "inline_math": ("Inline $\\alpha_t$ and \\(\\beta\\).\n", ["Inline"]),
    "html_dropped": ("Keep <span>this</span> text.\n\n<div>gone</div>\n", ["Keep this text."]),
    "container": ("::: note Remember\nA boxed remark.\n:::\n", ["Remember", "A boxed remark."]),
    "long_code_line": ("```python\nx = '" + "verylongtoken" * 30 + "'\n```\n", ["verylongtoken"]),
}


def _assets(folder: Path) -> None:
    (folder / "dot.png").write_bytes(PNG)
    (folder / "photo.jpg").write_bytes(_matplotlib_figure("jpg"))
    (folder / "box.svg").write_text(SVG)
    (folder / "fig.pdf").write_bytes(_matplotlib_figure("pdf"))


@functools.cache
def _matplotlib_figure(fmt: str) -> bytes:
    """A small real figure in the given format, as the notes' own figures are made."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure = plt.figure(figsize=(2, 1))
    figure.gca().plot([0, 1], [0, 1])
    figure.savefig(buffer, format=fmt)
    plt.close("all")
    return buffer.getvalue()


@pytest.mark.parametrize("name", sorted(CONSTRUCTS))
def test_construct_compiles(tmp_path, name):
    markdown, phrases = CONSTRUCTS[name]
    write_project(tmp_path, {"note.md": f"---\ntitle: {name}\n---\n{markdown}"})
    if name.startswith("image_"):  # only the figure cases need the files (matplotlib is slow to start)
        _assets(tmp_path)
    result = run_notes("build", tmp_path / "note.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    text = squash(pdftotext(tmp_path / "out" / "note.pdf"))
    for phrase in phrases:
        assert phrase in text
    if name == "html_dropped":
        assert "gone" not in text and "raw HTML dropped" in result.stderr and "note.md:6:1" in result.stderr


def test_every_latex_special_character_comes_out_literally(tmp_path):
    specials = r"Specials: & % \$ # _ { } ~ ^ \\ < > | and “curly” ‘quotes’ – — … end"
    write_project(tmp_path, {"note.md": f"{specials}\n"})
    result = run_notes("build", tmp_path / "note.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    text = squash(pdftotext(tmp_path / "out" / "note.pdf"))
    assert "Specials: & % $ # _ { } ~ ^ \\ < > | and “curly” ‘quotes’ – — . . . end" in text  # … as \\ldots


def test_mixed_english_chinese_compiles_with_pdflatex(tmp_path):
    write_project(tmp_path, {"note.md": "---\ntitle: LSTM 学习笔记\nlanguage: mixed\n---\n# 遗忘门 Forget gate\n\n"
                             "遗忘门决定保留多少旧的细胞状态 (the forget gate) $f_t$.\n"})
    result = run_notes("build", tmp_path / "note.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    text = squash(pdftotext(tmp_path / "out" / "note.pdf")).replace(" ", "")
    assert "遗忘门决定保留多少旧的细胞状态" in text and "LSTM学习笔记" in text


def test_mixed_english_chinese_compiles_with_xelatex(tmp_path):
    write_project(tmp_path, {"note.md": "---\ntitle: 笔记\ntemplate:\n  engine: xelatex\n---\n"
                             "输入门 (input gate) $i_t$ 和 σ.\n"})
    result = run_notes("build", tmp_path / "note.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "输入门 (input gate)" in pdftotext(tmp_path / "out" / "note.pdf")


def test_symbol_without_font_is_a_framed_code_point_and_a_warning(tmp_path):
    write_project(tmp_path, {"note.md": "First line.\n\nA rocket 🚀 here, and ⭐ in `code ⭐` and $⭐$.\n"})
    result = run_notes("build", tmp_path / "note.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "note.md:3:10: warning: character '🚀' (U+1F680 ROCKET) has no glyph" in result.stderr
    assert result.stderr.count("U+2B50 WHITE MEDIUM STAR") == 1  # once per character
    text = squash(pdftotext(tmp_path / "out" / "note.pdf"))
    assert "A rocket U+1F680 here, and U+2B50 in code U+2B50" in text and "and U+2B50 ." in text


def test_code_box_includes_a_line_range_and_a_symbol(tmp_path):
    write_project(tmp_path, {
        "notes.yaml": "title: Include\noutput: inc\nsections: [a.md]\n",
        "code.py": "import os\n\n\ndef helper():\n    return 41 + 1\n\n\nclass Model:\n    size = 32\n",
        "a.md": '```python {include="code.py" lines="4-5"}\n```\n\n```python {include="code.py" symbol="Model"}\n```\n',
    })
    result = run_notes("build", tmp_path, "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    text = squash(pdftotext(tmp_path / "out" / "inc.pdf"))
    assert "def helper():" in text and "return 41 + 1" in text
    assert "class Model:" in text and "import os" not in text


def test_include_of_a_latin1_file_is_an_error_naming_it(tmp_path):
    write_project(tmp_path, {"notes.yaml": "title: Include\noutput: inc\nsections: [a.md]\n",
                             "a.md": 'Code:\n\n```python {include="code.py"}\n```\n'})
    (tmp_path / "code.py").write_bytes("x = 'café'\n".encode("latin-1"))
    result = run_notes("build", tmp_path, "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 1, result.stderr
    assert "code.py:1:9" in result.stderr and "not valid UTF-8 (byte 0xe9)" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_code_language_warns_on_every_build(tmp_path, monkeypatch):
    """The highlight cache must not swallow the warning on the second build."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "a.md").write_text("```foo\nx = 1\n```\n\n```python\ny = 2\n```\n")
    for _ in range(2):
        warnings = render_document(load_document(tmp_path / "a.md")).warnings
        assert [w.message for w in warnings] == ["unknown code language 'foo': shown without colours"]
    assert len(list((tmp_path / "cache" / "notes-builder" / "highlight").glob("*.tex"))) == 1  # python only


def test_headings_with_escaped_brace_are_not_explicit_ids(tmp_path):
    (tmp_path / "a.md").write_text("# A \\{#x}\n\ntext\n\n# A \\{#x}\n")
    references = render_document(load_document(tmp_path / "a.md")).references
    assert {"sec:a-x", "sec:a-x-2"} <= set(references) and "x" not in references


def test_single_markdown_file_builds_to_out_folder(tmp_path):
    write_project(tmp_path, {"rnn.md": "---\ntitle: RNN notes\nauthor: Ada\n---\n# RNNs\n\n$h_t = "
                             "\\tanh(W x_t + U h_{t-1})$\n"})
    out = tmp_path / "elsewhere"
    result = run_notes("build", tmp_path / "rnn.md", "--pdf", "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out / "rnn.pdf")
    assert "RNN notes" in pdftotext(out / "rnn.pdf")


def test_code_style_from_notes_yaml_sets_the_colours(tmp_path):
    def preamble(style: str) -> str:
        (tmp_path / "a.md").write_text(f"---\ntemplate:\n  code_style: {style}\n---\n```python\nx = 1\n```\n")
        return render_document(load_document(tmp_path / "a.md")).tex.split("\\begin{document}")[0]

    friendly, monokai = preamble("friendly"), preamble("monokai")
    assert "PYG@tok@k" in friendly and friendly != monokai


GOLDEN_CASES = {
    "formula_caption": "$$\nf_t = \\sigma(W_f x_t + b_f)\n$$ (eq:forget)\nThe forget gate.\n\n"
                       "See \\eqref{eq:forget}.\n",
    "prose_escape": "Cost: 5 % of $x$ & 10 # items_total {braces} ~tilde^ back\\slash.\n",
    "lists_table": "- a\n- b\n\n1. one\n\n| x | y |\n|--:|:-:|\n| 1 | 2 |\n",
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_generated_tex_matches_golden(tmp_path, name):
    (tmp_path / "g.md").write_text(GOLDEN_CASES[name])
    tex = render_document(load_document(tmp_path / "g.md")).tex
    body = tex.split("\\maketitle\n", 1)[1].split("\\end{document}")[0]
    body = body.replace(str(tmp_path), "<dir>")
    golden = GOLDEN / f"{name}.tex"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(body)
    assert body == golden.read_text()


def test_placeholders_cannot_reach_python(tmp_path):
    """The acceptance tester's exploit: a placeholder that ran a shell command through Jinja's globals."""
    proof = tmp_path / "ran"
    attacks = [f"lipsum['\\x5f\\x5fglobals\\x5f\\x5f']['os'].popen('touch {proof}').read()",
               f"notes['\\x5f\\x5finit\\x5f\\x5f']['\\x5f\\x5fglobals\\x5f\\x5f']['os'].system('touch {proof}')",
               "metrics['values']['\\x5f\\x5fself\\x5f\\x5f']",
               "notes.title.format(notes)"]
    for number, attack in enumerate(attacks):
        folder = tmp_path / f"n{number}"
        write_project(folder, {"notes.yaml": "title: T\nsections: [a.md]\n", "a.md": f"X {{{{ {attack} }}}}.\n",
                               "results/metrics.json": '{"a": 1}'})
        result = run_notes("build", folder, "--out", folder / "out")
        assert result.returncode == 1, (attack, result.stdout)
        assert "a.md:1:3: error:" in result.stderr, result.stderr
        assert not proof.exists(), attack
    # plain values still work: the document's own settings, as data
    folder = tmp_path / "ok"
    write_project(folder, {"notes.yaml": "title: Plain\nsections: [a.md]\ntraining:\n  epochs: 7\n",
                           "a.md": "{{ notes.title }} has {{ notes.training.epochs }} epochs.\n"})
    result = run_notes("build", folder, "--out", folder / "out")
    assert result.returncode == 0, result.stderr
    assert "Plain has 7 epochs." in (folder / "out" / "ok.tex").read_text()


def test_placeholder_filter_in_a_table_cell(tmp_path):
    """A '|' ends a table cell, so a Jinja filter there is written '\\|'; the bare form gets a hint saying so."""
    write_project(tmp_path, {
        "notes.yaml": "title: Table\noutput: table\nsections: [a.md]\n",
        "results/metrics.json": '{"test_accuracy": 0.9876}',
        "a.md": "| what | value |\n|:--|:--|\n| accuracy | {{ metrics.test_accuracy \\| percent(1) }} |\n",
    })
    result = run_notes("build", tmp_path, "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "accuracy 98.8 %" in squash(pdftotext(tmp_path / "out" / "table.pdf"))
    table = "| what | value |\n|:--|:--|\n| accuracy | {{ metrics.test_accuracy | percent(1) }} |\n"
    (tmp_path / "a.md").write_text(table)
    result = run_notes("build", tmp_path, "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 1
    assert "a.md:3:14: error: placeholder '{{' is never closed" in result.stderr, result.stderr
    assert "write a filter as '\\|'" in result.stderr


def test_two_formulas_in_one_table_row_stay_apart(tmp_path):
    """Math with an escaped bar is not verbatim in the file, so both spans fall back to the same offset."""
    (tmp_path / "a.md").write_text("| a | b |\n|:--|:--|\n| $x \\| y$ | $p \\| q$ |\n")
    tex = render_document(load_document(tmp_path / "a.md")).tex
    assert "$x | y$ & $p | q$" in tex


def test_double_braces_in_math_are_latex_not_placeholders(tmp_path):
    """Only the placeholder form `{{ name }}` / `{{ name.attr` is refused in math; `{{2}}` is LaTeX grouping."""
    write_project(tmp_path, {"note.md": "Square $x^{{2}}$ and $\\frac{{a}}{b}$ and $y_{{t}}$ end.\n"})
    result = run_notes("build", tmp_path / "note.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "Square" in pdftotext(tmp_path / "out" / "note.pdf")


def test_double_dash_in_code_comes_out_as_typed(tmp_path):
    """T1 typewriter fonts turn `--` into an en dash and `,,` into a low quote unless they are split."""
    write_project(tmp_path, {"note.md": "Run `notes build --pdf` or `a---b` or `x,,y`.\n\n"
                                        "```bash\nnotes build --pdf ---x ,,y\n```\n\n    plain --pdf\n"})
    result = run_notes("build", tmp_path / "note.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    text = squash(pdftotext(tmp_path / "out" / "note.pdf"))
    assert "Run notes build --pdf or a---b or x,,y." in text
    assert "notes build --pdf ---x ,,y" in text and "plain --pdf" in text
    assert "\u2013" not in text and "\u2014" not in text and "\u201e" not in text


def test_tex_error_column_points_at_the_command(tmp_path):
    """Mapping a real pdflatex error back through the %NB markers lands on the backslash of `\\frac`."""
    source = tmp_path / "a.md"
    source.write_text("Some text.\n\nAnd more words $\\frac{a}$ here.\n")
    tex = tmp_path / "work" / "doc.tex"
    tex.parent.mkdir()
    tex.write_text(f"\\documentclass{{article}}\n\\begin{{document}}\n%NB@{source}:3\n"
                   "And more words $\\frac{a}$ here.\n\\end{document}\n")
    with pytest.raises(CompileError) as raised:
        compile_tex(tex)
    location = raised.value.location
    assert (location.path, location.line, location.column) == (source, 3, 17), raised.value


def test_svg_figure_is_converted_once_and_cached(tmp_path, monkeypatch):
    """The renderer converts an SVG (to report a broken one at its line); staging it copies that result."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_project(tmp_path, {"note.md": "![A drawing](box.svg)\n", "box.svg": SVG})
    converted = []
    for _ in range(2):
        result = run_notes("build", tmp_path / "note.md", "--pdf", "--force", "--out", tmp_path / "out")
        assert result.returncode == 0, result.stderr
        converted.append({path: path.stat().st_mtime_ns
                          for path in (tmp_path / "cache" / "notes-builder" / "svg").glob("*.pdf")})
    assert len(converted[0]) == 1
    assert converted[1] == converted[0]  # the second build reused the PDF: no new conversion rewrote it
    assert "Figure 1. A drawing" in squash(pdftotext(tmp_path / "out" / "note.pdf"))



def test_image_inside_a_sentence_is_an_icon_with_a_warning(tmp_path):
    """Not a figure (no caption, no number), but not lost either: set at text height, and the build says so."""
    write_project(tmp_path, {"notes.yaml": "title: T\nsections: [a.md]\n",
                             "a.md": "Intro.\n\nSee ![icon](b.png) in a sentence.\n"})
    (tmp_path / "b.png").write_bytes(PNG)
    result = run_notes("build", tmp_path, "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "a.md:3:5: warning: an image inside a sentence is set at text height" in result.stderr
    listing = subprocess.run(["pdfimages", "-list", str(tmp_path / "out" / f"{tmp_path.name}.pdf")],
                             capture_output=True, text=True, check=True).stdout
    images = [line.split() for line in listing.splitlines()[2:]]
    assert [row[2] for row in images] == ["image", "smask"]  # the one PNG (and its alpha mask), on page 1


def test_chinese_document_captions_use_chinese_words(tmp_path):
    write_project(tmp_path, {"note.md": "---\ntitle: 笔记\nlanguage: zh\n---\n$$\na = b\n$$\n等式。\n\n"
                                        "![示意图](dot.png)\n"})
    (tmp_path / "dot.png").write_bytes(PNG)
    result = run_notes("build", tmp_path / "note.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    text = squash(pdftotext(tmp_path / "out" / "note.pdf")).replace(" ", "")
    assert "公式(1).等式" in text and "图1.示意图" in text
    assert "Equation" not in text and "Figure" not in text


def test_figure_file_names_with_spaces_unicode_and_tex_characters(tmp_path):
    """markdown-it %-encodes such names, and #, %, ~ mean something to TeX: all must still embed, and each
    figure gets a TeX-safe `fig:` label that \\ref finds."""
    names = ["my fig.png", "图1.png", "a%b.png", "x#y.png", "p~q.png"]
    body = "".join(f"![Figure {i}.](<{name}>)\n\n" for i, name in enumerate(names)) + \
        "See \\ref{fig:my-fig}, \\ref{fig:1}, \\ref{fig:a-b}, \\ref{fig:x-y} and \\ref{fig:p-q}.\n"
    write_project(tmp_path, {"notes.yaml": "title: T\nsections: [a.md]\n", "a.md": body})
    for name in names:
        (tmp_path / name).write_bytes(PNG)
    result = run_notes("build", tmp_path, "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "See 1, 2, 3, 4 and 5." in squash(pdftotext(tmp_path / "out" / f"{tmp_path.name}.pdf"))


def test_a_symlinked_figure_that_leaves_the_project_is_refused(tmp_path):
    outside = tmp_path / "elsewhere" / "secret.png"
    outside.parent.mkdir()
    outside.write_bytes(PNG)
    notes = write_project(tmp_path / "notes", {"notes.yaml": "title: T\nsections: [a.md]\n",
                                               "a.md": "Text.\n\n![x](link.png)\n"})
    (notes / "link.png").symlink_to(outside)
    result = run_notes("build", notes, "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 1
    assert "a.md:3:1: error: figure 'link.png' is outside the notes project" in result.stderr


def test_the_svg_cache_stays_bounded_and_an_unwritable_cache_leaks_no_folder(tmp_path, monkeypatch):
    folder = tmp_path / "cache" / "notes-builder" / "svg"
    folder.mkdir(parents=True)
    for index in range(6):
        (folder / f"old{index}.pdf").write_bytes(b"%PDF-1.4")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(assets, "SVG_CACHE_ENTRIES", 4)
    drawing = tmp_path / "box.svg"
    drawing.write_text(SVG)
    assets.svg_as_pdf(drawing)
    assert len(list(folder.glob("*.pdf"))) <= 4
    # a cache that cannot be written: every conversion of the process shares one temporary folder
    monkeypatch.setenv("XDG_CACHE_HOME", "/proc/no-cache-here")
    first = assets.svg_as_pdf(drawing)
    drawing.write_text(SVG.replace("3366cc", "cc3366"))
    second = assets.svg_as_pdf(drawing)
    assert first.parent == second.parent and first.exists() and second.exists()
