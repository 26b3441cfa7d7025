"""What of a formula TeX reads as math: a same-length view with command names, comments and the arguments of
text commands (`\\text{...}`) blanked, so that a scan for math symbols, Unicode or spacing never mistakes a
command's letters, a comment or a word of text for math. Lint's rules and the renderer's Unicode mapping read
the same view; commands, comments and braces are found by tex.tokens."""

from __future__ import annotations

import functools
import re

from notes_builder.tex import macros
from notes_builder.tex.tokens import COMMAND_OR_COMMENT, brace_pairs

BLANK = "\x01"  # a command name's letters in the view
TEXT = "\x02"  # a comment's or a text argument's characters in the view
_TEXT_NAMES = "|".join(sorted(macros.TEXT_ARGUMENT, key=len, reverse=True))
_TEXT_ARG = re.compile(r"\\(" + _TEXT_NAMES + r")\*?(?![A-Za-z])\s*\{")


@functools.lru_cache(maxsize=256)  # lint's notation rule reads the view of formulas the checker read
def math_view(body: str) -> str:
    """`body` with each command's name blanked (its backslash kept), each comment and each text argument's
    content marked as text; the same length, so an index means the same character in both."""
    return view_and_commands(body)[0]


def view_and_commands(body: str) -> tuple[str, list[tuple[str, int, int]]]:
    """The math view and, from the same pass, (name, start, end) of each command outside comments whose name
    starts with a letter (`\\alpha`, and a control symbol such as `\\é`): lint's Formula reads both."""
    if "\\" not in body and "%" not in body:
        return body, []
    commands: list[tuple[str, int, int]] = []

    def blank(match: re.Match[str]) -> str:
        text = match.group()
        if text[0] == "%":
            return TEXT * len(text)
        if text[1:2].isalpha():
            commands.append((text[1:], *match.span()))
        return "\\" + BLANK * (len(text) - 1)

    view = COMMAND_OR_COMMENT.sub(blank, body)  # one C-level pass; a callback per command
    if "{" in body and _TEXT_ARG.search(body):
        view = _mask_text_arguments(body, view)
    return view, commands


def _mask_text_arguments(body: str, view: str) -> str:
    """The view with the content of each text argument (`\\text{...}`) marked as text."""
    out = list(view)
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
