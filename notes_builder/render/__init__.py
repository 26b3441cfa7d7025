"""Render stage, in two steps: resolve (parsed notes -> the format-neutral document model, with every check) and a
writer (model -> one output format, its markup in Jinja templates). The build renders LaTeX:

    model = resolve(document, *load_metrics(document.config))
    tex = LatexWriter(model, config.template_dir).write()

Modules, in the order data flows: characters, mathforms, placeholders, assets (helpers of resolve) -> model ->
resolve -> writers (base, latex, text). No module imports one of a later stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from notes_builder.content import Document
from notes_builder.errors import Location, TemplateError
from notes_builder.gcpause import no_collection_pauses
from notes_builder.render.assets import convert_svg, svg_as_pdf
from notes_builder.render.mathforms import as_latex_reads
from notes_builder.render.model import Label, NotesDocument
from notes_builder.render.placeholders import load_metrics
from notes_builder.render.resolve import Resolver, resolve
from notes_builder.render.writers.latex import LatexWriter
from notes_builder.tex.chars import escape_code, escape_latex

__all__ = ["RenderResult", "as_latex_reads", "convert_svg", "escape_code", "escape_latex", "load_metrics",
           "render_document", "render_preamble", "resolve", "svg_as_pdf"]


@dataclass
class RenderResult:
    tex: str
    assets: dict[str, Path] = field(default_factory=dict)  # name in the build folder -> source file
    warnings: list = field(default_factory=list)
    references: dict[str, Label] = field(default_factory=dict)
    inputs: set[Path] = field(default_factory=set)  # files read besides notes.yaml and the sections
    model: NotesDocument | None = None
    citations_tex: str | None = None  # for notes that cite: what biber needs compiled (see compile.py)
    bare_citations_tex: str | None = None  # the same without the notes' preamble, when that cannot concern biber


def render_document(document: Document) -> RenderResult:
    """The notes as one LaTeX document: resolve, then the LaTeX writer."""
    metrics, why = load_metrics(document.config)
    try:
        with no_collection_pauses():
            model = resolve(document, metrics, why)
            writer = LatexWriter(model, document.config.template_dir)
            tex = writer.write()
            citations_tex = writer.citations_document(tex) if model.bibliography else None
            bare_citations_tex = writer.citations_document(tex, bare=True) if model.bibliography else None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax error: {exc.message}",
                            Location(Path(exc.filename or exc.name or "template"), exc.lineno)) from None
    except jinja2.TemplateError as exc:  # e.g. an undefined variable used by an overriding template
        raise TemplateError(f"template error: {exc}", _template_frame(exc)) from None
    return RenderResult(tex, model.assets, model.warnings, model.labels, model.inputs, model, citations_tex,
                        bare_citations_tex)


def render_preamble(document: Document) -> str:
    """The document's real preamble (for `notes lint --compile`): everything before \\begin{document}."""
    model = Resolver(document, metrics=None).model([])  # the preamble quotes no results
    return LatexWriter(model, document.config.template_dir).preamble()


def _template_frame(exc: BaseException) -> Location | None:
    """The innermost template file and line in a Jinja traceback."""
    tb = exc.__traceback__
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = Location(Path(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found
