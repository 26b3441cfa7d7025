"""The light half of `notes build`: options, result, output paths, and the manifest that answers "nothing changed".

A successful build records every input file (inventory.py lists them) with its size, time and digest in
`<work>/inputs.json`. A build whose inputs are all byte for byte the same reuses the last PDF without parsing,
rendering or running LaTeX, so this module imports only the configuration: the renderer, Markdown parser and TeX
driver (build.py) are loaded only when something changed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from notes_builder import __version__, plugins
from notes_builder.config import NotesConfig, load_config
from notes_builder.errors import Diagnostic, OutputError
from notes_builder.files import sha256_file, write_atomic

MANIFEST = "inputs.json"


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

    @property
    def notes_warnings(self) -> list[Diagnostic]:
        """The warnings about the notes themselves, printed by every build (LaTeX's only with -W)."""
        return self.warnings[:len(self.warnings) - len(self.latex_warnings)]


@dataclass
class BuildPlan:
    """The configuration and where a build of it writes."""

    config: NotesConfig
    work: Path  # .work-<output>/: where LaTeX runs, with the manifest
    tex_path: Path
    pdf_path: Path

    @property
    def manifest(self) -> Path:
        return self.work / MANIFEST


def build_dir(options: BuildOptions) -> Path:
    """The output folder, made if missing: a file, an unwritable or impossible place is one clear error."""
    out = Path(options.out_dir).resolve() if options.out_dir else Path.cwd() / "build"
    shown = options.out_dir or "build/"
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {shown} is a file, not a folder", hint="name a folder (it is made if missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot make the output folder {shown}: {exc.strerror}") from None
    if not os.access(out, os.W_OK):
        raise OutputError(f"the output folder {shown} is not writable", hint="choose another with --out DIR")
    return out


def plan_build(target: str | Path | None, options: BuildOptions) -> BuildPlan:
    """Read the configuration, make the output folder and run the plugins' pre-build checks (they check what the
    manifest does not list: training, the data and the training code)."""
    config = load_config(target, root=options.root)
    out = build_dir(options)
    plan = BuildPlan(config, out / f".work-{config.output}", out / f"{config.output}.tex", out / config.pdf_name)
    plugins.pre_build(config, options)
    return plan


def reuse_last_build(plan: BuildPlan, options: BuildOptions) -> BuildResult | None:
    """The last build's result when nothing it read changed (a PDF build only, not forced); None otherwise."""
    if not options.pdf or options.force or not plan.pdf_path.exists():
        return None
    remembered = read_unchanged(plan.manifest)
    if remembered is None:
        return None
    warnings, inputs = remembered
    return BuildResult(plan.pdf_path, plan.tex_path, plan.pdf_path, False, warnings, up_to_date=True, inputs=inputs)


def write_manifest(path: Path, files: set[Path], warnings: list[Diagnostic]) -> None:
    """The inputs of a successful build, and its render warnings, which a build from the manifest repeats."""
    try:  # a file whose size and time are as last recorded keeps its digest, as read_unchanged trusts them too
        before = json.loads(path.read_text()).get("files", {})
    except (OSError, ValueError):
        before = {}
    entries = {}
    for file in sorted(files):
        stat = file.stat()
        known = before.get(str(file))
        same = known is not None and known[:2] == [stat.st_size, stat.st_mtime_ns]
        entries[str(file)] = [stat.st_size, stat.st_mtime_ns, known[2] if same else sha256_file(file)]
    notes = [w.to_json() for w in warnings]
    write_atomic(path, json.dumps({"version": __version__, "files": entries, "warnings": notes}))


def read_unchanged(path: Path) -> tuple[list[Diagnostic], set[Path]] | None:
    """The render warnings and the inputs of the last successful build when every one of its inputs is still byte
    for byte the same; None otherwise."""
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("version") != __version__:
        return None
    files = manifest.get("files", {})
    for name, (size, mtime, sha) in files.items():
        try:
            stat = os.stat(name)
        except OSError:
            return None
        touched = (stat.st_size, stat.st_mtime_ns) != (size, mtime)
        if touched and (stat.st_size != size or sha256_file(Path(name)) != sha):
            return None
    try:
        return [Diagnostic.from_json(w) for w in manifest.get("warnings", [])], {Path(name) for name in files}
    except (KeyError, TypeError):  # written in another form: build again
        return None
