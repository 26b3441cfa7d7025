"""What every writer shares: the sandboxed Jinja environment and the walk of the document model that hands each node
to its template macro. An output format is a subclass naming its template folder and its escaping, plus templates
with one macro per element (templates/elements.tex.j2 is the reference)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import jinja2

from notes_builder.config import templates_dir
from notes_builder.errors import Location
from notes_builder.places import cache_dir
from notes_builder.render import model as m
from notes_builder.render.sandbox import BoundedOperators

# The words of captions in the document's language; templates read them as `words.figure`, `words.equation`.
CAPTION_WORDS = {"en": {"equation": "Equation", "figure": "Figure", "table": "Table", "section": "Section",
                        "references": "References"},
                 "zh": {"equation": "公式", "figure": "图", "table": "表", "section": "节", "references": "参考文献"}}
BUILTIN = "builtin"  # templates of the shipped folder under this prefix, even where a template folder overrides them


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates survive between runs (Jinja checks each template's source for changes).

    Not the folders of older versions ("jinja", "jinja-sandbox"): Jinja's cache key ignores the environment,
    and code compiled outside the sandbox, or with constant folding, skips the sandbox's checks."""
    folder = cache_dir() / "jinja-sandbox-unfolded"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _KeptIfWritable(str(folder))


class _KeptIfWritable(jinja2.FileSystemBytecodeCache):
    """A cache that cannot be written (read-only) serves what it has; what is new is compiled again next time."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def template_environment(override: Path | None = None, folder: Path | None = None) -> jinja2.Environment:
    """Jinja with LaTeX-safe delimiters: ((* block *)), ((( variable ))), ((= comment =)).

    `folder`: the writer's shipped templates (default: templates/). A notes project may override any template by a
    file of the same name in `template.directory`. Such a folder is someone else's code run by `notes build`, so
    templates run in Jinja's sandbox (no underscore attributes: `cycler.__init__.__globals__.os` ran shell
    commands), with no globals and plain data only.
    """
    shipped = str(folder or templates_dir())
    folders = [str(override)] if override else []
    env = BoundedOperators(
        optimized=False,  # see BoundedOperators
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader([*folders, shipped]),
                                    jinja2.PrefixLoader({BUILTIN: jinja2.FileSystemLoader(shipped)})]),
        block_start_string="((*", block_end_string="*))",
        variable_start_string="(((", variable_end_string=")))",
        comment_start_string="((=", comment_end_string="=))",
        trim_blocks=True, lstrip_blocks=True, autoescape=False,
        bytecode_cache=_bytecode_cache(),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
    )
    env.globals.clear()  # range, dict, lipsum, cycler, joiner, namespace: the shipped templates use none
    return env


class Macros:
    """The element macros of a template folder, each looked up once: the folder's own, else the shipped one."""

    def __init__(self, env: jinja2.Environment, name: str):
        self.env = env
        self.name = name
        self.module = env.get_template(name).module
        self.builtin: Any = None
        self.found: dict[str, Callable[..., str]] = {}

    def __getitem__(self, macro: str) -> Callable[..., str]:
        found = self.found.get(macro)
        if found is None:
            found = getattr(self.module, macro, None)
            if found is None:
                if self.builtin is None:
                    self.builtin = self.env.get_template(f"{BUILTIN}/{self.name}").module
                found = getattr(self.builtin, macro)
            self.found[macro] = found
        return found


class Writer:
    """Sets a document model in one format: each node through the macro of its element type. Children are set
    first, so a macro receives its children's markup as text (as pandoc's and nbconvert's templates do)."""

    elements: ClassVar[str]  # the template of element macros
    document_template: ClassVar[str]

    def __init__(self, env: jinja2.Environment, document: m.NotesDocument):
        self.env = env
        self.document = document
        env.globals["words"] = dict(CAPTION_WORDS.get(document.language, CAPTION_WORDS["en"]))  # a copy
        env.globals["labels"] = {label: ref.number for label, ref in document.labels.items()}
        self.macros = Macros(env, self.elements)
        macro = self.macros
        self.breaks = {True: str(macro["soft_break"](True)), False: str(macro["soft_break"](False))}
        self.hard_break = str(macro["hard_break"]())
        self.inline_writers: dict[type, Callable[[Any], str]] = {
            m.Text: self.text, m.Reference: self.reference, m.Url: lambda n: macro["url"](n.url),
            m.Emphasis: lambda n: macro["emphasis"](self.inline(n.children)),
            m.Strong: lambda n: macro["strong"](self.inline(n.children)),
            m.Strikethrough: lambda n: macro["strikethrough"](self.inline(n.children)),
            m.InlineCode: lambda n: macro["inline_code"](n.code),
            m.Link: lambda n: macro["link"](n.url, self.inline(n.children)),
            m.InlineMath: lambda n: macro["inline_math"](n.tex, n.display),
            m.SoftBreak: lambda n: self.breaks[n.space], m.HardBreak: lambda n: self.hard_break,
            m.InlineImage: lambda n: macro["inline_image"](n.path),
            m.RemoteImage: lambda n: macro["remote_image"](self.inline(n.alt), n.url, True),
            m.Footnote: lambda n: macro["footnote"](self.blocks(n.blocks)),
            m.Citation: self.citation,
        }
        self.block_writers: dict[type, Callable[[Any], str]] = {
            m.Paragraph: self.paragraph, m.Heading: self.heading, m.DisplayMath: self.display_math,
            m.Figure: self.figure, m.CodeBlock: self.code_block, m.RawLatex: self.raw_latex,
            m.BulletList: lambda n: macro["bullet_list"]([self.list_item(item) for item in n.items]),
            m.OrderedList: lambda n: macro["ordered_list"](n.start, [self.list_item(item) for item in n.items]),
            m.BlockQuote: lambda n: macro["block_quote"](self.blocks(n.blocks)),
            m.ThematicBreak: lambda n: macro["thematic_break"](),
            m.Table: self.table, m.Callout: self.callout, m.SymbolTable: self.symbol_table,
            m.Bibliography: lambda n: self.located(n.location) + macro["bibliography"](),
        }

    # -- what a format decides --
    def escape(self, text: str) -> str:
        """Prose as the format writes it literally."""
        return text

    def located(self, location: Location) -> str:
        """A mark before a block naming the user's file and line (LaTeX: so compile errors map back)."""
        return ""

    def highlighted(self, node: m.CodeBlock) -> str:
        return node.code

    def wide(self, header: list[str], rows: list[list[str]]) -> bool:
        return False

    def write(self) -> str:
        """The whole document."""
        return self.env.get_template(self.document_template).render(self.context(self.body()))

    def context(self, body: str) -> dict[str, Any]:
        document = self.document
        return {"title": document.title, "author": document.author, "date": document.date, "body": body,
                "options": document.template}

    # -- the walk --
    def body(self) -> str:
        section = self.macros["section"]
        return "\n".join(str(section(part.path.name, self.blocks(part.blocks))) for part in self.document.sections)

    def inline(self, nodes: list[m.Inline]) -> str:
        writers = self.inline_writers
        return "".join([str(writers[type(node)](node)) for node in nodes])

    def blocks(self, nodes: list[m.Block]) -> str:
        writers = self.block_writers
        return "\n".join(part for part in (str(writers[type(node)](node)) for node in nodes) if part)

    def text(self, node: m.Text) -> str:
        return self.escape(node.text)

    def reference(self, node: m.Reference) -> str:
        return self.macros["reference"](node.kind, node.label)

    def citation(self, node: m.Citation, notes: bool = True) -> str:
        """The citation through the template's macro; without its pre- and postnotes when not `notes`."""
        works = [{"key": work.key, "prefix": self.inline(work.prefix) if notes else "",
                  "suffix": self.inline(work.suffix) if notes else "", "suppress_author": work.suppress_author}
                 for work in node.works]
        return self.macros["citation"](node.mode, works)

    def paragraph(self, node: m.Paragraph) -> str:
        return self.located(node.location) + self.macros["paragraph"](self.inline(node.children))

    def heading(self, node: m.Heading) -> str:
        return self.located(node.location) + self.macros["heading"](node.level, self.inline(node.children).strip(),
                                                                     node.anchor)

    def display_math(self, node: m.DisplayMath) -> str:
        return self.located(node.location) + self.macros["formula"](node.tex, node.anchors, node.number,
                                                                     self.inline(node.caption))

    def figure(self, node: m.Figure) -> str:
        return self.located(node.location) + self.macros["figure"](node.path, self.inline(node.caption), node.number,
                                                                    node.anchor, node.url)

    def code_block(self, node: m.CodeBlock) -> str:
        title = self.macros["code_title"](node.label, self.inline(node.title))
        return self.located(node.location) + self.macros["code"](title, self.highlighted(node), node.first_line,
                                                                  node.line_numbers)

    def raw_latex(self, node: m.RawLatex) -> str:
        return self.located(node.location) + self.macros["raw_latex"](node.tex)

    def list_item(self, node: m.ListItem) -> str:
        return self.macros["list_item"](self.blocks(node.blocks), node.task)

    def table(self, node: m.Table) -> str:
        header = [self.inline(cell) for cell in node.header]
        rows = [[self.inline(cell) for cell in row] for row in node.rows]
        wide = self.wide(header, rows)
        if not node.number:  # a template folder's table macro of before captions still works
            return self.located(node.location) + self.macros["table"](node.aligns, header, rows, wide)
        return self.located(node.location) + self.macros["table"](node.aligns, header, rows, wide,
                                                                   caption=self.inline(node.caption),
                                                                   number=node.number, anchor=node.anchor)

    def callout(self, node: m.Callout) -> str:
        return self.macros["callout"](node.kind, self.inline(node.title), self.blocks(node.blocks))

    def symbol_table(self, node: m.SymbolTable) -> str:
        rows = [{"symbol": row.symbol, "meaning": row.meaning, "shape": row.shape} for row in node.rows]
        return self.located(node.location) + self.macros["symbol_table"](rows)
