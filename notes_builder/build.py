"""`notes build`: gather, check, render, then write (the mkdocs order), reusing what has not changed.

The light halves run first: manifest.py (options, the order of a build, the record of the last build and its
manifest: "nothing changed" without reading notes.yaml), then plan.py (notes.yaml and where the build writes).
This module, with the Markdown parser, the renderer and the TeX driver, is loaded when something changed. The
build folder holds the published `<output>.pdf` and `<output>.tex`, and a work folder `.work-<output>/` where
LaTeX runs (aux files, copied figures, the precompiled preamble). Two caches keep rebuilds cheap: a manifest of
every input file of the last successful build (nothing changed: no parsing, no rendering, no LaTeX), and a digest
of the generated LaTeX and figures (a change that does not reach the PDF, e.g. in a comment: no LaTeX run).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

from notes_builder.compile import Citations, compile_tex, forget_passes
from notes_builder.config import NotesConfig, TemplateOptions
from notes_builder.content import load_document
from notes_builder.errors import CompileError, Location, NotesError
from notes_builder.files import publish, sha256_file, write_atomic
from notes_builder.headstart import HeadStart
from notes_builder.inventory import build_inputs
from notes_builder.lint import check_document
from notes_builder.manifest import MANIFEST, BuildOptions, BuildResult, run_build, write_manifest
from notes_builder.plan import BuildPlan, plan_and_reuse
from notes_builder.render import RenderResult, convert_svg, render_document

__all__ = ["BuildOptions", "BuildResult", "build_notes", "build_stale"]


def _digest(tex: str, assets: dict[str, Path], engine: str) -> str:
    hasher = hashlib.sha256(engine.encode())
    hasher.update(tex.encode())
    for name, path in sorted(assets.items()):
        hasher.update(name.encode())
        hasher.update(bytes.fromhex(sha256_file(path)))
    return hasher.hexdigest()


def _stage_assets(work: Path, assets: dict[str, Path]) -> None:
    """Figures are copied into the work folder: TeX may read nothing outside it (openin_any=p).

    A staged copy carries its source's modification time, so any other time (older included: `cp -p`,
    `rsync -t`) means the figure was replaced. A converted SVG's size differs from its source's by nature.
    """
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
    """`notes build`: reuse the last build when nothing it read changed, else render (and compile)."""
    return run_build(target, options, plan_and_reuse, build_stale)


def build_stale(plan: BuildPlan, options: BuildOptions, head_start: HeadStart | None = None, began: int = 0
                ) -> BuildResult:
    """Parse, lint, render and write; compile unless the generated LaTeX and figures are unchanged (the compile
    takes `head_start`, LaTeX's first pass already begun, when it fits). `began`: when the build began, before
    notes.yaml was read (time.time_ns(); write_manifest records what changed since as unseen)."""
    began = began or time.time_ns()
    document = load_document(config=plan.config)
    lint_warnings = check_document(document)
    rendered = render_document(document)
    rendered.warnings[:0] = lint_warnings
    try:
        return _write_outputs(plan.config, options, rendered, plan.work, plan.tex_path, plan.pdf_path, head_start,
                              began)
    except NotesError as error:  # what the notes were warned about is still reported, before the error
        error.warnings = [*rendered.warnings, *error.warnings]
        raise


def _write_outputs(config: NotesConfig, options: BuildOptions, rendered: RenderResult, work: Path, tex_path: Path,
                   pdf_path: Path, head_start: HeadStart | None = None, began: int = 0) -> BuildResult:
    """Write the .tex; compile the PDF unless the generated LaTeX and figures are unchanged."""
    inputs = build_inputs(config, rendered.inputs)
    work.mkdir(parents=True, exist_ok=True)
    write_atomic(tex_path, rendered.tex)
    if not options.pdf:
        return BuildResult(tex_path, tex_path, None, False, rendered.warnings, inputs=inputs)

    digest = _digest(rendered.tex, rendered.assets, config.template.engine)
    stamp = work / "build-digest.json"
    if not options.force and pdf_path.exists() and stamp.exists():
        try:
            if json.loads(stamp.read_text())["digest"] == digest:
                write_manifest(work / MANIFEST, config.source, inputs, rendered.warnings, began)
                return BuildResult(pdf_path, tex_path, pdf_path, False, rendered.warnings, up_to_date=True,
                                   inputs=inputs)
        except (ValueError, KeyError):
            pass
    _stage_assets(work, rendered.assets)
    work_tex = work / tex_path.name
    if not work_tex.exists() or work_tex.read_text(encoding="utf-8") != rendered.tex:
        write_atomic(work_tex, rendered.tex)
    citations = None
    if rendered.citations_tex is not None and rendered.model is not None:
        citations = Citations(rendered.citations_tex, [work / name for name in rendered.model.bibliography],
                              rendered.bare_citations_tex)
    try:
        result = compile_tex(work_tex, config.template.engine, config.compile_timeout,
                             single_pass=not (config.template.toc or citations), citations=citations,
                             fresh=options.force, head_start=head_start)
    except CompileError as error:
        forget_passes(work_tex)
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
    if config.template.engine == "pdflatex":
        # for a first build of these notes in another folder
        HeadStart.remember(config.source, rendered.tex, citations.digest if citations is not None else None)
    write_atomic(stamp, json.dumps({"digest": digest}))
    write_manifest(work / MANIFEST, config.source, inputs, rendered.warnings, began)
    return BuildResult(pdf_path, tex_path, pdf_path, True, warnings, result.seconds,
                       latex_warnings=result.warnings, overfull=result.report.overfull, inputs=inputs,
                       passes=result.passes, biber_runs=result.biber_runs, head_started=result.head_started,
                       beside_biber=result.beside_biber)
