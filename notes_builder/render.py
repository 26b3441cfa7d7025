"""Render stage: parsed notes to one LaTeX document through the Jinja templates in `templates/`.

Prose goes through `escape_latex` (explicitly, as nbconvert does); math and Pygments-highlighted code
pass through untouched. Equation, figure and section numbers are assigned here and written into the
preamble, so `\\eqref`/`\\ref` resolve in a single pdflatex pass (no .aux round trip).
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import functools
import hashlib
import html
import json
import math
import os
import re
import shutil
import struct
import subprocess
import tempfile
import unicodedata
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment, SecurityError
from markdown_it.tree import SyntaxTreeNode
from pygments import __version__ as pygments_version
from pygments import highlight
from pygments.formatters import LatexFormatter
from pygments.lexers import get_lexer_by_name
from pygments.styles import get_style_by_name
from pygments.util import ClassNotFound

from notes_builder import displaymath, plugins
from notes_builder.config import NotesConfig, cache_dir, macro_arguments, read_text, split_front_matter, templates_dir
from notes_builder.content import CONTAINER_NAMES, Document, MathSpan, Section
from notes_builder.errors import (
    ConfigError,
    ContentError,
    Diagnostic,
    Location,
    PlaceholderError,
    TemplateError,
    ToolMissingError,
)
from notes_builder.files import write_atomic
from notes_builder.security import (
    FORBIDDEN_HINT,
    PLACEHOLDER_IN_MATH,
    describe,
    find_forbidden,
    group_end,
    unbalanced_brace,
)
from notes_builder.texchars import CJK_RANGES, UNICODE_MATH, accented, is_cjk

IMAGE_SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".svg"}


# --- characters -----------------------------------------------------------------------------------

LATEX_SPECIALS = {
    "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}
# Unicode punctuation in prose: proper LaTeX (quotes, dashes) rather than relying on the input encoding.
PROSE_UNICODE = {
    "\u2018": "`", "\u2019": "'", "\u201c": "``", "\u201d": "''", "\u2013": "--", "\u2014": "---",
    "\u2026": r"\ldots{}", "\u00a0": "~", "\u2009": r"\,", "\u202f": r"\,", "\u00ad": r"\-",
    "\u2002": r"\enspace{}", "\u2003": r"\quad{}", "\u2004": r"\ ", "\u2005": r"\ ", "\u2006": r"\,",
    "\u2007": r"\enspace{}", "\u2008": r"\,", "\u200a": r"\,",
}
TEXT_SAFE_RANGES = ((0x20, 0x7E), (0xA0, 0x17F))  # ASCII, Latin-1 and Latin Extended-A: set by T1/TS1
# Characters that the fonts of a pdflatex document lack natively (beyond Latin-1 and Latin Extended-A,
# which T1/TS1 set as text): declared as their math command, so they work in prose, code boxes and math.
UNICODE_COMMANDS = {
    char: command for char, command in UNICODE_MATH.items()
    if ord(char) > TEXT_SAFE_RANGES[-1][1] and char not in PROSE_UNICODE and command.strip()
    and not unicodedata.category(char).startswith(("Z", "C"))
}


ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width space, (non-)joiners, word joiner, BOM


def has_cjk(text: str) -> bool:
    return any(ord(c) >= 0x2E80 and is_cjk(c) for c in text)


def unicode_declarations(engine: str = "pdflatex") -> str:
    """Preamble lines that make the mapped characters typeset anywhere (prose, code boxes, math)."""
    if engine == "pdflatex":
        invisible = "".join(f"\n\\DeclareUnicodeCharacter{{{ord(char):04X}}}{{}}" for char in ZERO_WIDTH)
        return "\n".join(f"\\DeclareUnicodeCharacter{{{ord(char):04X}}}{{\\ensuremath{{{command}}}}}"
                         for char, command in UNICODE_COMMANDS.items()) + invisible
    return "\n".join(f"\\newunicodechar{{{char}}}{{\\ensuremath{{{command}}}}}"
                     for char, command in UNICODE_COMMANDS.items() if not is_cjk(char))


def unrenderable(text: str, cjk: bool, glyphs: frozenset[int] = frozenset(), start: int = 0) -> int | None:
    """Index (from `start`) of the first character no font of a pdflatex document can set, or None. In a Chinese
    document, `glyphs` are the code points the CJK font has (cjk_glyphs)."""
    for index in range(start, len(text)):
        char = text[index]
        code = ord(char)
        if code < 0x80:
            if code >= 0x20 or char in "\n\t\r":
                continue
            return index
        if any(lo <= code <= hi for lo, hi in TEXT_SAFE_RANGES) or char in UNICODE_COMMANDS or char in PROSE_UNICODE:
            continue
        if cjk and (code in glyphs if glyphs else is_cjk(char) or _in_gb2312(char)):
            continue  # the CJK font has it: Chinese, and symbols such as Ⅱ, ⑥, ①
        if char in ZERO_WIDTH:  # set as nothing (unicode_declarations)
            continue
        return index
    return None


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


@functools.lru_cache(maxsize=8)
def cjk_glyphs(family: str) -> frozenset[int]:
    """The code points CJKutf8's font `family` has, read from its TeX font metrics: gbsnu4e.tfm holds U+4E00-4EFF,
    and a character's width index 0 there means the font lacks it. A character it lacks stops pdflatex ("Font
    ... not loadable") or drops silently ("Missing character"). Empty when the fonts cannot be found."""
    tool = shutil.which("kpsewhich")
    if tool is None:
        return frozenset()
    try:
        found = subprocess.run([tool, f"{family}u4e.tfm"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    if not found:
        return frozenset()
    glyphs: set[int] = set()
    for path in Path(found).parent.glob(f"{family}u*.tfm"):
        plane = path.stem.removeprefix(family + "u")
        if not re.fullmatch(r"[0-9a-f]{2}", plane):
            continue
        try:
            data = path.read_bytes()
            _, header_words, first, last = struct.unpack(">HHHH", data[:8])
        except (OSError, struct.error):
            continue
        info = 24 + 4 * header_words
        glyphs.update((int(plane, 16) << 8) | code for code in range(first, last + 1)
                      if info + 4 * (code - first) < len(data) and data[info + 4 * (code - first)])
    return frozenset(glyphs)


_ESCAPE_RE = re.compile("[" + re.escape("".join(LATEX_SPECIALS) + "".join(PROSE_UNICODE)) + "]")


def escape_latex(text: str) -> str:
    """Escape prose for LaTeX: every special character comes out literally in the PDF."""
    def replace(match: re.Match[str]) -> str:
        char = match.group(0)
        return LATEX_SPECIALS.get(char) or PROSE_UNICODE[char]

    escaped = _ESCAPE_RE.sub(replace, str(text))
    # Straight quotes would become curly ligatures in T1: keep them as typed.
    return escaped.replace('"', r"\textquotedbl{}")


_TT_LIGATURE = re.compile(r"([-,])(?=\1)")  # `--` and `,,`: a dash and „ in T1 typewriter fonts


_CODE_DASHES = {"\u2013": r"\textendash{}", "\u2014": r"\textemdash{}"}


_OPENING_QUOTE = re.compile(r"(?<=[\s(\[\u2014\u2013])([\"'])(?=\S|$)")


def smart_quotes(text: str, before: str = "") -> str:
    """ASCII quotes in prose as typographic ones, as pandoc's smart punctuation sets them: `"…"` -> “…”, `'…'`
    -> ‘…’, an apostrophe -> ’. A quote opens after a space or a bracket (or at the start), else it closes.
    Code keeps its straight quotes (escape_code)."""
    marked = (before[-1:] or " ") + text  # what precedes the text decides a quote at its start
    marked = _OPENING_QUOTE.sub(lambda m: "\u201c" if m.group(1) == '"' else "\u2018", marked)
    return marked[1:].replace('"', "\u201d").replace("'", "\u2019")


def escape_code(text: str) -> str:
    """Inline code: escaped like prose, but quotes stay straight and `--`, `,,` as typed (T1 typewriter
    fonts would set them as an en dash and a low quote, so `--pdf` needs `-{}-pdf`). A typed en or em dash
    stays one: prose writes it as the `--` ligature, which this splitting would undo."""
    pieces = []
    for piece in re.split("([\u2013\u2014])", text):
        if piece in _CODE_DASHES:
            pieces.append(_CODE_DASHES[piece])
            continue
        escaped = escape_latex(piece).replace("'", r"\textquotesingle{}").replace("`", r"\textasciigrave{}")
        pieces.append(_TT_LIGATURE.sub(r"\1{}", escaped))
    return "".join(pieces)


# --- placeholders ---------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)
# What markdown-it may read as bold or italic inside `{{ ... }}`: `9**9**9`, `x.__class__`, `2*n*3`.
_EMPHASIS_MARK = re.compile(r"\*|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


KNOWN_NAMES_SHOWN = 30  # an unknown metric's hint lists this many names (a results file may have hundreds)
MAX_PLACEHOLDER_CHARS = 10_000  # one placeholder's text: a number or a phrase, never a page
MAX_DIGITS = 20  # percent(n) / fixed(n): a float has about 17 significant digits
MAX_POWER_BITS = 10_000  # `a ** b` up to about 3,000 digits; 9 ** 999999999 would take minutes and gigabytes


def _digits(digits: Any) -> int:
    """The decimals of percent/fixed, bounded: `fixed(1000000000)` would print a gigabyte of zeros."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= MAX_DIGITS:
        raise ValueError(f"digits must be a whole number from 0 to {MAX_DIGITS}, not {digits!r}")
    return digits


def _finite(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _percent(value: Any, digits: int = 1) -> str:
    return f"{_finite(value) * 100:.{_digits(digits)}f}\u202f%"  # thin space, escaped to \\, later


def _fixed(value: Any, digits: int = 2) -> str:
    return f"{_finite(value):.{_digits(digits)}f}"


def _thousands(value: Any) -> str:
    return f"{int(value):,}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float)


class _BoundedOperators(SandboxedEnvironment):
    """The operators that build big values (`'x' * 10**9`, `'%999999999d' % 1`, `9 ** 999999999`) work on
    numbers only, and `**` within bounds, so Jinja run on notes (placeholders, a template folder) cannot
    exhaust the machine. Environments using this must be built with optimized=False: Jinja's constant
    folding would compute such expressions while compiling, before these checks."""

    intercepted_binops = frozenset({"*", "%", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if isinstance(left, jinja2.Undefined) or isinstance(right, jinja2.Undefined):
            return super().call_binop(context, operator, left, right)  # raises the unknown-name error
        if not (_is_number(left) and _is_number(right)):
            raise SecurityError(f"'{operator}' works on numbers only here "
                                f"(not {type(left).__name__} {operator} {type(right).__name__})")
        if (operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0
                and abs(left).bit_length() * right > MAX_POWER_BITS):  # checked before computing it
            raise SecurityError(f"the result of '**' is too large (over {MAX_POWER_BITS * 3 // 10:,} digits)")
        return super().call_binop(context, operator, left, right)


class _PlaceholderSandbox(_BoundedOperators, ImmutableSandboxedEnvironment):
    """Placeholders are data lookups plus filters. Notes are data, not programs: the sandbox refuses
    underscore attributes, and this class refuses every call, method values, and the operators that build
    big values, so `{{ ... }}` cannot reach Python nor exhaust the machine."""

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        raise SecurityError("placeholders cannot call functions")

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict) and attribute in obj:  # `metrics.items` is the key 'items', not dict.items
            return obj[attribute]
        return self._data(super().getattr(obj, attribute), attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        return self._data(super().getitem(obj, argument), argument)

    @staticmethod
    def _data(value: Any, name: Any) -> Any:
        """A method would print as `<built-in method items of dict object at 0x...>`."""
        if callable(value) and not isinstance(value, jinja2.Undefined):
            raise SecurityError(f"'{name}' is a method: placeholders cannot call functions; they look up data, "
                                "not methods")
        return value


_SANDBOX_HINT = ("a placeholder looks a value up (metrics.NAME, notes.title), may compute with numbers and may "
                 "apply the filters percent, fixed and thousands")


def _shown(expression: str) -> str:
    """`{{ expression }}` for a message: on one line, and shortened, since it is user input of any length."""
    text = " ".join(expression.split())
    return "{{ " + (text if len(text) <= 80 else text[:77] + "...") + " }}"


def placeholder_environment() -> jinja2.Environment:
    # optimized=False: no constant folding, which would compute `'x' * 10**9` while compiling and write
    # `'nan'|float` into the generated code as the undefined name `nan`.
    env = _PlaceholderSandbox(undefined=jinja2.StrictUndefined, autoescape=False, optimized=False)
    env.globals.clear()  # no range, lipsum, cycler, joiner, namespace, dict
    # The README's three filters only: Jinja's own (center, indent, format, map...) build big text or reach
    # attributes by name.
    env.filters = {"percent": _percent, "fixed": _fixed, "thousands": _thousands}
    return env


def placeholder_values(config: NotesConfig) -> dict[str, Any]:
    """What `notes.` offers placeholders: plain values only, never the config object and its paths."""
    return {"title": config.title, "author": config.author, "date": config.date, "language": config.language,
            **plugins.placeholder_values(config)}


# --- references -----------------------------------------------------------------------------------

@dataclass
class Reference:
    number: str  # as printed
    location: Location


# The words of captions in the document's language; templates read them as `words.figure`, `words.equation`.
CAPTION_WORDS = {"en": {"equation": "Equation", "figure": "Figure"}, "zh": {"equation": "公式", "figure": "图"}}
_REF = re.compile(r"\\(eqref|ref)\{([^{}]+)\}")  # group 1: the command, group 2: the label
# a reference, or a bare web address in prose (without a trailing sentence mark)
_REF_OR_URL = re.compile(_REF.pattern + r"|(?P<url>https?://[^\s<>\"'{}\\]+[^\s<>\"'{}\\.,;:!?)\]])")
_REMOTE = re.compile(r"^[a-z]+://")
_LABEL = re.compile(r"[A-Za-z0-9:._-]+")  # labels become TeX names: nothing TeX reads specially
# A paragraph line that looks like a call-out opening (`::: name`); markdown-it only parses known names.
_CALLOUT_OPENING = re.compile(r"^(?:[ \t>]|[-*+][ \t]|\d{1,9}[.)][ \t])*(:{3,})[ \t]*([A-Za-z][\w-]*)")
# Signatures that pdflatex checks only when it embeds the file, failing with no hint of which figure.
IMAGE_SIGNATURES = {".png": (b"\x89PNG\r\n\x1a\n", "PNG"), ".jpg": (b"\xff\xd8\xff", "JPEG"),
                    ".jpeg": (b"\xff\xd8\xff", "JPEG"), ".pdf": (b"%PDF-", "PDF")}
PDF_HEADER_WINDOW = 1024  # pdfTeX, like PDF readers, accepts a PDF header within the first kilobyte
# What a complete file ends with (within its last kilobyte: writers may append a newline or padding).
# JPEG has none to rely on: phones append data after the end-of-image marker, and pdflatex embeds those.
IMAGE_ENDINGS = {"PNG": b"IEND\xaeB`\x82", "PDF": b"%%EOF"}
IMAGE_TAIL_WINDOW = 1024
_SENTENCE_END = (".", "!", "?", "。", "！", "？", ")", "）")
_CONTINUATIONS = ("其中", "式中", "这里", "此处", "即", "则", "因此", "所以", "那么", "当", "于是", "由此")
_HTML_IMG = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"'](?P<src>[^\"']+)[\"'][^>]*>", re.I)
_HTML_ALT = re.compile(r"\balt\s*=\s*[\"']([^\"']*)[\"']", re.I)
_HTML_TAG = re.compile(r"<[^>]+>")
_OWN_NUMBER = re.compile(r"^(?:Figure|Fig\.?|图)\s*\d+(?:\.\d+)*\s*[.:：]?\s*", re.I)
_TASK = re.compile(r"\[([ xX])\][ \t]+")
_HEADING_ID = re.compile(r"\s*\{#([A-Za-z][\w:.-]*)\}\s*$")
_INCLUDE_ATTRS = re.compile(r'(\w+)\s*=\s*"([^"]*)"')


# Text commands MathJax sets in math that LaTeX drops there ("invalid in math mode"): boxed in \text{...}.
TEXT_IN_MATH = re.compile(r"(?P<argument>\\(?:textcircled|H|r|u|v|url)(?![A-Za-z])\s*(?=\{))"
                          r"|\\(?:LaTeXe|LaTeX|TeX)(?![A-Za-z])")


_TWO_SCRIPTS = re.compile(r"([_^])\{(\w+)\}(\1)\{(\w+)\}")
_CJK_RUN = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in CJK_RANGES) + "]+")


def math_unicode(body: str) -> str:
    """Unicode in math as MathJax shows it: a symbol with a LaTeX command (`×`, `²`, `≤`, Greek) becomes that
    command where TeX reads math (not inside `\\text{...}`), and a run of Chinese characters or full-width
    punctuation (`，`, `。`) is set as text, which the CJK font has (math fonts have none of them)."""
    from notes_builder.lint.checker import clean_body  # the same view of "math, not text" lint has

    clean = clean_body(body)
    out = []
    for index, char in enumerate(body):
        in_math = ord(char) > 0x7F and clean[index] == char  # not inside \\text{...}
        command = (UNICODE_MATH[char] if char in UNICODE_MATH else accented(char)) if in_math else None
        if command is None:
            out.append(char)
            continue
        following = body[index + 1:index + 2]
        if not command:
            command = "{}"  # a zero-width character: nothing, but the text on either side stays apart
        if command.startswith(("^", "_")) and out and out[-1] == command[0]:
            command = command[1:]  # `x^²`: the script is already there
        out.append(command + (" " if command[-1:].isalpha() and following.isalpha() else ""))
    joined = "".join(out)
    while _TWO_SCRIPTS.search(joined):  # `x²³` is x^{23}, not a double superscript
        joined = _TWO_SCRIPTS.sub(r"\1{\2\4}", joined)
    return _CJK_RUN.sub(lambda match: f"\\text{{{match.group(0)}}}", joined)


_DISPLAYLINES = re.compile(r"\\displaylines\s*\{")
_BLANK_LINE = re.compile(r"\n[ \t]*(?=\n)")
_SCRIPT_COMMAND = re.compile(r"([_^])\s*\\([A-Za-z]+)(?![A-Za-z])")
_SIZE_IN_MATH = re.compile(r"\\(?:tiny|scriptsize|footnotesize|small|normalsize|large|Large|LARGE|huge|Huge)"
                           r"(?![A-Za-z])\s*")
_NESTED_BOLD = re.compile(r"\\(boldsymbol|bm)\s*\{\s*\\(?:boldsymbol|bm)\s*(\{(?:[^{}]|\{[^{}]*\})*\})\s*\}")


def as_latex_reads(body: str) -> str:
    """A formula as MathJax reads it, written the way LaTeX reads the same meaning (Unicode, text commands in
    math, script arguments...): what the renderer sets, and what `notes lint --compile` compiles."""
    return mathjax_forms(boxed_text_commands(math_unicode(body) if not body.isascii() else body))


def mathjax_forms(body: str) -> str:
    """Forms MathJax reads that stop LaTeX, written as LaTeX reads the same meaning: a script whose argument is a
    command with arguments (`_\\text{data loss}`, `^\\frac{1}{2}`) gets braces; `^'` is `^{\\prime}`; a size
    command (`\\small`), which LaTeX ignores in math, is dropped; `\\boldsymbol{\\boldsymbol{R}}` (which exhausts
    TeX's memory with the bm package) is one \\boldsymbol."""
    from notes_builder.lint.macros import BUILTIN_ARGUMENTS

    if "^'" in body:
        body = body.replace("^'", "^{\\prime}")
    if "\\" not in body:
        return body
    body = _SIZE_IN_MATH.sub("{}", body)  # `{}`: the text on either side must not join into one command
    for match in reversed(list(_DISPLAYLINES.finditer(body))):  # plain TeX's, which amsmath's display refuses
        close = group_end(body, match.end() - 1)
        if close > 0:
            lines = re.sub(r"\\cr(?![A-Za-z])", r"\\\\", body[match.end():close])
            body = f"{body[:match.start()]}\\begin{{gathered}}{lines}\\end{{gathered}}{body[close + 1:]}"
    for start, close in reversed(displaymath.stacked_scripts(body)):
        body = f"{body[:start + 1]}\\substack{{{body[start + 1:close]}}}{body[close:]}"
    while _NESTED_BOLD.search(body):
        body = _NESTED_BOLD.sub(r"\\\1\2", body)
    out, cursor = [], 0
    for match in _SCRIPT_COMMAND.finditer(body):
        spec = BUILTIN_ARGUMENTS.get(match.group(2), "")
        if match.start() < cursor or "{" not in spec:
            continue
        end = match.end()
        for kind in spec:
            at = end
            while at < len(body) and body[at] in " \t\n":
                at += 1
            if kind == "*" and body.startswith("*", at):
                end = at + 1
            elif kind == "[" and body.startswith("[", at):
                close = body.find("]", at)
                end = close + 1 if close > 0 else end
            elif kind == "{" and body.startswith("{", at):
                close = group_end(body, at)
                if close < 0:
                    break
                end = close + 1
            elif kind == "{" and at < len(body) and not body[at].isspace():
                end = at + 1  # one token: `\\frac12`
        out += [body[cursor:match.start()], match.group(1), "{", body[match.start() + 1:end].lstrip(), "}"]
        cursor = end
    return "".join(out) + body[cursor:]


def boxed_text_commands(body: str) -> str:
    """`\\textcircled{1}` in math -> `\\text{\\textcircled{1}}`, as MathJax shows it."""
    if not TEXT_IN_MATH.search(body):
        return body
    out, cursor = [], 0
    for match in TEXT_IN_MATH.finditer(body):
        end = group_end(body, match.end()) if match.group("argument") else match.end() - 1
        if match.start() < cursor or end < 0:
            continue
        out += [body[cursor:match.start()], "\\text{", body[match.start():end + 1], "}"]
        cursor = end + 1
    return "".join(out) + body[cursor:]


def tex_url(url: str) -> str:
    """A URL for \\url/\\href: TeX's comment and parameter characters escaped, braces and backslashes dropped."""
    return (url.replace("\\", "/").replace("#", r"\#").replace("%", r"\%").replace("&", r"\&").replace("{", "")
            .replace("}", ""))


def tex_safe_stem(stem: str) -> str:
    """A file stem as a TeX-safe name (figure file in the build folder, `fig:` label): ASCII letters, digits,
    `_ . -`; anything else becomes `-` (`my fig#2` -> `my-fig-2`)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-") or "figure"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


@dataclass
class RenderResult:
    tex: str
    assets: dict[str, Path] = field(default_factory=dict)  # name in the build folder -> source file
    warnings: list = field(default_factory=list)
    references: dict[str, Reference] = field(default_factory=dict)
    inputs: set[Path] = field(default_factory=set)  # files read besides notes.yaml and the sections


class Renderer:
    """Walks each section's syntax tree and emits LaTeX through the element macros."""

    def __init__(self, document: Document, metrics: dict | None, results_error: str | None = None):
        self.document = document
        self.config: NotesConfig = document.config
        self.metrics = metrics
        self.results_error = results_error
        self.env = template_environment(self.config.template_dir)
        self.env.globals["words"] = dict(CAPTION_WORDS.get(self.config.language, CAPTION_WORDS["en"]))  # a copy
        self.macros = self.env.get_template("elements.tex.j2").module
        self.placeholders = placeholder_environment()
        self.document_title, self.title_heading = document_title(document)
        # the one `#` heading became the title: the others move up a level, as pandoc's --shift-heading-level-by=-1
        levels = [int(token.tag[1]) for section in document.sections for token in section.tokens
                  if token.type == "heading_open" and id(token) != self.title_heading]
        # notes whose top headings are `##` (the title in front matter) number them 1, 2, … rather than 0.1, 0.2
        self.heading_shift = max(0, min(levels, default=1) - 1) if self.title_heading is None else \
            max(1, min(levels, default=2) - 1)
        self.notes_values = {**placeholder_values(self.config), "title": self.document_title}
        self.cjk = self.config.language in ("zh", "mixed") or any(
            has_cjk(s.source.text) for s in document.sections)
        self.pdflatex = self.config.template.engine == "pdflatex"
        self.references: dict[str, Reference] = {}
        self.pending_refs: list[tuple[str, Location]] = []
        self.assets: dict[str, Path] = {}
        self.inputs: set[Path] = set()
        self.warnings: list = list(document.diagnostics)
        self.counters = {"equation": 0, "figure": 0, "section": [0, 0, 0]}
        self.section: Section | None = None
        self.before = ""  # the character before the text being set (Renderer.inline, smart_quotes)
        self.missing_glyphs: dict[str, Location] = {}  # shown as a framed code point (check_characters)
        self.substitutes: dict[str, str] = {}  # a character -> its canonical equivalent the fonts have
        self.footnotes: dict[Any, SyntaxTreeNode] = {}  # footnote id -> its definition, in the current section
        self.open_footnotes: set[Any] = set()  # footnotes being set now: one citing itself is not set again
        self.style = self._pygments_style()

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

    def marker(self, location: Location) -> str:
        """A TeX comment naming the user's file and line, so compile errors map back (see compile.py)."""
        return f"%NB@{location.path}:{location.line}\n"

    def check_characters(self, text: str, location_of_index) -> None:
        """Characters pdflatex's fonts lack. A Chinese character is words: an error naming it (pdflatex would stop
        with "Font ... not loadable"). A symbol or emoji (⭐, 🚀) is shown as a framed code point, with a warning
        (pandoc under xelatex drops it silently)."""
        if not self.pdflatex or text.isascii():
            return
        glyphs = cjk_glyphs(self.config.template.cjk_font) if self.cjk else frozenset()
        bad = unrenderable(text, self.cjk, glyphs)
        while bad is not None:
            char = text[bad]
            name = f"'{char}' (U+{ord(char):04X} {unicodedata.name(char, 'unnamed')})"
            canonical = unicodedata.normalize("NFC", char)  # a CJK compatibility ideograph: 略 (U+F976) is 略
            if canonical != char and unrenderable(canonical, self.cjk, glyphs) is None:
                self.substitutes[char] = canonical
                bad = unrenderable(text, self.cjk, glyphs, bad + 1)
                continue
            if is_cjk(char) or ord(char) < 0x20:
                font = f"the pdflatex Chinese font ({self.config.template.cjk_font})" if is_cjk(char) else "any font"
                raise ContentError(f"character {name} cannot be typeset: {font} has no glyph for it",
                                   location_of_index(bad), hint="set template.engine: xelatex in notes.yaml (or the "
                                   "front matter) with a font that has it, or replace it")
            if char not in self.missing_glyphs:
                self.missing_glyphs[char] = location_of_index(bad)
                self.warnings.append(Diagnostic(self.missing_glyphs[char], "warning",
                                                f"character {name} has no glyph in pdflatex's fonts: shown as "
                                                f"[U+{ord(char):04X}]", "set template.engine: xelatex with a font "
                                                "that has it, or replace it"))
            bad = unrenderable(text, self.cjk, glyphs, bad + 1)

    # -- prose --
    def text(self, node: SyntaxTreeNode) -> str:
        raw = node.content
        base = self.location(node)

        def at(index: int) -> Location:
            prefix = raw[:index]
            line = base.line + prefix.count("\n")
            column = (index - prefix.rfind("\n")) if "\n" in prefix else base.column + index
            return Location(base.path, line, column)

        return self.filled(raw, at, lambda index: self.unclosed_placeholder(at(index)))

    def filled(self, raw: str, at, unclosed) -> str:
        """Prose with its `{{ placeholders }}` replaced by their escaped values. `at` maps an index of `raw` to
        the user's location; `unclosed(index)` is the error for a `{{` that has no `}}`."""
        pieces = []
        cursor = 0

        def before() -> str:  # what precedes the next piece, for its quotes
            return next((piece[-1] for piece in reversed(pieces) if piece), self.before)

        for match in _PLACEHOLDER.finditer(raw):
            pieces.append(self.prose(raw[cursor:match.start()], lambda i, o=cursor: at(o + i), before()))
            pieces.append(escape_latex(self.placeholder(match.group(1).strip(), at(match.start()))))
            cursor = match.end()
        rest = raw[cursor:]
        if "{{" in rest:
            raise unclosed(cursor + rest.index("{{"))
        pieces.append(self.prose(rest, lambda i: at(cursor + i), before()))
        return "".join(pieces)

    def unclosed_placeholder(self, location: Location) -> PlaceholderError:
        """The error for a `{{` whose text has no `}}`. markdown-it reads `**`, `__` and `*` inside
        `{{ 9**9**9 }}` or `{{ x.__class__ }}` as bold or italic and splits the text there, so the placeholder
        is looked for as typed in the source: its own error, or the Markdown reason, says what to change."""
        typed = self._typed_placeholder(location)
        if typed is not None and _EMPHASIS_MARK.search(typed):
            note = ("Markdown reads '**', '__' and '*' inside a placeholder as bold or italic markup: put spaces "
                    "around the operator (`a ** b`, `a * b`)")
            try:
                self.placeholder(typed, location)
            except PlaceholderError as exc:
                return PlaceholderError(exc.message, location, hint=f"{exc.hint}; {note}" if exc.hint else note)
            return PlaceholderError(f"placeholder '{_shown(typed)}' is split by Markdown's bold or italic markup",
                                    location, hint=note)
        return PlaceholderError("placeholder '{{' is never closed with '}}'", location,
                                hint="close it in the same paragraph; in a table cell a '|' ends the cell, "
                                     "so write a filter as '\\|'")

    def _typed_placeholder(self, location: Location) -> str | None:
        """The expression of the placeholder opened at `location`, as typed up to its `}}` in the paragraph."""
        assert self.section is not None
        source = self.section.source
        line_start = source.line_offset(location.line - 1)
        start = line_start + max(location.column - 1, 0)
        if not source.text.startswith("{{", start):  # a column off inside a list or a quote: the line's first
            start = source.text.find("{{", line_start, source.line_offset(location.line))
            if start < 0:
                return None
        close = source.text.find("}}", start + 2, source.paragraph(start)[1])
        return None if close < 0 else source.text[start + 2:close].replace("\\|", "|").strip()

    def title(self, text: str, at) -> str:
        """A call-out or code-box title: filled and escaped as prose."""
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

    def prose(self, text: str, at, before: str = "") -> str:
        self.check_characters(text, at)
        if '"' in text or "'" in text:
            text = smart_quotes(text, before)
        pieces = []
        cursor = 0
        for match in _REF_OR_URL.finditer(text):
            pieces.append(escape_latex(text[cursor:match.start()]))
            if match.group("url"):  # a bare address: \\url breaks it anywhere (xurl), prose could not
                pieces.append(f"\\url{{{tex_url(match.group('url'))}}}")
            else:
                self.pending_refs.append((match.group(2), at(match.start())))
                pieces.append(f"\\{match.group(1)}{{{match.group(2)}}}")
            cursor = match.end()
        pieces.append(escape_latex(text[cursor:]))
        return "".join(pieces)

    def placeholder(self, expression: str, location: Location) -> str:
        """The text of one `{{ expression }}`. The expression and the results are both user input, so whatever
        goes wrong is the user's error at `location`, never a traceback."""
        shown = _shown(expression)
        if self.metrics is None and "metrics" in expression:
            raise PlaceholderError(f"placeholder '{shown}' needs results, but {self.results_error}",
                                   location, hint="run `notes train-figures` to record the results")
        try:
            result = self.placeholders.compile_expression(expression, undefined_to_none=False)(
                metrics=self.metrics or {}, notes=self.notes_values)
            if isinstance(result, dict | list | tuple):
                raise PlaceholderError(f"placeholder '{shown}' is a {'mapping' if isinstance(result, dict) else 'list'}"
                                       ", not a value", location, hint=_SANDBOX_HINT + "; name one entry, e.g. "
                                       "notes.title or metrics.test_accuracy")
            value = str(result)
        except PlaceholderError:
            raise
        except SecurityError as exc:
            raise PlaceholderError(f"placeholder '{shown}' is not allowed: {exc}", location,
                                   hint=_SANDBOX_HINT) from None
        except jinja2.UndefinedError as exc:
            raise PlaceholderError(f"unknown placeholder '{shown}': {exc.message}", location,
                                   hint=self._known_names_hint(expression)) from None
        except jinja2.TemplateError as exc:
            unknown = re.match(r"No (filter|test) named '([^']*)'", exc.message or "")
            if unknown:  # Jinja's other filters are left out on purpose: center, indent, format build big text
                raise PlaceholderError(f"placeholder '{shown}': {unknown[1]} '{unknown[2]}' is not allowed in "
                                       "placeholders", location, hint=_SANDBOX_HINT) from None
            raise PlaceholderError(f"invalid placeholder '{shown}': {exc}", location) from None
        except Exception as exc:  # ZeroDivisionError, OverflowError, MemoryError, RecursionError...
            raise PlaceholderError(f"placeholder '{shown}' failed: {str(exc) or type(exc).__name__}",
                                   location) from None
        if len(value) > MAX_PLACEHOLDER_CHARS:
            raise PlaceholderError(f"placeholder '{shown}' gives {len(value):,} characters, more than "
                                   f"{MAX_PLACEHOLDER_CHARS:,} characters", location,
                                   hint="a placeholder quotes a number or a phrase from the results")
        return value

    def _known_names_hint(self, expression: str) -> str | None:
        """Did-you-mean for an unknown `notes.NAME` or the first unknown `metrics.NAME`, else every name there is."""
        notes = self.notes_values
        asked_notes = re.search(r"\bnotes\.(\w+)", expression)
        if asked_notes and asked_notes.group(1) not in notes:
            close = difflib.get_close_matches(asked_notes.group(1), list(notes), n=1)
            return f"did you mean notes.{close[0]}?" if close else "notes offers " + ", ".join(
                f"notes.{name}" for name in notes)
        names = sorted(self.metrics or {})
        if not names:
            return None
        asked = re.search(r"metrics\.(\w+)", expression)
        close = difflib.get_close_matches(asked.group(1), names, n=3) if asked else []
        if close:
            return "did you mean " + " or ".join(f"metrics.{name}" for name in close) + "?"
        shown = ", ".join(names[:KNOWN_NAMES_SHOWN]) + (", ..." if len(names) > KNOWN_NAMES_SHOWN else "")
        return f"known metrics ({len(names)}): {shown}"

    def inline(self, node: SyntaxTreeNode) -> str:
        parts: list[str] = []
        for child in node.children:  # `before`: what precedes a text, for its quotes (`code`'s is an apostrophe)
            self.before = next((part[-1] for part in reversed(parts) if part), "")
            parts.append(self.inline_node(child))
        self.before = ""
        for index, child in enumerate(node.children):
            if child.type == "softbreak" and 0 < index < len(parts) - 1:
                before, after = parts[index - 1].rstrip(), parts[index + 1].lstrip()
                if before and after and is_cjk(before[-1]) and is_cjk(after[0]):
                    parts[index] = "%\n"  # a line break between Chinese characters is not a space
        return "".join(parts)

    def inline_node(self, node: SyntaxTreeNode) -> str:
        kind = node.type
        if kind == "text":
            return self.text(node)
        if kind == "text_special":
            return escape_latex(node.content)
        if kind == "softbreak":
            return "\n"
        if kind == "hardbreak":
            return "\\newline\n"
        if kind == "em":
            return f"\\emph{{{self.inline(node)}}}"
        if kind == "strong":
            return f"\\textbf{{{self.inline(node)}}}"
        if kind == "s":
            return f"\\sout{{{self.inline(node)}}}"
        if kind == "code_inline":
            self.check_characters(node.content, lambda i: self.location(node))
            return f"\\texttt{{{escape_code(node.content)}}}"
        if kind == "link":
            href = tex_url(str(node.attrs.get("href", "")))
            if (node.nester_tokens and node.nester_tokens.opening.markup == "autolink"
                    and not href.startswith("mailto:")):
                return f"\\url{{{href}}}"  # `<https://…>`: \\url breaks a long address (xurl) where \\href text cannot
            return f"\\href{{{href}}}{{{self.inline(node)}}}"
        if kind in ("math_inline", "math_inline_double"):
            span = self.math_span(node)
            body = self.math_body(span)
            if not body.strip():
                return ""
            return f"${body}$" if kind == "math_inline" else f"\\[{body}\\]"
        if kind == "image":  # a figure is a paragraph of its own (see block); in a sentence, an icon
            url = self.remote_image(node)
            if url is not None:
                return str(self.macros.remote_image(self.inline(node) if node.children else "", tex_url(url), True))
            path = self.asset(node)
            self.warnings.append(Diagnostic(
                self.image_location(node), "warning", "an image inside a sentence is set at text height, "
                "with no caption or number", "for a figure, put the image on its own line with a blank line "
                "before and after it"))
            return f"\\includegraphics[height=1.2em]{{{path}}}"
        if kind == "html_inline" or kind == "footnote_anchor":
            return ""
        if kind == "footnote_ref":
            key = node.meta.get("id")
            note = self.footnotes.get(key)
            if note is None or key in self.open_footnotes:  # undefined, or cited inside its own text
                return escape_latex(f"[^{node.meta.get('label', '')}]")
            self.open_footnotes.add(key)
            try:
                return f"\\footnote{{{self.blocks(note.children).strip()}}}"
            finally:
                self.open_footnotes.discard(key)
        raise ContentError(f"unsupported Markdown element '{kind}'", self.location(node))

    # -- math --
    def math_span(self, node: SyntaxTreeNode) -> MathSpan:
        assert self.section is not None and node.token is not None
        span = self.section.math_of.get(id(node.token))
        if span is None:
            raise ContentError("internal: math not located", self.location(node))
        return span

    def check_tex(self, body: str, at, what: str, forbidden_hint: str, brace_hint: str | None = None) -> None:
        """The safety checks shared by math and raw LaTeX: no forbidden primitives (unless notes.yaml opts
        in) and balanced braces. `at` maps an index of `body` to the user's location."""
        if not self.config.allow.tex_primitives:
            for index, name, why in find_forbidden(body):
                raise ContentError(f"{describe(name)} is not allowed in notes ({why})", at(index),
                                   hint=forbidden_hint)
        bad = unbalanced_brace(body)
        if bad is not None:
            raise ContentError(f"unbalanced '{body[bad]}' in {what}", at(bad), hint=brace_hint)

    def math_body(self, span: MathSpan) -> str:
        """Math passes through untouched, after the safety checks that keep it inside its box."""
        body = span.body
        placeholder = PLACEHOLDER_IN_MATH.search(body)
        if placeholder:  # LaTeX would typeset the braces' content as math letters, silently wrong
            raise PlaceholderError("placeholders are not replaced inside math", span.location(placeholder.start()),
                                   hint="write the placeholder outside the $…$, e.g. `$n =$ {{ metrics.NAME }}`")
        self.check_tex(body, span.location, "math", FORBIDDEN_HINT,
                       "every '{' needs a matching '}'; write \\{ or \\} for literal braces")
        self.check_characters(body, span.location)
        for match in _REF.finditer(body):
            self.pending_refs.append((match.group(2), span.location(match.start())))
        rewritten = as_latex_reads(body)
        if rewritten != body and not self.config.allow.tex_primitives:
            # the rewrites delete and join text (`\\le\\small t` must not become `\\let`): what TeX gets is checked too
            for _, name, why in find_forbidden(rewritten):
                raise ContentError(f"{describe(name)} would appear once the formula is set for LaTeX ({why})",
                                   span.location(), hint="write the formula without it; " + FORBIDDEN_HINT)
            if unbalanced_brace(rewritten) is not None:
                raise ContentError("the formula's braces do not balance once it is set for LaTeX", span.location())
        return rewritten

    def formula(self, node: SyntaxTreeNode, caption: str) -> str:
        """A display formula in its box, numbered line by line as LaTeX numbers `align` (displaymath.layout
        reads the lines, \\label, \\tag and \\notag as MathJax does)."""
        span = self.math_span(node)
        body = self.math_body(span)
        if not body.strip():
            return ""  # only `\\newcommand`s, which went to the preamble (content.take_definitions)
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
        return self.marker(span.location()) + str(self.macros.formula(tex, anchors, first_number, caption))

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
        self.references[label] = Reference(number, location)

    # -- assets --
    def inside_project(self, path: Path) -> bool:
        """Files a build may read: those of the project root (config.find_project_root), never others on disk."""
        return self.config.inside_project(path)

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
        if not _REMOTE.match(src):
            return False
        self.warnings.append(Diagnostic(location, "warning", f"remote image not downloaded: {src}",
                                        "the PDF shows a framed placeholder; download the image next to the notes "
                                        "and link the local file to embed it"))
        return True

    def asset(self, node: SyntaxTreeNode) -> str:
        """Copy (or convert) an image into the build folder; returns its name there."""
        # markdown-it %-encodes spaces and non-ASCII
        return self.asset_at(urllib.parse.unquote(str(node.attrs.get("src", ""))), self.image_location(node))

    def asset_at(self, src: str, location: Location, site_root: bool = False) -> str:
        """The image `src` of the current section (a path from its folder; with `site_root`, `/x` from the project
        root, as a site's HTML writes it), staged for the build; its name there."""
        assert self.section is not None
        if "\x00" in src:  # `%00` decodes to a NUL, which no file name has (and Path.resolve() rejects)
            raise ContentError(f"figure name '{src!r}' has a NUL character", location)
        folder = self.section.source.path.parent
        base = (self.config.project_root or self.config.root) if site_root and src.startswith("/") else folder
        path = (base / (src.lstrip("/") if site_root else src)).resolve()
        if not self.inside_project(path):  # the same rule as code includes: no file from elsewhere on disk
            raise ContentError(f"figure '{src}' is outside the notes project ({self.config.project_root})",
                               location, hint="figures may come from the project root only: copy it there, or "
                               "widen the root with `root:` in notes.yaml or `--root DIR`")
        suffix = path.suffix.lower()
        if suffix not in IMAGE_SUFFIXES:
            raise ContentError(f"image '{src}' has an unsupported type '{suffix or 'none'}'", location,
                               hint="use PDF (vector), PNG, JPG or SVG")
        if not path.is_file():
            hint = "run `notes train-figures` to create the run's figures" if "results" in src else None
            raise ContentError(f"figure file not found: {src} (looked for {path})", location, hint=hint)
        actual = image_type(path) if suffix != ".svg" else None
        if actual is not None and actual != {".jpeg": ".jpg"}.get(suffix, suffix):
            # a JPEG saved as .png (screenshots, downloads): staged under its real type, which pdflatex reads
            self.warnings.append(Diagnostic(location, "warning", f"figure {src} is a {actual[1:].upper()} file named "
                                            f"{suffix}", f"rename it to {path.stem}{actual}"))
            suffix = actual
        check_image_file(path, src, location, suffix)
        digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
        name = f"figures/{tex_safe_stem(path.stem)}-{digest}{'.pdf' if suffix == '.svg' else suffix}"
        self.assets[name] = path
        self.inputs.add(path)
        return name

    # -- blocks --
    def blocks(self, nodes: list[SyntaxTreeNode]) -> str:
        out = []
        index = 0
        while index < len(nodes):
            node = nodes[index]
            caption = ""
            if node.type in ("math_block", "math_block_label", "amsmath") and index + 1 < len(nodes):
                following = nodes[index + 1]
                if following.type == "paragraph" and self._attached(node, following):
                    caption = self.inline(following.children[0])
                    index += 1
            out.append(self.block(node, caption))
            index += 1
        return "\n".join(part for part in out if part)

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
        text = self.section.source.text
        line = text[self.section.source.line_offset(start[0]):self.section.source.line_offset(start[0] + 1)].strip()
        return (start[1] - start[0] == 1 and not line[:1].islower() and line.endswith(_SENTENCE_END)
                and not line.startswith(_CONTINUATIONS))

    def block(self, node: SyntaxTreeNode, caption: str = "") -> str:
        kind = node.type
        if kind == "paragraph":
            self.check_unknown_callout(node)
            children = node.children[0].children if node.children else []
            images = [c for c in children if c.type == "image"]
            if len(images) == 1 and all(c.type == "image" or (c.type == "text" and not c.content.strip())
                                        for c in children):
                return self.figure(images[0])
            return self.marker(self.location(node)) + self.inline(node.children[0]) + "\n"
        if kind == "heading":
            return self.heading(node)
        if kind in ("math_block", "math_block_label", "amsmath"):
            return self.formula(node, caption)
        if kind in ("fence", "code_block"):
            return self.code(node)
        if kind == "bullet_list":
            return f"\\begin{{itemize}}\n{self.items(node)}\\end{{itemize}}\n"
        if kind == "ordered_list":
            start = int(node.attrs.get("start", 1) or 1)
            option = f"[start={start}]" if start != 1 else ""
            return f"\\begin{{enumerate}}{option}\n{self.items(node)}\\end{{enumerate}}\n"
        if kind == "blockquote":
            return f"\\begin{{quote}}\n{self.blocks(node.children)}\n\\end{{quote}}\n"
        if kind == "hr":
            return "\\par\\noindent\\rule{\\linewidth}{0.4pt}\\par\n"
        if kind == "table":
            return self.table(node)
        if kind == "container_symbols":
            if not self.config.symbols:
                raise ContentError("'::: symbols' needs a symbols table in notes.yaml", self.location(node))
            return self.marker(self.location(node)) + str(self.macros.symbol_table(self.symbol_table_rows()))
        if kind.startswith("container_"):
            name = kind.removeprefix("container_")
            typed = (node.info or "").strip().removeprefix(name).strip()
            title = self.title(typed, self._in_line(self.location(node), typed)) or name.capitalize()
            return str(self.macros.callout(name, title, self.blocks(node.children)))
        if kind == "html_block" and _HTML_IMG.search(node.content):
            return self.html_figures(node)
        if kind in ("html_block", "front_matter", "footnote_block"):
            return ""  # a footnote's text is set where it is referenced (inline_node)
        raise ContentError(f"unsupported Markdown element '{kind}'", self.location(node))

    def check_unknown_callout(self, paragraph: SyntaxTreeNode) -> None:
        """`::: name` with a name the parser does not know stays a paragraph and would print literally."""
        assert self.section is not None
        opening = paragraph.nester_tokens.opening if paragraph.nester_tokens else None
        if opening is None or not opening.map:
            return
        source = self.section.source
        for number in range(opening.map[0], opening.map[1]):
            start = source.line_offset(number)
            line = source.text[start:source.line_offset(number + 1)]
            match = _CALLOUT_OPENING.match(line)
            closes = match and re.search(r"^[ \t>]*" + match.group(1) + r"[ \t]*$", source.text[start:], re.M)
            if match and match.group(2) not in CONTAINER_NAMES and closes:  # no closing fence: prose with colons
                name = match.group(2)
                close = difflib.get_close_matches(name, CONTAINER_NAMES, n=1)
                supported = ", ".join(CONTAINER_NAMES)
                raise ContentError(f"unknown call-out type '{name}'", source.location(start + match.start(1)),
                                   hint=f"did you mean '{close[0]}'? (supported: {supported})" if close
                                   else f"supported call-out types: {supported}")

    def items(self, node: SyntaxTreeNode) -> str:
        """`\\item{}`: an item whose text starts with `[` (`- [1] Hochreiter`) must not become \\item's label.
        A task list item (`- [ ]`, `- [x]`) shows a box, ticked or not."""
        out = []
        for item in node.children:
            label = self.task_box(item)
            body = self.blocks(item.children)
            opening = f"\\item[{label}]" if label else "\\item{}"
            out.append(f"{opening} {body}\n" if body.strip() else f"{opening}\\mbox{{}}\n")
        return "".join(out)

    @staticmethod
    def task_box(item: SyntaxTreeNode) -> str:
        """`$\\square$` or a ticked box for `[ ] `/`[x] ` opening a list item (its text loses the brackets)."""
        first = item.children[0] if item.children else None
        if first is None or first.type != "paragraph" or not first.children or not first.children[0].children:
            return ""
        text = first.children[0].children[0]
        match = _TASK.match(text.content) if text.type == "text" else None
        if match is None:
            return ""
        assert text.token is not None
        text.token.content = text.content[match.end():]
        return r"$\boxtimes$" if match.group(1) in "xX" else r"$\square$"

    def heading(self, node: SyntaxTreeNode) -> str:
        if node.nester_tokens is not None and id(node.nester_tokens.opening) == self.title_heading:
            return ""  # printed as the document's title
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
        text = self.inline(inline).strip()
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
        return self.marker(self.location(node)) + str(self.macros.heading(level, text, anchor))

    def figure(self, node: SyntaxTreeNode) -> str:
        url = self.remote_image(node)
        path = self.asset(node) if url is None else ""
        title = str(node.attrs.get("title") or "")
        caption = self.inline(node) if node.children else ""
        if title:
            caption = f"{caption}. {escape_latex(title)}" if caption else escape_latex(title)
        return self.numbered_figure(path, url, caption, urllib.parse.unquote(str(node.attrs.get("src"))),
                                    self.location(node))

    def numbered_figure(self, path: str, url: str | None, caption: str, src: str, location: Location) -> str:
        self.counters["figure"] += 1
        number = str(self.counters["figure"])
        anchor = f"fig:{tex_safe_stem(Path(src).stem)}"
        if anchor in self.references:
            anchor = f"{anchor}-{number}"
        self.add_reference(anchor, number, location)
        placeholder = str(self.macros.remote_image(caption, tex_url(url), False)) if url is not None else ""
        return self.marker(location) + str(self.macros.figure(path, caption, number, anchor, r"0.78\linewidth",
                                                              placeholder))

    def html_figures(self, node: SyntaxTreeNode) -> str:
        """`<img src=…>` in an HTML block (Typora, Obsidian, course sites: `<div><img …><div>caption</div></div>`)
        is a figure as its Markdown form would be; the block's other text is its caption."""
        location = self.location(node)
        html_text = node.content
        images = list(_HTML_IMG.finditer(html_text))
        rest = html.unescape(" ".join(_HTML_TAG.sub(" ", _HTML_IMG.sub(" ", html_text)).split()))
        rest = _OWN_NUMBER.sub("", rest)  # "Figure 1. Different types…": the figure gets its number from us
        out = []
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
            caption = self.prose(words, lambda index: location) if words and len(images) == 1 else ""
            out.append(self.numbered_figure(path, url, caption, src, location))
        return "\n".join(out)

    def table(self, node: SyntaxTreeNode) -> str:
        rows: list[list[str]] = []
        aligns: list[str] = []
        lengths: list[int] = []
        for part in node.children:
            for row in part.children:
                cells = []
                for cell in row.children:
                    text = self.inline(cell.children[0]) if cell.children else ""
                    # after `\\\\` or \\toprule, a `[` would be read as their optional argument
                    cells.append("{}" + text if text.startswith("[") else text)
                    if part.type == "thead":
                        style = str(cell.attrs.get("style", ""))
                        aligns.append("r" if "right" in style else "c" if "center" in style else "l")
                lengths.append(sum(len(c) for c in cells))
                rows.append(cells)
        header, body = rows[0], rows[1:]
        header = [f"\\textbf{{{cell}}}" if cell.strip() else "" for cell in header]
        wide = max(lengths, default=0) > 90
        if wide:
            colspec = "".join({"l": r">{\raggedright\arraybackslash}X", "c": r">{\centering\arraybackslash}X",
                               "r": r">{\raggedleft\arraybackslash}X"}[a] for a in aligns)
        else:
            colspec = "".join(aligns)
        width = len(aligns)
        body = [r + [""] * (width - len(r)) for r in body]
        return self.marker(self.location(node)) + str(self.macros.table(
            colspec, " & ".join(header), [" & ".join(r[:width]) for r in body], wide))

    def code(self, node: SyntaxTreeNode) -> str:
        assert self.section is not None
        info = (node.info or "").strip()
        if info in ("{=latex}", "=latex"):
            return self.raw_latex(node)
        language, attrs = fence_attributes(info)
        location = self.location(node)
        code = node.content
        first_line = 1
        title = attrs.get("title", "")
        title = self.title(title, self._in_line(location, title)) if title else ""
        if "include" in attrs:
            code, first_line, included = self.include(attrs, location)
            title = title or escape_latex(included)
        code = code.expandtabs(4).rstrip("\n")
        position = self._block_position(location, code, fenced=node.type == "fence")
        if "include" in attrs:  # a character of the included file: at its own line there
            assert self.section is not None
            included_path = (self.section.source.path.parent / attrs["include"]).resolve()

            def position(index: int, text: str = code, start: int = first_line) -> Location:
                return Location(included_path, start + text.count("\n", 0, index),
                                index - text.rfind("\n", 0, index))
        self.check_characters(code, position)
        highlighted = self.highlight(code, language, location)
        label = {"python": "Python", "py": "Python", "bash": "Bash", "sh": "Shell", "yaml": "YAML"}.get(
            language.lower(), language or "text")
        heading = (escape_latex(label) + (f" \u00b7 {title}" if title else "")).replace("\u00b7", r"$\cdot$")
        return self.marker(location) + str(self.macros.code(
            heading, highlighted, first_line, self.config.template.line_numbers))

    def highlight(self, code: str, language: str, location: Location) -> str:
        """Pygments LaTeX for a code block, cached on disk: building a lexer's regexes costs more than a
        whole rebuild's rendering, and code rarely changes between edits."""
        # "v2": entries of unknown languages are no longer stored; older caches may hold some.
        key = hashlib.sha256(f"v2|{pygments_version}|{self.style}|{language}|{code}".encode()).hexdigest()
        cached = highlight_cache() / f"{key}.tex"
        if cached.exists():
            return cached.read_text(encoding="utf-8")
        known = True
        try:
            lexer = get_lexer_by_name(language) if language else get_lexer_by_name("text")
        except ClassNotFound:
            self.warnings.append(_warning(location, f"unknown code language '{language}': shown without colours"))
            lexer = get_lexer_by_name("text")
            known = False  # not cached, so that every build warns again (unknown languages are rare)
        formatter = LatexFormatter(style=self.style, nowrap=True, commandprefix="PYG")
        highlighted = highlight(code, lexer, formatter).rstrip("\n")
        if known:
            with contextlib.suppress(OSError):  # a read-only home only loses the cache
                write_atomic(cached, highlighted)
        return highlighted

    def raw_latex(self, node: SyntaxTreeNode) -> str:
        """```{=latex} blocks: off unless notes.yaml opts in, and never with forbidden primitives."""
        location = self.location(node)
        if not self.config.allow.raw_latex:
            raise ContentError("raw LaTeX blocks are off", location,
                               hint="set allow.raw_latex: true in notes.yaml to opt in")
        body = node.content
        self.check_tex(body, self._block_position(location, body), "raw LaTeX",
                       "set allow.tex_primitives: true in notes.yaml to opt in")
        return self.marker(location) + body

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

    def include(self, attrs: dict[str, str], location: Location) -> tuple[str, int, str]:
        """Read the included file (or a line range / a Python symbol of it) for a code box."""
        assert self.section is not None
        base = self.section.source.path.parent
        path = (base / attrs["include"]).resolve()
        if not self.inside_project(path):
            raise ContentError(f"include '{attrs['include']}' is outside the notes project "
                               f"({self.config.project_root})", location,
                               hint="code boxes may include files of the project root only: widen it with "
                               "`root:` in notes.yaml or `--root DIR`")
        if not path.is_file():
            raise ContentError(f"included file not found: {attrs['include']} (looked for {path})", location)
        text = read_text(path)  # not UTF-8: an error naming the included file's line, not a traceback
        self.inputs.add(path)
        lines = text.splitlines()
        first, last = 1, len(lines)
        if "symbol" in attrs:
            first, last = python_symbol_lines(text, attrs["symbol"], path, location)
        if "lines" in attrs:
            match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+))?\s*", attrs["lines"])
            if not match:
                raise ContentError(f"lines=\"{attrs['lines']}\" must look like \"10-30\"", location)
            first = int(match.group(1))
            last = int(match.group(2) or first)
            if not 1 <= first <= last <= len(lines):
                raise ContentError(f"lines {first}-{last} are outside {path.name} ({len(lines)} lines)", location)
        display = path.name
        return "\n".join(lines[first - 1:last]), first, display

    # -- document --
    def render(self) -> RenderResult:
        parts = []
        for section in self.document.sections:
            self.section = section
            if not split_body(section.source.text).strip():
                self.warnings.append(_warning(Location(section.source.path, 1, 1), "the section is empty"))
            tree = SyntaxTreeNode(section.tokens)
            self.footnotes = {note.meta.get("id"): note for block in tree.children if block.type == "footnote_block"
                              for note in block.children}
            parts.append(f"% --- {section.source.path.name} ---\n" + self.blocks(tree.children))
        for label, location in self.pending_refs:
            if label not in self.references:
                close = difflib.get_close_matches(label, list(self.references), n=1)
                how = {"fig": "a figure's label is fig: and its file's stem, e.g. fig:loss_curve",
                       "sec": "a heading's label is sec: and its words (sec:gate-equations), or {#sec:name} after it"
                       }.get(label.split(":", 1)[0], "label a formula with \\label{...} or `$$ ... $$ (label)`")
                raise ContentError(f"reference to unknown label '{label}'", location,
                                   hint=f"did you mean '{close[0]}'?" if close else how)
        body = "\n".join(parts)
        if self.missing_glyphs or self.substitutes:  # replaced in the output, not declared: CJKutf8 reads
            # 4-byte characters itself
            body = body.translate({**{ord(char): f"\\nbmissing{{U+{ord(char):04X}}}" for char in self.missing_glyphs},
                                   **{ord(char): same for char, same in self.substitutes.items()}})
        tex = self.document_tex(body)
        return RenderResult(tex, self.assets, self.warnings, self.references, self.inputs)

    def symbol_table_rows(self) -> list[dict[str, str]]:
        rows = []
        for symbol in self.config.symbols:
            location = symbol.location or Location(self.config.source)
            self.check_characters(symbol.meaning, lambda i, loc=location: loc)
            rows.append({"symbol": symbol.symbol, "meaning": escape_latex(symbol.meaning),
                         "shape": f"${symbol.shape}$" if symbol.shape else ""})
        return rows

    def document_tex(self, body: str) -> str:
        macros = []
        for name, macro_body in self.config.macros.items():
            args = max(macro_arguments(macro_body), self.config.macro_arity.get(name, 0))
            macros.append((name, {"args": args, "body": macro_body}))
        context = {
            "title": escape_latex(self.document_title), "author": escape_latex(self.config.author),
            "date": escape_latex(self.config.date), "options": asdict(self.config.template),
            "engine": self.config.template.engine, "cjk": self.cjk, "body": body,
            "pygments_style_defs": LatexFormatter(style=self.style, commandprefix="PYG").get_style_defs(),
            "unicode_declarations": unicode_declarations(self.config.template.engine),
            "references": [(label, {"number": ref.number}) for label, ref in sorted(self.references.items())],
            "macros": macros,
            "packages": list(self.config.template.packages),
        }  # plain data only: a Path or the config dataclass would hand a template folder their methods
        return self.env.get_template("notes.tex.j2").render(context)


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


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates survive between runs (Jinja checks each template's source for changes).

    Not the folders of older versions ("jinja", "jinja-sandbox"): Jinja's cache key ignores the environment,
    and code compiled outside the sandbox, or with constant folding, skips the sandbox's checks."""
    folder = cache_dir() / "jinja-sandbox-unfolded"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def fence_attributes(info: str) -> tuple[str, dict[str, str]]:
    """```python {include="model.py" lines="3-9"}``` -> ("python", {"include": ..., "lines": ...})."""
    language, _, attr_text = info.strip().partition(" ")
    return language.strip(), dict(_INCLUDE_ATTRS.findall(attr_text))


def referenced_files(section: Section) -> list[Path]:
    """Local files a section reads besides itself (included code, images), as the renderer resolves them."""
    base = section.source.path.parent
    found = []
    for token in section.tokens:
        include = fence_attributes(token.info or "")[1].get("include") if token.type == "fence" else None
        if include:
            found.append(base / include)
        for child in token.children or []:
            src = urllib.parse.unquote(str(child.attrs.get("src") or "")) if child.type == "image" else ""
            if src and not _REMOTE.match(src):
                found.append(base / src)
    return found


def highlight_cache() -> Path:
    return cache_dir() / "highlight"


def python_symbol_lines(text: str, name: str, path: Path, location: Location) -> tuple[int, int]:
    """First and last line of a top-level class or function (with its decorators) in Python source."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise ContentError(f"cannot parse {path.name} to find '{name}': {exc.msg}", location) from None
    for item in tree.body:
        if isinstance(item, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and item.name == name:
            first = min([item.lineno] + [d.lineno for d in item.decorator_list])
            return first, item.end_lineno or item.lineno
    raise ContentError(f"'{name}' is not a top-level class or function of {path.name}", location)


def template_environment(override: Path | None = None) -> jinja2.Environment:
    """Jinja with LaTeX-safe delimiters: ((* block *)), ((( variable ))), ((= comment =)).

    A notes project may override any template by a file of the same name in `template.directory`. Such a
    folder is someone else's code run by `notes build`, so templates run in Jinja's sandbox (no underscore
    attributes: `cycler.__init__.__globals__.os` ran shell commands), with no globals and plain data only.
    """
    folders = [str(override)] if override else []
    env = _BoundedOperators(
        optimized=False,  # see _BoundedOperators
        loader=jinja2.FileSystemLoader([*folders, str(templates_dir())]),
        block_start_string="((*", block_end_string="*))",
        variable_start_string="(((", variable_end_string=")))",
        comment_start_string="((=", comment_end_string="=))",
        trim_blocks=True, lstrip_blocks=True, autoescape=False,
        bytecode_cache=_bytecode_cache(),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
    )
    env.globals.clear()  # range, dict, lipsum, cycler, joiner, namespace: the shipped templates use none
    env.filters["escape_latex"] = escape_latex
    return env


def load_metrics(config: NotesConfig) -> tuple[dict | None, str | None]:
    """The run's numbers for placeholders: results/metrics.json, or why it is not there."""
    path = config.results_dir / "metrics.json"
    if not path.is_file():
        return None, f"{path} does not exist"
    try:
        return json.loads(read_text(path)), None
    except json.JSONDecodeError as exc:
        raise ContentError(f"results file is not valid JSON: {exc.msg}", Location(path, exc.lineno, exc.colno),
                           hint="rerun `notes train-figures` to rewrite it") from None


def render_document(document: Document) -> RenderResult:
    metrics, why = load_metrics(document.config)
    try:
        return Renderer(document, metrics, why).render()
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax error: {exc.message}",
                            Location(Path(exc.filename or exc.name or "template"), exc.lineno)) from None
    except jinja2.TemplateError as exc:  # e.g. an undefined variable used by an overriding template
        frame = _template_frame(exc)
        raise TemplateError(f"template error: {exc}", frame) from None


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


def render_preamble(document: Document) -> str:
    """The document's real preamble (for `notes lint --compile`): everything before \\begin{document}."""
    tex = Renderer(document, metrics=None).document_tex("")  # the preamble quotes no results
    return tex.split("\\begin{document}", 1)[0]


def image_type(path: Path) -> str | None:
    """The suffix a raster or PDF image's content says it is (`.png`, `.jpg`, `.pdf`), or None."""
    try:
        with path.open("rb") as file:
            head = file.read(PDF_HEADER_WINDOW)
    except OSError:
        return None
    if head.startswith(IMAGE_SIGNATURES[".png"][0]):
        return ".png"
    if head.startswith(IMAGE_SIGNATURES[".jpg"][0]):
        return ".jpg"
    return ".pdf" if IMAGE_SIGNATURES[".pdf"][0] in head else None


def check_image_file(path: Path, src: str, location: Location, suffix: str | None = None) -> None:
    """A figure that is not what its name says (empty, truncated, garbage) is reported at the user's
    `![...]` before LaTeX runs: pdflatex would only fail with no location. SVGs are tried by rsvg-convert.
    `suffix`: the type its content says, when that differs from its name."""
    suffix = suffix or path.suffix.lower()
    if suffix == ".svg":
        if shutil.which("rsvg-convert"):  # without it, staging the figure reports the missing tool
            svg_as_pdf(path, src, location)
        return
    signature, kind = IMAGE_SIGNATURES[suffix]
    try:
        with path.open("rb") as file:
            head = file.read(PDF_HEADER_WINDOW if kind == "PDF" else len(signature))
            file.seek(max(0, path.stat().st_size - IMAGE_TAIL_WINDOW))
            tail = file.read()
    except OSError as exc:
        raise ContentError(f"cannot read figure {src}: {exc.strerror}", location) from None
    hint = f"check that it opens in an image viewer; export it again as {kind}, or name it after its real type"
    valid = signature in head if kind == "PDF" else head.startswith(signature)
    if not valid:
        what = "is empty" if not head else f"is not a valid {kind} file (it lacks the {kind} signature)"
        raise ContentError(f"figure {src} {what}", location, hint=hint)
    if kind in IMAGE_ENDINGS and IMAGE_ENDINGS[kind] not in tail:  # cut off: pdflatex would not name the file
        raise ContentError(f"figure {src} is truncated (its {kind} end marker is missing)", location, hint=hint)


def svg_as_pdf(source: Path, src: str | None = None, location: Location | None = None) -> Path:
    """The SVG converted to PDF (vector) by rsvg-convert, kept in the user cache by content.

    The renderer calls this to report a broken SVG at the figure's line; staging the figure for LaTeX
    (convert_svg) then only copies the cached result.
    """
    tool = shutil.which("rsvg-convert")
    if tool is None:
        raise ToolMissingError(f"rsvg-convert is needed to embed {source.name}",
                               hint="apt-get install librsvg2-bin")
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise ContentError(f"cannot read figure {src or source}: {exc.strerror}", location) from None
    digest = hashlib.sha256(tool.encode() + b"\0" + data).hexdigest()
    cached = cache_dir() / "svg" / f"{digest}.pdf"
    if cached.exists():
        return cached
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        _trim_svg_cache(cached.parent)
    except OSError:  # no writable cache: one temporary folder for this process, removed when it exits
        cached = _scratch_svg_folder() / f"{digest}.pdf"
    tmp = cached.with_name(f"{cached.stem}.{os.getpid()}.tmp.pdf")
    try:
        subprocess.run([tool, "-f", "pdf", "-o", str(tmp), str(source)], check=True, capture_output=True,
                       timeout=60)
    except subprocess.CalledProcessError as exc:
        tmp.unlink(missing_ok=True)
        reason = " ".join(exc.stderr.decode("utf-8", "replace").split())[:300] \
            or f"rsvg-convert exited with status {exc.returncode}"
        raise ContentError(f"cannot convert {src or source}: {reason}", location,
                           hint="check that the file opens in a web browser; export it again if not") from None
    except subprocess.TimeoutExpired:
        tmp.unlink(missing_ok=True)
        raise ContentError(f"cannot convert {src or source}: rsvg-convert took longer than 60 s", location,
                           hint="simplify the drawing or export it as PDF") from None
    tmp.replace(cached)
    return cached


SVG_CACHE_ENTRIES = 500  # converted figures kept; the least recently used go first


def _trim_svg_cache(folder: Path) -> None:
    """Keep the SVG cache bounded: it grows by one PDF per distinct drawing ever built."""
    entries = list(folder.glob("*.pdf"))
    if len(entries) < SVG_CACHE_ENTRIES:
        return
    entries.sort(key=lambda path: path.stat().st_atime)
    for old in entries[:len(entries) - SVG_CACHE_ENTRIES + 1]:
        with contextlib.suppress(OSError):
            old.unlink()


@functools.lru_cache(maxsize=1)
def _scratch_svg_folder() -> Path:
    import atexit

    folder = Path(tempfile.mkdtemp(prefix="notes-svg-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def convert_svg(source: Path, target: Path) -> None:
    """SVG figures become PDF (vector) with rsvg-convert; the renderer has usually converted it already."""
    converted = svg_as_pdf(source)
    tmp = target.with_suffix(".tmp.pdf")
    shutil.copyfile(converted, tmp)
    tmp.replace(target)
