"""`notes watch`: rebuilds on a real edit, ignores unchanged saves, prints new errors once, stops on Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
from pdfcheck import REPO, pdftotext

from notes_builder.scaffold import scaffold
from notes_builder.watch import EVENT_TIMEOUT, Watcher, watched_paths


class Lines:
    """Read a process's output in a thread so the test can wait for a line with a timeout."""

    def __init__(self, stream):
        self.queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self.queue.put(line.rstrip("\n"))

    def wait_for(self, prefix: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.queue.get(timeout=0.1)
            except queue.Empty:
                continue
            self.seen.append(line)
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no line starting with {prefix!r} within {timeout} s; output so far: {self.seen}")

    def drain(self, seconds: float) -> list[str]:
        end = time.monotonic() + seconds
        got = []
        while time.monotonic() < end:
            with contextlib.suppress(queue.Empty):
                got.append(self.queue.get(timeout=0.05))
        self.seen.extend(got)
        return got


def test_watch_rebuilds_on_edit_ignores_unchanged_save_and_stops_on_sigint(tmp_path):
    project = scaffold("Watched notes", directory=tmp_path / "notes", author="Tester")
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "notes_builder", "watch", str(project), "--out", str(out),
         "--interval", "0.1", "--debounce", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    try:
        lines = Lines(process.stdout)
        first = lines.wait_for("built: ")
        pdf = tmp_path / first.removeprefix("built: ").rsplit(" (", 1)[0]  # relative to the current folder
        assert pdf.exists() and "created by notes new" in pdftotext(pdf)

        section = project / "01-introduction.md"
        text = section.read_text(encoding="utf-8")
        section.write_text(text.replace("These notes were created", "Freshly edited notes were created"),
                           encoding="utf-8")
        lines.wait_for("built: ")
        assert "Freshly edited notes" in pdftotext(pdf)

        # An included code file is watched too.
        code = project / "code" / "softmax.py"
        code.write_text(code.read_text(encoding="utf-8").replace("[2.0, 1.0, 0.1]", "[3.0, 1.0, 0.2]"))
        lines.wait_for("built: ")
        assert "3.0, 1.0, 0.2" in pdftotext(pdf)

        # Saving without changing the content (new mtime, same bytes) does nothing.
        before = pdf.stat().st_mtime_ns
        section.write_bytes(section.read_bytes())
        os.utime(code)
        quiet = lines.drain(1.5)
        assert not [line for line in quiet if line.startswith(("built", "up to date", "build failed"))], quiet
        assert pdf.stat().st_mtime_ns == before

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        lines.drain(0.3)
        assert "stopped watching" in lines.seen
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_watcher_prints_new_errors_once(tmp_path, capsys):
    """Failing builds stop before LaTeX here, so this runs without compiling; a fake clock replaces sleeps."""
    project = scaffold("Broken notes", directory=tmp_path / "notes", author="Tester")
    section = project / "01-introduction.md"
    good = section.read_text(encoding="utf-8")
    section.write_text(good.replace("\\eqref{eq:softmax}", "\\eqref{eq:nowhere}"), encoding="utf-8")
    now = [100.0]
    echoed: list[str] = []
    watcher = Watcher(project, tmp_path / "out", debounce=0.3, clock=lambda: now[0], echo=echoed.append)

    assert {section.resolve(), (project / "notes.yaml").resolve(), (project / "code/softmax.py").resolve()} \
        <= set(watched_paths(project))
    outcome = watcher.poll_once()  # the first poll builds
    assert outcome is not None and not outcome.ok
    err = capsys.readouterr().err
    assert "01-introduction.md:16:" in err and "eq:nowhere" in err

    assert watcher.poll_once() is None  # nothing changed
    section.write_text(section.read_text(encoding="utf-8") + "\nMore prose.\n", encoding="utf-8")
    assert watcher.poll_once() is None  # change seen, debounce running
    now[0] += 0.1
    assert watcher.poll_once() is None
    now[0] += 0.3
    outcome = watcher.poll_once()
    assert outcome is not None and not outcome.ok
    assert "eq:nowhere" not in capsys.readouterr().err  # the same error is not printed twice in a row
    assert echoed[-1].startswith("build failed again with the same error")

    os.utime(section)  # touched, same content: no build
    now[0] += 1
    assert watcher.poll_once() is None and watcher.builds == 2


def test_the_template_override_folder_is_watched(tmp_path):
    project = scaffold("Restyled notes", directory=tmp_path / "notes", author="Tester")
    config = project / "notes.yaml"
    text = config.read_text(encoding="utf-8")
    assert "\ntemplate:\n" in text
    config.write_text(text.replace("\ntemplate:\n", "\ntemplate:\n  directory: tpl\n", 1), encoding="utf-8")
    override = project / "tpl" / "elements.tex.j2"
    override.parent.mkdir()
    shutil.copy(REPO / "templates" / "elements.tex.j2", override)
    assert override.resolve() in watched_paths(project)


def test_a_warning_is_printed_once_across_failed_builds_and_moved_lines(tmp_path, capsys):
    project = scaffold("Warned notes", directory=tmp_path / "notes", author="Tester")
    section = project / "01-introduction.md"
    good = section.read_text(encoding="utf-8") + "\nA warning: $tanh(x)$.\n"
    section.write_text(good, encoding="utf-8")
    now = [100.0]
    watcher = Watcher(project, tmp_path / "out", debounce=0.0, clock=lambda: now[0], echo=lambda text: None)

    def build_with(text: str):
        section.write_text(text, encoding="utf-8")
        now[0] += 1
        watcher.poll_once()
        now[0] += 1
        return watcher.poll_once() or watcher.build()

    assert watcher.poll_once().ok
    assert capsys.readouterr().err.count("NB121") == 1
    assert not build_with(good + "\nBroken $x^{2$.\n").ok  # a failed build in between
    capsys.readouterr()
    assert build_with(good).ok
    assert "NB121" not in capsys.readouterr().err  # not repeated after the failure
    assert build_with("Inserted line.\n\n" + good).ok
    assert "NB121" not in capsys.readouterr().err  # moved down two lines: the same warning
    assert build_with(good.replace("tanh(x)", "tanh(y)")).ok
    assert capsys.readouterr().err.count("NB121") == 1  # its line changed: shown again


def test_a_save_wakes_the_watcher_through_file_system_events(tmp_path):
    """With watchfiles installed, the watcher sleeps until the file system reports a change, not a poll interval."""
    pytest.importorskip("watchfiles")
    project = scaffold("Evented notes", directory=tmp_path / "notes", author="Tester")
    section = project / "01-introduction.md"
    watcher = Watcher(project, tmp_path / "out")
    watcher._record()
    assert watcher.events and not watcher.changed_files()
    assert watcher.wait_for_event()  # nothing happens: back after the timeout
    writer = threading.Timer(0.2, lambda: section.write_text(section.read_text() + "\nMore.\n"))
    started = time.monotonic()
    writer.start()
    while not watcher.changed_files():
        assert watcher.wait_for_event()
    waited = time.monotonic() - started
    writer.join()
    assert 0.2 <= waited < 0.2 + EVENT_TIMEOUT / 2, waited
    assert watcher.changed_files() == [section.resolve()]
    watcher._close_stream()


def test_an_edit_of_the_bibliography_rebuilds(tmp_path):
    """A .bib file the notes name is an input: editing it rebuilds, and the new entry reaches the PDF."""
    project = scaffold("Cited notes", directory=tmp_path / "notes", author="Tester")
    bib = project / "refs.bib"
    bib.write_text("@misc{first, author = {Ann Author}, title = {A First Work}, year = 2001}\n", encoding="utf-8")
    config = project / "notes.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "bibliography: refs.bib\n", encoding="utf-8")
    section = project / "01-introduction.md"
    section.write_text(section.read_text(encoding="utf-8") + "\nAs shown in [@first].\n", encoding="utf-8")
    assert bib.resolve() in watched_paths(project)
    now = [100.0]
    watcher = Watcher(project, tmp_path / "out", debounce=0.3, clock=lambda: now[0], echo=lambda _: None)
    outcome = watcher.poll_once()
    assert outcome is not None and outcome.ok
    [pdf] = (tmp_path / "out").glob("*.pdf")
    assert "A First Work" in pdftotext(pdf)
    bib.write_text("@misc{first, author = {Ann Author}, title = {A Renamed Work}, year = 2001}\n", encoding="utf-8")
    assert watcher.poll_once() is None  # change seen, debounce running
    now[0] += 0.5
    outcome = watcher.poll_once()
    assert outcome is not None and outcome.ok
    assert "A Renamed Work" in pdftotext(pdf)
