"""The precompiled preamble's dump (preamble.py) outlives the build that starts it: the build does not wait for it,
a format is only ever seen whole, the next build waits for the rest of a dump under way, and a dump that never
ends is stopped."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from pdfcheck import REPO, dumped_formats, pdftotext, run_notes, write_project

from notes_builder.preamble import DUMP_WAIT, WORTH_WAITING, PreambleFormat, formats_dir

NOTES = "---\ntitle: Dump\nlint:\n  ignore: [NB141]\n---\n# Gates\n\nOne line.\n"


def engines_below(folder: Path) -> list[int]:
    """pdflatex processes working in a folder below `folder`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
            where = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue
        if b"pdflatex" in command and where.is_relative_to(folder):
            found.append(int(entry.name))
    return found


def test_the_format_appears_whole_after_the_build_and_serves_the_next_one(tmp_path):
    write_project(tmp_path, {"notes.md": NOTES})
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    first = run_notes("build", tmp_path / "notes.md", "--pdf", "--out", tmp_path / "out", env=env)
    assert first.returncode == 0, first.stderr
    formats = tmp_path / "cache" / "notes-builder" / "formats"
    seen: set[int] = set()  # the sizes of the format while the dump finishes: only ever the final one
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (list(formats.glob("*.fmt")) and not engines_below(tmp_path)):
        seen.update(path.stat().st_size for path in formats.glob("*.fmt") if path.exists())
        time.sleep(0.002)
    [fmt] = dumped_formats(tmp_path / "cache")
    assert seen <= {fmt.stat().st_size}
    work = tmp_path / "out" / ".work-notes"
    assert not list(work.glob("*-dumping*")) and not list(formats.glob(".*"))  # nothing left of the dump
    (tmp_path / "notes.md").write_text(NOTES.replace("One line", "One edited line"), encoding="utf-8")
    again = run_notes("build", tmp_path / "notes.md", "--pdf", "--out", tmp_path / "out", env=env)
    assert again.returncode == 0, again.stderr
    assert "format=nbpreamble-" in (work / "notes.log").read_text(encoding="latin-1").splitlines()[0]
    assert "One edited line" in pdftotext(tmp_path / "out" / "notes.pdf")


def test_a_dump_under_way_is_waited_for_by_the_next_build(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    tex = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\nx\n\\end{document}\n"
    (tmp_path / "notes.tex").write_text(tex, encoding="utf-8")
    dumping = PreambleFormat(tmp_path / "notes.tex", tex, "pdflatex")
    dumping.start_dump(timeout=60)
    other = PreambleFormat(tmp_path / "notes.tex", tex, "pdflatex")  # another build's view of the same preamble
    deadline = time.monotonic() + 10
    while other.running_for() is None and dumping.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)  # until the dump holds its lock
    assert not other.ready()
    other.wait(60)
    assert other.ready() and other.running_for() is None
    assert (formats_dir() / f"{other.name}.fmt").stat().st_size > 100_000


@pytest.mark.parametrize("cache_writable", [True, False])
def test_a_preamble_that_never_ends_is_stopped_with_the_dump(tmp_path, monkeypatch, cache_writable):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache") if cache_writable else "/proc/no-cache-here")
    tex = "\\documentclass{article}\n\\def\\loop{\\loop}\\loop\n\\begin{document}\nx\n\\end{document}\n"
    (tmp_path / "notes.tex").write_text(tex, encoding="utf-8")
    dumping = PreambleFormat(tmp_path / "notes.tex", tex, "pdflatex")
    started = time.monotonic()
    dumping.start_dump(timeout=1.5)
    dumping.process.communicate(timeout=30)
    assert time.monotonic() - started < 20
    assert not engines_below(tmp_path) and not dumping.ready()
    assert not list(tmp_path.glob("*.fmt"))


def test_a_dump_that_runs_on_is_waited_for_only_a_while(tmp_path, monkeypatch):
    """A build that finds a dump under way waits for the rest of it (it is about to end), but not for one that
    never ends: at most DUMP_WAIT, then it compiles without the format."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    tex = "\\documentclass{article}\n\\def\\loop{\\loop}\\loop\n\\begin{document}\nx\n\\end{document}\n"
    (tmp_path / "notes.tex").write_text(tex, encoding="utf-8")
    dumping = PreambleFormat(tmp_path / "notes.tex", tex, "pdflatex")
    dumping.start_dump(timeout=60)
    other = PreambleFormat(tmp_path / "notes.tex", tex, "pdflatex")
    deadline = time.monotonic() + 10
    while (other.running_for() or 0) <= WORTH_WAITING and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    other.adopt(wait_up_to=60)
    assert time.monotonic() - started < DUMP_WAIT + 1
    dumping.stop()
    deadline = time.monotonic() + 10
    while engines_below(tmp_path) and time.monotonic() < deadline:  # SIGKILLed with its dump, it ends at once
        time.sleep(0.01)
    assert not engines_below(tmp_path)


def test_a_read_only_cache_still_serves_its_formats(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    tex = "\\documentclass{article}\n\\begin{document}\nx\n\\end{document}\n"
    preamble = PreambleFormat(tmp_path / "notes.tex", tex, "pdflatex")
    preamble.shared.mkdir(parents=True)
    (preamble.shared / f"{preamble.name}.fmt").write_bytes(b"format")

    def read_only(path, *args, **kwargs):
        raise PermissionError(30, "Read-only file system", str(path))

    monkeypatch.setattr(os, "utime", read_only)  # the file system, not the code under test: it cannot mark it used
    assert preamble.ready()


def test_a_citations_pass_that_never_ends_is_the_log_named(tmp_path):
    """The pass stopped at compile_timeout was the citations document's: its log is the one named."""
    template = (REPO / "templates" / "preamble.tex.j2").read_text(encoding="utf-8")
    write_project(tmp_path, {
        "notes.md": "---\ntitle: Loop\nbibliography: refs.bib\ncompile_timeout: 3\ntemplate:\n  directory: tpl\n"
                    "lint:\n  ignore: [NB141]\n---\n# Gates\n\nThe LSTM [@hochreiter1997].\n",
        "refs.bib": (REPO / "content" / "references.bib").read_text(encoding="utf-8"),
        "tpl/preamble.tex.j2": template + "\n\\def\\nbloop{\\nbloop}\\nbloop\n"})
    result = run_notes("build", tmp_path / "notes.md", "--pdf", "--out", tmp_path / "out",
                       env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert result.returncode == 1 and "did not finish within 3 s" in result.stderr, result.stderr
    assert "notes-citations.log" in result.stderr
    assert not engines_below(tmp_path)


def test_biber_that_never_ends_is_named_with_its_log(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "biber").write_text("#!/bin/sh\nsleep 30\n", encoding="utf-8")
    (fake / "biber").chmod(0o755)
    write_project(tmp_path, {
        "notes.md": "---\ntitle: Slow\nbibliography: refs.bib\ncompile_timeout: 3\nlint:\n  ignore: [NB141]\n---\n"
                    "# Gates\n\nThe LSTM [@hochreiter1997].\n",
        "refs.bib": (REPO / "content" / "references.bib").read_text(encoding="utf-8")})
    result = run_notes("build", tmp_path / "notes.md", "--pdf", "--out", tmp_path / "out",
                       env={"XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": f"{fake}:{os.environ['PATH']}"})
    assert result.returncode == 1 and "biber did not finish within 3 s" in result.stderr, result.stderr
    assert "notes-citations.blg" in result.stderr
    assert not engines_below(tmp_path)


def test_a_read_only_template_cache_only_costs_compiling_again(tmp_path):
    import jinja2

    from notes_builder.render.writers.base import _KeptIfWritable

    cache = _KeptIfWritable("/proc")  # a folder no one may write in
    bucket = jinja2.bccache.Bucket(jinja2.Environment(), "key", "checksum")
    bucket.code = compile("x = 1", "<template>", "exec")
    cache.dump_bytecode(bucket)  # no error: nothing kept
