"""The light half of `notes build`: options, result, and the manifest that answers "nothing changed".

A successful build records every input file (inventory.py lists them, notes.yaml and what plugins check among
them) with its size, time and digest in `<work>/inputs.json`. A build whose inputs are all byte for byte the same
reuses the last PDF without parsing, rendering or running LaTeX. The output folder also remembers which work
folder a build of the same notes (same command line, folder and NOTES_* settings) used last, so that a no-op
does not even read notes.yaml: this module imports neither the configuration nor YAML (plan.py does, when the
record does not answer).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat as stat_module
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notes_builder import __version__
from notes_builder.errors import Diagnostic
from notes_builder.files import sha256_file, write_atomic

if TYPE_CHECKING:
    from notes_builder.headstart import HeadStart

MANIFEST = "inputs.json"
FOLDER = "folder"  # a manifest entry for a folder (its time only) instead of a file's digest
LAST_BUILDS = ".notes-last-builds.json"  # in the output folder: which work folder a command line last used
_KEEP_LAST = 16


@dataclass
class BuildOptions:
    pdf: bool = False
    out_dir: str | Path | None = None
    force: bool = False
    strict: bool = False
    show_warnings: bool = False
    retrain: bool = False  # training plugin: retrain when the recorded results are stale
    quiet: bool = False
    root: str | Path | None = None  # --root: the project root (config.find_project_root)


@dataclass
class BuildResult:
    """What a build made and found; the command line prints it (build_notes prints nothing)."""

    output_path: Path
    tex_path: Path
    pdf_path: Path | None
    compiled: bool  # False when the cache said nothing changed
    warnings: list[Diagnostic] = field(default_factory=list)  # the notes' (config, lint, render), then LaTeX's
    seconds: float = 0.0
    up_to_date: bool = False  # a cache said nothing changed since the last build
    latex_warnings: list[Diagnostic] = field(default_factory=list)  # LaTeX's, also at the end of `warnings`
    overfull: int = 0  # overfull boxes among LaTeX's warnings
    inputs: set[Path] = field(default_factory=set)  # every file the build read (inventory.build_inputs)
    passes: int = 0  # LaTeX runs, the citations document's included (compile.py)
    biber_runs: int = 0
    head_started: bool = False  # the first pass was begun before the .tex was written (headstart.py)
    beside_biber: bool = False  # the notes' pass ran its preamble while biber prepared the citations

    @property
    def notes_warnings(self) -> list[Diagnostic]:
        """The warnings about the notes themselves, printed by every build (LaTeX's only with -W)."""
        return self.warnings[:len(self.warnings) - len(self.latex_warnings)]


def write_manifest(path: Path, notes: Path, files: set[Path], warnings: list[Diagnostic], began: int = 0) -> None:
    """The inputs of a successful build of `notes` (its notes.yaml or Markdown file), and its render warnings,
    which a build from the manifest repeats. A file changed after the build `began` (time.time_ns(): saved while it
    ran) is recorded as never seen, so that the next build does not take the PDF for one of its new text."""
    try:  # a file whose size and time are as last recorded keeps its digest, as read_unchanged trusts them too
        before = json.loads(path.read_text()).get("files", {})
    except (OSError, ValueError):
        before = {}
    entries = {}
    for file in sorted(files):
        stat = file.stat()
        if began and stat.st_mtime_ns > began:
            entries[str(file)] = [stat.st_size, -1, ""]
            continue
        if stat_module.S_ISDIR(stat.st_mode):  # a folder of templates: a file added to it changes its time
            entries[str(file)] = [0, stat.st_mtime_ns, FOLDER]
            continue
        known = before.get(str(file))
        same = known is not None and known[:2] == [stat.st_size, stat.st_mtime_ns]
        entries[str(file)] = [stat.st_size, stat.st_mtime_ns, known[2] if same else sha256_file(file)]
    write_atomic(path, json.dumps({"version": __version__, "notes": str(notes), "files": entries,
                                   "warnings": [w.to_json() for w in warnings]}))


def read_unchanged(path: Path, notes: str) -> tuple[list[Diagnostic], set[Path]] | None:
    """The render warnings and the inputs of the last successful build when it built `notes` and every one of its
    inputs is still byte for byte the same; None otherwise (other notes with the same output name built since)."""
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("version") != __version__ or manifest.get("notes") != notes:
        return None
    files = manifest.get("files", {})
    for name, (size, mtime, sha) in files.items():
        try:
            stat = os.stat(name)
        except OSError:
            return None
        if sha == FOLDER:
            if stat.st_mtime_ns != mtime:
                return None
            continue
        touched = (stat.st_size, stat.st_mtime_ns) != (size, mtime)
        if touched and (stat.st_size != size or sha256_file(Path(name)) != sha):
            return None
    try:
        return [Diagnostic.from_json(w) for w in manifest.get("warnings", [])], {Path(name) for name in files}
    except (KeyError, TypeError):  # written in another form: build again
        return None


def output_folder(options: BuildOptions) -> Path:
    """Where a build writes (`--out`, else build/ in the current folder); made and checked by plan.build_dir."""
    return Path(options.out_dir).resolve() if options.out_dir else Path.cwd() / "build"


def _command_key(target: str | Path | None, options: BuildOptions) -> str:
    """What decides which notes a command line builds: the folder it runs in, the notes, --root, and the NOTES_*
    settings (a plugin's, such as the training data's path)."""
    settings = sorted((k, v) for k, v in os.environ.items() if k.startswith("NOTES_"))
    return json.dumps([os.getcwd(), str(target) if target is not None else None,
                       str(options.root) if options.root is not None else None, settings])


def remember_build(target: str | Path | None, options: BuildOptions, notes: Path, work: Path,
                   result: BuildResult) -> None:
    """Note in the output folder which notes (their notes.yaml or Markdown file), work folder and files this
    command line's build used."""
    record = output_folder(options) / LAST_BUILDS
    try:
        known = json.loads(record.read_text())
    except (OSError, ValueError):
        known = {}
    if not isinstance(known, dict):
        known = {}
    key = _command_key(target, options)
    known.pop(key, None)
    known[key] = {"notes": str(notes), "work": str(work), "tex": str(result.tex_path), "pdf": str(result.pdf_path)}
    with contextlib.suppress(OSError):  # an unwritable folder only loses the shortcut
        write_atomic(record, json.dumps(dict(list(known.items())[-_KEEP_LAST:])))


@dataclass(frozen=True)
class LastBuild:
    """The record of this command line's last build (see remember_build)."""

    notes: str
    work: Path
    tex_path: Path
    pdf_path: Path


def last_build(target: str | Path | None, options: BuildOptions) -> LastBuild | None:
    """The last PDF build of this command line, found without reading the configuration; None when there is no
    record of one or it does not count (`--force`, no `--pdf`)."""
    if not options.pdf or options.force:
        return None
    try:
        last = json.loads((output_folder(options) / LAST_BUILDS).read_text())[_command_key(target, options)]
        return LastBuild(str(last["notes"]), Path(last["work"]), Path(last["tex"]), Path(last["pdf"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def reuse_unchanged(options: BuildOptions, notes: str, work: Path, tex_path: Path, pdf_path: Path
                    ) -> BuildResult | None:
    """The last build's result when it built `notes` into `work` and nothing it read changed (a PDF build only,
    not forced); None otherwise."""
    if not options.pdf or options.force or not pdf_path.exists():
        return None
    remembered = read_unchanged(work / MANIFEST, notes)
    if remembered is None:
        return None
    warnings, inputs = remembered
    return BuildResult(pdf_path, tex_path, pdf_path, False, warnings, up_to_date=True, inputs=inputs)


def run_build(target: str | Path | None, options: BuildOptions,
              plan_and_reuse: Callable[[str | Path | None, BuildOptions], tuple[Any, BuildResult | None]],
              build_stale: Callable[[Any, BuildOptions, HeadStart | None, int], BuildResult]) -> BuildResult:
    """The order of every build: the record of the last one (no notes.yaml read), else the plan and its
    manifest, else a real build. The heavier halves are passed in, so that the command line loads them only
    when it needs them (plan.plan_and_reuse, build.build_stale). When the last build's record does not answer,
    LaTeX's first pass is begun on its .tex at once (headstart.py): the compile takes it if the preamble is
    still the same, and it is abandoned otherwise."""
    began = time.time_ns()  # before anything is read: a file saved from now on may not be in this build
    last = last_build(target, options)
    with contextlib.ExitStack() as locks:
        if last is not None:
            locks.enter_context(_building(last.work))
        result = reuse_unchanged(options, last.notes, last.work, last.tex_path, last.pdf_path) if last else None
        if result is None:
            from notes_builder.headstart import HeadStart  # here: a no-op needs none of its imports

            head_start = HeadStart.begin(last.work / last.tex_path.name) if last else None
            try:
                plan, result = plan_and_reuse(target, options)
                if result is None and (last is None or plan.work != last.work):
                    locks.enter_context(_building(plan.work))
                    result = reuse_unchanged(options, str(plan.config.source), plan.work, plan.tex_path,
                                             plan.pdf_path)  # what a build finished meanwhile made
                if result is None and head_start is None and options.pdf:
                    head_start = _guessed_head_start(plan)
                result = result or build_stale(plan, options, head_start, began)
            finally:
                if head_start is not None:
                    head_start.abandon()  # not taken: nothing changed after all, an error, another preamble
            if result.pdf_path is not None:
                remember_build(target, options, plan.config.source, plan.work, result)
    return result


def _guessed_head_start(plan: Any) -> HeadStart | None:
    """Nothing built in this folder yet: a pass begun on the preamble these notes had elsewhere, if precompiled."""
    if plan.config.template.engine != "pdflatex":
        return None
    from notes_builder.compile import restore_citations  # deliberate: the build imports it next anyway
    from notes_builder.headstart import HeadStart

    tex_path = plan.work / plan.tex_path.name
    return HeadStart.guess(tex_path, plan.config.source, lambda digest: restore_citations(tex_path, digest))


@contextlib.contextmanager
def _building(work: Path) -> Iterator[None]:
    """One build at a time in a work folder (`notes watch` and a `notes build` of the same notes): the second
    waits for the first, then finds its result. POSIX (flock); elsewhere builds are not serialised."""
    try:
        import fcntl

        work.mkdir(parents=True, exist_ok=True)
        handle = open(work / ".lock", "a")  # noqa: SIM115 - held for the block
    except (ImportError, OSError):  # no locks here, or an unwritable folder (the build reports that)
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
