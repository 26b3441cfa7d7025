"""Citations end to end through the real tools (biblatex, biber, pdflatex/xelatex), read back from the PDF:
labels, the reference list, links from citation to entry, reruns of biber only when citations change, and each
mistake at the user's line."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pdfcheck import REPO, config_error, pdftotext, run_notes, squash, where, write_project

pytestmark = pytest.mark.skipif(shutil.which("biber") is None, reason="biber is not installed (notes doctor)")

BIB = (REPO / "content" / "references.bib").read_text(encoding="utf-8")
DOT_PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
           b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
NOTES = """---
title: Citing
bibliography: refs.bib
---
# Gates

The LSTM [@hochreiter1997] gained a forget gate [see @gers2000, p. 2451; also @reyesortiz2016].
As @kingma2015 [sec. 2] showed, Adam adapts its steps; the cell itself dates from [-@hochreiter1997].
"""


def build(folder: Path, name: str = "notes.md", *more: str):
    return run_notes("build", folder / name, "--pdf", "--out", folder / "out", *more)


def project(tmp_path: Path, notes: str = NOTES, bib: str = BIB) -> Path:
    return write_project(tmp_path, {"notes.md": notes, "refs.bib": bib})


def test_citations_and_the_reference_list_in_the_pdf(tmp_path):
    folder = project(tmp_path)
    result = build(folder)
    assert result.returncode == 0, result.stderr
    text = squash(pdftotext(folder / "out" / "notes.pdf"))
    assert "The LSTM (Hochreiter and Schmidhuber 1997)" in text
    assert "(see Gers et al. 2000, p. 2451; also Reyes-Ortiz et al. 2016)" in text
    assert "As Kingma and Ba (2015, sec. 2) showed" in text
    assert "dates from (1997)." in text  # -@key: the year alone
    references = text[text.index("References"):]
    for entry in ("Gers, Felix A., Jürgen Schmidhuber, and Fred Cummins (2000)", "Hochreiter, Sepp and Jürgen "
                  "Schmidhuber (1997). “Long Short-Term Memory”", "Kingma, Diederik P. and Jimmy Ba (2015)",
                  "Reyes-Ortiz, Jorge-L. et al. (2016)"):
        assert entry in references
    # each citation is a link to its entry (hyperref + biblatex): pdftohtml lists the links with their text
    html = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", str(folder / "out" / "notes.pdf")],
                          capture_output=True, text=True, check=True).stdout
    linked = re.findall(r'<a href="[^"]*#\d+">([^<]*)</a>', html)
    assert any("1997" in label for label in linked) and any("2015" in label for label in linked)


def test_a_last_references_heading_as_pandoc_papers_end_is_where_the_list_goes_once(tmp_path):
    """JOSS papers and many pandoc notes end with an empty `# References`: one heading, then the list."""
    folder = project(tmp_path, NOTES + "\n# References\n")
    result = build(folder)
    assert result.returncode == 0, result.stderr
    text = squash(pdftotext(folder / "out" / "notes.pdf"))
    assert text.count("References") == 1
    assert re.search(r"References Gers, Felix A\.", text)
    assert "2 References" not in text  # not a numbered section of its own


def test_numeric_style_and_a_placed_reference_list(tmp_path):
    notes = NOTES.replace("bibliography: refs.bib", "bibliography: [refs.bib]\ncitation_style: numeric") + \
        "\n::: references\n:::\n\n# After the list\n\nClosing words.\n"
    folder = project(tmp_path, notes)
    result = build(folder)
    assert result.returncode == 0, result.stderr
    text = squash(pdftotext(folder / "out" / "notes.pdf"))
    assert re.search(r"The LSTM \[\d\]", text)
    assert text.index("References") < text.index("After the list")


def test_a_prose_edit_reruns_no_biber_and_a_new_citation_does(tmp_path):
    folder = project(tmp_path, NOTES.replace(" [see @gers2000, p. 2451; also @reyesortiz2016]", ""))
    assert build(folder).returncode == 0
    bbl = folder / "out" / ".work-notes" / "notes.bbl"
    first = bbl.stat().st_mtime_ns
    (folder / "notes.md").write_text(NOTES.replace(" [see @gers2000, p. 2451; also @reyesortiz2016]", "")
                                     .replace("showed", "has shown"), encoding="utf-8")
    assert build(folder).returncode == 0
    assert bbl.stat().st_mtime_ns == first
    assert "has shown" in pdftotext(folder / "out" / "notes.pdf")
    result = build(folder)
    assert result.returncode == 0 and "up to date" in result.stderr
    (folder / "notes.md").write_text(NOTES, encoding="utf-8")
    assert build(folder).returncode == 0
    assert bbl.stat().st_mtime_ns != first
    assert "Gers et al." in pdftotext(folder / "out" / "notes.pdf")


def test_a_chinese_note_cites_under_pdflatex_and_xelatex(tmp_path):
    notes = NOTES.replace("title: Citing", "title: 引用\nlanguage: zh") + "\n长短期记忆网络由 @hochreiter1997 提出。\n"
    folder = project(tmp_path, notes)
    for engine in ("pdflatex", "xelatex"):
        (folder / "notes.md").write_text(notes.replace("language: zh", f"language: zh\ntemplate: {{engine: {engine}}}"),
                                         encoding="utf-8")
        result = build(folder)
        assert result.returncode == 0, (engine, result.stderr)
        text = squash(pdftotext(folder / "out" / "notes.pdf"))
        assert "长短期记忆网络由 Hochreiter and Schmidhuber (1997) 提出" in text, engine
        assert "参考文献" in text and "Hochreiter, Sepp" in text, engine


@pytest.mark.parametrize(("notes", "bib", "where_", "message"), [
    (NOTES.replace("@kingma2015", "@kingma15"), BIB, "notes.md:8:4", "NB204 unknown citation key 'kingma15'; "
     "did you mean 'kingma2015'?"),
    (NOTES, BIB.replace("  journal = {Neurocomputing},\n", ""), "refs.bib:25:1",
     "NB203 @article{reyesortiz2016} lacks the required field journal"),
    (NOTES, BIB + "\n@misc{hochreiter1997, title = {Again}}\n", f"refs.bib:{BIB.count(chr(10)) + 2}:1",
     "NB202 duplicate key 'hochreiter1997'"),
    (NOTES, BIB.replace("title   = {Long Short-Term Memory},", "title   = {Long {Short-Term Memory},"),
     "refs.bib:3:1", "NB201 this entry is not valid BibTeX"),
])
def test_each_mistake_stops_the_build_at_its_line(tmp_path, notes, bib, where_, message):
    folder = project(tmp_path, notes, bib)
    result = build(folder)
    assert result.returncode == 1
    assert f"{where_}: error: {message}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_citations_without_a_bibliography_print_as_written_with_a_warning(tmp_path):
    # as pandoc without --citeproc: notes written for other tools (`[@lap_mat]`) still build
    folder = project(tmp_path, NOTES.replace("bibliography: refs.bib\n", ""))
    result = build(folder)
    assert result.returncode == 0, result.stderr
    assert "notes.md:6:11: warning: NB205 citation @hochreiter1997 but the notes name no bibliography" in \
        result.stderr
    text = squash(pdftotext(folder / "out" / "notes.pdf"))
    assert "The LSTM [@hochreiter1997] gained" in text and "References" not in text


def test_a_user_name_in_a_link_is_no_citation(tmp_path):
    folder = project(tmp_path, NOTES + "\nThanks to [@Sm1les](https://github.com/Sm1les).\n")
    result = build(folder)
    assert result.returncode == 0, result.stderr
    assert "Thanks to @Sm1les." in squash(pdftotext(folder / "out" / "notes.pdf"))


def test_a_bibliography_file_that_is_missing_or_not_bib_is_an_error_at_its_line(tmp_path):
    write_project(tmp_path, {"notes.yaml": "title: T\nsections: [a.md]\nbibliography:\n  - refs.bib\n  - gone.bib\n"
                                           "  - notes.yaml\n", "a.md": "# A\n", "refs.bib": BIB})
    error = config_error(tmp_path)
    assert (where(error), error.message) == ("notes.yaml:5:5", "bibliography file not found: gone.bib")
    assert [f"{d.location.line}:{d.location.column} {d.message}" for d in error.diagnostics] == [
        "6:5 bibliography notes.yaml is not a .bib file"]


def test_a_biber_warning_is_reported_at_the_bib_line(tmp_path):
    bib = BIB + "\n@misc{warned,\n  title     = {W},\n  publisher = nosuchmacro,\n  year      = 2001,\n}\n"
    folder = project(tmp_path, NOTES + "\nAlso [@warned].\n", bib)
    result = build(folder, "notes.md", "-W")
    assert result.returncode == 0, result.stderr
    line = bib.splitlines().index("  publisher = nosuchmacro,") + 1
    assert f"refs.bib:{line}:1: warning: biber: undefined macro \"nosuchmacro\"" in result.stderr


def test_review_findings_on_real_bibliographies(tmp_path):
    # a name in Chinese in the .bib of English notes, a key cited in an image caption, a group mixing a work
    # and a section, and a stub entry nobody cites (no required fields)
    bib = BIB + "\n@article{li2020, author = {李雷 and 韩梅梅}, title = {T}, journal = {J}, year = 2020}\n" \
        "@article{stub, title = {Never cited}}\n"
    notes = NOTES + "\nAlso [@li2020; @sec:gates].\n\n![A dot, after @kingma15.](dot.png)\n"
    folder = project(tmp_path, notes.replace("# Gates", "# Gates {#sec:gates}"), bib)
    (folder / "dot.png").write_bytes(DOT_PNG)
    lint = run_notes("lint", folder / "notes.md")
    assert lint.returncode == 1 and "NB204 unknown citation key 'kingma15'; did you mean 'kingma2015'?" in \
        lint.stdout, lint.stdout
    assert "stub" not in lint.stdout
    (folder / "notes.md").write_text(notes.replace("# Gates", "# Gates {#sec:gates}").replace("@kingma15",
                                                                                               "@kingma2015"))
    result = build(folder)
    assert result.returncode == 0, result.stderr
    text = squash(pdftotext(folder / "out" / "notes.pdf"))
    assert "Also (李雷 and 韩梅梅 2020); Section 1." in text
    assert "A dot, after Kingma and Ba (2015)." in text


def test_a_placed_list_without_a_bibliography_is_a_warning(tmp_path):
    folder = project(tmp_path, "# Gates\n\nNo citations.\n\n::: references\n:::\n")
    result = build(folder)
    assert result.returncode == 0, result.stderr
    assert "notes.md:5:1: warning: '::: references' but the notes name no bibliography" in result.stderr


def test_a_journal_macro_in_the_bib_is_an_error_at_its_bib_line(tmp_path):
    """AAS journal macros (\\apj) in astronomers' .bib files are undefined here: the .bib line, not the notes'."""
    bib = BIB.replace("journal = {Neural Computation}", "journal = {\\apj}", 1)
    line = next(n for n, text in enumerate(bib.splitlines(), 1) if "\\apj" in text)
    folder = project(tmp_path, bib=bib)
    result = build(folder)
    assert result.returncode == 1
    assert f"refs.bib:{line}:" in result.stderr and "Undefined control sequence \\apj" in result.stderr
    assert "define it under `macros:`" in result.stderr


def test_math_in_a_citations_notes_is_set_as_math_and_checked(tmp_path):
    """pandoc reads a note's `$...$` as math; so do we (it was printed with its dollar signs). Prices stay text,
    and the math is checked like any formula: by the build's safety checks and by lint, at its own column."""
    notes = NOTES.replace("[see @gers2000, p. 2451;", "[see $\\R^n$ in @gers2000, eq. $(\\alpha_t)$;")
    notes = notes.replace("title: Citing", "title: Citing\nmacros:\n  R: \\mathbb{R}")
    notes += "\nA budget [of $5 and $6, @kingma2015].\n"
    folder = project(tmp_path, notes)
    result = build(folder)
    assert result.returncode == 0, result.stderr
    text = squash(pdftotext(folder / "out" / "notes.pdf"))
    assert "$" not in text.replace("of $5 and $6", "")
    assert "see Rn in Gers" in text and "eq. (αt" in text, text
    assert "of $5 and $6" in text

    forbidden = NOTES.replace("[see @gers2000, p. 2451;", "[see $\\openout1=x$ in @gers2000;")
    project(tmp_path, forbidden)
    refused = build(folder)
    assert refused.returncode == 1 and "notes.md:7:55: error: NB171 \\openout" in refused.stderr, refused.stderr

    angle = NOTES.replace("[see @gers2000, p. 2451;", "[see @gers2000, eq. $\\tilde<c>_t$;")
    project(tmp_path, angle)
    linted = run_notes("lint", folder / "notes.md")
    assert linted.returncode == 1 and "notes.md:7:70: NB101" in linted.stdout, linted.stdout  # at its column
    assert run_notes("lint", folder / "notes.md", "--fix").returncode == 0
    assert "eq. $\\tilde{c}_t$;" in (folder / "notes.md").read_text(encoding="utf-8")
