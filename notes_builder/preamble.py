"""The precompiled preamble (mylatexformat): after the first build, a pass starts from the notes' preamble already
loaded, and a one-line edit costs one short pass.

A format is named after a hash of the engine and the preamble text, so any change to the preamble (template,
packages, notes.yaml macros) simply makes a new one; the user cache keeps the newest few, so a new build folder
with the same preamble starts with it too.

The dump outlives the build that starts it. It runs beside the build's first pass, and what is left of it once
the notes are set (a quarter of a second on the default notes) serves only the next build, so the build does not
wait for it. A small stdlib-only Python process (`_DUMP`) runs pdflatex and, only when the dump succeeded, puts the
format in place with one rename: a format that is there is whole. It holds a lock for as long as it runs, by which
another build (the next edit, another folder) sees that the format is on its way and may wait for the rest of it.

This module imports nothing heavy: the head start (headstart.py) uses it before the configuration is read.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from notes_builder.places import cache_dir, keep_newest

try:
    import fcntl
except ImportError:  # not POSIX: no lock to see another build's dump by; each build makes its own
    fcntl = None  # type: ignore[assignment]

BEGIN_DOCUMENT = "\\begin{document}"
KEEP = 8  # formats kept in the cache (about 7 MB each)
WORTH_WAITING = 0.25  # s a dump has run after which the rest of it is shorter than a preamble's pass
DUMP_WAIT = 2.0  # s at most to wait for the rest of a dump: a dump still running after that is not worth it
STALE_LOCK = 86400.0  # s after which a lock without its format is left over from a dump that failed

# Run with `python -I -S`: pdflatex's dump under a lock; the format put in place only whole.
_DUMP = r"""
import fcntl, os, shutil, subprocess, sys
lock_path, job, name, shared, limit = sys.argv[1:6]
try:
    lock = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.utime(lock_path)  # when this dump began: whether the rest is worth waiting for
except BlockingIOError:
    sys.exit(0)  # another process dumps this preamble
except OSError:
    pass  # no lock to be had: the dump runs unseen by other builds
made, temporary = job + ".fmt", os.path.join(shared, "." + name + ".fmt." + str(os.getpid()))
try:
    if subprocess.call(sys.argv[6:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=float(limit)) == 0 and os.path.exists(made):
        try:
            os.makedirs(shared, exist_ok=True)
            shutil.copyfile(made, temporary)
            os.replace(temporary, os.path.join(shared, name + ".fmt"))
        except OSError:  # no writable cache: the format stays in this work folder
            os.replace(made, name + ".fmt")
except subprocess.TimeoutExpired:  # killed: a preamble that never ends leaves nothing running
    pass
finally:
    for leftover in (made, job + ".log", temporary):
        try:
            os.unlink(leftover)
        except OSError:
            pass
"""

_RUNNING: list[subprocess.Popen] = []  # dumps this process started: referenced while they run, after their build


def safe_tex_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(openout_any="p", openin_any="p", shell_escape="f", TEXMFOUTPUT="")
    env.pop("TEXINPUTS", None)
    return env


def preamble_format_name(tex: str, engine: str) -> str:
    """The precompiled preamble's name: a hash of the engine and the preamble text."""
    preamble = tex.split(BEGIN_DOCUMENT, 1)[0]
    return "nbpreamble-" + hashlib.sha256(f"{engine}\n{preamble}".encode()).hexdigest()[:16]


def formats_dir() -> Path:
    return cache_dir() / "formats"


class PreambleFormat:
    """The precompiled preamble of one .tex: whether it exists, its dump, waiting for a dump under way."""

    def __init__(self, tex_path: Path, tex: str, engine: str):
        self.work = tex_path.parent
        self.tex_path = tex_path
        self.name = preamble_format_name(tex, engine)
        # Without mylatexformat.ltx (`notes doctor` reports it) the dump fails at once and leaves no format.
        self.usable = engine == "pdflatex"
        self.process: subprocess.Popen | None = None
        self.started = 0.0
        self.shared = formats_dir()

    @property
    def path(self) -> Path:
        """Where a format stays when the user cache cannot take it (the work folder, TeX's only writable place)."""
        return self.work / f"{self.name}.fmt"

    def _locks(self) -> tuple[Path, Path]:
        """Where a dump's lock is: the user cache, else (not writable) the work folder."""
        return self.shared / f"{self.name}.lock", self.work / f"{self.name}.lock"

    def _lock(self) -> Path:
        """The user cache's lock when it can take one, else the work folder's."""
        for lock in self._locks():
            with contextlib.suppress(OSError):
                lock.parent.mkdir(parents=True, exist_ok=True)
                os.close(os.open(lock, os.O_RDWR | os.O_CREAT, 0o644))
                return lock
        return self._locks()[1]

    def ready(self) -> bool:
        """A format exists for this preamble (whole: it is put in place by a rename); a cached one is marked as
        just used, so that another build's trimming of the cache (oldest first) leaves it alone."""
        if not self.usable:
            return False
        cached = self.shared / f"{self.name}.fmt"
        with contextlib.suppress(OSError):  # a read-only cache: its formats serve all the same
            os.utime(cached)
        return cached.exists() or self.path.exists()

    def forget(self) -> None:
        with contextlib.suppress(OSError):
            (self.shared / f"{self.name}.fmt").unlink()
        self.path.unlink(missing_ok=True)

    def environment(self) -> dict[str, str]:
        """TeX finds formats in the cache, then in its default places (the trailing ':')."""
        return {**safe_tex_environment(), "TEXFORMATS": f"{self.shared}:"}

    def running_for(self) -> float | None:
        """How long a dump of this preamble has run, by this build or another; None when none runs."""
        if self.process is not None:
            if self.process.poll() is None:
                return time.perf_counter() - self.started
            self.process = None
        for lock in self._locks():
            held = _held_for(lock)
            if held is not None:
                return held
        return None

    def start_dump(self, timeout: float) -> None:
        """Dump the format beside this build's passes, unless it exists or is on its way; stopped after `timeout`
        s (the compile's limit), whether or not the build is still there."""
        if not self.usable or self.ready() or self.running_for() is not None:
            return
        _trim(self.shared)
        job = f"{self.name}-dumping"
        for leftover in (*self.work.glob("nbpreamble-*.fmt"), self.work / f"{job}.fmt", self.work / f"{job}.log"):
            leftover.unlink(missing_ok=True)  # other preambles' formats kept here (no writable cache), a killed dump's
        engine = ["pdflatex", "-ini", "-interaction=batchmode", "-halt-on-error", "-no-shell-escape",
                  f"-jobname={job}", "&pdflatex", "mylatexformat.ltx", self.tex_path.name]
        # stdout: a pipe whose end tells `wait` at once that the dump is done (it writes nothing into it)
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _DUMP, str(self._lock()), job, self.name, str(self.shared), str(timeout),
             *engine], cwd=self.work, env=safe_tex_environment(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True)
        self.started = time.perf_counter()
        _RUNNING[:] = [process for process in _RUNNING if process.poll() is None] + [self.process]

    def adopt(self, wait_up_to: float = 0.0) -> None:
        """For up to `wait_up_to` s, wait for a dump that has run a while (the notes' pass after their citations
        were prepared, the next build): what is left of it, mostly writing the format, is less than what a pass
        without it would spend again on the preamble (0.57 s cold)."""
        ran = self.running_for()
        if ran is not None and wait_up_to > 0 and ran > WORTH_WAITING:
            self.wait(min(wait_up_to, DUMP_WAIT))

    def wait(self, timeout: float) -> None:
        """Wait for the dump under way, if any, for up to `timeout` s."""
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.communicate(timeout=timeout)  # ends at the dump's end (wait(timeout) polls every 50 ms)
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.running_for() is not None:
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop this build's dump (the build was interrupted: nothing it started may run on)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.communicate()
        self.process = None


def _held_for(lock: Path) -> float | None:
    """How long the dump holding `lock` has run; None when no dump holds it."""
    if fcntl is None:
        return None
    try:
        handle = os.open(lock, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:  # held: a dump runs
        return max(0.0, time.time() - os.fstat(handle).st_mtime)
    except OSError:  # no locks here (a file system without them): none to be seen
        return None
    finally:
        os.close(handle)
    return None


def dumps_running(folder: Path) -> bool:
    """A dump holds a lock in the formats folder `folder` (for the benchmarks and tests, which wait for the dumps
    a build left running)."""
    return any(_held_for(lock) is not None for lock in folder.glob("*.lock"))


def _trim(folder: Path) -> None:
    """Make room for one more format in the cache, and take away the locks of dumps that never made one."""
    keep_newest(folder, "nbpreamble-*.fmt", KEEP - 1, (".lock",))
    with contextlib.suppress(OSError):
        for lock in folder.glob("nbpreamble-*.lock"):
            if not lock.with_suffix(".fmt").exists() and time.time() - lock.stat().st_mtime > STALE_LOCK:
                lock.unlink(missing_ok=True)
