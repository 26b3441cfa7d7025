"""Gather stage: read a notes project into parsed Markdown sections whose every node knows its source.

Markdown is parsed by markdown-it-py (CommonMark) with mdit-py-plugins for front matter, dollar math,
`\\[...\\]`, amsmath environments, containers and GFM tables. markdown-it only records line ranges of
block tokens, so `SourceFile` and `Locator` recover exact columns by finding each token's text in the
file, in document order; lint and error messages rely on these positions.
"""

from __future__ import annotations

import bisect
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.texmath import texmath_plugin

from notes_builder.citations import CiteItem, citations_plugin, is_crossref
from notes_builder.config import NotesConfig, check_macro, load_config, read_text, split_front_matter
from notes_builder.errors import ConfigError, ContentError, Diagnostic, Location
from notes_builder.tex.positions import LineIndex
from notes_builder.tex.tokens import commands, group_end

CONTAINER_NAMES = ("note", "tip", "warning", "important", "summary", "symbols", "references")
NOTE_MATH = re.compile(r"\$(?=\S)([^$]*?\S)\$(?!\d)")  # `$x$` in a citation's note: pandoc's tex_math_dollars
MATH_TOKENS = {"math_inline", "math_inline_double", "math_block", "math_block_label", "math_block_eqno",
               "amsmath"}


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


class SourceFile:
    """A user's file and a fast offset -> (line, column) map."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.text = text
        self.lines = LineIndex(text)
        self._blank_ends: list[int] | None = None  # where each blank line ends, found once (paragraph)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset; columns count characters."""
        return self.lines.position(offset)

    def location(self, offset: int) -> Location:
        return Location(self.path, *self.position(offset))

    def paragraph(self, start: int, end: int | None = None) -> tuple[int, int]:
        """Offsets of the paragraph (text between blank lines) around `start`…`end`."""
        end = start if end is None else end
        if self._blank_ends is None:  # a file's blank lines once, not once per formula (quadratic in a long file)
            self._blank_ends = [match.end() for match in _BLANK_LINE.finditer(self.text)]
        before = bisect.bisect_right(self._blank_ends, start)
        after = _BLANK_LINE.search(self.text, end)
        return (self._blank_ends[before - 1] if before else 0), (after.start() if after else len(self.text))

    def line_offset(self, line: int) -> int:
        """Offset of the start of a 0-based line (clamped to the end of the text)."""
        return self.lines.line_offset(line)


@dataclass
class MathSpan:
    """One formula of the notes: its LaTeX body and where that body starts in the user's file."""

    source: SourceFile
    body: str
    offset: int  # offset of body[0] in source.text
    display: bool
    delimiter: str  # "$", "$$", "\\(", "\\[", "env", "yaml"
    environment: str = ""  # amsmath environment name for delimiter == "env"
    label: str = ""  # from `$$ ... $$ (label)` or \label{...}
    exact: bool = True  # False when the body is not a verbatim substring of the file (e.g. in a quote)
    yaml_line: int = 0  # for delimiter == "yaml": position given directly
    yaml_column: int = 0

    def location(self, index: int = 0) -> Location:
        """The user's file position of body[index]."""
        if self.delimiter == "yaml":
            return Location(self.source.path, self.yaml_line, self.yaml_column + index)
        if not self.exact:
            return self.source.location(self.offset)
        return self.source.location(self.offset + index)


@dataclass
class FormulaMacro:
    """A `\\newcommand{\\name}[n]{body}` written inside a formula, as MathJax allows: it becomes a document
    macro, like one of notes.yaml's, with the same checks (adopt_formula_macros)."""

    name: str
    body: str
    location: Location
    body_location: Location
    arguments: int = 0  # the `[n]` written; the body may use fewer of them


# What follows `\\newcommand` or `\\renewcommand`: the name, braced or not, and the argument count `[n]`.
_NEWCOMMAND_REST = re.compile(r"\s*(?:\{\s*\\([A-Za-z]+)\s*\}|\\([A-Za-z]+))\s*(?:\[\s*(\d)\s*\])?\s*(?=\{)")


def take_definitions(span: MathSpan) -> list[FormulaMacro]:
    """The `\\newcommand`s of a formula; each is blanked out of its body (same length: positions stay right).
    Commented-out ones too, as the safety policy reads them (tex.safety.find_forbidden)."""
    body = span.body
    found = []
    for command in commands(body, in_comments=True):
        if command.name not in ("newcommand", "renewcommand"):
            continue
        match = _NEWCOMMAND_REST.match(body, command.end)
        if match is None:
            continue
        end = group_end(body, match.end())
        if end < 0 or (found and command.start < found[-1][1]):
            continue  # unbalanced: lint reports the brace
        name = match.group(1) or match.group(2)
        macro = FormulaMacro(name, body[match.end() + 1:end], span.location(command.start),
                             span.location(match.end() + 1), int(match.group(3) or 0))
        found.append((command.start, end + 1, macro))
    for start, end, _ in found:
        body = body[:start] + re.sub(r"[^\n]", " ", body[start:end]) + body[end:]
    span.body = body
    return [macro for _, _, macro in found]


def adopt_formula_macros(config: NotesConfig, sections: list[Section]) -> None:
    """Add the formulas' `\\newcommand`s to the document's macros. MathJax makes them global to the page, so a
    definition repeated with the same body is fine; a different one is the user's error at its line."""
    written: dict[str, FormulaMacro] = {}
    for section in sections:
        for macro in section.macros:
            if macro.name in written and written[macro.name].body == macro.body:
                continue
            if macro.name in written:
                raise ContentError(f"macro \\{macro.name} is defined twice, differently (first at "
                                   f"{written[macro.name].location})", macro.location,
                                   hint="give the second one another name")
            defined = {name: body for name, body in config.macros.items() if name not in written}
            if config.macros.get(macro.name) == macro.body:
                continue  # adopted by an earlier pass (lint, then build)
            try:
                check_macro(macro.name, macro.body, macro.location, macro.body_location, config.allow.tex_primitives,
                            defined)
            except ConfigError as error:
                raise ContentError(error.message, error.location, hint=error.hint) from None
            written[macro.name] = macro
            config.macros[macro.name] = macro.body
            if macro.arguments:
                config.macro_arity[macro.name] = macro.arguments


@dataclass
class Section:
    """One Markdown file, parsed: its tokens, its math, and where each token lies in its text."""

    source: SourceFile
    tokens: list[Token]
    math: list[MathSpan] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # id(token) -> offset in source.text where the token's text was found
    offsets: dict[int, int] = field(default_factory=dict)
    # id(token) -> the math span of a math token (two spans may share an offset when not found verbatim)
    math_of: dict[int, MathSpan] = field(default_factory=dict)
    macros: list[FormulaMacro] = field(default_factory=list)  # `\\newcommand`s written in its formulas
    citations: list[tuple[CiteItem, Location]] = field(default_factory=list)  # each cited key, where it is written
    # id(citation token) -> the math of its notes (`[see $\\R^n$ in @key]`), in the order written
    note_math: dict[int, list[MathSpan]] = field(default_factory=dict)

    def add_math(self, token: Token, span: MathSpan) -> None:
        self.offsets[id(token)] = span.offset
        self.math_of[id(token)] = span
        self.math.append(span)

    def location_of(self, token: Token) -> Location:
        offset = self.offsets.get(id(token))
        if offset is not None:
            return self.source.location(offset)
        if token.map:
            return Location(self.source.path, token.map[0] + 1, 1)
        return Location(self.source.path)


@dataclass
class Document:
    """The notes: their settings and their sections, in reading order."""

    config: NotesConfig
    sections: list[Section]

    @property
    def math(self) -> list[MathSpan]:
        return [span for section in self.sections for span in section.math]

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [*self.config.warnings, *(d for section in self.sections for d in section.diagnostics)]

    @property
    def citations(self) -> list[tuple[CiteItem, Location]]:
        return [cited for section in self.sections for cited in section.citations]


def markdown_parser() -> MarkdownIt:
    """The one CommonMark parser configuration used by build and lint alike."""
    md = (
        MarkdownIt("commonmark", {"html": True})
        .enable("table")
        .enable("strikethrough")
        .use(front_matter_plugin)
        # every `$…$` pair as MathJax pairs them; _join_plain_text then keeps as math only what pandoc's rule or
        # a formula's look says is math, so `it costs $5 and the other $6` is prose
        .use(dollarmath_plugin, allow_labels=True, allow_space=True, allow_digits=True, double_inline=True)
        .use(footnote_plugin)
        .use(amsmath_plugin)
        .use(texmath_plugin, delimiters="brackets")
        .use(citations_plugin)  # `[@key]`, `@key`, as pandoc reads them
    )
    md.inline.ruler.before("escape", "math_escaped_parens", _escaped_parens)
    for rule in md.block.ruler.__rules__:
        if rule.name == "math_block":  # `$$` on the line after a paragraph's text opens display math, as in MathJax
            rule.alt = ["paragraph", "reference", "blockquote", "list"]
            rule.fn = _silent_safe(rule.fn)
        elif rule.name == "amsmath":  # LaTeX ends an environment at a blank line: so must the search for \end
            rule.fn = _up_to_blank_line(rule.fn)
    md.block.ruler.__cache__ = None
    # Keep backslash escapes as separate `text_special` tokens: a `$` left in a `text` token is then
    # always an unescaped, unclosed math delimiter, and every text token is verbatim in the source.
    md.core.ruler.disable("text_join")
    md.core.ruler.push("join_plain_text", _join_plain_text)
    for name in CONTAINER_NAMES:
        md.use(container_plugin, name=name)
    _dispatch_blocks(md)
    return md


# The character a block must start with (after its indentation) for each block rule that has one; a rule not
# listed may start anywhere (table, code, lheading, paragraph, and any rule added later). Each listed rule returns
# False at once on a line that starts otherwise: read in markdown-it and mdit-py-plugins.
_BLOCK_STARTS = {
    "front_matter": "-", "math_block": "$\\", "math_block_eqno": "\\", "amsmath": "\\", "fence": "`~",
    "blockquote": ">", "hr": "*-_", "list": "*-+0123456789", "footnote_def": "[", "reference": "[",
    "html_block": "<", "heading": "#", **{f"container_{name}": ":" for name in CONTAINER_NAMES},
}


def _dispatch_blocks(md: MarkdownIt) -> None:
    """Try at each block only the rules that can start with its first character, in markdown-it's order: the same
    tokens, without two dozen calls per paragraph (a third of the block parse of 10,000 one-line paragraphs).
    Only the top-level chain is replaced; a paragraph still asks every rule that may end it (the `alt` chains)."""
    rules = [(rule.name, rule.fn) for rule in md.block.ruler.__rules__ if rule.enabled]
    anywhere = [fn for name, fn in rules if name not in _BLOCK_STARTS]
    by_start = {char: [fn for name, fn in rules if char in _BLOCK_STARTS.get(name, char)]
                for char in set("".join(_BLOCK_STARTS.values()))}

    def block(state, start_line: int, end_line: int, silent: bool) -> bool:
        at = state.bMarks[start_line] + state.tShift[start_line]
        for rule in by_start.get(state.src[at:at + 1], anywhere):  # noqa: SIM110 - no generator per block
            if rule(state, start_line, end_line, silent):
                return True
        return False

    md.block.ruler.getRules("")  # compiles the chains, `alt` ones included
    md.block.ruler.__cache__[""] = [block]


def _silent_safe(rule):
    """A block rule that, asked silently whether it would start here (to end a paragraph), adds no tokens."""
    def checked(state, start_line: int, end_line: int, silent: bool) -> bool:
        if not silent:
            return rule(state, start_line, end_line, False)
        tokens, line = len(state.tokens), state.line
        matched = rule(state, start_line, end_line, False)
        del state.tokens[tokens:]
        state.line = line
        return matched
    return checked


_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _escaped_parens(state, silent: bool) -> bool:
    """`\\\\(x\\\\)` is inline math: Jekyll (kramdown) sites write it so that the page holds `\\(x\\)` for MathJax."""
    src, pos = state.src, state.pos
    if not src.startswith("\\\\(", pos):
        return False
    end = src.find("\\\\)", pos + 3)
    if end < 0 or not src[pos + 3:end].strip():
        return False
    if not silent:
        token = state.push("math_inline", "math", 0)
        # the page MathJax read had Markdown's escapes undone: `\\\\{` was `\\{`, `\\_` was `_`
        token.content = _MARKDOWN_ESCAPE.sub(r"\1", src[pos + 3:end])
        token.markup = "\\\\("
    state.pos = end + 3
    return True


_MATH_LOOK = re.compile(r"[\\_^{}=]")


def is_inline_math(content: str, after: str) -> bool:
    """Whether `$content$` (followed by `after`) is math. pandoc's rule: the opening `$` has a non-space after it,
    the closing one a non-space before it and no digit after it. MathJax notes also write `$z_t $` and
    `$\\sim$6000`: a pair pandoc's rule refuses is still math when it looks like a formula (a command, a script,
    a brace or `=`, or one letter) and does not start with a digit, as an amount of money does (`$5 and $6`)."""
    stripped = content.strip()
    if not stripped:
        return False
    if content == stripped and not after[:1].isdigit():
        return True
    if stripped[0].isdigit():  # an amount of money (`$5 and $6`), unless a script or a command says formula
        return bool(re.search(r"[\\_^]", stripped))
    return bool(_MATH_LOOK.search(stripped)) or (len(stripped) == 1 and stripped.isalpha())


def _up_to_blank_line(rule):
    """A block rule that looks no further than the next blank line."""
    def limited(state, start_line: int, end_line: int, silent: bool) -> bool:
        line = start_line
        while line < end_line and not state.isEmpty(line):
            line += 1
        return rule(state, start_line, line, silent)
    return limited


def _join_plain_text(state) -> None:
    """Merge adjacent `text` tokens, keeping real escapes (`\\$`, `\\*`) apart as `text_special`."""
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        merged: list[Token] = []
        for index, child in enumerate(token.children):
            if child.type == "math_inline" and child.markup == "$":
                following = token.children[index + 1] if index + 1 < len(token.children) else None
                after = following.content[:1] if following is not None and following.type == "text" else ""
                if not is_inline_math(child.content, after):
                    child.type, child.content = "text", f"${child.content}$"
            if child.type == "text_special" and child.content == child.markup:
                child.type = "text"  # a backslash before a letter is not an escape: `\\eqref` stays text
            if merged and child.type == "text" and merged[-1].type == "text":
                merged[-1].content += child.content
            else:
                merged.append(child)
        token.children = merged


_PARSER: MarkdownIt | None = None


def _parser() -> MarkdownIt:
    global _PARSER
    if _PARSER is None:
        _PARSER = markdown_parser()
    return _PARSER


_LABEL = re.compile(r"\\label\{([^{}]*)\}")
# A `$` left in prose is a dollar sign (pandoc's rule) unless it starts what looks like math: `$$`, or `$` before
# a letter, a backslash or a brace (`$\alpha` never closed). `$5`, `$ 5`, `US$` stay prose.
_UNCLOSED_MATH = re.compile(r"(?<!\\)\$(?:\$|(?=[A-Za-z\\{]))")


class Locator:
    """Finds token texts in the source, moving forward through the file in document order."""

    def __init__(self, source: SourceFile):
        self.source = source
        self.cursor = 0

    def block_start(self, token: Token) -> int:
        if token.map:
            self.cursor = max(self.cursor, self.source.line_offset(token.map[0]))
        return self.cursor

    def find(self, fragment: str, limit: int | None = None) -> int | None:
        if not fragment:
            return None
        index = self.source.text.find(fragment, self.cursor, limit)
        if index < 0:
            return None
        self.cursor = index + len(fragment)
        return index


def _math_span(source: SourceFile, locator: Locator, token: Token, limit: int | None) -> MathSpan:
    """Build a MathSpan for a math token, finding where its body starts in the file."""
    content = token.content
    kind = token.type
    if kind == "amsmath":
        delimiter, display = "env", True
        env = token.meta.get("environment", "") + (token.meta.get("numbered") or "")  # `align` + `*`
    elif kind in ("math_inline", "math_inline_double"):
        delimiter, display, env = token.markup or "$", kind == "math_inline_double", ""
    else:
        delimiter, display, env = token.markup or "$$", True, ""
        if delimiter not in ("$$", "\\["):
            delimiter = "$$"
    stripped = content.strip("\n")
    offset = locator.find(stripped or content, None if display else limit)
    exact = offset is not None
    if offset is None:  # body is not verbatim in the file (e.g. inside a block quote): use the line
        first = stripped.splitlines()[0] if stripped else ""
        offset = locator.find(first, limit)
        if offset is None:
            offset = locator.cursor
    body = content if kind == "amsmath" else (stripped or content)
    label = token.info if kind == "math_block_label" else ""
    if not label:
        found = _LABEL.search(body)
        label = found.group(1) if found else ""
    return MathSpan(source, body, offset, display, delimiter, env, label, exact)


def _walk_inline(section: Section, locator: Locator, token: Token) -> None:
    """Record offsets of inline children, collect math, and report unclosed `$`."""
    source = section.source
    start = locator.block_start(token)
    end = source.line_offset(token.map[1]) if token.map else None
    for child in token.children or []:
        if child.type in MATH_TOKENS:
            section.add_math(child, _math_span(source, locator, child, end))
        elif child.type in ("text", "code_inline"):
            first = child.content.split("\n", 1)[0]
            offset = locator.find(first, end) if first else None
            if offset is not None:
                section.offsets[id(child)] = offset
            if child.type == "text" and _UNCLOSED_MATH.search(child.content):
                dollar = _UNCLOSED_MATH.search(child.content).start()
                at = source.location(offset + dollar) if offset is not None and dollar < len(first) else \
                    source.location(start)
                fence = "$$" if child.content.startswith("$$", dollar) else "$"
                stray = _stray_dollar(token.content) if fence == "$" else None
                where = -1 if stray is None else source.text.find(token.content[max(0, stray - 20):stray + 1], start)
                if where >= 0:  # the `$` that throws the pairing out: report it, not a later formula's
                    at = source.location(where + min(20, stray))
                    raise ContentError("unclosed '$': this '$' opens or closes no formula (the '$' of this paragraph "
                                       "do not pair up)", at, hint="write \\$ for a dollar sign, or add the '$' that "
                                       "opens its formula")
                raise ContentError(f"unclosed '{fence}': math started here is never closed", at,
                                   hint=f"close the formula with a matching '{fence}', or write \\$ for a "
                                        "dollar sign")
        elif child.type == "citation":
            _add_citation(section, locator, child, end, start)
        elif child.type == "html_inline":
            offset = locator.find(child.content, end)
            at = source.location(offset) if offset is not None else source.location(start)
            if not _SILENT_HTML.match(child.content.strip()):  # a closing tag or an anchor loses nothing visible
                section.diagnostics.append(Diagnostic(at, "warning", f"raw HTML dropped: {child.content.strip()}",
                                                      "notes are typeset by LaTeX; use Markdown instead"))
        elif child.type == "image":
            for part in child.children or []:  # math in the caption (alt text) comes before the src in the file
                if part.type in MATH_TOKENS:
                    section.add_math(part, _math_span(source, locator, part, end))
                elif part.type == "citation":
                    _add_citation(section, locator, part, end, start)
            src = str(child.attrs.get("src", "") or "")
            offset = locator.find(src, end)
            if offset is None:  # markdown-it %-encodes spaces and non-ASCII: the file has them as typed
                offset = locator.find(urllib.parse.unquote(src), end)
            if offset is not None:
                section.offsets[id(child)] = offset


def _add_citation(section: Section, locator: Locator, token: Token, end: int | None, start: int) -> None:
    """Each cited key with the location of its `@` (lint checks it against the bibliography)."""
    source = section.source
    offset = locator.find(token.content, end)
    if offset is not None:
        section.offsets[id(token)] = offset
    for item in token.meta["citation"].items:
        where = source.location(offset + item.offset) if offset is not None else source.location(start)
        if not is_crossref(item.key):  # `@fig:loss` refers to a figure of the notes (render checks it)
            section.citations.append((item, where))
            if offset is not None:
                _add_note_math(section, token, offset, item)


def _add_note_math(section: Section, token: Token, offset: int, item: CiteItem) -> None:
    """The formulas of a citation's pre- and postnote, as the renderer reads them (NOTE_MATH): lint checks them
    like any other, and errors in them are at their own column."""
    spans = section.note_math.setdefault(id(token), [])
    for note, where in ((item.prefix, token.content.rfind(item.prefix, 0, item.offset)),
                        (item.suffix, token.content.find(item.suffix, item.offset))):
        if not note or where < 0:
            continue
        for match in NOTE_MATH.finditer(note):
            span = MathSpan(section.source, match.group(1), offset + where + match.start(1), False, "$")
            spans.append(span)
            section.math.append(span)


_CLOSING_FENCE = re.compile(r"^[ \t>]*:{3,}[ \t]*$")


# HTML that sets nothing visible: closing tags and anchors (`<a name="intro"></a>`)
_SILENT_HTML = re.compile(r"</\w+\s*>|<a\s+(?:name|id)\s*=[^>]*>", re.I)
_CLOSING_ONLY = ".,;:!?)]，。、；：！？）"


def _stray_dollar(text: str) -> int | None:
    """The first `$` of a paragraph that can only close a formula where one should open (`0,62$. Then`), which
    throws every later pair out of step; None when the `$` alternate as they should."""
    expect_open = True
    for match in re.finditer(r"(?<![\\$])\$(?!\$)", text):
        index = match.start()
        before, after = text[index - 1:index], text[index + 1:index + 2]
        opens = bool(after) and not after.isspace() and after not in _CLOSING_ONLY
        closes = bool(before) and not before.isspace() and (not after or after.isspace() or after in _CLOSING_ONLY)
        if expect_open and closes and not opens:
            return index
        if expect_open and opens:
            expect_open = False
        elif not expect_open and (closes or (before and not before.isspace())):
            expect_open = True
    return None


def _check_closed(source: SourceFile, token: Token) -> None:
    """A `::: note` with no closing `:::` would swallow the rest of the file into the call-out."""
    assert token.map is not None
    last = token.map[1]  # the plugin's map ends at the closing line itself
    line = source.text[source.line_offset(last):source.line_offset(last + 1)].rstrip("\r\n")
    if not _CLOSING_FENCE.match(line):
        opening = source.line_offset(token.map[0])
        indent = len(source.text[opening:]) - len(source.text[opening:].lstrip(" \t>"))
        raise ContentError(f"call-out '{token.info.strip() or token.type}' opened here is never closed",
                           source.location(opening + indent),
                           hint="end it with a line ':::' (with as many colons as it opened with)")


def parse_section(path: Path, text: str | None = None) -> Section:
    """Parse one Markdown file into tokens, math spans and located diagnostics."""
    text = read_text(path) if text is None else text
    try:
        split_front_matter(text, path)  # an unclosed one is an error at line 1
    except ConfigError as error:
        raise ContentError(error.message, error.location, hint=error.hint) from None
    source = SourceFile(path, text)
    tokens = _parser().parse(text)
    section = Section(source, tokens)
    locator = Locator(source)
    for token in tokens:
        if token.type == "footnote_block_open":  # the definitions, collected at the end: back to where they are
            locator.cursor = 0
        if token.type == "inline":
            _walk_inline(section, locator, token)
        elif token.type in MATH_TOKENS:
            locator.block_start(token)
            section.add_math(token, _math_span(source, locator, token, None))
        elif token.type in ("fence", "code_block", "html_block", "front_matter"):
            start = locator.block_start(token)
            section.offsets[id(token)] = start
            if token.map:
                locator.cursor = source.line_offset(token.map[1])
            if token.type == "html_block" and not token.content.lstrip().startswith("<!--") \
                    and not re.search(r"<img\b", token.content, re.I) \
                    and not all(_SILENT_HTML.match(tag) for tag in re.findall(r"<[^>]*>", token.content)):
                # images in HTML are figures (render); a block of anchors and closing tags drops nothing
                section.diagnostics.append(Diagnostic(
                    source.location(start), "warning", f"raw HTML dropped: {token.content.strip()[:60]}",
                    "notes are typeset by LaTeX; use Markdown instead"))
        elif token.map:
            section.offsets[id(token)] = locator.block_start(token)
            if token.type.startswith("container_") and token.type.endswith("_open"):
                _check_closed(source, token)
    for span in section.math:
        if "newcommand" in span.body:
            section.macros.extend(take_definitions(span))
    return section


def symbol_spans(config: NotesConfig) -> list[MathSpan]:
    """Math written in the YAML symbols table, located at the YAML value."""
    source = SourceFile(config.source, "")
    spans = []
    for symbol in config.symbols:
        location = symbol.location or Location(config.source)
        spans.append(MathSpan(source, symbol.symbol, 0, False, "yaml", yaml_line=location.line,
                              yaml_column=location.column))
    return spans


def load_document(target: str | Path | None = None, config: NotesConfig | None = None) -> Document:
    """Gather: configuration plus every section, parsed, in reading order."""
    config = config or load_config(target)
    sections = [parse_section(path) for path in config.sections]
    adopt_formula_macros(config, sections)
    return Document(config, sections)
