"""Compile stage: pdflatex (or xelatex), and biber for citations, run safely; only a successful run replaces the PDF.

Safety: `-no-shell-escape`, `openout_any=p` and `openin_any=p` (TeX may only touch files below the build folder),
a wall-clock timeout that kills the whole process group. Errors come back mapped to the user's files (see texlog.py).

Passes: the renderer resolves references itself, so notes need one pass, plus one while a table of contents
changes. Citations need biber, which reads the .bcf biblatex writes in a pass: a short pass over the citations
alone writes it (not a whole pass of the notes, as latexmk would run), biber runs, and the notes' pass finds the
.bbl ready; meanwhile that pass has already run the preamble (headstart.HeadStart.before_document). biber runs
again only when the citations or a .bib file change. The precompiled preamble (preamble.py) is dumped beside the
passes, after biber when it runs, and the build does not wait for the end of the dump.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from notes_builder.errors import CompileError, Diagnostic, Location, ToolMissingError
from notes_builder.files import read_bytes_or_none, replace_bytes, write_atomic
from notes_builder.headstart import ENGINE_FLAGS, HeadStart
from notes_builder.places import cache_dir, keep_newest
from notes_builder.preamble import BEGIN_DOCUMENT, PreambleFormat, safe_tex_environment
from notes_builder.texlog import LogReport, SourceMap, last_reached, parse_blg, parse_log, read_log

BIBER_RUNS_KEPT = 32  # biber runs the user cache keeps (a few kB each)
MAX_PASSES = 4  # a table of contents settles in three; a fourth only if LaTeX still asks
# what LaTeX, hyperref's rerunfilecheck and biblatex print when the next pass would come out different
_RERUN = re.compile(r"Rerun to get|Please rerun LaTeX|Label\(s\) may have changed")
_BIBER_REQUEST = re.compile(r"Please \(re\)run Biber")
_TEX_COMMENT = re.compile(r"(?<!\\)%.*")
_BIBLATEX = re.compile(r"\\(?:usepackage|RequirePackage)\s*(\[[^\]]*\])?\s*\{[^}]*\bbiblatex\b")


@dataclass
class Citations:
    """What biber needs: the citations document (the notes' preamble, their citations in order and the reference
    list, see the LaTeX writer) and the .bib files staged beside it."""

    tex: str
    bib_files: list[Path]
    bare_tex: str | None = None  # the same citations without the notes' preamble (for a cold pass), if it may be

    @functools.cached_property
    def digest(self) -> str:
        """Changes exactly when biber's output may: the citations, the style, the .bib files' text, biber. Read
        once per build (the head start's check and the biber step both ask)."""
        digest = hashlib.sha256(self.tex.encode())
        with contextlib.suppress(OSError, TypeError):  # a new biber (with its biblatex) may write another .bbl
            stat = os.stat(shutil.which("biber"))  # type: ignore[arg-type]
            digest.update(f"\0biber {stat.st_size} {stat.st_mtime_ns}".encode())
        for path in self.bib_files:
            digest.update(b"\0" + path.name.encode() + b"\0")
            digest.update(read_bytes_or_none(path) or b"")
        return digest.hexdigest()


@dataclass
class CompileResult:
    pdf: Path
    log: Path
    seconds: float
    report: LogReport
    warnings: list[Diagnostic] = field(default_factory=list)
    passes: int = 1  # engine runs, the citations document's included
    biber_runs: int = 0
    head_started: bool = False  # the first pass was begun before the .tex was written (headstart.py)
    beside_biber: bool = False  # the notes' pass ran its preamble while biber prepared the citations


def require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ToolMissingError(f"{tool} is not installed", hint=f"apt-get install {package} (or run `notes doctor`)")
    return path


def compile_tex(tex_path: Path, engine: str = "pdflatex", timeout: float = 120.0, single_pass: bool = False,
                citations: Citations | None = None, fresh: bool = False, head_start: HeadStart | None = None
                ) -> CompileResult:
    """Compile `tex_path` inside its own folder; raise CompileError with mapped diagnostics.

    One pass when the document needs no rerun by construction (`single_pass`: references resolved by the
    renderer, no .aux); else passes until the table of contents stops changing and LaTeX asks for no rerun.
    `citations`: biber's .bbl is made first (see `_prepare_bibliography`), so the citations cost no pass of
    the notes. Every pass starts from the precompiled preamble once it exists. `fresh` (`--force`): nothing
    from earlier passes or biber runs is reused. `head_start`: the first pass, already begun (headstart.py);
    taken when it has this preamble and nothing it read changes before it, else abandoned.
    """
    require(engine, "texlive-xetex" if engine == "xelatex" else "texlive-latex-base")
    if citations is not None:
        require("biber", "biber")
    work = tex_path.parent
    tex = tex_path.read_text(encoding="utf-8")
    runs = _Runs(work, engine, PreambleFormat(tex_path, tex, engine), timeout)
    log = tex_path.with_suffix(".log")
    unfinished = tex_path.with_suffix(".compiling")  # there while a compile runs: left by one that was killed
    head_start = _repair_passes(tex_path, tex, engine, citations, head_start, fresh, killed=unfinished.exists())
    unfinished.touch()
    begun_here = (head_start is None and citations is not None and engine == "pdflatex"
                  and (fresh or not _bbl_current(tex_path, citations)))
    if begun_here:
        # biber is to run first: the notes' pass runs its preamble meanwhile (a first build's longest part), and
        # reads the .aux and .bbl once fed
        head_start = HeadStart.before_document(tex_path, tex, runs.preamble.name if runs.preamble.ready() else None)
    else:
        runs.preamble.start_dump(timeout)  # beside the first pass: the next one (or the next build) starts from it
    try:
        bib_findings, bib_failure = (_prepare_bibliography(runs, tex_path, citations, fresh) if citations
                                     else ([], None))
        if begun_here:
            runs.preamble.start_dump(timeout)  # only now: first the citations pass and biber, which the notes await
        _passes(runs, tex_path, single_pass, (head_start, tex) if head_start is not None else None)
        if citations and runs.returncode == 0 and _biber_missed(tex_path):
            # cited outside the citations document (a \cite or \nocite{*} in raw LaTeX), or that document failed
            # where the notes do not: biber on the notes' own .bcf, as latexmk would
            bib_findings, bib_failure = _run_biber(runs, tex_path), None
            write_atomic(_BiberFiles(tex_path).keys, cited_keys(read_log(tex_path.with_suffix(".bcf"))))
            _passes(runs, tex_path, single_pass)
        runs.drop_biber_preload()  # the citations pass failed, and nothing ran biber after all
        # the preamble's dump, if it still runs, goes on without this build: it serves only the next one
    except BaseException as interrupted:  # timeout, Ctrl-C: never leave TeX running on its own
        if head_start is not None:
            head_start.abandon()  # when not fed yet
        runs.stop()
        unfinished.unlink(missing_ok=True)
        if not isinstance(interrupted, subprocess.TimeoutExpired):
            raise
        stopped = runs.log or log  # the citations document's, when that pass did not end; biber's
        if stopped.suffix == ".blg":
            raise CompileError(f"biber did not finish within {timeout:g} s; stopped it", None,
                               hint="a very large .bib file? the limit is compile_timeout in notes.yaml",
                               log_path=stopped) from None
        where = last_reached(read_log(stopped), SourceMap.from_tex(tex)) if stopped == log else None
        raise CompileError(f"LaTeX did not finish within {timeout:g} s (a macro that never ends?); stopped it",
                           where, hint=("look for a recursive definition near this line" if where else
                                        "look for a macro that calls itself (TeX's log names no line)")
                           + "; the limit is compile_timeout in notes.yaml", log_path=stopped) from None
    unfinished.unlink(missing_ok=True)
    source_map = SourceMap.from_tex(tex)
    report = parse_log(read_log(log), source_map, tex_path.name)
    pdf = tex_path.with_suffix(".pdf")
    if runs.returncode != 0 or report.errors or not pdf.exists():
        first = report.errors[0] if report.errors else Diagnostic(None, "error", "LaTeX failed (see the log)")
        if citations is not None:
            _blame_bibliography(first, citations.bib_files)
        raise CompileError(first.message, first.location, first.hint, diagnostics=report.errors[1:3], log_path=log)
    if bib_failure is not None:  # the citations alone failed where the notes did not: say so
        raise bib_failure
    report.warnings.extend(bib_findings)
    if report.missing_characters:
        char = report.missing_characters[0]
        raise CompileError(f"no loaded font has the character '{char}'", _find_char(source_map, char),
                           hint="choose a font that has it (template.cjk_main_font) or remove the character",
                           log_path=log)
    return CompileResult(pdf, log, runs.seconds(), report, report.warnings, runs.passes, runs.biber_runs,
                         runs.head_started, runs.beside_biber)


def _repair_passes(tex_path: Path, tex: str, engine: str, citations: Citations | None, head_start: HeadStart | None,
                   fresh: bool, killed: bool) -> HeadStart | None:
    """What earlier passes left, made fit for this compile's: forgotten with --force or after a compile that was
    killed (its .aux or .toc may be cut short), biblatex's lines taken out of the .aux when the notes no longer
    load biblatex (LaTeX would stop on them). `head_start`, if it fits and has read nothing that changes here;
    else it is abandoned (None), before anything rewrites what it read."""
    # the .aux as the last build left it (a head start that ran `\\begin{document}` has begun to rewrite it)
    aux = head_start.before(".aux") if head_start is not None else read_bytes_or_none(tex_path.with_suffix(".aux"))
    stale_citations = b"\\abx@aux@" in (aux or b"") and not _loads_biblatex(tex.split(BEGIN_DOCUMENT, 1)[0])
    if head_start is not None and (not head_start.fits(tex_path, tex, engine) or (
            head_start.read_document_start and (killed or fresh or stale_citations or (
                citations is not None and not _bbl_current(tex_path, citations))))):
        head_start.abandon()
        head_start = None
    if fresh or killed:
        forget_passes(tex_path)
    elif stale_citations:
        _seed_aux(tex_path, "")
    return head_start


def forget_passes(tex_path: Path) -> None:
    """After a failed build: what its passes left (a half-written .toc, a .bbl for other citations) must not
    feed the next build, which then starts as a first one."""
    biber = _BiberFiles(tex_path)
    for path in (*(tex_path.with_suffix(suffix) for suffix in (".aux", ".toc", ".out")),
                 biber.bbl, biber.digest, biber.seed, biber.keys):
        path.unlink(missing_ok=True)


class _Runs:
    """The processes of one compile: engine passes (from the precompiled preamble once it exists) and biber,
    within one time limit."""

    def __init__(self, work: Path, engine: str, preamble: PreambleFormat, timeout: float):
        self.work, self.engine_name, self.preamble = work, engine, preamble
        self.started = time.perf_counter()
        self.deadline = self.started + timeout
        self.process: subprocess.Popen | None = None
        self.returncode = 0
        self.passes = 0  # engine runs, the citations document's included
        self.biber_runs = 0
        self.head_started = False
        self.beside_biber = False
        self.biber_preload: _BiberPreload | None = None
        self.log: Path | None = None  # the log of what ran last (a pass's .log, biber's .blg)

    def left(self) -> float:
        return max(0.0, self.deadline - time.perf_counter())

    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def resume(self, head_start: HeadStart, tex: str) -> int:
        """The pass `head_start` began, given the rest of `tex`; else (it does not fit the pipe) an ordinary one."""
        if not head_start.feed(tex):
            return self.engine(head_start.tex_path)
        self.log = head_start.tex_path.with_suffix(".log")
        self.process = head_start.process
        try:
            self.process.communicate(timeout=max(1.0, self.left()))  # at once at the end (wait() would poll)
        finally:
            head_start.close()
        self.returncode = self.process.returncode
        self.process = None
        self.passes += 1
        self.head_started = head_start.early
        self.beside_biber = not head_start.early
        return self.returncode

    def engine(self, tex_path: Path, precompiled: bool = True) -> int:
        """One pass over `tex_path` (from the precompiled preamble, unless it has another); again without the
        precompiled preamble if that did not load."""
        self.preamble.adopt(self.left() if precompiled else 0.0)  # a dump done meanwhile serves this pass already
        fast = precompiled and self.preamble.ready()
        log = self.log = tex_path.with_suffix(".log")
        begun = time.time()  # the log's age is compared with the wall clock
        self._run([self.engine_name, *([f"-fmt={self.preamble.name}"] if fast else []), *ENGINE_FLAGS,
                   tex_path.name], self.preamble.environment() if fast else safe_tex_environment())
        if fast and self.returncode != 0 and (not log.exists() or log.stat().st_mtime < begun):
            # the engine stopped before reading the document: the format went away under it (another build
            # trimmed the cache) or does not load. Again without it; a broken format is made again next time
            self.preamble.forget()
            self._run([self.engine_name, *ENGINE_FLAGS, tex_path.name], safe_tex_environment())
        self.passes += 1
        return self.returncode

    def preload_biber(self) -> None:
        """Start loading biber's modules now, for a biber run after the pass that writes its .bcf."""
        if self.biber_preload is None:
            self.biber_preload = _BiberPreload.start(self.work)

    def drop_biber_preload(self) -> None:
        if self.biber_preload is not None:
            _stop(self.biber_preload.process)
            self.biber_preload = None

    def biber(self, tex_path: Path) -> int:
        self.log = tex_path.with_suffix(".blg")
        arguments = ["--noconf", tex_path.stem]
        preload, self.biber_preload = self.biber_preload, None
        if preload is None or not preload.ready():
            if preload is not None:
                _stop(preload.process)
            self._run(["biber", *arguments], safe_tex_environment())
        else:
            self.process = preload.process
            preload.process.communicate("\t".join(arguments).encode() + b"\n", timeout=max(1.0, self.left()))
            self.returncode = preload.process.returncode
            self.process = None
        self.biber_runs += 1
        return self.returncode

    def _run(self, command: list[str], environment: dict[str, str]) -> None:
        self.process = subprocess.Popen(command, cwd=self.work, env=environment, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self.process.communicate(timeout=max(1.0, self.left()))
        self.returncode = self.process.returncode
        self.process = None

    def stop(self) -> None:
        """Stop every process this compile started (an unused biber preload included)."""
        self.drop_biber_preload()
        self.preamble.stop()
        if self.process is not None:
            _stop(self.process)


class _BiberPreload:
    """biber is a Perl script where Debian installs it, and loading its modules is 0.3 s of its 0.5 s. So perl
    loads the modules the script `use`s while the citations pass runs, then reads biber's arguments from its
    standard input and runs the script itself, unchanged: the `use`s then only import what is loaded. Where biber
    is a packed binary (TeX Live's own), there is nothing to preload and biber simply runs."""

    _RUN = r"""
        my ($script, $warn, @modules) = @ARGV;
        -r $script or die "cannot read $script\n";  # before waiting: biber then runs as usual
        $^W = $warn;
        for my $module (@modules) { (my $file = "$module.pm") =~ s{::}{/}g; require $file; }
        my $line = <STDIN>;
        exit 0 unless defined $line;
        chomp $line;
        @ARGV = split /\t/, $line;
        $0 = $script;
        do $script;
        die $@ if $@;
        exit 0;
    """

    def __init__(self, process: subprocess.Popen):
        self.process = process

    @classmethod
    def start(cls, work: Path) -> _BiberPreload | None:
        script = shutil.which("biber")
        try:
            script = os.path.abspath(script) if script else None  # the perl process runs in the work folder
            text = Path(script).read_bytes()[:65536].decode("utf-8") if script else ""
        except (OSError, UnicodeDecodeError):  # a binary
            return None
        shebang = re.match(r"#!\s*(\S*perl\S*)(.*)", text)
        if shebang is None:
            return None
        modules = re.findall(r"^use\s+([A-Z][\w:]*)", text.split("\n__END__", 1)[0], re.M)
        command = [shebang.group(1), "-e", cls._RUN, script, "1" if "-w" in shebang.group(2) else "0", *modules]
        with contextlib.suppress(OSError):
            return cls(subprocess.Popen(command, cwd=work, env=safe_tex_environment(), stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True))
        return None

    def ready(self) -> bool:
        """Still waiting for its arguments (a module that failed to load has ended it: biber then runs as usual)."""
        return self.process.poll() is None


@dataclass(frozen=True)
class _BiberFiles:
    """Where one document's biber state lives in its work folder: the citations document, the .bbl, the digest
    of what it was made from, biblatex's .aux lines for the notes' pass, the keys biber read."""

    tex_path: Path

    @property
    def job(self) -> Path:
        return self.tex_path.with_name(f"{self.tex_path.stem}-citations.tex")

    @property
    def blg(self) -> Path:
        return self.job.with_suffix(".blg")

    @property
    def bbl(self) -> Path:
        return self.tex_path.with_suffix(".bbl")

    @property
    def digest(self) -> Path:
        return self.tex_path.with_suffix(".bbl-digest")

    @property
    def seed(self) -> Path:
        return self.tex_path.with_suffix(".bbl-aux")

    @property
    def keys(self) -> Path:
        return self.tex_path.with_suffix(".bbl-keys")

    def shared(self) -> dict[Path, str]:
        """What the user cache keeps of a biber run, with the suffix it keeps each under."""
        return {self.bbl: ".bbl", self.seed: ".aux", self.blg: ".blg", self.keys: ".keys"}

    def findings(self) -> list[Diagnostic]:
        """biber's own findings in the .blg of the run that made the .bbl, at the .bib lines."""
        return parse_blg(read_log(self.blg), self.tex_path.parent) if self.blg.exists() else []


def _prepare_bibliography(runs: _Runs, tex_path: Path, citations: Citations, fresh: bool = False
                          ) -> tuple[list[Diagnostic], CompileError | None]:
    """biber's .bbl before the notes' pass: biblatex writes the .bcf biber reads in any pass over the citations,
    so a short pass over the citations document does it instead of a whole pass of the notes. The .bbl is kept
    while the citations document and the .bib files are unchanged (a prose edit runs no biber), in the work
    folder and, by digest, in the user cache. Returns biber's findings, and the citations document's own error
    should the notes' pass not meet it. `fresh`: run biber whatever was kept (`notes build --force`)."""
    files = _BiberFiles(tex_path)
    if not fresh and _bbl_current(tex_path, citations):
        return files.findings(), None
    digest = citations.digest
    files.digest.unlink(missing_ok=True)
    shared = cache_dir() / "biber"
    if fresh or not _restore(shared, digest, files.shared()):  # else: the same citations, built in another folder
        runs.preload_biber()  # beside the citations pass
        job = files.job
        # the notes' preamble when it is precompiled (0.17 s); else only biblatex's part of it (0.33 s against 0.6 s
        # cold). Should that ever ask biber for something else than the notes do, _biber_missed sees it
        precompiled = citations.bare_tex is None or runs.preamble.ready()
        write_atomic(job, citations.tex if precompiled else citations.bare_tex)
        if runs.engine(job, precompiled) != 0:  # the notes' own pass meets the same problem, at the user's line
            report = parse_log(read_log(job.with_suffix(".log")), SourceMap.from_tex(citations.tex), job.name)
            first = report.errors[0] if report.errors else Diagnostic(None, "error", "LaTeX failed on the citations")
            return [], CompileError(f"{first.message} (while preparing the citations for biber)", None,
                                    "check the cited keys: letters, digits and - _ : . / only",
                                    log_path=job.with_suffix(".log"))
        job.with_suffix(".pdf").unlink(missing_ok=True)  # empty: the box is never printed
        _run_biber(runs, job)
        os.replace(job.with_suffix(".bbl"), files.bbl)
        write_atomic(files.seed, _after_biber(read_log(job.with_suffix(".aux"))))
        write_atomic(files.keys, cited_keys(read_log(job.with_suffix(".bcf"))))
        _keep(shared, digest, files.shared())
    _in_place(tex_path, digest)
    return files.findings(), None


def restore_citations(tex_path: Path, digest: str) -> list[Path] | None:
    """A new work folder: biber's results for the citations of `digest` from the user cache, put in place as
    `_prepare_bibliography` leaves them, so that a pass begun before rendering can run `\\begin{document}` (which
    reads the .bbl and .aux). The files written (none were there), or None, with nothing written, when the folder
    has its own or the cache has none."""
    files = _BiberFiles(tex_path)
    if files.digest.exists() or tex_path.with_suffix(".aux").exists():
        return None
    if not _restore(cache_dir() / "biber", digest, files.shared()):
        return None
    _in_place(tex_path, digest)
    return [*files.shared(), files.digest, tex_path.with_suffix(".aux")]


def _in_place(tex_path: Path, digest: str) -> None:
    """biber's run for the citations of `digest`, its files in the work folder, made the notes' own: biblatex's
    lines seeded into their .aux, and the digest recorded (which `_bbl_current` compares)."""
    files = _BiberFiles(tex_path)
    _seed_aux(tex_path, read_log(files.seed))
    write_atomic(files.digest, digest)


def _loads_biblatex(preamble: str) -> bool:
    """The preamble loads biblatex (comments aside): an .aux with its lines is then read by it."""
    return _BIBLATEX.search(_TEX_COMMENT.sub("", preamble)) is not None


def _bbl_current(tex_path: Path, citations: Citations) -> bool:
    """The .bbl in the work folder was made for these citations: `_prepare_bibliography` keeps it as it is."""
    files = _BiberFiles(tex_path)
    return files.bbl.exists() and read_bytes_or_none(files.digest) == citations.digest.encode()


def _restore(folder: Path, digest: str, files: dict[Path, str]) -> bool:
    """Copy a kept biber run's files into place; False when the cache does not have them all."""
    try:
        texts = {target: (folder / f"{digest}{suffix}").read_bytes() for target, suffix in files.items()}
    except OSError:
        return False
    for target, text in texts.items():
        replace_bytes(target, text)
    return True


def _keep(folder: Path, digest: str, files: dict[Path, str]) -> None:
    """Keep a biber run's files in the user cache by digest (the newest BIBER_RUNS_KEPT runs)."""
    try:
        for source, suffix in files.items():
            replace_bytes(folder / f"{digest}{suffix}", source.read_bytes())
    except OSError:
        return  # no writable cache: only the next new folder pays biber again
    keep_newest(folder, "*.bbl", BIBER_RUNS_KEPT, tuple(set(files.values())))


def _biber_missed(tex_path: Path) -> bool:
    """The notes' pass cited what the .bbl was not made for: biblatex asks for biber, or the notes' .bcf names
    other keys than the one biber read (`\\nocite{*}` added or removed in raw LaTeX, which biblatex does not
    notice)."""
    asked = _BIBER_REQUEST.search(read_log(tex_path.with_suffix(".log"))) is not None
    notes_keys = cited_keys(read_log(tex_path.with_suffix(".bcf")))
    return asked or notes_keys != read_log(_BiberFiles(tex_path).keys)


def _passes(runs: _Runs, tex_path: Path, single_pass: bool, head_start: tuple[HeadStart, str] | None = None
            ) -> None:
    """Passes over the notes until nothing asks for another (one for `single_pass`); the first is `head_start`'s
    (with the .tex's text) when given."""
    log, toc = tex_path.with_suffix(".log"), tex_path.with_suffix(".toc")
    for _ in range(1 if single_pass else MAX_PASSES):
        toc_before = read_bytes_or_none(toc)
        returncode = runs.resume(*head_start) if head_start else runs.engine(tex_path)
        head_start = None
        if returncode != 0 or not _needs_rerun(read_log(log), toc_before, read_bytes_or_none(toc)):
            return


def _run_biber(runs: _Runs, job: Path) -> list[Diagnostic]:
    """biber on `job`'s .bcf; its findings, or a CompileError with its first error at the user's .bib line."""
    runs.biber(job)
    blg = job.with_suffix(".blg")
    findings = parse_blg(read_log(blg), job.parent) if blg.exists() else []
    errors = [finding for finding in findings if finding.kind == "error"]
    if runs.returncode != 0 or errors or not job.with_suffix(".bbl").exists():
        first = errors[0] if errors else Diagnostic(None, "error", "biber failed (see its log)")
        raise CompileError(first.message, first.location, "biber could not read this entry; `notes lint` checks "
                           "the .bib files too", diagnostics=errors[1:3], log_path=blg)
    return findings


def _after_biber(aux: str) -> str:
    """biblatex's lines of the citations document's .aux, as the notes' pass should find them: its record of
    what was cited, plus the reference context of each entry, which biblatex records only in a pass after biber
    (it asks for a rerun when it finds none). Were this ever to differ from what biblatex writes, it would ask
    for a rerun, and get it: this only spares a pass."""
    lines = "".join(line + "\n" for line in aux.splitlines() if line.startswith("\\abx@aux@"))
    context = re.search(r"^\\abx@aux@refcontext\{(.*)\}$", aux, re.M)
    if context is None:
        return lines
    keys = dict.fromkeys(re.findall(r"^\\abx@aux@cite\{0\}\{(.*)\}$", aux, re.M))
    return lines + "".join(f"\\abx@aux@defaultrefcontext{{0}}{{{key}}}{{{context.group(1)}}}\n" for key in keys)


def _seed_aux(tex_path: Path, biblatex_lines: str) -> None:
    """The notes' .aux with biblatex's lines replaced by `biblatex_lines`; the others (hyperref's page labels
    under xelatex, for one) stay as the last pass wrote them, so that nothing else asks for a rerun."""
    aux = tex_path.with_suffix(".aux")
    kept = [line for line in read_log(aux).splitlines() if not line.startswith("\\abx@aux@")] if aux.exists() else []
    write_atomic(aux, "".join(line + "\n" for line in kept) + biblatex_lines)


_BCF_KEY = re.compile(r'<bcf:section number="(\d+)">|<bcf:citekey[^>]*>([^<]*)</bcf:citekey>')
_BCF_KEY_LINE = re.compile(r"^[ \t]*<bcf:citekey[^>]*>[^<]*</bcf:citekey>\n", re.M)


def cited_keys(bcf: str) -> str:
    """What a .bcf asks biber for: each reference section's keys in order (`*` for `\\nocite{*}`), and a digest
    of the rest (biblatex's options, data model, sorting), which a citations document without the notes' preamble
    must share with the notes. A key cited again (a table typesets its cells more than once) changes neither."""
    section, keys = "0", []
    for match in _BCF_KEY.finditer(bcf):
        if match.group(1) is not None:
            section = match.group(1)
        else:
            keys.append(f"{section} {match.group(2)}")
    keys.append("options " + hashlib.sha256(_BCF_KEY_LINE.sub("", bcf).encode()).hexdigest()[:16])
    return "\n".join(dict.fromkeys(keys))


def _needs_rerun(log: str, toc_before: bytes | None, toc_after: bytes | None) -> bool:
    """Another pass: the table of contents changed, or LaTeX or a package asks for one."""
    return toc_before != toc_after or _RERUN.search(log) is not None


def _stop(process: subprocess.Popen) -> None:
    """Interrupt TeX first (it then writes `! Interruption` and the line it was on to the log), then kill."""
    with contextlib.suppress(subprocess.TimeoutExpired, ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
        process.communicate(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def _blame_bibliography(error: Diagnostic, bib_files: list[Path]) -> None:
    """An undefined command the reference list typesets came from a .bib file (journal macros such as \\apj):
    the error is at its line there, not at the notes' last line, where the list is printed."""
    command = re.fullmatch(r"Undefined control sequence (\\[A-Za-z@]+)", error.message)
    if command is None:
        return
    used = re.compile(re.escape(command.group(1)) + r"(?![A-Za-z@])")
    for path in bib_files:
        for number, line in enumerate(read_log(path).splitlines(), start=1):
            if (found := used.search(line)) is not None:
                error.location = Location(path, number, found.start() + 1)
                error.hint = (f"the .bib file uses {command.group(1)}, which nothing defines: write the text itself, "
                              "or define it under `macros:` in notes.yaml (or the front matter)")
                return


def _find_char(source_map: SourceMap, char: str) -> Location | None:
    for path in dict.fromkeys(m[1] for m in source_map.markers):
        try:
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if char in line:
                    return Location(path, number, line.index(char) + 1)
        except OSError:
            continue
    return None
