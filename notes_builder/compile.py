"""Compile stage: latexmk drives pdflatex (or xelatex) safely, and only a successful run replaces the PDF.

Safety: `-no-shell-escape`, `-norc` (no latexmkrc can turn shell escape back on), `openout_any=p` and
`openin_any=p` (TeX may only touch files below the build folder), a wall-clock timeout that kills the
whole process group. Errors come back mapped to the user's files (see texlog.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from notes_builder.config import cache_dir
from notes_builder.errors import CompileError, Diagnostic, Location, ToolMissingError
from notes_builder.files import publish
from notes_builder.texlog import LogReport, SourceMap, last_reached, parse_blg, parse_log, read_log

# biblatex rewrites its .run.xml (for biber's sake) on passes after biber, which latexmk would take as a reason for
# one more full pass each time: its lines do not count towards a rerun (latexmk's own setting; biber is run when the
# .bcf changes, which latexmk tracks apart)
_IGNORE_RUN_XML_FLAGS = "$hash_calc_ignore_pattern{q/xml/} = q/^/;"
ENGINE_FLAGS = ["-interaction=nonstopmode", "-halt-on-error", "-file-line-error", "-no-shell-escape"]


@dataclass
class CompileResult:
    pdf: Path
    log: Path
    seconds: float
    report: LogReport
    warnings: list[Diagnostic] = field(default_factory=list)


def safe_tex_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(openout_any="p", openin_any="p", shell_escape="f", TEXMFOUTPUT="")
    env.pop("TEXINPUTS", None)
    return env


def require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ToolMissingError(f"{tool} is not installed", hint=f"apt-get install {package} (or run `notes doctor`)")
    return path


class PreambleFormat:
    """A precompiled preamble (mylatexformat): after the first build, a one-line edit costs one short pass.

    The format is named after a hash of the preamble text, so any change to the preamble (template,
    packages, notes.yaml macros) simply makes a new one. It is dumped by a second pdflatex process while
    the document compiles (this machine kind has two cores), so the cold build does not wait for it, and
    kept in the user cache, so a new build folder with the same preamble starts with it too.
    """

    KEEP = 8  # formats kept in the cache (about 7 MB each)

    def __init__(self, tex_path: Path, tex: str, engine: str):
        preamble = tex.split("\\begin{document}", 1)[0]
        digest = hashlib.sha256(f"{engine}\n{preamble}".encode()).hexdigest()[:16]
        self.work = tex_path.parent
        self.tex_path = tex_path
        self.name = f"nbpreamble-{digest}"
        # Without mylatexformat.ltx (`notes doctor` reports it) the dump fails at once and leaves no format.
        self.usable = engine == "pdflatex"
        self.process: subprocess.Popen | None = None
        self.shared = cache_dir() / "formats"

    @property
    def path(self) -> Path:
        """Where the dump writes the format (the work folder, TeX's only writable place)."""
        return self.work / f"{self.name}.fmt"

    def ready(self) -> bool:
        """A format exists for this preamble; a cached one is marked as just used, so that another build's
        trimming of the cache (oldest first) leaves it alone."""
        if not self.usable:
            return False
        with contextlib.suppress(OSError):
            os.utime(self.shared / self.path.name)
            return True
        return self.path.exists()

    def forget(self) -> None:
        with contextlib.suppress(OSError):
            (self.shared / self.path.name).unlink()
        self.path.unlink(missing_ok=True)

    def environment(self) -> dict[str, str]:
        """TeX finds formats in the cache, then in its default places (the trailing ':')."""
        return {**safe_tex_environment(), "TEXFORMATS": f"{self.shared}:"}

    def start_dump(self) -> None:
        if not self.usable or self.ready():
            return
        command = ["pdflatex", "-ini", "-interaction=batchmode", "-halt-on-error", "-no-shell-escape",
                   f"-jobname={self.name}", "&pdflatex", "mylatexformat.ltx", self.tex_path.name]
        self.process = subprocess.Popen(command, cwd=self.work, env=safe_tex_environment(),
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)

    def finish(self, timeout: float) -> None:
        """Wait for the dump; a failed or slow one leaves no format behind (the next build just compiles)."""
        if self.process is None:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(self.process)  # the document is built; a slow dump only costs its format
        except BaseException:
            _stop(self.process)
            raise
        finally:
            if self.process.returncode != 0:
                self.path.unlink(missing_ok=True)
            else:
                self._share()
            self.process = None

    def _share(self) -> None:
        """Move the new format into the cache and keep only the newest few there."""
        try:
            publish(self.path, self.shared / self.path.name)
        except OSError:
            return  # no writable cache: the format stays usable in this work folder
        self.path.unlink(missing_ok=True)
        formats = sorted(self.shared.glob("nbpreamble-*.fmt"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in formats[self.KEEP:]:
            old.unlink(missing_ok=True)


def compile_tex(tex_path: Path, engine: str = "pdflatex", timeout: float = 120.0,
                single_pass: bool = False) -> CompileResult:
    """Compile `tex_path` inside its own folder; raise CompileError with mapped diagnostics.

    latexmk drives the engine when reruns may be needed (a table of contents, citations: it runs biber only when
    the cited keys change). When the document needs no rerun by construction (`single_pass`: references resolved
    by the renderer, no .aux), the build is exactly one pass, run directly to spare latexmk's own start-up. Either
    way the engine starts from the precompiled preamble once it exists.
    """
    latexmk = require("latexmk", "latexmk")
    require(engine, "texlive-xetex" if engine == "xelatex" else "texlive-latex-base")
    work = tex_path.parent
    tex = tex_path.read_text(encoding="utf-8")
    preamble = PreambleFormat(tex_path, tex, engine)
    environment = safe_tex_environment()
    fast = [f"-fmt={preamble.name}"] if preamble.ready() else []  # the precompiled preamble, once it exists
    if fast:
        environment = preamble.environment()
    command = _engine_command(engine, latexmk, fast, single_pass, tex_path.name)
    log = work / f"{tex_path.stem}.log"
    started = time.perf_counter()  # for the time limit; the log's age is compared with the wall clock below
    begun = time.time()
    process = _start(command, work, environment)
    preamble.start_dump()  # beside the compile: the next build starts from it
    try:
        process.communicate(timeout=timeout)
        if fast and process.returncode != 0 and (not log.exists() or log.stat().st_mtime < begun):
            # the engine stopped before reading the document: the format went away under it (another build
            # trimmed the cache) or does not load. Again without it; latexmk remembers the failed run: force it
            preamble.forget()  # a broken format is made again by the next build
            command = _engine_command(engine, latexmk, [], single_pass, tex_path.name, force=True)
            process = _start(command, work, safe_tex_environment())
            process.communicate(timeout=max(1.0, timeout - (time.perf_counter() - started)))
        preamble.finish(max(0.0, timeout - (time.perf_counter() - started)))
    except BaseException as interrupted:  # timeout, Ctrl-C: never leave TeX running on its own
        _stop(process)
        if preamble.process is not None:
            _stop(preamble.process)
        if not isinstance(interrupted, subprocess.TimeoutExpired):
            raise
        log_text = read_log(log)
        where = last_reached(log_text, SourceMap.from_tex(tex))
        raise CompileError(f"LaTeX did not finish within {timeout:g} s (a macro that never ends?); stopped it",
                           where, hint=("look for a recursive definition near this line" if where else
                                        "look for a macro that calls itself (TeX's log names no line)")
                           + "; the limit is compile_timeout in notes.yaml", log_path=log) from None
    seconds = time.perf_counter() - started
    text = read_log(log)
    source_map = SourceMap.from_tex(tex)
    report = parse_log(text, source_map, tex_path.name)
    pdf = work / f"{tex_path.stem}.pdf"
    blg = work / f"{tex_path.stem}.blg"  # biber's log: its findings are about the .bib files (as they are now)
    bib_findings = parse_blg(blg.read_text(encoding="utf-8", errors="replace"), work) if blg.exists() else []
    bib_errors = [finding for finding in bib_findings if finding.kind == "error"]
    if bib_errors and not report.errors:  # biber's "malformed .bcf" after a failed LaTeX pass: LaTeX's error first
        first = bib_errors[0]
        raise CompileError(first.message, first.location, "biber could not read this entry; `notes lint` checks "
                           "the .bib files too", diagnostics=bib_errors[1:3], log_path=blg)
    report.warnings.extend(bib_findings)
    if process.returncode != 0 or report.errors or not pdf.exists():
        first = report.errors[0] if report.errors else Diagnostic(None, "error", "LaTeX failed (see the log)")
        raise CompileError(first.message, first.location, first.hint, diagnostics=report.errors[1:3], log_path=log)
    if report.missing_characters:
        char = report.missing_characters[0]
        raise CompileError(f"no loaded font has the character '{char}'", _find_char(source_map, char),
                           hint="choose a font that has it (template.cjk_main_font) or remove the character",
                           log_path=log)
    return CompileResult(pdf, log, seconds, report, report.warnings)


def _engine_command(engine: str, latexmk: str, fast: list[str], single_pass: bool, name: str,
                    force: bool = False) -> list[str]:
    """One engine pass (`single_pass`: latexmk would only add its own start-up, about 0.2 s), else latexmk, which
    runs biber and the passes needed (a table of contents, citations) and no more; `force`: even if it thinks
    nothing changed."""
    if single_pass:
        return [engine, *fast, *ENGINE_FLAGS, name]
    flags = " ".join([*fast, *ENGINE_FLAGS])
    mode, rule = ("-xelatex", "xelatex") if engine == "xelatex" else ("-pdf", "pdflatex")
    return [latexmk, "-norc", "-e", _IGNORE_RUN_XML_FLAGS, mode, f"-{rule}={engine} {flags} %O %S", "-silent",
            *(["-g"] if force else []), name]


def _start(command: list[str], work: Path, environment: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=work, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    """Interrupt TeX first (it then writes `! Interruption` and the line it was on to the log), then kill."""
    with contextlib.suppress(subprocess.TimeoutExpired, ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
        process.communicate(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def _find_char(source_map: SourceMap, char: str) -> Location | None:
    for path in dict.fromkeys(m[1] for m in source_map.markers):
        try:
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if char in line:
                    return Location(path, number, line.index(char) + 1)
        except OSError:
            continue
    return None
