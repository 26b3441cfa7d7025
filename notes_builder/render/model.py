"""The document model: what resolve makes of the parsed Markdown, and what every writer reads.

Format-neutral: numbers, labels, placeholder values, staged images and included code are settled here, and text is
plain Unicode. No node holds markup of an output format, except math (TeX in every format: MathJax reads it too,
already written as LaTeX reads MathJax's forms, see mathforms) and RawLatex, which only the LaTeX writer sets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from notes_builder.errors import Diagnostic, Location

# --- inline ---------------------------------------------------------------------------------------

@dataclass(slots=True)
class Text:
    text: str  # prose as printed: placeholders filled, quotes typographic


@dataclass(slots=True)
class Reference:
    """`\\eqref{label}` (kind "eqref": the number in parentheses), `\\ref{label}` (the number) in prose, or
    `@fig:label` (kind "named": the number with its kind's word, "Figure 2")."""
    kind: str
    label: str


@dataclass(slots=True)
class Url:
    """A web address shown as itself: `<https://...>`, or a bare one in prose."""
    url: str


@dataclass(slots=True)
class Emphasis:
    children: list[Inline]


@dataclass(slots=True)
class Strong:
    children: list[Inline]


@dataclass(slots=True)
class Strikethrough:
    children: list[Inline]


@dataclass(slots=True)
class InlineCode:
    code: str


@dataclass(slots=True)
class Link:
    url: str
    children: list[Inline]


@dataclass(slots=True)
class InlineMath:
    tex: str
    display: bool = False  # `$$...$$` inside a sentence


@dataclass(slots=True)
class SoftBreak:
    space: bool = True  # a line break between Chinese characters is no space


@dataclass(slots=True)
class HardBreak:
    pass


@dataclass(slots=True)
class InlineImage:
    """An image inside a sentence: set at text height, no caption or number."""
    path: str  # name in the build folder


@dataclass(slots=True)
class RemoteImage:
    """An image the build did not download: a frame with its alt text and address."""
    alt: list[Inline]
    url: str


@dataclass(slots=True)
class CitedWork:
    """One cited key with the words around it: `see` before, `p. 3` after (prose with inline math, as pandoc
    reads them); `suppress_author` for `-@key`."""
    key: str
    prefix: list[Inline] = field(default_factory=list)
    suffix: list[Inline] = field(default_factory=list)
    suppress_author: bool = False


@dataclass(slots=True)
class Citation:
    """`[@a; see @b, p. 3]` (mode "parenthetical") or `@a [p. 3]` (mode "textual"). The keys are checked against the
    bibliography by lint before the build; the citation style and the reference list are the writer's back end's."""
    mode: str
    works: list[CitedWork]


@dataclass(slots=True)
class Footnote:
    blocks: list[Block]


Inline = (Text | Reference | Url | Emphasis | Strong | Strikethrough | InlineCode | Link | InlineMath | SoftBreak
          | HardBreak | InlineImage | RemoteImage | Footnote | Citation)


# --- blocks ---------------------------------------------------------------------------------------

@dataclass(slots=True)
class Paragraph:
    children: list[Inline]
    location: Location


@dataclass(slots=True)
class Heading:
    level: int  # 1 = section, after the shift that makes the top headings level 1
    children: list[Inline]
    anchor: str
    number: str  # "" beyond level 3
    location: Location


@dataclass(slots=True)
class DisplayMath:
    """A display formula: its environment with each numbered line's \\tag; anchors are its lines' labels."""
    tex: str
    anchors: list[str]
    number: str  # the first numbered line's, for the caption; "" when none is numbered
    caption: list[Inline]
    location: Location


@dataclass(slots=True)
class Figure:
    path: str  # name in the build folder; "" for a remote image
    url: str | None  # a remote image's address (not downloaded)
    caption: list[Inline]
    number: str
    anchor: str
    location: Location


@dataclass(slots=True)
class CodeBlock:
    language: str  # as written after the fence
    known: bool  # a language the highlighter knows
    label: str  # how the box names the language (Python, Bash, text)
    title: list[Inline]
    code: str
    first_line: int
    line_numbers: bool
    location: Location


@dataclass(slots=True)
class RawLatex:
    tex: str
    location: Location


@dataclass(slots=True)
class ListItem:
    blocks: list[Block]
    task: bool | None = None  # a task list item: ticked or not


@dataclass(slots=True)
class BulletList:
    items: list[ListItem]


@dataclass(slots=True)
class OrderedList:
    start: int
    items: list[ListItem]


@dataclass(slots=True)
class BlockQuote:
    blocks: list[Block]


@dataclass(slots=True)
class ThematicBreak:
    pass


@dataclass(slots=True)
class Table:
    aligns: list[str]  # "l", "c", "r" per column
    header: list[list[Inline]]
    rows: list[list[list[Inline]]]  # each as wide as the header
    location: Location
    caption: list[Inline] = field(default_factory=list)  # `Table: …` beside it: numbered, referenceable
    number: str = ""
    anchor: str = ""  # its label: `{#tbl:x}` at the caption's end, else tbl:NUMBER


@dataclass(slots=True)
class Callout:
    kind: str  # note, tip, warning...
    title: list[Inline]
    blocks: list[Block]


@dataclass(slots=True)
class Bibliography:
    """The reference list: where `::: references` stands, else at the end of the notes when they cite."""
    location: Location


@dataclass(slots=True)
class SymbolRow:
    symbol: str  # TeX math
    meaning: str  # text
    shape: str  # TeX math, or ""


@dataclass(slots=True)
class SymbolTable:
    rows: list[SymbolRow]
    location: Location


Block = (Paragraph | Heading | DisplayMath | Figure | CodeBlock | RawLatex | BulletList | OrderedList | BlockQuote
         | ThematicBreak | Table | Callout | SymbolTable | Bibliography)


# --- document -------------------------------------------------------------------------------------

@dataclass
class Label:
    number: str  # as printed
    location: Location


@dataclass
class SectionBody:
    """One section file's blocks."""
    path: Path
    blocks: list[Block]


@dataclass
class NotesDocument:
    title: str
    author: str
    date: str
    language: str
    cjk: bool  # Chinese text somewhere: the CJK font is loaded
    code_style: str  # a Pygments style
    template: dict[str, Any]  # the template options, as plain data
    macros: list[tuple[str, dict[str, Any]]]  # notes.yaml's macros: name -> {"args": n, "body": tex}
    sections: list[SectionBody]
    labels: dict[str, Label] = field(default_factory=dict)
    missing_glyphs: dict[str, Location] = field(default_factory=dict)  # characters no font has: shown framed
    substitutes: dict[str, str] = field(default_factory=dict)  # a character -> its equivalent the fonts have
    assets: dict[str, Path] = field(default_factory=dict)  # name in the build folder -> source file
    inputs: set[Path] = field(default_factory=set)  # files read besides notes.yaml and the sections
    warnings: list[Diagnostic] = field(default_factory=list)
    bibliography: list[str] = field(default_factory=list)  # staged .bib names (in assets) when the notes cite
    citation_style: str = "author-year"
