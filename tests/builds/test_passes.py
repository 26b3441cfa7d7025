"""How many LaTeX passes and biber runs a build costs (compile.py), and that the last pass is final: one more
pass by hand changes nothing and LaTeX asks for none."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pdfcheck import REPO, dumped_formats, pdftotext, squash, write_project

from notes_builder.build import build_notes
from notes_builder.compile import ENGINE_FLAGS, cited_keys, safe_tex_environment
from notes_builder.manifest import BuildOptions, BuildResult

BIB = (REPO / "content" / "references.bib").read_text(encoding="utf-8")
CITING = """---
title: Passes
bibliography: refs.bib
---
# Gates

The LSTM [@hochreiter1997] gained a forget gate [see @gers2000, p. 2451; also @reyesortiz2016].
As @kingma2015 [sec. 2] showed, Adam adapts its steps.
"""
RERUN_REQUEST = re.compile(r"Rerun to get|Please rerun LaTeX|Please \(re\)run Biber|Label\(s\) may have changed")


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def build(notes: Path, out: Path) -> BuildResult:
    return build_notes(notes, BuildOptions(pdf=True, out_dir=out))


def one_more_pass(work: Path, name: str) -> str:
    """Another pdflatex pass over the built document, by hand, without the precompiled preamble: its log."""
    subprocess.run(["pdflatex", *ENGINE_FLAGS, name], cwd=work, env=safe_tex_environment(), capture_output=True,
                   check=True, timeout=120)
    return (work / name).with_suffix(".log").read_text(encoding="latin-1")


@pytest.mark.skipif(shutil.which("biber") is None, reason="biber is not installed (notes doctor)")
def test_citations_cost_a_short_pass_and_biber_then_one_final_pass(tmp_path):
    write_project(tmp_path, {"notes.md": CITING, "refs.bib": BIB})
    notes, out = tmp_path / "notes.md", tmp_path / "out"
    first = build(notes, out)
    assert (first.passes, first.biber_runs) == (2, 1)  # the citations document, biber, the notes once
    work = out / ".work-notes"
    log = (work / "notes.log").read_text(encoding="latin-1")
    assert not RERUN_REQUEST.search(log)
    text = squash(pdftotext(out / "notes.pdf"))
    assert "The LSTM (Hochreiter and Schmidhuber 1997)" in text and "Kingma and Ba (2015, sec. 2)" in text
    shutil.copy(out / "notes.pdf", tmp_path / "first.pdf")
    assert not RERUN_REQUEST.search(one_more_pass(work, "notes.tex"))
    assert squash(pdftotext(work / "notes.pdf")) == text  # the pass after biber was final

    elsewhere = build(notes, tmp_path / "new-folder")  # biber's results come from the user cache
    assert (elsewhere.passes, elsewhere.biber_runs) == (1, 0)
    assert squash(pdftotext(tmp_path / "new-folder" / "notes.pdf")) == text

    notes.write_text(CITING.replace("showed", "has shown"), encoding="utf-8")
    prose = build(notes, out)
    assert (prose.passes, prose.biber_runs) == (1, 0)
    assert "has shown" in pdftotext(out / "notes.pdf")

    bib = tmp_path / "refs.bib"
    bib.write_text(BIB.replace("Long Short-Term Memory", "Long Short-Term Memory, Revisited"), encoding="utf-8")
    edited = build(notes, out)
    assert (edited.passes, edited.biber_runs) == (2, 1)  # the .bib changed: biber again
    assert "Long Short-Term Memory, Revisited" in squash(pdftotext(out / "notes.pdf"))

    notes.write_text(CITING.replace(" [see @gers2000, p. 2451; also @reyesortiz2016]", ""), encoding="utf-8")
    fewer = build(notes, out)
    assert fewer.biber_runs == 1
    assert not RERUN_REQUEST.search((work / "notes.log").read_text(encoding="latin-1"))
    assert "Gers" not in pdftotext(out / "notes.pdf")  # the reference list follows the citations


def test_a_table_of_contents_settles_and_a_prose_edit_is_one_pass(tmp_path):
    body = "---\ntitle: Contents\ntemplate: {toc: true}\n---\n\n" + "".join(
        f"# Part {n}\n\n" + "Words of the part. " * 200 + "\n\n" for n in range(1, 5))
    write_project(tmp_path, {"notes.md": body})
    notes, out = tmp_path / "notes.md", tmp_path / "out"
    first = build(notes, out)
    assert 2 <= first.passes <= 3 and first.biber_runs == 0
    work = out / ".work-notes"
    text = pdftotext(out / "notes.pdf")
    pages = pdftotext(out / "notes.pdf").split("\f")
    for n in range(1, 5):  # each entry's page number is the page the part starts on
        entry = re.search(rf"{n}\s+Part {n}\s*\.*\s*(\d+)", pages[0])
        assert entry, pages[0]
        assert f"Part {n}\n" in pages[int(entry.group(1)) - 1]
    assert not RERUN_REQUEST.search(one_more_pass(work, "notes.tex"))
    assert pdftotext(work / "notes.pdf") == text

    notes.write_text(body.replace("Words of the part.", "Words of this part.", 1), encoding="utf-8")
    edit = build(notes, out)
    assert edit.passes == 1
    assert "Words of this part." in pdftotext(out / "notes.pdf")


@pytest.mark.skipif(shutil.which("biber") is None, reason="biber is not installed (notes doctor)")
def test_a_citation_in_raw_latex_gets_biber_on_the_notes_own_citations(tmp_path):
    notes = CITING.replace("bibliography: refs.bib", "bibliography: refs.bib\nallow: {raw_latex: true}") + \
        "\n```{=latex}\nAs in \\textcite{gers2000}.\n```\n"
    notes = notes.replace(" [see @gers2000, p. 2451; also @reyesortiz2016]", "")
    write_project(tmp_path, {"notes.md": notes, "refs.bib": BIB})
    result = build(tmp_path / "notes.md", tmp_path / "out")
    assert result.biber_runs == 2  # the citations document's, then the notes' own (with the raw \textcite)
    text = squash(pdftotext(tmp_path / "out" / "notes.pdf"))
    assert "As in Gers, Schmidhuber, and Cummins (2000)" in text or "As in Gers et al. (2000)" in text, text
    assert "Learning to Forget" in text  # in the reference list
    assert not RERUN_REQUEST.search((tmp_path / "out" / ".work-notes" / "notes.log").read_text(encoding="latin-1"))


@pytest.mark.skipif(shutil.which("biber") is None, reason="biber is not installed (notes doctor)")
def test_nocite_all_in_raw_latex_lists_every_entry_and_removing_it_drops_them(tmp_path):
    """biblatex does not ask for biber after a `\\nocite{*}`: the keys its .bcf names are compared instead."""
    plain = CITING.replace("bibliography: refs.bib", "bibliography: refs.bib\nallow: {raw_latex: true}")
    plain = plain.replace(" [see @gers2000, p. 2451; also @reyesortiz2016]", "")
    write_project(tmp_path, {"notes.md": plain + "\n```{=latex}\n\\nocite{*}\n```\n", "refs.bib": BIB})
    notes, out = tmp_path / "notes.md", tmp_path / "out"
    everything = build(notes, out)
    assert everything.biber_runs == 2
    assert "Learning to Forget" in squash(pdftotext(out / "notes.pdf"))  # gers2000: cited by \nocite{*} only
    notes.write_text(plain.replace("showed", "has shown") + "\n```{=latex}\n\\nocite{*}\n```\n", encoding="utf-8")
    prose = build(notes, out)
    assert (prose.passes, prose.biber_runs) == (1, 0)
    notes.write_text(plain, encoding="utf-8")
    fewer = build(notes, out)
    assert fewer.biber_runs == 1
    assert "Learning to Forget" not in squash(pdftotext(out / "notes.pdf"))


@pytest.mark.skipif(shutil.which("biber") is None, reason="biber is not installed (notes doctor)")
def test_force_runs_biber_again_and_xelatex_sets_a_new_citation_once(tmp_path):
    xe = CITING.replace("title: Passes", "title: Passes\ntemplate: {engine: xelatex}")
    write_project(tmp_path, {"notes.md": xe, "refs.bib": BIB})
    notes, out = tmp_path / "notes.md", tmp_path / "out"
    build(notes, out)
    forced = build_notes(notes, BuildOptions(pdf=True, out_dir=out, force=True))
    assert forced.biber_runs == 1  # nothing kept is trusted
    notes.write_text(xe + "\nAlso [@gers2000].\n", encoding="utf-8")
    cited = build(notes, out)
    assert (cited.passes, cited.biber_runs) == (2, 1)  # the citations document, biber, the notes once
    log = (out / ".work-notes" / "notes.log").read_text(encoding="utf-8", errors="replace")
    assert not RERUN_REQUEST.search(log)


@pytest.mark.skipif(shutil.which("biber") is None, reason="biber is not installed (notes doctor)")
@pytest.mark.parametrize("variant", ["authoryear", "numeric", "zh-pdflatex", "zh-xelatex"])
def test_a_cold_citations_pass_without_the_notes_preamble_asks_biber_for_what_the_notes_do(tmp_path, variant):
    """Cold, the citations document has only biblatex's part of the preamble and bare citations: its .bcf must ask
    biber for what the notes' own does (the same keys, the same options), so that one pass after biber is final."""
    chinese = "\n长短期记忆网络由 @hochreiter1997 提出。\n"
    notes = {"authoryear": CITING, "numeric": CITING.replace("title: Passes", "title: Passes\ncitation_style: numeric"),
             "zh-pdflatex": CITING.replace("title: Passes", "title: 引用\nlanguage: zh") + chinese,
             "zh-xelatex": CITING.replace("title: Passes", "title: 引用\nlanguage: zh\ntemplate: {engine: xelatex}")
             + chinese}[variant]
    write_project(tmp_path, {"notes.md": notes, "refs.bib": BIB})
    result = build(tmp_path / "notes.md", tmp_path / "out")
    work = tmp_path / "out" / ".work-notes"
    assert (work / "notes-citations.tex").read_text(encoding="utf-8").startswith("\\documentclass{article}")
    assert "[see]" not in (work / "notes-citations.tex").read_text(encoding="utf-8")  # biber reads keys alone
    # one biber run; xelatex's first build takes one more pass of the notes with either citations document
    # (hyperref's page labels in the .aux)
    assert (result.passes, result.biber_runs) == (3 if "xelatex" in variant else 2, 1)
    if "xelatex" not in variant:  # the notes' pass ran its preamble beside biber; the dump serves the next build
        assert result.beside_biber
        assert "format=pdflatex" in (work / "notes.log").read_text(encoding="latin-1").splitlines()[0]
        assert dumped_formats(tmp_path / "cache")
    assert cited_keys((work / "notes-citations.bcf").read_text(encoding="utf-8")) == \
        cited_keys((work / "notes.bcf").read_text(encoding="utf-8"))


@pytest.mark.skipif(shutil.which("biber") is None, reason="biber is not installed (notes doctor)")
def test_notes_with_their_own_packages_prepare_citations_with_their_own_preamble(tmp_path):
    notes = CITING.replace("title: Passes", "title: Passes\ntemplate: {packages: [xspace]}")
    write_project(tmp_path, {"notes.md": notes, "refs.bib": BIB})
    result = build(tmp_path / "notes.md", tmp_path / "out")
    citations = (tmp_path / "out" / ".work-notes" / "notes-citations.tex").read_text(encoding="utf-8")
    assert "\\usepackage{xspace}" in citations and "\\usepackage{tcolorbox}" in citations
    assert (result.passes, result.biber_runs) == (2, 1)


def test_what_biber_is_asked_for_is_the_keys_and_the_rest_of_the_bcf():
    bcf = ('<bcf:controlfile>\n  <bcf:options component="biber" type="global">sortlocale=en</bcf:options>\n'
           '  <bcf:section number="0">\n    <bcf:citekey order="1" intorder="1">a</bcf:citekey>\n'
           '    <bcf:citekey order="2" intorder="1">b</bcf:citekey>\n  </bcf:section>\n</bcf:controlfile>\n')
    again = bcf.replace("</bcf:section>", '  <bcf:citekey order="3" intorder="1">a</bcf:citekey>\n  </bcf:section>')
    assert cited_keys(again) == cited_keys(bcf)  # a key cited twice (a table cell typeset twice)
    assert cited_keys(bcf).splitlines()[:2] == ["0 a", "0 b"]
    assert cited_keys(bcf.replace("sortlocale=en", "sortlocale=de")) != cited_keys(bcf)  # another option
    assert cited_keys(bcf.replace(">b<", ">c<")) != cited_keys(bcf)
