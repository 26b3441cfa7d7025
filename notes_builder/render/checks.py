"""Checks of the resolve stage that need no tree walk: characters the fonts lack, TeX safety of math and raw LaTeX,
call-out names the parser did not know. Each raises a located ContentError or records a warning."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable

from markdown_it.tree import SyntaxTreeNode

from notes_builder.content import CONTAINER_NAMES, SourceFile
from notes_builder.errors import ContentError, Diagnostic, Location, PlaceholderError
from notes_builder.render.characters import cjk_glyphs, unrenderable
from notes_builder.tex.chars import is_cjk
from notes_builder.tex.safety import PLACEHOLDER_CODE, check

# A paragraph line that looks like a call-out opening (`::: name`); markdown-it only parses known names.
_CALLOUT_OPENING = re.compile(r"^(?:[ \t>]|[-*+][ \t]|\d{1,9}[.)][ \t])*(:{3,})[ \t]*([A-Za-z][\w-]*)")


class Glyphs:
    """Characters pdflatex's fonts lack, found in the notes: those shown as a framed code point (missing), and those
    replaced by their canonical equivalent (substitutes)."""

    def __init__(self, pdflatex: bool, cjk: bool, cjk_font: str, warnings: list[Diagnostic]):
        self.pdflatex = pdflatex
        self.cjk = cjk
        self.cjk_font = cjk_font
        self.warnings = warnings
        self.missing: dict[str, Location] = {}
        self.substitutes: dict[str, str] = {}

    def check(self, text: str, location_of_index: Callable[[int], Location]) -> None:
        """Characters pdflatex's fonts lack. A Chinese character is words: an error naming it (pdflatex would stop
        with "Font ... not loadable"). A symbol or emoji (⭐, 🚀) is shown as a framed code point, with a warning
        (pandoc under xelatex drops it silently)."""
        if not self.pdflatex or text.isascii():
            return
        glyphs = cjk_glyphs(self.cjk_font) if self.cjk else frozenset()
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
                font = f"the pdflatex Chinese font ({self.cjk_font})" if is_cjk(char) else "any font"
                raise ContentError(f"character {name} cannot be typeset: {font} has no glyph for it",
                                   location_of_index(bad), hint="set template.engine: xelatex in notes.yaml (or the "
                                   "front matter) with a font that has it, or replace it")
            if char not in self.missing:
                self.missing[char] = location_of_index(bad)
                self.warnings.append(Diagnostic(self.missing[char], "warning",
                                                f"character {name} has no glyph in pdflatex's fonts: shown as "
                                                f"[U+{ord(char):04X}]", "set template.engine: xelatex with a font "
                                                "that has it, or replace it"))
            bad = unrenderable(text, self.cjk, glyphs, bad + 1)


def check_tex(body: str, at: Callable[[int], Location], allow_primitives: bool, math: bool = False) -> None:
    """The one safety policy (tex.safety) for math and raw LaTeX: a placeholder inside math, forbidden primitives
    (unless notes.yaml opts in), unbalanced braces. The first problem stops the build at the user's location."""
    problems = check(body, allow_primitives, at, math=math)
    if problems:
        first = problems[0]
        error = PlaceholderError if first.code == PLACEHOLDER_CODE else ContentError
        raise error(first.message, first.location, hint=first.hint)


def check_unknown_callout(source: SourceFile, paragraph: SyntaxTreeNode) -> None:
    """`::: name` with a name the parser does not know stays a paragraph and would print literally."""
    opening = paragraph.nester_tokens.opening if paragraph.nester_tokens else None
    if opening is None or not opening.map:
        return
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
