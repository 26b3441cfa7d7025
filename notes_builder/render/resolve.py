"""Resolve stage: parsed Markdown (markdown-it syntax trees from content.py) to the format-neutral document model.

Everything that does not depend on the output format happens here, in reading order: numbering, labels and
references, placeholders, images and included code, and every check (TeX safety of math, characters the fonts lack,
unknown call-outs...), raised or collected as located errors and warnings. Writers only set the model in markup.
"""

from __future__ import annotations

import difflib
import functools
import html
import re
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from markdown_it.tree import SyntaxTreeNode
from pygments.lexers import find_lexer_class_by_name
from pygments.lexers._mapping import LEXERS
from pygments.styles import get_style_by_name
from pygments.util import ClassNotFound

from notes_builder import displaymath
from notes_builder.citations import is_crossref
from notes_builder.config import NotesConfig, macro_arguments, split_front_matter
from notes_builder.content import NOTE_MATH, Document, MathSpan, Section
from notes_builder.errors import ConfigError, ContentError, Diagnostic, Location, PlaceholderError
from notes_builder.render import model as m
from notes_builder.render.assets import REMOTE, fence_attributes, read_include, stage_image
from notes_builder.render.characters import has_cjk, smart_quotes
from notes_builder.render.checks import Glyphs, check_tex, check_unknown_callout
from notes_builder.render.mathforms import as_latex_reads
from notes_builder.render.placeholders import PLACEHOLDER, Placeholders, placeholder_values
from notes_builder.tex.chars import is_cjk, slug, tex_safe_stem
from notes_builder.tex.positions import position_after
from notes_builder.tex.safety import FORBIDDEN_HINT, describe, find_forbidden
from notes_builder.tex.tokens import unbalanced_brace

_REF = re.compile(r"\\(eqref|ref)\{([^{}]+)\}")  # group 1: the command, group 2: the label
# a reference, or a bare web address in prose (without a trailing sentence mark)
_REF_OR_URL = re.compile(_REF.pattern + r"|(?P<url>https?://[^\s<>\"'{}\\]+[^\s<>\"'{}\\.,;:!?)\]])")
_LABEL = re.compile(r"[A-Za-z0-9:._-]+")  # labels become TeX names: nothing TeX reads specially
_SENTENCE_END = (".", "!", "?", "。", "！", "？", ")", "）")
_CONTINUATIONS = ("其中", "式中", "这里", "此处", "即", "则", "因此", "所以", "那么", "当", "于是", "由此")
HTML_IMAGE = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"'](?P<src>[^\"']+)[\"'][^>]*>", re.I)
_HTML_ALT = re.compile(r"\balt\s*=\s*[\"']([^\"']*)[\"']", re.I)
_HTML_TAG = re.compile(r"<[^>]+>")
_OWN_NUMBER = re.compile(r"^(?:Figure|Fig\.?|图)\s*\d+(?:\.\d+)*\s*[.:：]?\s*", re.I)
_TASK = re.compile(r"\[([ xX])\][ \t]+")
_HEADING_ID = re.compile(r"\s*\{#([A-Za-z][\w:.-]*)\}\s*$")
_REFERENCE_TITLES = {"references", "reference", "bibliography", "works cited", "literature", "参考文献", "参考资料"}
_BLANK_LINE = re.compile(r"\n[ \t]*(?=\n)")
_LANGUAGE_LABELS = {"python": "Python", "py": "Python", "bash": "Bash", "sh": "Shell", "yaml": "YAML"}
_CLOSING = ")"  # what precedes a quote after an element (emphasis, code, math...): the quote closes

At = Callable[[int], Location]  # an index of a text -> its location in the user's file


def resolve(document: Document, metrics: dict | None, results_error: str | None = None) -> m.NotesDocument:
    """The document model of the parsed notes; raises the first located error, collects warnings."""
    return Resolver(document, metrics, results_error).resolve()


class Resolver:
    """Walks each section's syntax tree in reading order and builds the model's nodes."""

    def __init__(self, document: Document, metrics: dict | None, results_error: str | None = None):
        self.document = document
        self.config: NotesConfig = document.config
        self.document_title, self.title_heading = document_title(document)
        # the one `#` heading became the title: the others move up a level, as pandoc's --shift-heading-level-by=-1
        levels = [int(token.tag[1]) for section in document.sections for token in section.tokens
                  if token.type == "heading_open" and id(token) != self.title_heading]
        # notes whose top headings are `##` (the title in front matter) number them 1, 2, … rather than 0.1, 0.2
        self.heading_shift = max(0, min(levels, default=1) - 1) if self.title_heading is None else \
            max(1, min(levels, default=2) - 1)
        self.placeholders = Placeholders(metrics, results_error,
                                         {**placeholder_values(self.config), "title": self.document_title})
        self.cjk = self.config.language in ("zh", "mixed") or any(
            has_cjk(s.source.text) for s in document.sections) or any(
            has_cjk(path.read_text(encoding="utf-8", errors="replace")) for path in self.config.bibliography)
        self.pdflatex = self.config.template.engine == "pdflatex"
        self.references: dict[str, m.Label] = {}
        self.pending_refs: list[tuple[str, Location]] = []
        self.assets: dict[str, Any] = {}
        self.inputs: set = set()
        self.warnings: list = list(document.diagnostics)
        self.counters = {"equation": 0, "figure": 0, "table": 0, "section": [0, 0, 0]}
        self.section: Section | None = None
        self.before = ""  # the character before the text being resolved (Resolver.inline, smart_quotes)
        self.glyphs = Glyphs(self.pdflatex, self.cjk, self.config.template.cjk_font, self.warnings)
        self.footnotes: dict[Any, SyntaxTreeNode] = {}  # footnote id -> its definition, in the current section
        self.open_footnotes: set[Any] = set()  # footnotes being set now: one citing itself is not set again
        self.style = self._pygments_style()
        self.cites = False  # a citation was seen: the notes get biblatex and a reference list
        self.reference_list = False  # `::: references` places the list; else it closes the notes

    # -- document --
    def resolve(self) -> m.NotesDocument:
        sections = []
        for section in self.document.sections:
            self.section = section
            if not split_body(section.source.text).strip():
                self.warnings.append(_warning(Location(section.source.path, 1, 1), "the section is empty"))
            tree = SyntaxTreeNode(section.tokens)
            self.footnotes = {note.meta.get("id"): note for block in tree.children if block.type == "footnote_block"
                              for note in block.children}
            sections.append(m.SectionBody(section.source.path, self.blocks(tree.children)))
        if self.cites and not self.reference_list and sections:
            last = self.document.sections[-1].source
            blocks = sections[-1].blocks
            where = Location(last.path, last.text.count("\n") + 1, 1)
            if blocks and isinstance(blocks[-1], m.Heading) and _names_the_references(blocks[-1]):
                where = blocks.pop().location  # pandoc's habit: the list goes under a last `# References`, which
                # biblatex's own heading replaces (it would be printed twice)
            blocks.append(m.Bibliography(where))
        for label, location in self.pending_refs:
            if label not in self.references:
                close = difflib.get_close_matches(label, list(self.references), n=1)
                how = {"fig": "a figure's label is fig: and its file's stem, e.g. fig:loss_curve",
                       "sec": "a heading's label is sec: and its words (sec:gate-equations), or {#sec:name} after it"
                       }.get(label.split(":", 1)[0], "label a formula with \\label{...} or `$$ ... $$ (label)`")
                raise ContentError(f"reference to unknown label '{label}'", location,
                                   hint=f"did you mean '{close[0]}'?" if close else how)
        return self.model(sections)

    def model(self, sections: list[m.SectionBody]) -> m.NotesDocument:
        """The document of these sections; with none, what the preamble needs (`notes lint --compile`)."""
        config = self.config
        macros = [(name, {"args": max(macro_arguments(body), config.macro_arity.get(name, 0)), "body": body})
                  for name, body in config.macros.items()]
        return m.NotesDocument(
            title=self.document_title, author=config.author, date=config.date, language=config.language,
            cjk=self.cjk, code_style=self.style, template=asdict(config.template), macros=macros, sections=sections,
            labels=self.references, missing_glyphs=self.glyphs.missing, substitutes=self.glyphs.substitutes,
            assets=self.assets, inputs=self.inputs, warnings=self.warnings, bibliography=self.bibliography(),
            citation_style=config.citation_style)

    def bibliography(self) -> list[str]:
        """The notes' `.bib` files staged into the build folder (TeX and biber read only there), when they cite;
        lint has checked them and every cited key (NB20x) before the build gets here."""
        if not (self.cites or self.reference_list):  # a placed list needs biblatex even before anything is cited
            return []
        names = []
        for index, path in enumerate(self.config.bibliography):
            name = f"bibliography/{index}-{tex_safe_stem(path.stem)}.bib"
            self.assets[name] = path
            self.inputs.add(path)
            names.append(name)
        return names

    def symbol_rows(self) -> list[m.SymbolRow]:
        rows = []
        for symbol in self.config.symbols:
            location = symbol.location or Location(self.config.source)
            self.glyphs.check(symbol.meaning, lambda i, loc=location: loc)
            rows.append(m.SymbolRow(symbol.symbol, symbol.meaning, symbol.shape or ""))
        return rows

    # -- helpers --
    def _pygments_style(self) -> str:
        name = self.config.template.code_style
        try:
            get_style_by_name(name)
        except ClassNotFound:
            raise ConfigError(f"unknown code style '{name}'", self.config.location_of("template", "code_style"),
                              hint="any Pygments style, e.g. friendly, default, tango, monokai") from None
        return name

    def location(self, node: SyntaxTreeNode) -> Location:
        assert self.section is not None
        token = node.token or (node.nester_tokens.opening if node.nester_tokens else None)
        if token is None:
            return Location(self.section.source.path)
        return self.section.location_of(token)

    # -- prose --
    def text(self, node: SyntaxTreeNode) -> list[m.Inline]:
        raw = node.content
        base = self.location(node)

        def at(index: int) -> Location:
            return Location(base.path, *position_after(raw, index, base.line, base.column))

        assert self.section is not None
        source = self.section.source
        return self.filled(raw, at, lambda index: self.placeholders.unclosed(source, at(index)))

    def filled(self, raw: str, at: At, unclosed: Callable[[int], PlaceholderError]) -> list[m.Inline]:
        """Prose with its `{{ placeholders }}` replaced by their values. `at` maps an index of `raw` to the user's
        location; `unclosed(index)` is the error for a `{{` that has no `}}`."""
        if "{{" not in raw:
            return self.prose(raw, at, self.before)
        nodes: list[m.Inline] = []
        cursor = 0
        for match in PLACEHOLDER.finditer(raw):
            nodes += self.prose(raw[cursor:match.start()], lambda i, o=cursor: at(o + i), _trailing(nodes, self.before))
            value = self.placeholders.value(match.group(1).strip(), at(match.start()))
            if value:
                nodes.append(m.Text(value))
            cursor = match.end()
        rest = raw[cursor:]
        if "{{" in rest:
            raise unclosed(cursor + rest.index("{{"))
        nodes += self.prose(rest, lambda i: at(cursor + i), _trailing(nodes, self.before))
        return nodes

    def title(self, text: str, at: At) -> list[m.Inline]:
        """A call-out or code-box title: filled as prose."""
        return self.filled(text, at, lambda index: PlaceholderError(
            "placeholder '{{' is never closed with '}}'", at(index), hint="close it on the same line"))

    def _in_line(self, location: Location, text: str):
        """Index of `text` -> its Location on the line of `location` (a call-out's or a fence's opening)."""
        assert self.section is not None
        source = self.section.source
        line = source.text[source.line_offset(location.line - 1):source.line_offset(location.line)]
        start = line.find(text) if text else -1

        def at(index: int) -> Location:
            return Location(location.path, location.line, start + index + 1 if start >= 0 else location.column)
        return at


    def prose(self, text: str, at: At, before: str = "") -> list[m.Inline]:
        """Text as printed (typographic quotes), with its `\\ref`/`\\eqref` references and bare web addresses."""
        self.glyphs.check(text, at)
        if '"' in text or "'" in text:
            text = smart_quotes(text, before)
        if "\\" not in text and "://" not in text:
            return [m.Text(text)] if text else []
        nodes: list[m.Inline] = []
        cursor = 0
        for match in _REF_OR_URL.finditer(text):
            if match.start() > cursor:
                nodes.append(m.Text(text[cursor:match.start()]))
            if match.group("url"):
                nodes.append(m.Url(match.group("url")))
            else:
                self.pending_refs.append((match.group(2), at(match.start())))
                nodes.append(m.Reference(match.group(1), match.group(2)))
            cursor = match.end()
        if cursor < len(text):
            nodes.append(m.Text(text[cursor:]))
        return nodes

    def inline(self, node: SyntaxTreeNode) -> list[m.Inline]:
        groups: list[list[m.Inline]] = []
        for child in node.children:  # `before`: what precedes a text, for its quotes
            self.before = next((_trailing(group) for group in reversed(groups) if group), "")
            groups.append(self.inline_node(child))
        self.before = ""
        for index, child in enumerate(node.children):
            if child.type == "softbreak" and 0 < index < len(groups) - 1:
                before, after = _edge(groups[index - 1], last=True), _edge(groups[index + 1], last=False)
                if before and after and is_cjk(before) and is_cjk(after):
                    groups[index] = [m.SoftBreak(space=False)]  # a line break between Chinese characters
        return [item for group in groups for item in group]

    def inline_node(self, node: SyntaxTreeNode) -> list[m.Inline]:
        kind = node.type
        if kind == "text":
            return self.text(node)
        if kind == "text_special":
            return [m.Text(node.content)] if node.content else []
        if kind == "softbreak":
            return [m.SoftBreak()]
        if kind == "hardbreak":
            return [m.HardBreak()]
        if kind == "em":
            return [m.Emphasis(self.inline(node))]
        if kind == "strong":
            return [m.Strong(self.inline(node))]
        if kind == "s":
            return [m.Strikethrough(self.inline(node))]
        if kind == "code_inline":
            self.glyphs.check(node.content, lambda i: self.location(node))
            return [m.InlineCode(node.content)]
        if kind == "link":
            href = str(node.attrs.get("href", ""))
            if (node.nester_tokens and node.nester_tokens.opening.markup == "autolink"
                    and not href.startswith("mailto:")):
                return [m.Url(href)]  # `<https://…>`: shown as the address, which may break anywhere
            return [m.Link(href, self.inline(node))]
        if kind in ("math_inline", "math_inline_double"):
            body = self.math_body(self.math_span(node))
            if not body.strip():
                return []
            return [m.InlineMath(body, display=kind == "math_inline_double")]
        if kind == "image":  # a figure is a paragraph of its own (see block); in a sentence, an icon
            url = self.remote_image(node)
            if url is not None:
                return [m.RemoteImage(self.inline(node) if node.children else [], url)]
            path = self.asset(node)
            self.warnings.append(Diagnostic(
                self.image_location(node), "warning", "an image inside a sentence is set at text height, "
                "with no caption or number", "for a figure, put the image on its own line with a blank line "
                "before and after it"))
            return [m.InlineImage(path)]
        if kind == "citation":
            items = node.meta["citation"].items
            if all(is_crossref(item.key) for item in items):
                return self.crossrefs(node, items)
            if not self.config.bibliography:  # nothing to look keys up in (lint warns, NB205): as written
                return self.prose(node.token.content, lambda index: self.location(node), self.before)
            self.cites = True
            works = [item for item in items if not is_crossref(item.key)]
            refs = [item for item in items if is_crossref(item.key)]  # `[@a; @sec:h]`: the works, then the labels
            assert self.section is not None and node.token is not None
            where, spans = self.location(node), iter(self.section.note_math.get(id(node.token), []))
            citation = m.Citation(node.meta["citation"].mode, [
                m.CitedWork(item.key, self.cite_note(item.prefix, where, spans),
                            self.cite_note(item.suffix, where, spans), item.suppress_author) for item in works])
            return [citation, m.Text("; "), *self.crossrefs(node, refs)] if refs else [citation]
        if kind == "html_inline" or kind == "footnote_anchor":
            return []
        if kind == "footnote_ref":
            key = node.meta.get("id")
            note = self.footnotes.get(key)
            if note is None or key in self.open_footnotes:  # undefined, or cited inside its own text
                return [m.Text(f"[^{node.meta.get('label', '')}]")]
            self.open_footnotes.add(key)
            try:
                return [m.Footnote(self.blocks(note.children))]
            finally:
                self.open_footnotes.discard(key)
        raise ContentError(f"unsupported Markdown element '{kind}'", self.location(node))

    def crossrefs(self, node: SyntaxTreeNode, items: list) -> list[m.Inline]:
        """pandoc-crossref's `@fig:loss`, `[@eq:forget; @eq:input]`: "Figure 2", "Equations (4), (5)"... each label
        checked like a `\\ref`."""
        assert self.section is not None
        offset = self.section.offsets.get(id(node.token))
        out: list[m.Inline] = []
        for index, item in enumerate(items):
            where = self.section.source.location(offset + item.offset) if offset is not None else self.location(node)
            self.pending_refs.append((item.key, where))
            if index:
                out.append(m.Text(", "))
            out.append(m.Reference("named", item.key))
        return out

    def cite_note(self, text: str, where: Location, spans: Iterator[MathSpan]) -> list[m.Inline]:
        """A citation's pre- or postnote (`see`, `eq. $(3)$`): prose, with `$...$` as math by pandoc's rule (no
        space inside the dollars, no digit after the closing one: `$5 and $6` stays text). `spans`: the notes'
        formulas as content.py located them, in order."""
        nodes: list[m.Inline] = []
        cursor = 0
        for match in NOTE_MATH.finditer(text):
            nodes += self.prose(text[cursor:match.start()], lambda index: where)
            span = next(spans, None)
            at = span.location if span is not None and span.body == match.group(1) else lambda index=0: where
            nodes.append(m.InlineMath(self.checked_math(match.group(1), at)))
            cursor = match.end()
        return nodes + self.prose(text[cursor:], lambda index: where)

    def math_span(self, node: SyntaxTreeNode) -> MathSpan:
        assert self.section is not None and node.token is not None
        span = self.section.math_of.get(id(node.token))
        if span is None:
            raise ContentError("internal: math not located", self.location(node))
        return span

    def math_body(self, span: MathSpan) -> str:
        """Math passes through untouched, after the safety checks that keep it inside its box."""
        return self.checked_math(span.body, span.location)

    def checked_math(self, body: str, at: Callable[..., Location]) -> str:
        """`body` as LaTeX gets it, once checked; `at(index)` locates body[index] in the user's file."""
        # a placeholder inside it: LaTeX would typeset the braces' content as math letters
        check_tex(body, at, self.config.allow.tex_primitives, math=True)
        self.glyphs.check(body, at)
        for match in _REF.finditer(body):
            self.pending_refs.append((match.group(2), at(match.start())))
        rewritten = as_latex_reads(body)
        if rewritten != body and not self.config.allow.tex_primitives:
            # the rewrites delete and join text (`\\le\\small t` must not become `\\let`): what TeX gets is checked too
            for _, name, why in find_forbidden(rewritten):
                raise ContentError(f"{describe(name)} would appear once the formula is set for LaTeX ({why})",
                                   at(), hint="write the formula without it; " + FORBIDDEN_HINT)
            if unbalanced_brace(rewritten) is not None:
                raise ContentError("the formula's braces do not balance once it is set for LaTeX", at())
        return rewritten

    def formula(self, node: SyntaxTreeNode, caption: list[m.Inline]) -> m.DisplayMath | None:
        """A display formula in its box, numbered line by line as LaTeX numbers `align` (displaymath.layout
        reads the lines, \\label, \\tag and \\notag as MathJax does)."""
        span = self.math_span(node)
        body = self.math_body(span)
        if not body.strip():
            return None  # only `\\newcommand`s, which went to the preamble (content.take_definitions)
        formula = displaymath.layout(body, span.environment if span.delimiter == "env" else "")
        rows = formula.rows
        if formula.target in ("equation*", "multline*") and len(rows) > 1:
            rows = [self._one_row(formula)]  # one number for the whole formula
        lines, anchors, first_number = [], [], ""
        for index, row in enumerate(rows):
            number, starred = row.tag, row.tag_star
            if number is None and not row.notag and formula.numbered:
                self.counters["equation"] += 1
                number = str(self.counters["equation"])
            labels = [label for label, _ in row.labels]
            if index == 0 and node.type == "math_block_label" and span.label:
                labels.insert(0, span.label)  # `$$ … $$ (label)`
            if number is not None and not labels and row.tag is None:
                labels = [f"eq:{number}"]
            for label in labels:
                at = span.location(next((o for name, o in row.labels if name == label), 0))
                self.add_reference(label, number or "", at)
                anchors.append(label)
                if number is None:
                    self.warnings.append(_warning(at, f"label '{label}' is on a line without a number: "
                                                      "a reference to it prints no number"))
            text = row.text.strip("\n")
            if number is not None:  # on its own line: the formula's last line may end in a `%` comment
                text = f"{text.rstrip()}\n\\tag{'*' if starred else ''}{{{number}}}"
                first_number = first_number or number
            if text.lstrip().startswith("[") and index:
                text = "{}" + text  # after `\\\\`, a `[` would be read as its spacing argument
            lines.append(text + row.separator)
        tex = f"\\begin{{{formula.target}}}{formula.argument}\n" + "\n".join(lines) + f"\n\\end{{{formula.target}}}"
        tex = _BLANK_LINE.sub("", tex)  # a blank line ends a paragraph: never valid inside display math
        return m.DisplayMath(tex, anchors, first_number, caption, span.location())

    @staticmethod
    def _one_row(formula: displaymath.Layout) -> displaymath.Row:
        """The lines of a one-number formula (`$$`, `equation`, `multline`) as one row; in `$$`/`equation` a
        top-level `\\\\` breaks the line as in MathJax, so the lines are set as `gathered` (`aligned` with `&`)."""
        rows = formula.rows
        joined = "\n".join(row.text.strip("\n") + row.separator for row in rows)
        if formula.target == "equation*":
            inner = "aligned" if formula.aligned else "gathered"
            joined = f"\\begin{{{inner}}}\n{joined}\n\\end{{{inner}}}"
        tagged = [row for row in rows if row.tag is not None]
        return displaymath.Row(joined, labels=[label for row in rows for label in row.labels],
                               tag=tagged[-1].tag if tagged else None,
                               tag_star=tagged[-1].tag_star if tagged else False,
                               notag=any(row.notag for row in rows), offset=rows[0].offset)

    def add_reference(self, label: str, number: str, location: Location) -> None:
        if not _LABEL.fullmatch(label):  # it becomes a TeX control-sequence name (\@namedef{nbref@label})
            raise ContentError(f"label '{label}' may use only ASCII letters, digits and : . _ -", location,
                               hint="e.g. eq:forget-gate or fig:loss_curve")
        previous = self.references.get(label)
        if previous is not None:
            raise ContentError(f"duplicate label '{label}' (first defined at {previous.location})", location,
                               hint="labels must be unique across the notes")
        self.references[label] = m.Label(number, location)

    def image_location(self, node: SyntaxTreeNode) -> Location:
        """Where the image's `![` starts (content.py locates an image by its src, further right)."""
        assert self.section is not None
        offset = self.section.offsets.get(id(node.token))
        if offset is None:
            return self.location(node)
        start = self.section.source.text.rfind("![", 0, offset)
        return self.section.source.location(start if start >= 0 else offset)

    def remote_image(self, node: SyntaxTreeNode) -> str | None:
        """A remote image's URL (a build has no network as a rule), with a warning at its line; else None."""
        src = str(node.attrs.get("src", ""))
        return src if self.remote_src(src, self.image_location(node)) else None

    def remote_src(self, src: str, location: Location) -> bool:
        """Whether `src` is a web address, which is not downloaded: the PDF shows a placeholder, with a warning."""
        if not REMOTE.match(src):
            return False
        self.warnings.append(Diagnostic(location, "warning", f"remote image not downloaded: {src}",
                                        "the PDF shows a framed placeholder; download the image next to the notes "
                                        "and link the local file to embed it"))
        return True


    # -- assets --
    def asset(self, node: SyntaxTreeNode) -> str:
        """Stage an image for the build folder; its name there."""
        # markdown-it %-encodes spaces and non-ASCII
        return self.asset_at(urllib.parse.unquote(str(node.attrs.get("src", ""))), self.image_location(node))

    def asset_at(self, src: str, location: Location, site_root: bool = False) -> str:
        assert self.section is not None
        image = stage_image(self.config, self.section.source.path.parent, src, location, site_root)
        if image.warning is not None:
            self.warnings.append(image.warning)
        self.assets[image.name] = image.path
        self.inputs.add(image.path)
        return image.name

    # -- blocks --
    def blocks(self, nodes: list[SyntaxTreeNode]) -> list[m.Block]:
        out: list[m.Block] = []
        index = 0
        while index < len(nodes):
            node = nodes[index]
            caption: list[m.Inline] = []
            if node.type in ("math_block", "math_block_label", "amsmath") and index + 1 < len(nodes):
                following = nodes[index + 1]
                if following.type == "paragraph" and self._attached(node, following):
                    caption = self.inline(following.children[0])
                    index += 1
            if node.type == "paragraph" and index + 1 < len(nodes) and nodes[index + 1].type == "table" \
                    and _table_caption(node):  # `Table: words {#tbl:x}` before its table, as pandoc reads it
                out.append(self.table(nodes[index + 1], node))
                index += 2
                continue
            if node.type == "table" and index + 1 < len(nodes) and _table_caption(nodes[index + 1]):
                out.append(self.table(node, nodes[index + 1]))
                index += 2
                continue
            out += self.block(node, caption)
            index += 1
        return out

    def _attached(self, math: SyntaxTreeNode, paragraph: SyntaxTreeNode) -> bool:
        """A paragraph on the line right after a display formula (no blank line) is its caption."""
        assert self.section is not None
        span = self.math_span(math)
        text = self.section.source.text
        end = span.offset + len(span.body)
        closing = {"$$": "$$", "\\[": "\\]"}.get(span.delimiter)
        if closing:
            found = text.find(closing, end)
            end = found + len(closing) if found >= 0 else end
        end_line = self.section.source.position(end)[0]  # 1-based line of the closing delimiter
        start = paragraph.nester_tokens.opening.map if paragraph.nester_tokens else None
        if not start or start[0] != end_line:
            return False
        # Notes written for MathJax go on after a formula with "where …" or "其中，": a caption is one line, a
        # whole sentence, that does not start in lower case
        line = text[self.section.source.line_offset(start[0]):self.section.source.line_offset(start[0] + 1)].strip()
        return (start[1] - start[0] == 1 and not line[:1].islower() and line.endswith(_SENTENCE_END)
                and not line.startswith(_CONTINUATIONS))


    def block(self, node: SyntaxTreeNode, caption: list[m.Inline]) -> list[m.Block]:
        kind = node.type
        if kind == "paragraph":
            assert self.section is not None
            check_unknown_callout(self.section.source, node)
            children = node.children[0].children if node.children else []
            images = [c for c in children if c.type == "image"]
            if len(images) == 1 and all(c.type == "image" or (c.type == "text" and not c.content.strip())
                                        for c in children):
                return [self.figure(images[0])]
            return [m.Paragraph(self.inline(node.children[0]), self.location(node))]
        if kind == "heading":
            heading = self.heading(node)
            return [heading] if heading else []
        if kind in ("math_block", "math_block_label", "amsmath"):
            formula = self.formula(node, caption)
            return [formula] if formula else []
        if kind in ("fence", "code_block"):
            return [self.code(node)]
        if kind == "bullet_list":
            return [m.BulletList(self.items(node))]
        if kind == "ordered_list":
            return [m.OrderedList(int(node.attrs.get("start", 1) or 1), self.items(node))]
        if kind == "blockquote":
            return [m.BlockQuote(self.blocks(node.children))]
        if kind == "hr":
            return [m.ThematicBreak()]
        if kind == "table":
            return [self.table(node)]
        if kind == "container_symbols":
            if not self.config.symbols:
                raise ContentError("'::: symbols' needs a symbols table in notes.yaml", self.location(node))
            return [m.SymbolTable(self.symbol_rows(), self.location(node))]
        if kind == "container_references":
            if not self.config.bibliography:
                self.warnings.append(_warning(self.location(node), "'::: references' but the notes name no "
                                              "bibliography: no reference list"))
                return []
            if self.reference_list:
                self.warnings.append(_warning(self.location(node), "a second '::: references': the list is "
                                              "printed once, at the first"))
                return []
            self.reference_list = True
            return [m.Bibliography(self.location(node))]
        if kind.startswith("container_"):
            name = kind.removeprefix("container_")
            typed = (node.info or "").strip().removeprefix(name).strip()
            title = self.title(typed, self._in_line(self.location(node), typed)) or [m.Text(name.capitalize())]
            return [m.Callout(name, title, self.blocks(node.children))]
        if kind == "html_block" and HTML_IMAGE.search(node.content):
            return self.html_figures(node)
        if kind in ("html_block", "front_matter", "footnote_block"):
            return []  # a footnote's text is set where it is referenced (inline_node)
        raise ContentError(f"unsupported Markdown element '{kind}'", self.location(node))

    def items(self, node: SyntaxTreeNode) -> list[m.ListItem]:
        """A task list item (`- [ ]`, `- [x]`) is ticked or not."""
        items = []
        for item in node.children:
            task = self.task(item)
            items.append(m.ListItem(self.blocks(item.children), task))
        return items

    @staticmethod
    def task(item: SyntaxTreeNode) -> bool | None:
        """Whether `[x] ` (True) or `[ ] ` (False) opens a list item (its text loses the brackets); else None."""
        first = item.children[0] if item.children else None
        if first is None or first.type != "paragraph" or not first.children or not first.children[0].children:
            return None
        text = first.children[0].children[0]
        match = _TASK.match(text.content) if text.type == "text" else None
        if match is None:
            return None
        assert text.token is not None
        text.token.content = text.content[match.end():]
        return match.group(1) in "xX"

    def heading(self, node: SyntaxTreeNode) -> m.Heading | None:
        if node.nester_tokens is not None and id(node.nester_tokens.opening) == self.title_heading:
            return None  # printed as the document's title
        level = max(1, int(node.tag[1]) - self.heading_shift)
        inline = node.children[0]
        anchor = ""
        match = None
        last = inline.children[-1] if inline.children else None
        if last is not None and last.type == "text":
            match = _HEADING_ID.search(last.content)
            if match:
                anchor = match.group(1)
                last.token.content = last.content[:match.start()]
        explicit = match is not None  # `{#id}` given: a duplicate is the user's error, not renamed
        children = self.inline(inline)
        counters = self.counters["section"]
        number = ""
        if level <= 3:
            counters[level - 1] += 1
            for deeper in range(level, 3):
                counters[deeper] = 0
            number = ".".join(str(n) for n in counters[:level])
        anchor = anchor or f"sec:{slug(''.join(c.content for c in inline.children if c.type == 'text'))}"
        if anchor in self.references and not explicit:
            anchor = f"{anchor}-{number or len(self.references)}"
        self.add_reference(anchor, number, self.location(node))
        return m.Heading(level, children, anchor, number, self.location(node))

    def figure(self, node: SyntaxTreeNode) -> m.Figure:
        url = self.remote_image(node)
        path = self.asset(node) if url is None else ""
        title = str(node.attrs.get("title") or "")
        caption = self.inline(node) if node.children else []
        if title:
            caption = [*caption, m.Text(f". {title}")] if caption else [m.Text(title)]
        return self.numbered_figure(path, url, caption, urllib.parse.unquote(str(node.attrs.get("src"))),
                                    self.location(node))

    def numbered_figure(self, path: str, url: str | None, caption: list[m.Inline], src: str,
                        location: Location) -> m.Figure:
        self.counters["figure"] += 1
        number = str(self.counters["figure"])
        anchor = f"fig:{tex_safe_stem(Path(src).stem)}"
        if anchor in self.references:
            anchor = f"{anchor}-{number}"
        self.add_reference(anchor, number, location)
        return m.Figure(path, url, caption, number, anchor, location)

    def html_figures(self, node: SyntaxTreeNode) -> list[m.Block]:
        """`<img src=…>` in an HTML block (Typora, Obsidian, course sites: `<div><img …><div>caption</div></div>`)
        is a figure as its Markdown form would be; the block's other text is its caption."""
        location = self.location(node)
        html_text = node.content
        images = list(HTML_IMAGE.finditer(html_text))
        rest = html.unescape(" ".join(_HTML_TAG.sub(" ", HTML_IMAGE.sub(" ", html_text)).split()))
        rest = _OWN_NUMBER.sub("", rest)  # "Figure 1. Different types…": the figure gets its number from us
        out: list[m.Block] = []
        for match in images:
            src = html.unescape(match.group("src"))
            alt = _HTML_ALT.search(match.group(0))
            words = rest or (html.unescape(alt.group(1)) if alt else "")
            url = src if self.remote_src(src, location) else None
            path = ""
            if url is None:
                try:
                    path = self.asset_at(urllib.parse.unquote(src), location, site_root=True)
                except ContentError as error:  # HTML the notes showed on a site: a gap here, not a failed build
                    if "not found" not in error.message and "unsupported type" not in error.message:
                        raise
                    why = "not found" if "not found" in error.message else "of a type PDF cannot embed (GIF, WebP…)"
                    self.warnings.append(Diagnostic(location, "warning", f"image of an HTML block {why}: {src}",
                                                    "the PDF shows a framed placeholder"))
                    url = src
            caption = self.prose(words, lambda index: location) if words and len(images) == 1 else []
            out.append(self.numbered_figure(path, url, caption, src, location))
        return out

    def table(self, node: SyntaxTreeNode, caption: SyntaxTreeNode | None = None) -> m.Table:
        rows: list[list[list[m.Inline]]] = []
        aligns: list[str] = []
        for part in node.children:
            for row in part.children:
                cells = []
                for cell in row.children:
                    cells.append(self.inline(cell.children[0]) if cell.children else [])
                    if part.type == "thead":
                        style = str(cell.attrs.get("style", ""))
                        aligns.append("r" if "right" in style else "c" if "center" in style else "l")
                rows.append(cells)
        header, body = rows[0], rows[1:]
        width = len(aligns)
        body = [(r + [[] for _ in range(width - len(r))])[:width] for r in body]
        table = m.Table(aligns, header, body, self.location(node))
        if caption is not None:
            self.counters["table"] += 1
            table.number = str(self.counters["table"])
            table.caption, label = self.table_caption(caption)
            table.anchor = label or f"tbl:{table.number}"
            self.add_reference(table.anchor, table.number, self.location(caption))
        return table

    def table_caption(self, paragraph: SyntaxTreeNode) -> tuple[list[m.Inline], str]:
        """The words of a `Table: …` or `: …` paragraph, without that opening and its `{#tbl:label}`."""
        inline = paragraph.children[0]
        first = inline.children[0]
        first.token.content = _CAPTION_OPENING.sub("", first.content, count=1)
        last = inline.children[-1]
        label = ""
        if last.type == "text" and (found := _CAPTION_LABEL.search(last.content)):
            label = found.group(1)
            last.token.content = last.content[:found.start()].rstrip()
        return self.inline(inline), label

    def code(self, node: SyntaxTreeNode) -> m.CodeBlock | m.RawLatex:
        assert self.section is not None
        info = (node.info or "").strip()
        if info in ("{=latex}", "=latex"):
            return self.raw_latex(node)
        language, attrs = fence_attributes(info)
        location = self.location(node)
        code = node.content
        first_line = 1
        typed_title = attrs.get("title", "")
        title = self.title(typed_title, self._in_line(location, typed_title)) if typed_title else []
        if "include" in attrs:
            included = read_include(self.config, self.section.source.path.parent, attrs, location)
            self.inputs.add(included.path)
            code, first_line = included.code, included.first_line
            title = title or [m.Text(included.name)]
        code = code.expandtabs(4).rstrip("\n")
        position = self._block_position(location, code, fenced=node.type == "fence")
        if "include" in attrs:  # a character of the included file: at its own line there
            included_path = included.path

            def position(index: int, text: str = code, start: int = first_line) -> Location:
                return Location(included_path, *position_after(text, index, start))
        self.glyphs.check(code, position)
        known = known_language(language)
        if not known:  # every build warns again: the highlight cache keeps known languages only
            self.warnings.append(_warning(location, f"unknown code language '{language}': shown without colours"))
        label = _LANGUAGE_LABELS.get(language.lower(), language or "text")
        return m.CodeBlock(language, known, label, title, code, first_line, self.config.template.line_numbers,
                           location)

    def raw_latex(self, node: SyntaxTreeNode) -> m.RawLatex:
        """```{=latex} blocks: off unless notes.yaml opts in, and never with forbidden primitives."""
        location = self.location(node)
        if not self.config.allow.raw_latex:
            raise ContentError("raw LaTeX blocks are off", location,
                               hint="set allow.raw_latex: true in notes.yaml to opt in")
        body = node.content
        check_tex(body, self._block_position(location, body), self.config.allow.tex_primitives)
        return m.RawLatex(body, location)

    def _block_position(self, location: Location, text: str, fenced: bool = True):
        """Index of `text`, the body of a fenced block opened at `location`, -> its line and column in the
        user's file. The body has lost the block's indentation (a list item, a quote): the column is found
        by matching the body's line against the file's line."""
        assert self.section is not None
        source = self.section.source

        def at(index: int) -> Location:
            line = location.line + (1 if fenced else 0) + text.count("\n", 0, index)  # a fence has its own line
            line_start = text.rfind("\n", 0, index) + 1
            line_end = text.find("\n", index)
            body_line = text[line_start:len(text) if line_end < 0 else line_end]
            file_line = source.text[source.line_offset(line - 1):source.line_offset(line)].rstrip("\r\n")
            indent = len(file_line) - len(body_line) if file_line.endswith(body_line) else 0
            return Location(location.path, line, indent + index - line_start + 1)
        return at


_CAPTION_OPENING = re.compile(r"^(?:Table)?:[ \t]*")
_CAPTION_LABEL = re.compile(r"\s*\{#([^{}\s]+)\}\s*$")


def _table_caption(paragraph: SyntaxTreeNode) -> bool:
    """A paragraph that captions the table beside it: `Table: …` or `: …` (pandoc's table captions)."""
    if paragraph.type != "paragraph" or not paragraph.children or not paragraph.children[0].children:
        return False
    first = paragraph.children[0].children[0]
    return first.type == "text" and _CAPTION_OPENING.match(first.content) is not None


def _trailing(nodes: list[m.Inline], default: str = "") -> str:
    """What the inline nodes end with, for the quotes of the text after them: a text's last character, a line for a
    break, and for any other element a character after which a quote closes."""
    if not nodes:
        return default
    last = nodes[-1]
    if isinstance(last, m.Text):
        return last.text[-1]
    return "\n" if isinstance(last, m.SoftBreak | m.HardBreak) else _CLOSING


def _edge(nodes: list[m.Inline], last: bool) -> str:
    """The first (or last) visible character of inline nodes when they begin (end) with text; else ""."""
    if not nodes:
        return ""
    node = nodes[-1] if last else nodes[0]
    if not isinstance(node, m.Text):
        return ""
    text = node.text.rstrip() if last else node.text.lstrip()
    return (text[-1:] if last else text[:1])


@functools.cache
def _lexer_aliases() -> frozenset[str]:
    return frozenset(alias for entry in LEXERS.values() for alias in entry[2])


def known_language(language: str) -> bool:
    """Whether Pygments has a lexer for the language (without loading it: building its regexes is slow)."""
    if not language or language.lower() in _lexer_aliases():
        return True
    try:
        find_lexer_class_by_name(language)  # a plugin's lexer
    except ClassNotFound:
        return False
    return True


def split_body(text: str) -> str:
    """A section's text without its front matter."""
    front, lines = split_front_matter(text)
    return text.split("\n", lines)[-1] if lines else text


def document_title(document: Document) -> tuple[str, int | None]:
    """The title: notes.yaml's or the front matter's; else the first `#` heading's text. When that heading is the
    only `#` heading and opens the notes, it is the title and not also a section: returns id(its token) too."""
    config = document.config
    if config.title_given:
        return config.title, None
    level_one = [(index, position, section) for index, section in enumerate(document.sections)
                 for position, token in enumerate(section.tokens)
                 if token.type == "heading_open" and token.tag == "h1"]
    if not level_one:
        return config.title, None
    index, position, section = level_one[0]
    inline = section.tokens[position + 1]
    text = "".join(child.content for child in inline.children or [] if child.type != "html_inline").strip()
    text = _HEADING_ID.sub("", text) or config.title
    opens = index == 0 and all(token.type == "front_matter" for token in section.tokens[:position])
    return text, id(section.tokens[position]) if opens and len(level_one) == 1 else None


def _warning(location: Location, message: str) -> Diagnostic:
    return Diagnostic(location, "warning", message)


def _names_the_references(heading: m.Heading) -> bool:
    """A heading that only announces the reference list (`# References`, `## 参考文献`)."""
    text = "".join(child.text for child in heading.children if isinstance(child, m.Text))
    return text.strip().rstrip(":：").lower() in _REFERENCE_TITLES
