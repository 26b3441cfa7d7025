"""What of a formula TeX reads as math: a same-length view with command names, comments and the arguments of
text commands (`\\text{...}`) blanked, so that a scan for math symbols, Unicode or spacing never mistakes a
command's letters, a comment or a word of text for math. Lint's rules and the renderer's Unicode mapping read
the same view; commands, comments and braces are found by tex.tokens."""

from __future__ import annotations

import functools
import re

from notes_builder.tex import macros
from notes_builder.tex.tokens import TOKEN, brace_pairs

BLANK = "\x01"  # a command name's letters in the view
TEXT = "\x02"  # a comment's or a text argument's characters in the view
_TEXT_NAMES = "|".join(sorted(macros.TEXT_ARGUMENT, key=len, reverse=True))
_TEXT_ARG = re.compile(r"\\(" + _TEXT_NAMES + r")\*?(?![A-Za-z])\s*\{")


@functools.lru_cache(maxsize=256)  # lint reads each formula's view twice (its Formula, then notation's symbols)
def math_view(body: str) -> str:
    """`body` with each command's name blanked (its backslash kept), each comment and each text argument's
    content marked as text; the same length, so an index means the same character in both."""
    if "\\" not in body and "%" not in body:
        return body
    out = list(body)
    for match in TOKEN.finditer(body):
        kind = match.lastgroup
        if kind == "command":
            out[match.start() + 1:match.end()] = BLANK * (match.end() - match.start() - 1)
        elif kind == "comment":
            out[match.start():match.end()] = TEXT * (match.end() - match.start())
    pairs: dict[int, int] | None = None
    masked_until = -1
    for match in _TEXT_ARG.finditer(body):
        if match.start() < masked_until or out[match.start()] == TEXT:
            continue  # nested inside a text argument already marked, or in a comment
        if pairs is None:
            pairs = brace_pairs(body)
        close = pairs.get(match.end() - 1, -1)
        if close < 0:
            continue
        masked_until = close + 1
        out[match.end():close] = TEXT * (close - match.end())
    return "".join(out)
