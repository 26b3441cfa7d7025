"""Notes written for MathJax tools (Jupyter, Obsidian, Jekyll and docsify sites, chat answers) build to a correct PDF.

Each construct comes from a failure seen on real notes written by others (benchmarks/realworld.py); the
fixtures here are our own text that reproduces it. Every test runs the real CLI and pdflatex and reads the
PDF back.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pdfcheck import REPO, pdftotext, run_notes, squash, write_project

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
                       "AAAABJRU5ErkJggg==")


def build(path: Path, *args: str, cwd: Path | None = None, out: Path | None = None):
    """`notes build PATH --pdf` as a user runs it; returns (result, PDF text squashed or '')."""
    out = out or path.parent / "out"
    result = run_notes("build", path, "--pdf", "--out", out, *args, cwd=cwd)
    pdfs = sorted(out.glob("*.pdf"))
    text = squash(pdftotext(pdfs[0])) if result.returncode == 0 and pdfs else ""
    return result, text


# --- paths and projects -----------------------------------------------------------------------------

def test_figure_in_a_sibling_folder_builds_from_the_books_root(tmp_path):
    book = write_project(tmp_path / "book", {"chapter_1/page.md": "# Page\n\nText.\n\n![A dot.](../img/dot.png)\n"})
    (book / "img").mkdir()
    (book / "img" / "dot.png").write_bytes(PNG)
    result, text = build(Path("chapter_1/page.md"), cwd=book, out=tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "Figure 1. A dot." in text
    # run from elsewhere, the notes' own folder is the root: the figure is refused at its line
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result, _ = build(book / "chapter_1" / "page.md", cwd=elsewhere, out=tmp_path / "out2")
    assert result.returncode == 1
    assert "page.md:5:1: error: figure '../img/dot.png' is outside the notes project" in result.stderr
    # ... unless --root widens it
    result, text = build(book / "chapter_1" / "page.md", "--root", str(book), cwd=elsewhere, out=tmp_path / "out3")
    assert result.returncode == 0, result.stderr
    assert "Figure 1. A dot." in text


def test_a_git_repository_or_a_notes_yaml_above_is_the_project_root(tmp_path):
    book = write_project(tmp_path / "book", {"docs/ch/page.md": "Text.\n\n![A dot.](../../img/dot.png)\n"})
    (book / "img").mkdir()
    (book / "img" / "dot.png").write_bytes(PNG)
    (book / ".git").mkdir()
    result, text = build(book / "docs" / "ch" / "page.md", cwd=tmp_path, out=tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "Figure 1. A dot." in text


def test_sections_outside_the_project_root_are_refused(tmp_path):
    write_project(tmp_path, {"secret.md": "Secret text.\n"})
    notes = write_project(tmp_path / "notes", {"notes.yaml": "title: T\nsections:\n  - a.md\n  - ../secret.md\n",
                                               "a.md": "Text.\n"})
    result, _ = build(notes, cwd=notes)
    assert result.returncode == 1
    assert "notes.yaml:4:5: error: section ../secret.md is outside the notes project" in result.stderr
    # a root that holds it, stated in notes.yaml, lets it in
    (notes / "notes.yaml").write_text("title: T\nroot: ..\nsections:\n  - a.md\n  - ../secret.md\n")
    result, text = build(notes, cwd=notes)
    assert result.returncode == 0, result.stderr
    assert "Secret text." in text


def test_a_source_archive_without_git_builds_the_default_notes(tmp_path):
    """A release tarball or ZIP download has no .git: the default notes state their root (`root: ..`)."""
    archive = tmp_path / "notes-builder"
    if (REPO / ".git").exists():
        files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.split("\0")
    else:
        files = [str(p.relative_to(REPO)) for p in REPO.rglob("*") if p.is_file()]
    for name in files:
        if name and (name.startswith(("content/", "notes_builder/", "templates/")) or name == "pyproject.toml"):
            target = archive / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result, text = build(archive / "content", cwd=elsewhere, out=tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "class SimpleLSTM" in text


def test_a_remote_image_is_a_framed_placeholder_and_a_warning(tmp_path):
    notes = write_project(tmp_path, {"a.md": "Text.\n\n![The loss curve](https://example.org/img/loss.png)\n"})
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "a.md:3:1: warning: remote image not downloaded" in result.stderr
    assert "The loss curve" in text and "https://example.org/img/loss.png" in text


# --- front matter -----------------------------------------------------------------------------------

def test_front_matter_of_other_tools_is_ignored_with_one_warning(tmp_path):
    notes = write_project(tmp_path, {"a.md": "---\nlayout: page\npermalink: /rnn/\ntags: [rnn, lstm]\n"
                                             "categories: notes\naliases: [RNN]\nsource: web\ndate: 2019-03-01\n"
                                             "mathjax: true\n---\n\n# Recurrent networks\n\nSome text.\n"})
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("front matter keys for other tools ignored") == 1
    assert "layout, permalink, tags, categories, aliases, source, mathjax" in result.stderr
    # the title falls back to the first `#` heading, which is not repeated as a section
    assert text.startswith("Recurrent networks 2019-03-01 Some text.")


def test_pandoc_and_joss_authors_with_affiliations_are_the_author_line(tmp_path):
    """A JOSS paper's front matter: `authors:` (not a misspelt `author`), each a map with a name."""
    notes = write_project(tmp_path, {"a.md": "---\ntitle: A paper\nauthors:\n  - name: Ann Almgren\n"
                                             "    orcid: 0000-0003-2103-312X\n    affiliation: 1\n"
                                             "  - name: John Bell\n    affiliation: 1\n"
                                             "affiliations:\n  - name: LBNL\n    index: 1\n---\n\nText.\n"})
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "A paper Ann Almgren, John Bell" in text and "orcid" not in text
    assert "front matter keys for other tools ignored: affiliations" in result.stderr


def test_a_long_list_of_authors_wraps_within_the_margins(tmp_path):
    names = "".join(f"  - name: Author Number{n} Surname{n}\n" for n in range(16))
    notes = write_project(tmp_path, {"a.md": f"---\ntitle: Many hands\nauthors:\n{names}---\n\nText.\n"})
    result, text = build(notes / "a.md", "-W")
    assert result.returncode == 0, result.stderr
    assert "Overfull" not in result.stderr and "Author Number15 Surname15" in text


def test_a_misspelt_notes_key_in_front_matter_is_still_an_error(tmp_path):
    notes = write_project(tmp_path, {"a.md": "---\ntitel: Hello\n---\n\nText.\n"})
    result, _ = build(notes / "a.md")
    assert result.returncode == 1
    assert "a.md:2:1: error: unknown key 'titel'" in result.stderr and "did you mean 'title'?" in result.stderr


def test_unclosed_front_matter_is_an_error_at_its_opening_line(tmp_path):
    notes = write_project(tmp_path, {"a.md": "---\ntitle: Hello\n\n# Heading\n\nText.\n"})
    result, _ = build(notes / "a.md")
    assert result.returncode == 1
    assert "a.md:1:1: error: front matter opened here is never closed" in result.stderr


# --- display math as MathJax reads it ---------------------------------------------------------------

def test_align_lines_are_numbered_one_by_one_with_labels_tags_and_notag(tmp_path):
    notes = write_project(tmp_path, {"a.md": (
        "Intro.\n\n\\begin{align}\na &= b \\label{eq:first}\\\\\nc &= d \\notag\\\\\ne &= f \\label{eq:third}\n"
        "\\end{align}\n\n$$\n\\begin{align*}\np &= q \\tag{A}\\label{eq:tagged}\\\\\nr &= s\n\\end{align*}\n$$\n\n"
        "\\begin{equation*}\nx = y\n\\end{equation*}\n\n$$ E = mc^2 \\tag{2.1} \\label{eq:emc} $$\n\n"
        "\\begin{gather}\nu = v \\\\\nw = z\n\\end{gather}\n\n"
        "See \\eqref{eq:first}, \\eqref{eq:third}, \\eqref{eq:tagged} and \\eqref{eq:emc}.\n")})
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "See (1), (2), (A) and (2.1)." in text
    layout = pdftotext(tmp_path / "out" / "a.pdf", layout=True)
    numbered = [line.split()[-1] for line in layout.splitlines() if line.strip().endswith(")")]
    # align: 1, (none), 2; align*: A; equation*: none; $$ with \tag: 2.1; gather: 3 and 4
    assert numbered[:5] == ["(1)", "(2)", "(A)", "(2.1)", "(3)"] and "(4)" in numbered


def test_top_level_line_breaks_in_display_math_are_lines_with_a_warning(tmp_path):
    notes = write_project(tmp_path, {"a.md": "Text.\n\n$$\na = b \\\\\nc = d \\\\\n$$\n"})
    result, _ = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "a.md:4:7: warning: NB139 '\\\\' breaks the line in MathJax" in result.stderr
    assert "a.md:5:7: warning: NB139 '\\\\' at the end of the formula breaks no line: it is dropped" in result.stderr
    layout = pdftotext(tmp_path / "out" / "a.pdf", layout=True)
    lines = [line.strip() for line in layout.splitlines() if line.strip()]
    assert "a=b" in lines and "c=d" in lines  # two lines, not "a=bc=d"


def test_display_math_right_after_a_paragraph_line_keeps_the_parser_in_step(tmp_path):
    notes = write_project(tmp_path, {"a.md": (
        "Text:\n$$\n\\begin{bmatrix} a \\end{bmatrix}.\n$$\n\n```python\nA_sum_axis1 = x * y\n```\n\n"
        "Then $x$.\n\n$$\n\\begin{bmatrix} b\n\\end{bmatrix}\n$$\n")})
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "Python 1 A_sum_axis1 = x * y Then x." in text  # the code box and the prose are not math
    assert text.count("(1)") == 1 and text.count("(2)") == 1


def test_mathjax_font_switches_text_commands_and_package_macros_render(tmp_path):
    notes = write_project(tmp_path, {"a.md": (
        "Text $\\rm d x$, ${\\bf v}$, $\\it y$, $\\cal L$, $\\sf s$, $\\tt t$, step $\\textcircled{7}$, "
        "$\\textbf{b}$, $\\emph{e}$, $\\textit{i}$, $\\boldsymbol{\\theta}$, $\\bm{x}$, "
        "$\\operatorname*{arg\\,max}_x f$, $\\mathscr{L}$, $\\cancel{x}$, $\\color{red}{x}$.\n\n"
        "$$ f(x) = \\text{zero if $x<0$} $$\n")})
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "NB141" not in result.stderr and "invalid in math mode" not in result.stderr
    assert "zero if x < 0" in text and "7" in text


def test_newcommand_inside_a_formula_is_a_document_macro(tmp_path):
    notes = write_project(tmp_path, {"a.md": (
        "$$\\newcommand{\\R}{\\mathbb{R}}\\newcommand{\\norm}[1]{\\lVert #1 \\rVert}$$\n\n"
        "Let $x \\in \\R^n$ with $\\norm{x} = 1$.\n\n$$\\newcommand{\\R}{\\mathbb{R}} y \\in \\R$$\n")})
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "Let x ∈ Rn with ∥x∥ = 1." in text and "y∈R 1 (1)" in text  # the definitions alone set no formula
    # the same checks as notes.yaml macros: no replacing LaTeX's commands, no forbidden primitives
    (notes / "a.md").write_text("Text $\\newcommand{\\frac}{x} a$ and more.\n")
    result, _ = build(notes / "a.md")
    assert result.returncode == 1 and "a.md:1:7: error: macro \\frac would replace a LaTeX command" in result.stderr
    (notes / "a.md").write_text("Text.\n\n$$\\newcommand{\\x}{\\input{/etc/passwd}} \\x$$\n")
    result, _ = build(notes / "a.md")
    assert result.returncode == 1 and "\\input is not allowed in notes" in result.stderr


def test_unicode_in_math_is_set_as_mathjax_shows_it(tmp_path):
    notes = write_project(tmp_path, {"a.md": (
        "Inline $x² + y^² ≤ 3 × a′ − b → α$.\n\n$$\nL = (y − ŷ)² ，其中 y 为标签。\n$$\n")})
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "x2 + y 2 ≤ 3 × a′ − b → α" in text
    assert "L = (y − " in text and ")2 ，其中y为标签。" in text
    assert "NB151" not in result.stderr and "NB152" not in result.stderr  # set as MathJax sets them: no warning
    assert "U+5176" not in result.stderr  # Chinese in math is set as text, as MathJax shows it: no warning


# --- Markdown semantics as pandoc and CommonMark have them ------------------------------------------

def test_dollar_amounts_are_prose_by_pandocs_rule(tmp_path):
    notes = write_project(tmp_path, {"a.md": "It costs $5 and the other $6. Math $x_t$ still works.\n"})
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "It costs $5 and the other $6. Math xt still works." in text
    lint = run_notes("lint", notes / "a.md")
    assert lint.returncode == 0 and "1 formula" in lint.stdout  # only $x_t$ is math


def test_list_items_and_table_cells_starting_with_a_bracket_print_literally(tmp_path):
    notes = write_project(tmp_path, {"a.md": (
        "- [1] Hochreiter, 1997.\n- [2] Graves, 2013.\n\n1. [a] first\n2. second\n\n"
        "| Ref | Paper |\n|-----|-------|\n| [1] | LSTM |\n| [2] | GRU |\n\n- [ ] to do\n- [x] done\n")})
    result, _ = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    layout = pdftotext(tmp_path / "out" / "a.pdf", layout=True)
    assert "• [1] Hochreiter, 1997." in layout and "1. [a] first" in layout
    assert re.search(r"\[1\] +LSTM", layout) and re.search(r"\[2\] +GRU", layout)
    assert "□ to do" in layout and "⊠ done" in layout


def test_footnotes_are_footnotes(tmp_path):
    notes = write_project(tmp_path, {"a.md": "Text with a note[^1] and another[^long].\n\n"
                                             "[^1]: The first note, with $x^2$.\n[^long]: A second note.\n\nEnd.\n"})
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "Text with a note1 and another2 . End." in text
    assert "The first note, with x2 ." in text and "A second note." in text
    assert "[^1]" not in text


def test_math_in_a_figure_caption_builds_and_is_linted(tmp_path):
    notes = write_project(tmp_path, {"a.md": "Text.\n\n![Sigmoid on $[-6, 6]$ with $h_t-1$.](act.png)\n"})
    (notes / "act.png").write_bytes(PNG)
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "Figure 1. Sigmoid on [−6, 6] with" in text
    assert "a.md:3:31: warning: NB111 subscript 't-1' needs braces" in result.stderr  # located in the caption


def test_lists_nested_deeper_than_four_levels_build(tmp_path):
    items = "".join("  " * depth + f"- level {depth + 1}\n" for depth in range(7))
    notes = write_project(tmp_path, {"a.md": "Text.\n\n" + items})
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "level 7" in text


def test_an_unclosed_callout_is_an_error_at_its_opening_line(tmp_path):
    notes = write_project(tmp_path, {"a.md": "Text.\n\n::: note Remember\nBoxed.\n\nMore text.\n"})
    result, _ = build(notes / "a.md")
    assert result.returncode == 1
    assert "a.md:3:1: error: call-out 'note Remember' opened here is never closed" in result.stderr


# --- Chinese --------------------------------------------------------------------------------------

def test_a_chinese_character_the_pdflatex_font_lacks_is_an_error_and_xelatex_builds_it(tmp_path):
    notes = write_project(tmp_path, {"a.md": "# 字符\n\n中文里的生僻字 㲜 在这里。\n"})
    result, _ = build(notes / "a.md")
    assert result.returncode == 1
    assert "a.md:3:9: error: character '㲜' (U+3C9C CJK UNIFIED IDEOGRAPH-3C9C) cannot be typeset" in result.stderr
    assert "template.engine: xelatex" in result.stderr
    fonts = subprocess.run(["fc-list", ":charset=3c9c", "family"], capture_output=True, text=True).stdout
    if not fonts.strip():
        pytest.skip("no installed font has U+3C9C for xelatex")
    font = fonts.splitlines()[0].split(",")[0].strip()
    (notes / "a.md").write_text(f"---\ntemplate:\n  engine: xelatex\n  cjk_main_font: {font}\n---\n\n"
                                "# 字符\n\n中文里的生僻字 㲜 在这里。\n", encoding="utf-8")
    result, text = build(notes / "a.md", out=tmp_path / "out-xe")
    assert result.returncode == 0, result.stderr
    assert "㲜" in text


def test_forms_mathjax_reads_and_latex_would_stop_on(tmp_path):
    notes = write_project(tmp_path, {"a.md": (
        "Jekyll writes \\\\(y_i \\in \\\\{-1, 1\\\\}\\\\) for inline math, and $z_t $ or $\\sim$6000 as well.\n\n"
        "$$\nL = \\underbrace{a}_\\text{data loss} + b^\\frac{1}{2} + \\theta_i^' + \\boldsymbol{\\boldsymbol{R}}"
        " \\quad \\small\\mathsf{(1)} \\\\\\\\\n$$\n\n"
        "| Chapter | Link |\n|---|---|\n| One | [notes](https://example.org/#/ch1?a=1&b=2) |\n")})
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "for inline math, and zt or ∼6000 as well." in text and "yi ∈ {−1, 1}" in text
    assert "data loss" in text and "notes" in text


def test_chinese_compatibility_ideographs_and_typographic_spaces(tmp_path):
    notes = write_project(tmp_path, {"a.md": "# 章\n\n省\uf976号和\u2002空格，还有 Ⅱ 与 ⑥。\n"})
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "省略号和" in text and "Ⅱ" in text and "⑥" in text


def test_a_stray_dollar_is_reported_where_it_is_not_at_a_later_formula(tmp_path):
    notes = write_project(tmp_path, {"a.md": "The score is $s_1$ and the rate is 0,62$. Then the "
                                             "$\\text{ROC}$ curve follows from $x$.\n"})
    result, _ = build(notes / "a.md")
    assert result.returncode == 1
    assert "a.md:1:40: error: unclosed '$': this '$' opens or closes no formula" in result.stderr


# --- found in review: rewrites, roots and pairing must not open holes or lose text -----------------

def test_rewrites_never_join_text_into_a_forbidden_command(tmp_path):
    notes = write_project(tmp_path, {"a.md": "Inline $\\le\\small t\\pi\\infty \\pi$ and $a \\in\\small put{x}$.\n"})
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    body = (tmp_path / "out" / "a.tex").read_text().split("\\maketitle", 1)[1]  # the notes, not the preamble
    assert "\\let" not in body and "\\input" not in body


def test_a_commented_begin_does_not_open_a_template_environment(tmp_path):
    notes = write_project(tmp_path, {"a.md": "$x \\text{ % \\begin{document}\n\\end{document}}$\n"})
    result, _ = build(notes / "a.md")
    assert result.returncode == 1 and "\\end{document} is not allowed in notes" in result.stderr


def test_review_cases_of_lost_or_wrong_output(tmp_path):
    notes = write_project(tmp_path, {"a.md": (
        "Text.[^a]\n\n[^a]: See.[^a]\n\n$$\nE = mc^2 % energy\n$$\n\n$$ x = y \\\\ [0, 1] $$\n\n"
        "$$\\newcommand{\\first}[2]{#1}$$\n\nPick $\\first{a}{b}$, grow $ 2^n $, square $x²³$.\n")})
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "E = mc2" in text and "(1) (2)" in text  # the number survives a comment on the last line
    assert "[0, 1]" in text and "Pick a, grow 2n , square x23 ." in text
    assert "[^a]" in text  # a footnote citing itself is not set inside itself (was a RecursionError)


def test_notes_cannot_choose_a_root_that_opens_the_disk(tmp_path):
    notes = write_project(tmp_path, {"a.md": "---\nroot: /\n---\n\nText.\n",
                                     "p/notes.yaml": "title: T\nroot: /\nsections: [a.md]\n", "p/a.md": "Text.\n"})
    result, _ = build(notes / "a.md")
    assert result.returncode == 1 and "'root' is only for notes.yaml" in result.stderr
    result, _ = build(notes / "p")
    assert result.returncode == 1 and "project root / is too wide" in result.stderr


def test_images_in_html_blocks_are_figures(tmp_path):
    notes = write_project(tmp_path / "site", {
        "notes/page.md": ("Text.\n\n<div class=\"fig\">\n<img src=\"/assets/dot.png\" width=\"50%\">\n"
                          "<div class=\"figcaption\">Figure 3. A dot on a page.</div>\n</div>\n\n"
                          "<p align=\"center\"><img src=\"../assets/dot.png\" alt=\"The same dot.\"/></p>\n")})
    (notes / "assets").mkdir()
    (notes / "assets" / "dot.png").write_bytes(PNG)
    (notes / ".git").mkdir()
    result, text = build(notes / "notes" / "page.md")
    assert result.returncode == 0, result.stderr
    assert "Figure 1. A dot on a page." in text and "Figure 2. The same dot." in text  # our numbers, not theirs
    assert "raw HTML dropped" not in result.stderr


def test_top_headings_are_numbered_from_one_when_the_title_is_in_front_matter(tmp_path):
    notes = write_project(tmp_path, {"a.md": "---\ntitle: Course notes\n---\n\n## First part\n\nText.\n\n"
                                             "### A detail\n\nMore.\n\n## Second part\n\nEnd.\n"})
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "1 First part" in text and "1.1 A detail" in text and "2 Second part" in text


def test_a_missing_image_of_an_html_block_is_a_placeholder_and_a_warning(tmp_path):
    notes = write_project(tmp_path, {"a.md": "Text.\n\n<div align=\"center\"><img src=\"img/gone.png\"/></div>\n\n"
                                             "<img src=\"anim.gif\">\n"})
    (notes / "anim.gif").write_bytes(b"GIF89a")
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "a.md:3:1: warning: image of an HTML block not found: img/gone.png" in result.stderr
    assert "a.md:5:1: warning: image of an HTML block of a type PDF cannot embed" in result.stderr
    assert "img/gone.png" in text and "anim.gif" in text


def test_anchors_and_closing_tags_drop_nothing_and_warn_nothing(tmp_path):
    notes = write_project(tmp_path, {"a.md": "<a name='intro'></a>\n\n## Intro\n\nSee <a href=\"x\">this</a>, "
                                             "<span style=\"color:red\">red</span>.\n"})
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("raw HTML dropped") == 2  # <a href=...> and <span ...>, not the anchor nor </a>
    assert "See this, red." in text


def test_a_jpeg_named_png_is_embedded_with_a_warning(tmp_path):
    from io import BytesIO

    from PIL import Image  # matplotlib's own dependency

    buffer = BytesIO()
    Image.new("RGB", (8, 8), "steelblue").save(buffer, "JPEG")
    jpeg = buffer.getvalue()
    notes = write_project(tmp_path, {"a.md": "Text.\n\n![A photo.](photo.png)\n"})
    (notes / "photo.png").write_bytes(jpeg)
    result, text = build(notes / "a.md")
    assert result.returncode == 0, result.stderr
    assert "a.md:3:1: warning: figure photo.png is a JPG file named .png" in result.stderr
    assert "Figure 1. A photo." in text
