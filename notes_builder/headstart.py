"""A pass started before its document is written: while Python parses and renders an edit, pdflatex already
loads the precompiled preamble and runs `\\begin{document}` (the .aux and .bbl are read there), then waits.

Most rebuilds change the body, not the preamble. So when a build is not a no-op, `HeadStart.begin` starts pdflatex
on a pipe and writes the last build's preamble into it: the engine's start, the format's load and the hooks of
`\\begin{document}` (about 0.14 s on the default notes) overlap with Python's own start, imports and rendering.
compile.py then takes it: if the new .tex has the same preamble (`fits`) and nothing the engine has read since
changed (no biber run, no `--force`), the rest of the .tex goes into the pipe (`feed`) and the pass goes on as any
other. Otherwise `abandon` kills it and puts back the files `\\begin{document}` had started to rewrite; the build
runs its passes as before. A head start never decides what the PDF contains: it is the same pass, begun earlier.

Two more kinds wait before `\\begin{document}` instead, so that they serve whatever the build prepares there:
- `before_document`, begun by the compile on the build's own preamble when biber is to run: the preamble (a first
  build's longest part, without a precompiled one) runs beside the citations pass and biber.
- `guess`, a first build in a new folder (`--out`) of notes built before elsewhere: the preamble they had, which
  `remember` kept in the user cache. When biber's results for the citations they had can be put in place first
  (compile.restore_citations), it runs `\\begin{document}` too, and is abandoned like `begin`'s if those differ.

The pipe is a FIFO `headstart/<pid>/<name>.tex` in the work folder (one per process: two builds never share it),
read with `-jobname=<name>`, so the log, .aux and PDF are the usual ones and an error names `<name>.tex` as always.
Its buffer is made to hold the whole .tex, so no write ever waits for TeX: a document too large for it simply gets
no head start. Once TeX has the pipe open, this end is closed, so that TeX meets the end of the file (an unclosed
\\iffalse is an error at once, not a wait). Linux only: a FIFO, /proc to see TeX open it, and the engine killed
with this process should it die (prctl).

This module is loaded before the configuration (by manifest.run_build, once a build is not a no-op), so it imports
nothing heavy.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from notes_builder.files import read_bytes_or_none, replace_bytes
from notes_builder.places import cache_dir, keep_newest
from notes_builder.preamble import BEGIN_DOCUMENT as _BEGIN
from notes_builder.preamble import DUMP_WAIT, PreambleFormat, formats_dir, safe_tex_environment

try:
    import fcntl
except ImportError:  # not POSIX: no head start
    fcntl = None  # type: ignore[assignment]

ENGINE_FLAGS = ["-interaction=nonstopmode", "-halt-on-error", "-file-line-error", "-no-shell-escape"]
_PIPE_FOLDER = "headstart"
# what `\begin{document}` rewrites (the .aux, biblatex's .bcf) or the run starts anew (the log): put back when a
# head start is abandoned, as if it had never run
_REWRITTEN = (".aux", ".bcf", ".log")
_PROC_FDS = Path("/proc/self/fd")


class HeadStart:
    """One pdflatex process reading `headstart/<pid>/<name>.tex` in the work folder of `tex_path`, fed `prefix` (the
    last build's .tex up to its `\\begin{document}` line) so far."""

    def __init__(self, tex_path: Path, prefix: str, process: subprocess.Popen, pipe: int, pipe_path: Path,
                 saved: dict[Path, bytes | None]):
        self.tex_path, self.prefix, self.process = tex_path, prefix, process
        # it has run `\\begin{document}`, which read the .aux and .bbl (`begin`), or waits before it
        self.read_document_start = _BEGIN in prefix
        self.early = False  # begun before the .tex was written (by the build, on a preamble it expects)
        self._pipe, self._pipe_path, self._saved = pipe, pipe_path, saved
        self.done = False  # fed to the compile (which then owns the process) or abandoned

    @classmethod
    def begin(cls, tex_path: Path) -> HeadStart | None:
        """Start a pass of the .tex last compiled at `tex_path` (in its work folder), through its
        `\\begin{document}` line, or None when it cannot help: no such .tex, no precompiled preamble for it
        (xelatex, a first build), no FIFOs here."""
        try:
            tex = tex_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        begin = tex.find(_BEGIN)
        if begin < 0:
            return None
        preamble = PreambleFormat(tex_path, tex, "pdflatex")
        if not preamble.ready():
            preamble.wait(DUMP_WAIT)  # the last build's dump, still under way (an edit saved right after it)
            if not preamble.ready():
                return None
        return cls._early(cls.start(tex_path, tex[:tex.find("\n", begin) + 1 or len(tex)], preamble.name))

    @classmethod
    def guess(cls, tex_path: Path, source: Path, restore_citations: Callable[[str], list[Path] | None]
              ) -> HeadStart | None:
        """A first build in this work folder (a new `--out`) of notes built before elsewhere: a pass of the
        preamble they had last time (`remember`), when it is precompiled. It runs `\\begin{document}` too when
        `restore_citations` could put biber's results for the citations they had in place (or they had none);
        else it waits before it. The compile takes it as any other head start: only if it fits."""
        try:
            record = json.loads(_remembered(source).read_text(encoding="utf-8"))
            prefix, citations = record["preamble"], record["citations"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not isinstance(prefix, str) or _BEGIN not in prefix:
            return None
        preamble = PreambleFormat(tex_path, prefix, "pdflatex")
        if not preamble.ready():
            return None
        own_files = tex_path.with_suffix(".aux").exists()  # of an earlier pass here: read by the build's own pass
        restored = restore_citations(citations) or [] if citations is not None and not own_files else []
        if own_files or (citations is not None and not restored):
            prefix = prefix[:prefix.find(_BEGIN)]  # `\\begin{document}` waits for what the build prepares
        head_start = cls._early(cls.start(tex_path, prefix, preamble.name))
        if head_start is None:
            return None
        head_start._saved.update(dict.fromkeys(restored))  # abandoned, it takes them away again: none were there
        return head_start

    @staticmethod
    def remember(source: Path, tex: str, citations: str | None) -> None:
        """After a pdflatex build of the notes `source`: their preamble through `\\begin{document}` and the digest
        of their citations (compile.Citations.digest), for `guess` in another work folder."""
        begin = tex.find(_BEGIN)
        if begin < 0:
            return
        record = json.dumps({"preamble": tex[:tex.find("\n", begin) + 1 or len(tex)], "citations": citations})
        path = _remembered(source)
        if read_bytes_or_none(path) == record.encode():
            return
        with contextlib.suppress(OSError):  # no writable cache: no guess next time
            path.parent.mkdir(parents=True, exist_ok=True)
            replace_bytes(path, record.encode())
            keep_newest(path.parent, "*.json", 64)

    @staticmethod
    def _early(head_start: HeadStart | None) -> HeadStart | None:
        if head_start is not None:
            head_start.early = True
        return head_start

    @classmethod
    def before_document(cls, tex_path: Path, tex: str, format_name: str | None) -> HeadStart | None:
        """Start this build's own pass of `tex` up to its `\\begin{document}`: its preamble runs while biber
        prepares the citations, and the pass reads the .aux and .bbl only once fed. `format_name`: the
        precompiled preamble, None for pdflatex's own format (a first build)."""
        begin = tex.find(_BEGIN)
        return cls.start(tex_path, tex[:begin], format_name) if begin > 0 and tex[begin - 1] == "\n" else None

    @classmethod
    def start(cls, tex_path: Path, prefix: str, format_name: str | None) -> HeadStart | None:
        """pdflatex on the pipe, `prefix` written into it; None where there are no FIFOs (or /proc)."""
        if fcntl is None or not _PROC_FDS.is_dir():  # Linux: FIFOs, and /proc to see TeX open one
            return None
        # a folder of this process's own: another build's pipe (in another process) is never this one
        pipe_path = tex_path.parent / _PIPE_FOLDER / str(os.getpid()) / tex_path.name
        # what the pass rewrites before it is fed: the log, and what `\begin{document}` rewrites if the prefix has it
        rewritten = _REWRITTEN if _BEGIN in prefix else (".log",)
        saved = {path: read_bytes_or_none(path) for path in map(tex_path.with_suffix, rewritten)}
        try:
            _remove_orphans(pipe_path.parent.parent)
            pipe_path.parent.mkdir(parents=True, exist_ok=True)
            pipe_path.unlink(missing_ok=True)
            os.mkfifo(pipe_path)
            # read and write: opening does not wait for TeX, and the pipe lives until this end is closed
            pipe = os.open(pipe_path, os.O_RDWR | os.O_NONBLOCK)
        except OSError:
            return None
        environment = safe_tex_environment()
        if format_name is not None:
            environment["TEXFORMATS"] = f"{formats_dir()}:"
        try:
            _fit(pipe, len(prefix.encode()))
            os.write(pipe, prefix.encode())
            process = subprocess.Popen(
                ["pdflatex", "-no-parse-first-line", *([f"-fmt={format_name}"] if format_name else []),
                 f"-jobname={tex_path.stem}", *ENGINE_FLAGS, pipe_path.relative_to(tex_path.parent).as_posix()],
                cwd=tex_path.parent,
                # output through a pipe: its end tells the compile at once that the pass is done (the few kB
                # written before the rest is fed fit in it)
                env=environment, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_parent_death_signal())
        except OSError:
            os.close(pipe)
            _remove(pipe_path)
            return None
        return cls(tex_path, prefix, process, pipe, pipe_path, saved)

    def before(self, suffix: str) -> bytes | None:
        """What the work folder's `suffix` file held before this pass began to rewrite it (if it does)."""
        path = self.tex_path.with_suffix(suffix)
        return self._saved[path] if path in self._saved else read_bytes_or_none(path)

    def fits(self, tex_path: Path, tex: str, engine: str) -> bool:
        """This pass can go on to compile `tex`: the same file and engine, the same preamble, still waiting."""
        return (tex_path == self.tex_path and engine == "pdflatex" and tex.startswith(self.prefix)
                and self.process.poll() is None)

    def feed(self, tex: str) -> bool:
        """Write the rest of `tex` into the pipe (never waiting): the pass goes on, and the caller owns it. False,
        with the head start abandoned, when it does not fit in the pipe's buffer."""
        rest = tex[len(self.prefix):].encode()
        try:
            _fit(self._pipe, len(self.prefix.encode()) + len(rest))
            fed = os.write(self._pipe, rest) == len(rest) and self._opened_by_tex()
        except OSError:
            fed = False
        if not fed:
            self.abandon()
            return False
        self.done = True
        # TeX has its end open, so the text stays in the pipe once this end is closed, and TeX then meets the end
        # of the file: an error that reads on to it (an unclosed \iffalse or verbatim) stops the pass at once
        with contextlib.suppress(OSError):
            os.close(self._pipe)
        self._pipe = -1
        return True

    def _opened_by_tex(self, wait: float = 10.0) -> bool:
        """Whether the engine has opened the pipe (it does once it has loaded the format, in about 0.1 s), waiting
        for it up to `wait` s; False when it ended first or cannot be seen (no /proc)."""
        fds, target = Path(f"/proc/{self.process.pid}/fd"), os.path.realpath(self._pipe_path)
        deadline = time.monotonic() + wait
        while self.process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if any(os.readlink(fd) == target for fd in fds.iterdir()):
                    return True
            time.sleep(0.002)
        return False

    def close(self) -> None:
        """After the pass (or instead of it): the pipe and its folder go."""
        if self._pipe >= 0:
            with contextlib.suppress(OSError):
                os.close(self._pipe)
            self._pipe = -1
        _remove(self._pipe_path)

    def abandon(self) -> None:
        """Kill the waiting pass and put back what its `\\begin{document}` rewrote (nothing once it was fed)."""
        if self.done:
            return
        self.done = True
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # it waits on the pipe: SIGINT would not end it now
        self.process.communicate()
        self.close()
        for path, content in self._saved.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                with contextlib.suppress(OSError):
                    replace_bytes(path, content)


def _remembered(source: Path) -> Path:
    return cache_dir() / "preambles" / (hashlib.sha256(str(source).encode()).hexdigest()[:24] + ".json")


def _parent_death_signal() -> Callable[[], None] | None:
    """Linux: a function for the child (between fork and exec) by which the engine is killed should this process
    die without abandoning it (SIGKILL), instead of waiting for ever on a pipe nobody will write. Looked up here,
    so that the child imports nothing; None where threads run (a fork then must not run Python)."""
    if threading.active_count() > 1:
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _remove(pipe_path: Path) -> None:
    """The pipe, its process's folder, and `headstart/` once no other build's is in it."""
    pipe_path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        pipe_path.parent.rmdir()
        pipe_path.parent.parent.rmdir()


def _remove_orphans(folder: Path) -> None:
    """The pipe folders of builds that died without removing theirs (killed)."""
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            if entry.name.isdigit() and not _alive(int(entry.name)):
                shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def _fit(pipe: int, size: int) -> None:
    """Grow the pipe's buffer to hold `size` bytes (up to the system's limit), so that writes never wait."""
    wanted = max(size + 4096, 65536)
    if fcntl.fcntl(pipe, fcntl.F_GETPIPE_SZ) < wanted:
        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, wanted)
