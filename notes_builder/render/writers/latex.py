"""The LaTeX writer: the document model as one LaTeX document, through templates/notes.tex.j2 and the element macros
of templates/elements.tex.j2 (a project's template.directory may restyle any of them).

Prose is escaped here (escape_latex, as nbconvert does); math passes through untouched. Equation, figure and section
numbers (settled by resolve) are written after the preamble, so `\\eqref`/`\\ref` resolve in a single pdflatex pass
(no .aux round trip). Code is highlighted by Pygments' LaTeX formatter, cached on disk.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

import jinja2
from pygments import __version__ as pygments_version
from pygments import highlight
from pygments.formatters import LatexFormatter
from pygments.lexers import get_lexer_by_name

from notes_builder.errors import Location
from notes_builder.files import write_atomic
from notes_builder.places import cache_dir
from notes_builder.render import model as m
from notes_builder.render.characters import unicode_declarations
from notes_builder.render.writers.base import Writer, template_environment
from notes_builder.tex.chars import escape_code, escape_latex, tex_url

WIDE_TABLE = 90  # a row longer than this many characters of LaTeX: wrapping columns (tabularx)


def latex_environment(override: Path | None = None) -> jinja2.Environment:
    env = template_environment(override)
    env.filters.update(escape_latex=escape_latex, escape_code=escape_code, tex_url=tex_url)
    return env


def highlight_cache() -> Path:
    return cache_dir() / "highlight"


class LatexWriter(Writer):
    elements = "elements.tex.j2"
    document_template = "notes.tex.j2"

    def __init__(self, document: m.NotesDocument, override: Path | None = None):
        super().__init__(latex_environment(override), document)
        self.override = override
        self.citations: list[str] = []  # each citation as written, in order: the citations document's body
        self.bare_citations: list[str] = []  # the same without their notes, for the bare citations document

    def citation(self, node: m.Citation, notes: bool = True) -> str:
        written = super().citation(node, notes)
        self.citations.append(written)
        self.bare_citations.append(super().citation(node, notes=False))
        return written

    def citations_document(self, tex: str, bare: bool = False) -> str | None:
        """What biber needs written, for notes that cite (after `write`): their preamble, every citation and the
        reference list, and nothing to typeset (see compile.py). `bare`: with only biblatex's part of the preamble
        (None when the notes' preamble has more that may concern it: a template folder, template.packages)."""
        if bare and (self.override is not None or self.document.template["packages"]):
            return None
        context = self.context("")
        context.update(preamble=tex.split("\\begin{document}", 1)[0], reference_list=self.macros["bibliography"](),
                       citations=self.bare_citations if bare else self.citations, bare=bare)
        return self.env.get_template("citations.tex.j2").render(context)

    def escape(self, text: str) -> str:
        return escape_latex(text)

    def located(self, location: Location) -> str:
        """A TeX comment naming the user's file and line, so compile errors map back (see compile.py)."""
        return f"%NB@{location.path}:{location.line}\n"

    def wide(self, header: list[str], rows: list[list[str]]) -> bool:
        """Long rows get wrapping columns; the length counts the `{}` that guards a cell opening with `[`."""
        return max((sum(len(cell) + 2 * cell.startswith("[") for cell in row) for row in [header, *rows]),
                   default=0) > WIDE_TABLE

    def highlighted(self, node: m.CodeBlock) -> str:
        """Pygments LaTeX for a code block, cached on disk: building a lexer's regexes costs more than a
        whole rebuild's rendering, and code rarely changes between edits."""
        style, language, code = self.document.code_style, node.language, node.code
        # "v2": entries of unknown languages are no longer stored; older caches may hold some.
        key = hashlib.sha256(f"v2|{pygments_version}|{style}|{language}|{code}".encode()).hexdigest()
        cached = highlight_cache() / f"{key}.tex"
        if cached.exists():
            return cached.read_text(encoding="utf-8")
        lexer = get_lexer_by_name(language if language and node.known else "text")
        formatter = LatexFormatter(style=style, nowrap=True, commandprefix="PYG")
        result = highlight(code, lexer, formatter).rstrip("\n")
        if node.known:  # not cached, so that every build warns again (unknown languages are rare)
            with contextlib.suppress(OSError):  # a read-only home only loses the cache
                write_atomic(cached, result)
        return result

    def body(self) -> str:
        body = super().body()
        document = self.document
        if document.missing_glyphs or document.substitutes:  # replaced in the output, not declared: CJKutf8 reads
            # 4-byte characters itself
            missing = self.macros["missing_glyph"]
            body = body.translate({**{ord(char): missing(f"U+{ord(char):04X}") for char in document.missing_glyphs},
                                   **{ord(char): same for char, same in document.substitutes.items()}})
        return body

    def context(self, body: str) -> dict[str, Any]:
        document = self.document
        return {
            "title": escape_latex(document.title), "author": escape_latex(document.author),
            "date": escape_latex(document.date), "options": document.template,
            "engine": document.template["engine"], "cjk": document.cjk, "body": body,
            "pygments_style_defs": LatexFormatter(style=document.code_style, commandprefix="PYG").get_style_defs(),
            "unicode_declarations": unicode_declarations(document.template["engine"]),
            "references": [(label, {"number": ref.number}) for label, ref in sorted(document.labels.items())],
            "macros": document.macros,
            "packages": list(document.template["packages"]),
            "bibliography": list(document.bibliography),
            "biblatex_style": {"author-year": "authoryear", "numeric": "numeric"}[document.citation_style],
        }  # plain data only: a Path or the config dataclass would hand a template folder their methods

    def preamble(self) -> str:
        """Everything before \\begin{document} (`notes lint --compile` compiles formulas with it)."""
        return self.env.get_template(self.document_template).render(self.context("")).split("\\begin{document}", 1)[0]
