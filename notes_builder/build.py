"""`notes build`: gather, check, render, then write (the mkdocs order), reusing what has not changed.

The build folder holds the published `<output>.pdf` and `<output>.tex`, and a work folder
`.work-<output>/` where LaTeX runs (aux files, copied figures, the precompiled preamble). Two caches
keep rebuilds cheap: a manifest of every input file of the last successful build (nothing changed: no
parsing, no rendering, no LaTeX), and a digest of the generated LaTeX and figures (a change that does
not reach the PDF, e.g. in a comment: no LaTeX run).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from notes_builder import __version__, plugins
from notes_builder.config import NotesConfig, TemplateOptions, load_config, templates_dir
from notes_builder.errors import CompileError, Diagnostic, Location, NotesError, OutputError
from notes_builder.files import files_below, publish, sha256_file, write_atomic

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

    @property
    def notes_warnings(self) -> list[Diagnostic]:
        """The warnings about the notes themselves, printed by every build (LaTeX's only with -W)."""
        return self.warnings[:len(self.warnings) - len(self.latex_warnings)]


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


def _digest(tex: str, assets: dict[str, Path], engine: str) -> str:
    hasher = hashlib.sha256(engine.encode())
    hasher.update(tex.encode())
    for name, path in sorted(assets.items()):
        hasher.update(name.encode())
        hasher.update(bytes.fromhex(sha256_file(path)))
    return hasher.hexdigest()


def _input_files(config: NotesConfig, rendered) -> set[Path]:
    """Everything a build reads: config, sections, includes, figures, templates, recorded results."""
    files = {config.source, *config.sections, *rendered.inputs}
    for folder in filter(None, [templates_dir(), config.template_dir]):
        files.update(files_below(folder))
    files.update(p for p in (config.results_dir / "metrics.json", config.results_dir / "freeze.json") if p.exists())
    return files


def _write_manifest(path: Path, files: set[Path], warnings: list[Diagnostic]) -> None:
    """The inputs of a successful build, and its render warnings, which a build from the manifest repeats."""
    try:  # a file whose size and time are as last recorded keeps its digest, as _unchanged trusts them too
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


def _unchanged(path: Path) -> list[Diagnostic] | None:
    """The render warnings of the last successful build when every one of its inputs is still byte for byte
    the same; None otherwise."""
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("version") != __version__:
        return None
    for name, (size, mtime, sha) in manifest.get("files", {}).items():
        try:
            stat = os.stat(name)
        except OSError:
            return None
        touched = (stat.st_size, stat.st_mtime_ns) != (size, mtime)
        if touched and (stat.st_size != size or sha256_file(Path(name)) != sha):
            return None
    try:
        return [Diagnostic.from_json(w) for w in manifest.get("warnings", [])]
    except (KeyError, TypeError):  # written in another form: build again
        return None


def _stage_assets(work: Path, assets: dict[str, Path]) -> None:
    """Figures are copied into the work folder: TeX may read nothing outside it (openin_any=p).

    A staged copy carries its source's modification time, so any other time (older included: `cp -p`,
    `rsync -t`) means the figure was replaced. A converted SVG's size differs from its source's by nature.
    """
    from notes_builder.render import convert_svg

    for name, source in assets.items():
        target = work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        wanted = source.stat()
        converted = source.suffix.lower() == ".svg"
        try:
            staged = target.stat()
        except FileNotFoundError:
            staged = None
        if staged is not None and staged.st_mtime_ns == wanted.st_mtime_ns \
                and (converted or staged.st_size == wanted.st_size):
            continue
        if converted:
            convert_svg(source, target)
        else:
            publish(source, target)
        os.utime(target, ns=(wanted.st_atime_ns, wanted.st_mtime_ns))


def _in_user_files(problems: list, work: Path, assets: dict[str, Path]) -> None:
    """A finding at a file staged into the work folder (biber's, at a .bib line) is at the user's own file."""
    for problem in problems:
        where = problem.location
        if where is None or not where.path.is_relative_to(work):
            continue
        source = assets.get(where.path.relative_to(work).as_posix())
        if source is not None:
            problem.location = Location(source, where.line, where.column)


def _locate_in_notes_yaml(error: CompileError, config: NotesConfig) -> None:
    """A missing .sty or font, or a macro name LaTeX already has, is the user's line in notes.yaml, not the
    log's."""
    for index, package in enumerate(config.template.packages):
        if f"'{package}.sty' not found" in error.message:
            error.location = config.location_of("template", "packages", index)
    clash = re.search(r"Command \\(\w+) already defined", error.message)
    if error.location is None and clash and clash.group(1) in config.macros:
        name = clash.group(1)
        written = next((key for key in (name, "\\" + name) if ("macros", key) in config.positions), name)
        error.location = config.location_of("macros", written, key=True)
        error.message = f"macro \\{name} would replace a command LaTeX or a package already defines"
        error.hint = f"pick another name for it, e.g. \\my{name}"
    font = config.template.cjk_main_font
    if error.location is None and f'The font "{font}" cannot be found' in error.message:
        error.location = config.location_of("template", "cjk_main_font")
        error.hint = (f"name a font that `fc-list : family` lists (`notes doctor` checks it); the default, "
                      f"{TemplateOptions().cjk_main_font}, comes with Debian's fonts-arphic-uming")


def build_notes(target: str | Path | None, options: BuildOptions) -> BuildResult:
    config = load_config(target, root=options.root)
    out = build_dir(options)
    work = out / f".work-{config.output}"
    pdf_path = out / config.pdf_name
    tex_path = out / f"{config.output}.tex"
    # before the manifest: plugins check what it does not list (training: the data and the training code)
    plugins.pre_build(config, options)
    remembered = _unchanged(work / MANIFEST) if options.pdf and not options.force and pdf_path.exists() else None
    if remembered is not None:
        return BuildResult(pdf_path, tex_path, pdf_path, False, remembered, up_to_date=True)

    from notes_builder.content import load_document
    from notes_builder.lint import check_document
    from notes_builder.render import render_document

    document = load_document(config=config)
    lint_warnings = check_document(document)
    rendered = render_document(document)
    rendered.warnings[:0] = lint_warnings
    try:
        return _write_outputs(config, options, rendered, work, tex_path, pdf_path)
    except NotesError as error:  # what the notes were warned about is still reported, before the error
        error.warnings = [*rendered.warnings, *error.warnings]
        raise


def _write_outputs(config: NotesConfig, options: BuildOptions, rendered, work: Path, tex_path: Path,
                   pdf_path: Path) -> BuildResult:
    """Write the .tex; compile the PDF unless the generated LaTeX and figures are unchanged."""
    from notes_builder.compile import compile_tex

    work.mkdir(parents=True, exist_ok=True)
    write_atomic(tex_path, rendered.tex)
    if not options.pdf:
        return BuildResult(tex_path, tex_path, None, False, rendered.warnings)

    digest = _digest(rendered.tex, rendered.assets, config.template.engine)
    stamp = work / "build-digest.json"
    if not options.force and pdf_path.exists() and stamp.exists():
        try:
            if json.loads(stamp.read_text())["digest"] == digest:
                _write_manifest(work / MANIFEST, _input_files(config, rendered), rendered.warnings)
                return BuildResult(pdf_path, tex_path, pdf_path, False, rendered.warnings, up_to_date=True)
        except (ValueError, KeyError):
            pass
    _stage_assets(work, rendered.assets)
    work_tex = work / tex_path.name
    if not work_tex.exists() or work_tex.read_text(encoding="utf-8") != rendered.tex:
        write_atomic(work_tex, rendered.tex)
    cites = bool(rendered.model and rendered.model.bibliography)  # biber and reruns: latexmk decides them
    if config.template.toc:  # a table of contents from an earlier build's .toc/.aux could outlive its headings
        for stale in (work_tex.with_suffix(".aux"), work_tex.with_suffix(".toc"), work_tex.with_suffix(".out")):
            stale.unlink(missing_ok=True)
    try:
        result = compile_tex(work_tex, config.template.engine, config.compile_timeout,
                             single_pass=not (config.template.toc or cites))
    except CompileError as error:
        _locate_in_notes_yaml(error, config)
        _in_user_files([error, *error.diagnostics], work, rendered.assets)
        if pdf_path.exists():
            error.hint = (error.hint + "; " if error.hint else "") + f"the previous PDF was kept: {pdf_path}"
        raise
    _in_user_files(result.warnings, work, rendered.assets)
    warnings = rendered.warnings + result.warnings
    if options.strict and result.warnings:
        first = result.warnings[0]
        raise CompileError(f"{len(result.warnings)} LaTeX warning(s) with --strict; first: {first.message}",
                           first.location, diagnostics=result.warnings[1:5], log_path=result.log)
    publish(result.pdf, pdf_path)
    write_atomic(stamp, json.dumps({"digest": digest}))
    _write_manifest(work / MANIFEST, _input_files(config, rendered), rendered.warnings)
    return BuildResult(pdf_path, tex_path, pdf_path, True, warnings, result.seconds,
                       latex_warnings=result.warnings, overfull=result.report.overfull)
