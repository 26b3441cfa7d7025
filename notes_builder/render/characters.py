"""Characters: which ones pdflatex's fonts can set (a check of resolve) and typographic quotes in prose. The
escaping itself (prose, code, URLs, slugs) and the character table are the tex/ layer's (tex.chars)."""

from __future__ import annotations

import functools
import re
import shutil
import struct
import subprocess
import unicodedata
from pathlib import Path

from notes_builder.tex.chars import PROSE_UNICODE, UNICODE_MATH, is_cjk

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


_OPENING_QUOTE = re.compile(r"(?<=[\s(\[\u2014\u2013])([\"'])(?=\S|$)")


def smart_quotes(text: str, before: str = "") -> str:
    """ASCII quotes in prose as typographic ones, as pandoc's smart punctuation sets them: `"…"` -> “…”, `'…'`
    -> ‘…’, an apostrophe -> ’. A quote opens after a space or a bracket (or at the start), else it closes.
    Code keeps its straight quotes (escape_code)."""
    marked = (before[-1:] or " ") + text  # what precedes the text decides a quote at its start
    marked = _OPENING_QUOTE.sub(lambda m: "\u201c" if m.group(1) == '"' else "\u2018", marked)
    return marked[1:].replace('"', "\u201d").replace("'", "\u2019")
