"""`notes watch`: rebuild the PDF on save, printing only new diagnostics; Ctrl-C exits cleanly.

The watcher checks the files a build reads (inventory.watched_paths: notes.yaml, the sections, code files they
include, figures, the templates, the results folder) when the file system says one of their folders changed
(watchfiles, when installed: inotify, FSEvents...; and once a second anyway), else every 50 ms. A changed mtime
or size only makes it hash the file again; a rebuild needs different content, so saving an
unchanged file does nothing. Changes are debounced (an editor's save is often several writes), then `build_notes` runs.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from notes_builder.build import BuildOptions, build_notes
from notes_builder.config import load_config
from notes_builder.errors import NotesError, UsageError
from notes_builder.files import sha256_file
from notes_builder.inventory import watched_paths
from notes_builder.report import display_path, forget_sources, print_diagnostic, print_error, source_lines

try:  # file-system events when the library is installed; polling otherwise
    import watchfiles
except ImportError:
    watchfiles = None

__all__ = ["Watcher", "watch_notes", "watched_paths"]

INTERVAL = 0.05  # seconds between polls without events: a poll stats a few dozen files (well under a millisecond)
EVENT_TIMEOUT = 1.0  # with events, a poll at least this often anyway (file systems that send none: NFS, some mounts)
EVENT_STEP_MS = 10  # watchfiles yields once its folders were quiet this long (an editor's save is a few writes)
DEBOUNCE = 0.1  # an editor's save is a few writes within milliseconds; a human's next save is seconds away


def _stat_key(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _digest(path: Path) -> str | None:
    """A file's content digest; a folder's (of templates) is the list of its names, so a new file counts."""
    try:
        if path.is_dir():
            return "\n".join(sorted(entry.name for entry in path.iterdir()))
        return sha256_file(path)
    except OSError:
        return None


@dataclass
class BuildOutcome:
    ok: bool
    seconds: float
    pdf: Path | None = None
    compiled: bool = False
    diagnostics: list[tuple[str, str]] = field(default_factory=list)  # (location, message) keys


def _key(location, message: str) -> tuple[str, str]:
    return (str(location) if location else "", message)


def _warning_key(location, message: str) -> tuple[str, str, str]:
    """A warning is the same while its file, text and the content of its line are: inserting a line above it
    moves it without making it new."""
    if location is None or not location.line:
        return ("", message, "")
    lines = source_lines(location.path)  # forgotten at each build's start: the lines as this build read them
    content = lines[location.line - 1].strip() if location.line <= len(lines) else str(location.line)
    return (str(location.path), message, content)


class Watcher:
    """Polls the notes' files and rebuilds when their content changed (testable one poll at a time)."""

    def __init__(self, target: str | Path | None, out_dir: str | Path | None = None, debounce: float = DEBOUNCE,
                 clock: Callable[[], float] = time.monotonic, echo: Callable[[str], None] | None = None,
                 events: bool = True):
        self.target = target
        self.out_dir = out_dir
        self.debounce = debounce
        self.clock = clock
        self.echo = echo or (lambda text: print(text, flush=True))
        self.shown_warnings: set[tuple[str, str, str]] = set()  # the last good build's warnings (_warning_key)
        self.files: dict[Path, str | None] = {}  # content digest at the last build (None: did not exist)
        self.stats: dict[Path, tuple[tuple[int, int] | None, str | None]] = {}  # stat key -> digest cache
        self.paths: list[Path] = []
        self.last_change: float | None = None  # when the latest unbuilt change was seen
        self.builds = 0
        self.last_diagnostics: set[tuple[str, str]] = set()
        self.last_ok: bool | None = None
        self._pending_signature: tuple | None = None
        self.events = events and watchfiles is not None  # wait for file-system events instead of sleeping
        self._folders: list[Path] = []  # the folders the event stream watches
        self._stream: Iterator | None = None

    # -- file state --
    def _current(self, path: Path) -> str | None:
        """The file's content digest (None: missing or unreadable), rehashed only when its stat changed."""
        key = _stat_key(path)
        cached = self.stats.get(path)
        if cached and cached[0] == key:
            return cached[1]
        digest = _digest(path) if key else None
        self.stats[path] = (key, digest)
        return digest

    def changed_files(self) -> list[Path]:
        """Files whose content differs from what the last build read (appeared/disappeared included)."""
        changed = []
        for path in self.paths:
            if self._current(path) != self.files.get(path):
                changed.append(path)
        return changed

    def _record(self) -> None:
        self.paths = watched_paths(self.target)
        self.files = {path: self._current(path) for path in self.paths}

    # -- building --
    def build(self) -> BuildOutcome:
        """One build now; prints the PDF path and time, or the diagnostics that are new."""
        self._record()  # what this build reads: later edits are seen as changes against it
        self.last_change = None
        self._pending_signature = None
        self.builds += 1
        forget_sources()
        started = time.perf_counter()
        try:
            result = build_notes(self.target, BuildOptions(pdf=True, out_dir=self.out_dir, quiet=True))
        except NotesError as error:
            seconds = time.perf_counter() - started
            keys = {_key(d.location, d.message) for d in [error.to_diagnostic(), *error.diagnostics]}
            if keys != self.last_diagnostics or self.last_ok is not False:
                print_error(error, warnings=False)
            else:
                self.echo(f"build failed again with the same error(s) ({seconds:.2f} s)")
            self.last_diagnostics, self.last_ok = keys, False
            outcome = BuildOutcome(False, seconds, diagnostics=sorted(keys))
        except Exception as error:  # a bug in a stage must not end the authoring session
            seconds = time.perf_counter() - started
            self.echo(f"internal error during the build: {type(error).__name__}: {error}")
            self.last_diagnostics, self.last_ok = set(), False
            outcome = BuildOutcome(False, seconds)
        else:
            seconds = time.perf_counter() - started
            keys = {_key(w.location, w.message) for w in result.warnings}
            shown = {_warning_key(w.location, w.message) for w in result.warnings}
            for warning in result.warnings:  # once, until its text or its line changes; a failed build between
                if _warning_key(warning.location, warning.message) not in self.shown_warnings:  # does not reset
                    print_diagnostic(warning)
            self.shown_warnings = shown
            if self.last_ok is False:
                self.echo("fixed: the build succeeds again")
            verb = "built" if result.compiled else "up to date"
            self.echo(f"{verb}: {display_path(result.pdf_path)} ({seconds:.2f} s)")
            self.last_diagnostics, self.last_ok = keys, True
            new = [path for path in sorted(result.inputs) if path not in self.files]  # what only the build knew
            self.paths += new
            self.files.update((path, self._current(path)) for path in new)
            outcome = BuildOutcome(True, seconds, result.pdf_path, result.compiled, sorted(keys))
        return outcome

    def poll_once(self) -> BuildOutcome | None:
        """Look for changes once; build when content changed and stayed the same for the debounce time."""
        if not self.paths:
            return self.build()
        now = self.clock()
        changed = self.changed_files()
        if not changed:  # nothing, or only unchanged saves / edits undone before the build
            self.last_change = None
            self._pending_signature = None
            return None
        signature = tuple((path, self.stats[path][1]) for path in changed)  # changed_files just set them
        # A new edit restarts the wait. last_change and _pending_signature are set and cleared together.
        if signature != self._pending_signature:
            self._pending_signature = signature
            self.last_change = now
        if now - self.last_change >= self.debounce:
            return self.build()
        return None

    def run(self, interval: float = INTERVAL, max_builds: int | None = None,
            sleep: Callable[[float], None] = time.sleep) -> int:
        """Check until interrupted (exit 0) or `max_builds` builds ran (exit 0 when the last one succeeded)."""
        try:
            while True:
                outcome = self.poll_once()
                if outcome is not None and max_builds is not None and self.builds >= max_builds:
                    return 0 if outcome.ok else 1
                if self.last_change is not None:  # a change is waiting: wake up when its debounce ends
                    sleep(min(interval, max(0.01, self.last_change + self.debounce - self.clock())))
                elif not self.wait_for_event():
                    sleep(interval)
        finally:
            self._close_stream()

    def wait_for_event(self) -> bool:
        """Block until the file system reports a change in a watched folder, or EVENT_TIMEOUT passed; False
        without events (no watchfiles), when the caller polls instead."""
        if not self.events:
            return False
        folders = sorted({path.parent for path in self.paths if path.parent.is_dir()})
        if folders != self._folders or self._stream is None:  # a build named new files: watch their folders too
            self._close_stream()
            self._folders = folders
            self._stream = watchfiles.watch(*folders, watch_filter=None, step=EVENT_STEP_MS, recursive=False,
                                            rust_timeout=int(EVENT_TIMEOUT * 1000), yield_on_timeout=True,
                                            ignore_permission_denied=True)
        next(self._stream)
        return True

    def _close_stream(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


def _raise_keyboard_interrupt(signum, frame) -> None:  # SIGTERM ends the loop like Ctrl-C
    raise KeyboardInterrupt


def watch_notes(target: str | Path | None, out_dir: str | Path | None = None, interval: float = INTERVAL,
                debounce: float = DEBOUNCE, max_builds: int | None = None) -> int:
    """The `notes watch` command: build now, then on every change; returns the exit code."""
    try:
        load_config(target)
    except UsageError:  # a wrong PATH is reported at once, not as a loop of failed builds
        raise
    except NotesError:  # a broken notes.yaml is reported by the first build, then fixed while watching
        pass
    watcher = Watcher(target, out_dir, debounce)
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    # Ctrl-C must stop the loop even when the shell started us with SIGINT ignored (a background job).
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        shown = target or "content"
        watcher.echo(f"watching {shown} (Ctrl-C to stop)")
        return watcher.run(interval, max_builds)
    except KeyboardInterrupt:
        watcher.echo("stopped watching")
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        sys.stdout.flush()
