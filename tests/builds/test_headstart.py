"""The head start (headstart.py): a rebuild's first LaTeX pass begins on the last .tex while Python renders. It is
taken only when the preamble and what `\\begin{document}` read are unchanged; otherwise it is abandoned, and the
files it had begun to rewrite are as they were. Either way the PDF is the one an ordinary build makes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pdfcheck import REPO, dumped_formats, pdftotext, squash, write_project

from notes_builder.build import build_notes
from notes_builder.errors import CompileError, NotesError
from notes_builder.headstart import HeadStart
from notes_builder.manifest import BuildOptions, BuildResult

BIB = (REPO / "content" / "references.bib").read_text(encoding="utf-8")
CITING = """---
title: Head start
bibliography: refs.bib
lint:
  ignore: [NB141]
---
# Gates

The LSTM [@hochreiter1997] gained a forget gate [@gers2000].
As @kingma2015 showed, Adam adapts its steps.
"""
PLAIN = "---\ntitle: Plain\nlint:\n  ignore: [NB141]\n---\n# Gates\n\nOne line.\n\nAnother line.\n"
needs_biber = pytest.mark.skipif(shutil.which("biber") is None, reason="biber is not installed (notes doctor)")


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def build(notes: Path, out: Path, **options) -> BuildResult:
    return build_notes(notes, BuildOptions(pdf=True, out_dir=out, **options))


def head_start_processes(folder: Path) -> list[str]:
    """Command lines of running processes that read a head start's pipe in a work folder below `folder`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            where = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue
        if "headstart/" in command and "pdflatex" in command and where.is_relative_to(folder):
            found.append(command)
    return found


def wait_for_the_rest(head_start: HeadStart) -> None:
    """Until the head start's engine has run `\\begin{document}` and waits on its pipe for the rest."""
    wchan = Path(f"/proc/{head_start.process.pid}/wchan")
    deadline = time.monotonic() + 20
    while "pipe_read" not in wchan.read_text() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "pipe_read" in wchan.read_text()


def work_files(work: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(work.glob("notes.*")) if path.suffix != ".pdf"}


@needs_biber
def test_an_edit_is_compiled_by_the_pass_begun_before_rendering(tmp_path):
    write_project(tmp_path, {"notes.md": CITING, "refs.bib": BIB})
    notes, out = tmp_path / "notes.md", tmp_path / "out"
    first = build(notes, out)
    assert not first.head_started  # nothing built here before: its pass began beside biber instead
    assert first.beside_biber and (first.passes, first.biber_runs) == (2, 1)

    notes.write_text(CITING.replace("showed", "has shown"), encoding="utf-8")
    edited = build(notes, out)
    assert edited.head_started and (edited.passes, edited.biber_runs) == (1, 0)
    text = squash(pdftotext(out / "notes.pdf"))
    assert "Kingma and Ba (2015) has shown" in text and "Hochreiter and Schmidhuber 1997" in text

    forced = build(notes, tmp_path / "forced", force=True)  # an ordinary build of the same notes
    # a first build in this folder began on what the notes had in out/ (their preamble and biber's results),
    # which --force does not take: its pass reads nothing an earlier build made
    assert not forced.head_started and forced.beside_biber and forced.biber_runs == 1
    assert squash(pdftotext(tmp_path / "forced" / "notes.pdf")) == text
    assert not head_start_processes(tmp_path) and not (out / ".work-notes" / "headstart").exists()


@needs_biber
def test_a_new_citation_or_preamble_abandons_it_and_builds_as_usual(tmp_path):
    write_project(tmp_path, {"notes.md": CITING, "refs.bib": BIB})
    notes, out = tmp_path / "notes.md", tmp_path / "out"
    build(notes, out)

    notes.write_text(CITING + "\nAlso [@reyesortiz2016].\n", encoding="utf-8")
    cited = build(notes, out)  # biber rewrites the .bbl the waiting pass had read: not taken
    assert not cited.head_started and cited.beside_biber and cited.biber_runs == 1
    assert "Reyes-Ortiz et al. 2016" in squash(pdftotext(out / "notes.pdf"))

    notes.write_text(CITING.replace("title: Head start", "title: Head start\nmacros:\n  R: \\mathbb{R}")
                     + "\nIn $\\R^n$.\n", encoding="utf-8")
    macro = build(notes, out)  # another preamble: another precompiled format (and biber, which reads it)
    assert not macro.head_started
    assert "In Rn" in squash(pdftotext(out / "notes.pdf"))

    notes.write_text(notes.read_text(encoding="utf-8").replace("In $", "Then in $"), encoding="utf-8")
    again = build(notes, out)  # the new preamble's format was dumped beside the last build
    assert again.head_started and "Then in Rn" in squash(pdftotext(out / "notes.pdf"))
    assert not head_start_processes(tmp_path)


def test_a_build_that_compiles_nothing_leaves_the_work_folder_as_it_was(tmp_path):
    write_project(tmp_path, {"notes.md": PLAIN})
    notes, out = tmp_path / "notes.md", tmp_path / "out"
    build(notes, out)
    work = out / ".work-notes"
    before = work_files(work)
    assert "notes.log" in before

    notes.write_text(PLAIN + "\n<!-- a comment reaches no PDF -->\n", encoding="utf-8")
    unchanged = build(notes, out)  # a head start begins (an input changed), then the .tex is the same
    assert unchanged.up_to_date and not unchanged.head_started
    assert work_files(work) == before

    notes.write_text(PLAIN.replace("One line.", "One $\\frac{a}$ line."), encoding="utf-8")
    with pytest.raises(NotesError):  # lint stops the build before LaTeX
        build(notes, out)
    assert work_files(work) == before
    assert not head_start_processes(tmp_path)


@needs_biber
def test_a_first_build_in_another_folder_begins_on_the_preamble_the_notes_had(tmp_path):
    write_project(tmp_path, {"notes.md": CITING, "refs.bib": BIB})
    notes = tmp_path / "notes.md"
    first = build(notes, tmp_path / "out")
    assert dumped_formats(tmp_path / "cache")
    elsewhere = build(notes, tmp_path / "elsewhere")  # biber's results come from the user cache
    assert elsewhere.head_started and (elsewhere.passes, elsewhere.biber_runs) == (1, 0)
    assert pdftotext(tmp_path / "elsewhere" / "notes.pdf") == pdftotext(tmp_path / "out" / "notes.pdf")
    assert first.passes == 2

    # another citation since: the pass had read the .bbl of the remembered citations, so it is abandoned
    notes.write_text(CITING + "\nAlso [@reyesortiz2016].\n", encoding="utf-8")
    cited = build(notes, tmp_path / "cited")
    assert not cited.head_started and cited.biber_runs == 1
    assert "Reyes-Ortiz et al. 2016" in squash(pdftotext(tmp_path / "cited" / "notes.pdf"))
    # a folder with files of its own (its record of the last build lost): the guess waits before
    # \begin{document}, so the build's own citations are read there
    (tmp_path / "elsewhere" / ".notes-last-builds.json").unlink()
    again = build(notes, tmp_path / "elsewhere")
    assert again.head_started and again.biber_runs in (0, 1)
    assert "Reyes-Ortiz et al. 2016" in squash(pdftotext(tmp_path / "elsewhere" / "notes.pdf"))

    # another preamble since: the guess does not fit and is abandoned; the build is as usual
    notes.write_text(CITING.replace("title: Head start", "title: Head start\nmacros:\n  R: \\mathbb{R}")
                     + "\nIn $\\R^n$.\n", encoding="utf-8")
    third = build(notes, tmp_path / "third")
    assert not third.head_started and "In Rn" in squash(pdftotext(tmp_path / "third" / "notes.pdf"))
    assert not head_start_processes(tmp_path)


@needs_biber
def test_an_abandoned_head_start_puts_back_what_begin_document_rewrote(tmp_path):
    write_project(tmp_path, {"notes.md": CITING, "refs.bib": BIB})
    out = tmp_path / "out"
    build(tmp_path / "notes.md", out)
    work = out / ".work-notes"
    before = work_files(work)
    assert {"notes.aux", "notes.bcf", "notes.log"} <= set(before)

    head_start = HeadStart.begin(work / "notes.tex")
    assert head_start is not None
    wait_for_the_rest(head_start)
    assert work_files(work)["notes.aux"] != before["notes.aux"]  # LaTeX has begun to write it anew
    head_start.abandon()
    assert work_files(work) == before
    assert not head_start_processes(tmp_path) and not (work / "headstart" / "notes.tex").exists()


def test_an_error_in_the_head_started_pass_is_at_the_users_line(tmp_path):
    write_project(tmp_path, {"notes.md": PLAIN})
    notes, out = tmp_path / "notes.md", tmp_path / "out"
    build(notes, out)
    shutil.copy(out / "notes.pdf", tmp_path / "kept.pdf")

    notes.write_text(PLAIN.replace("Another line.", "Another $\\sigmoid(x)$ line."), encoding="utf-8")
    with pytest.raises(CompileError) as caught:
        build(notes, out)
    assert caught.value.location is not None
    assert (caught.value.location.path.name, caught.value.location.line) == ("notes.md", 10)
    assert "Undefined control sequence \\sigmoid" in caught.value.message
    assert (out / "notes.pdf").read_bytes() == (tmp_path / "kept.pdf").read_bytes()  # the previous PDF stays

    notes.write_text(PLAIN.replace("Another line.", "Another fixed line."), encoding="utf-8")
    fixed = build(notes, out)
    assert "Another fixed line." in pdftotext(out / "notes.pdf")
    assert fixed.head_started  # on the failed build's .tex: the same preamble
    assert not head_start_processes(tmp_path)


def test_a_runaway_macro_in_the_head_started_pass_is_stopped_in_time(tmp_path):
    config = PLAIN.replace("lint:", "compile_timeout: 3\nallow:\n  tex_primitives: true\nlint:")
    write_project(tmp_path, {"notes.md": config})
    notes, out = tmp_path / "notes.md", tmp_path / "out"
    build(notes, out)
    notes.write_text(config.replace("One line.", "Loop $\\def\\a{\\a}\\a$ here."), encoding="utf-8")
    with pytest.raises(CompileError) as caught:
        build(notes, out)
    assert "did not finish within 3 s" in caught.value.message
    assert caught.value.location is not None and caught.value.location.line == 11
    assert not head_start_processes(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_without_a_precompiled_preamble_there_is_no_head_start(tmp_path):
    write_project(tmp_path, {"notes.md": PLAIN})
    notes, out = tmp_path / "notes.md", tmp_path / "out"
    build(notes, out)
    shutil.rmtree(tmp_path / "cache" / "notes-builder" / "formats")
    notes.write_text(PLAIN.replace("One line.", "One edited line."), encoding="utf-8")
    edited = build(notes, out)
    assert not edited.head_started and "One edited line." in pdftotext(out / "notes.pdf")


def test_an_error_that_reads_to_the_end_of_the_file_stops_the_head_started_pass_at_once(tmp_path):
    """TeX meets the end of the piped file: an unclosed \\iffalse is its error, not a wait for compile_timeout."""
    config = PLAIN.replace("lint:", "compile_timeout: 20\nallow:\n  raw_latex: true\nlint:")
    write_project(tmp_path, {"notes.md": config})
    notes, out = tmp_path / "notes.md", tmp_path / "out"
    build(notes, out)
    notes.write_text(config + "\n```{=latex}\n\\iffalse\n```\n", encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(CompileError) as caught:
        build(notes, out)
    assert time.monotonic() - started < 10
    assert "Incomplete \\iffalse" in caught.value.message


def test_two_builds_at_once_wait_for_each_other(tmp_path):
    write_project(tmp_path, {"notes.md": PLAIN})
    notes, out = tmp_path / "notes.md", tmp_path / "out"
    build(notes, out)
    notes.write_text(PLAIN.replace("One line.", "One edited line."), encoding="utf-8")
    command = [sys.executable, "-m", "notes_builder", "build", str(notes), "--pdf", "--out", str(out)]
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    both = [subprocess.Popen(command, env=environment, cwd=Path.cwd(), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT) for _ in range(2)]
    for process in both:
        output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, output.decode()
    assert "One edited line." in pdftotext(out / "notes.pdf")
    assert not head_start_processes(tmp_path)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_build_killed_while_its_head_start_waits_leaves_no_engine_behind(tmp_path, signum):
    """SIGTERM ends the build as Ctrl-C does (the head start abandoned, the .aux put back); after SIGKILL the
    engine dies with it instead of waiting for ever on its pipe."""
    long = CITING + "".join(f"\nParagraph {n} of words, long enough to set a few lines of text at least.\n"
                            for n in range(400))  # a pass long enough to be killed in
    write_project(tmp_path, {"notes.md": long, "refs.bib": BIB})
    notes, out = tmp_path / "notes.md", tmp_path / "out"
    build(notes, out)
    notes.write_text(long.replace("showed", "has shown"), encoding="utf-8")
    command = [sys.executable, "-m", "notes_builder", "build", str(notes), "--pdf", "--out", str(out)]
    process = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=Path.cwd(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not head_start_processes(tmp_path) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    process.send_signal(signum)
    assert process.wait(timeout=30) != 0  # stopped (130 "interrupted" after SIGTERM; -9 after SIGKILL)
    deadline = time.monotonic() + 5
    while head_start_processes(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not head_start_processes(tmp_path)
    assert build(notes, out).compiled and "has shown" in pdftotext(out / "notes.pdf")


@needs_biber
def test_notes_that_no_longer_cite_build_in_a_new_folder_and_in_their_own(tmp_path):
    """The guess put the citations they had in place; abandoned, it takes them away again. In their own folder the
    .aux of a build that cited is rid of biblatex's lines, which LaTeX without biblatex stops on."""
    write_project(tmp_path, {"notes.md": CITING, "refs.bib": BIB})
    notes = tmp_path / "notes.md"
    build(notes, tmp_path / "out")
    assert dumped_formats(tmp_path / "cache")
    notes.write_text(CITING.replace("bibliography: refs.bib\n", "").replace(" [@hochreiter1997]", "")
                     .replace(" [@gers2000]", "").replace("As @kingma2015 showed", "As shown"), encoding="utf-8")
    for out in ("new", "out", "new"):
        result = build(notes, tmp_path / out)
        assert result.biber_runs == 0 and "As shown, Adam" in squash(pdftotext(tmp_path / out / "notes.pdf"))
    assert not list((tmp_path / "new" / ".work-notes").glob("notes.bbl*"))
    assert not head_start_processes(tmp_path)


@needs_biber
@pytest.mark.parametrize("after", [0.5, 0.9, 1.3])
def test_a_build_killed_at_any_moment_leaves_the_next_one_right(tmp_path, after):
    """SIGKILL: nothing can be put back, and the passes die with the build (their .aux may be cut short mid-line).
    The compile's marker (`<name>.compiling`) tells the next build to forget those passes."""
    write_project(tmp_path, {"notes.md": CITING, "refs.bib": BIB})
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "notes_builder", "build", str(tmp_path / "notes.md"), "--pdf", "--out",
               str(tmp_path / "out")]
    killed = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(after)
    killed.kill()
    killed.wait()
    again = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "Kingma and Ba (2015) showed" in squash(pdftotext(tmp_path / "out" / "notes.pdf"))
    assert not (tmp_path / "out" / ".work-notes" / "notes.compiling").exists()


def test_an_aux_cut_short_by_a_killed_compile_is_not_read_again(tmp_path):
    """The state a SIGKILL leaves, made exactly: the marker, and an .aux that ends mid-line."""
    contents = PLAIN.replace("lint:", "template: {toc: true}\nlint:")
    write_project(tmp_path, {"notes.md": contents})
    notes, out = tmp_path / "notes.md", tmp_path / "out"
    build(notes, out)
    work = out / ".work-notes"
    (work / "notes.aux").write_text("\\relax\n\\@writefile{toc}{\\contentsline {section}{\\numberline {1}Ga",
                                    encoding="utf-8")
    (work / "notes.compiling").touch()
    notes.write_text(contents.replace("One line.", "One edited line."), encoding="utf-8")
    build(notes, out)
    assert "One edited line." in pdftotext(out / "notes.pdf") and not (work / "notes.compiling").exists()
    assert not head_start_processes(tmp_path)


@needs_biber
def test_notes_that_stop_citing_build_when_the_head_start_has_rewritten_the_aux(tmp_path):
    """The head start runs `\\begin{document}` of the last .tex (which cited) and begins to rewrite the .aux; the
    compile must judge the .aux the last build left, not the one being rewritten (which has no biblatex lines yet),
    or the pass it falls back to meets biblatex's lines without biblatex."""
    from notes_builder.build import build_stale
    from notes_builder.manifest import run_build
    from notes_builder.plan import plan_and_reuse

    write_project(tmp_path, {"notes.md": CITING, "refs.bib": BIB})
    notes, out = tmp_path / "notes.md", tmp_path / "out"
    build(notes, out)
    assert dumped_formats(tmp_path / "cache")
    notes.write_text(CITING.replace("bibliography: refs.bib\n", "").replace(" [@hochreiter1997]", "")
                     .replace(" [@gers2000]", "").replace("As @kingma2015 showed", "As shown"), encoding="utf-8")
    began = []

    def after_the_head_start_has_begun_the_document(plan, options, head_start, started):
        assert head_start is not None and head_start.read_document_start
        wait_for_the_rest(head_start)  # the .aux is being rewritten now
        began.append(True)
        return build_stale(plan, options, head_start, started)

    result = run_build(notes, BuildOptions(pdf=True, out_dir=out), plan_and_reuse,
                       after_the_head_start_has_begun_the_document)
    assert began and result.compiled and not result.head_started
    assert "As shown, Adam" in squash(pdftotext(out / "notes.pdf"))
    assert "abx@aux" not in (out / ".work-notes" / "notes.aux").read_text(encoding="utf-8")


def test_biblatex_in_a_comment_is_not_biblatex_loaded():
    from notes_builder.compile import _loads_biblatex

    assert _loads_biblatex("\\usepackage[backend=biber]{biblatex}\n")
    assert _loads_biblatex("\\RequirePackage{biblatex}  % citations\n")
    assert not _loads_biblatex("% \\usepackage{biblatex} was here\n\\usepackage{amsmath}\n")
    assert _loads_biblatex("\\def\\pct{50\\%} \\usepackage{biblatex}\n")
