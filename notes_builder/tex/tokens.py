"""The one reader of TeX source: control sequences, comments and braces, as LaTeX reads a document's body.

Every scanner of the project (the safety policy, display-math layout, formula macros, lint) reads TeX through
this module, so they agree on what is a command, a comment and a group. The rules, with LaTeX and MathJax as
the reference (they agree on each):

- A control word is a backslash and ASCII letters (`\\alpha`). `@` is no letter: LaTeX gives it category
  "other" in a document (only `\\makeatletter`, which notes may not use, makes it a letter), and MathJax's
  parser reads control words as `[a-z]+`. So `\\foo@bar` is `\\foo` followed by `@bar`.
- A control symbol is a backslash and any one other character: `\\%`, `\\{`, `\\\\` (so in `\\\\%` the `%`
  starts a comment, and in `\\\\{` the brace opens a group). A backslash that ends the text is a control
  symbol with an empty name.
- `%` that is not part of a control symbol starts a comment that runs to the end of the line (the newline
  itself is not part of it). MathJax drops comments in math too.
- `{` and `}` open and close groups; `\\{` and `\\}` are control symbols, not braces.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

# Pattern text of one token, for lexers that add alternatives of their own in front (displaymath): a named group
# for each kind. `command` holds the name without the backslash.
CONTROL_SEQUENCE = r"\\(?P<command>[A-Za-z]+|.?)"
TOKEN_PATTERN = CONTROL_SEQUENCE + r"|(?P<comment>%[^\n]*)|(?P<open>\{)|(?P<close>\})"
TOKEN = re.compile(TOKEN_PATTERN, re.S)
COMMAND = re.compile(CONTROL_SEQUENCE, re.S)  # one control sequence: `COMMAND.match(tex, at)`
# TOKEN less its braces, for a scan that changes commands and comments only (tex.mathview's view)
COMMAND_OR_COMMENT = re.compile(CONTROL_SEQUENCE + r"|(?P<comment>%[^\n]*)", re.S)
# The same reading for the brace matchers, in fewer matches: a backslash before a letter (or any other plain
# character) starts none, since the letters of a control word are none of backslash, braces and `%`. `\{`, `\}`,
# `\%` and a doubled backslash are control symbols, as in TOKEN.
_BRACE_TOKEN = re.compile(r"\\[\\{}%]|%[^\n]*|[{}]")
# What TeX drops of a comment: the comment, its newline and the next line's indentation (`{in%⏎  put}` is
# `{input}`).
_COMMENT_AND_NEWLINE = re.compile(r"%[^\n]*(?:\n[ \t]*)?")


class Token(NamedTuple):
    """One token of TeX source: `kind` is "command", "comment", "open" or "close"; `name` a command's name."""

    kind: str
    start: int
    end: int
    name: str = ""


def tokens(tex: str, start: int = 0, end: int | None = None) -> Iterator[Token]:
    """The commands, comments and braces of `tex[start:end]`, in order (other characters are plain text)."""
    for match in TOKEN.finditer(tex, start, len(tex) if end is None else end):
        kind = match.lastgroup or "command"
        yield Token(kind, match.start(), match.end(), match.group("command") or "")


def commands(tex: str, start: int = 0, end: int | None = None, *, in_comments: bool = False) -> Iterator[Token]:
    """The control sequences of `tex`. `in_comments`: also those inside comments (the safety policy reads
    them, see safety.find_forbidden)."""
    if not in_comments:
        yield from (token for token in tokens(tex, start, end) if token.kind == "command")
        return
    for match in control_sequences(tex, start, end):
        yield Token("command", match.start(), match.end(), match.group("command"))


def control_sequences(tex: str, start: int = 0, end: int | None = None) -> Iterator[re.Match[str]]:
    """Every control sequence of `tex`, those in comments included, as matches (group "command": the name): the
    pass the safety policy makes over every formula, so it makes no Token. `%` is part of no control word and a
    comment ends at a newline, so reading straight through finds what reading each comment on its own would."""
    return COMMAND.finditer(tex, start, len(tex) if end is None else end)


def brace_pairs(tex: str) -> dict[int, int]:
    """Index of each '{' -> index of its matching '}', in one pass. A brace with no partner is left out."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for match in _BRACE_TOKEN.finditer(tex):
        char = match.group()
        if char == "{":
            stack.append(match.start())
        elif char == "}" and stack:
            pairs[stack.pop()] = match.start()
    return pairs


def group_end(tex: str, start: int) -> int:
    """Index of the '}' that closes the group opened by the '{' at `start`, or -1 when it is never closed."""
    depth = 0
    for match in _BRACE_TOKEN.finditer(tex, start):
        char = match.group()
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return match.start()
            if depth < 0:
                return -1
    return -1


def unbalanced_brace(tex: str) -> int | None:
    """Offset of the first brace that has no partner, or None: a '}' that closes nothing, else the outermost
    '{' never closed (`\\sqrt{x + \\frac{1}{2}` reports the brace of `\\sqrt`)."""
    stack: list[int] = []
    for match in _BRACE_TOKEN.finditer(tex):
        char = match.group()
        if char == "{":
            stack.append(match.start())
        elif char == "}":
            if not stack:
                return match.start()
            stack.pop()
    return stack[0] if stack else None


def skip_to_argument(tex: str, at: int) -> int:
    """Where TeX looks for the argument of a command that ends at `at`: past spaces, newlines and comments."""
    while at < len(tex):
        if tex[at] in " \t\r\n":
            at += 1
        elif tex[at] == "%":
            newline = tex.find("\n", at)
            at = len(tex) if newline < 0 else newline + 1
        else:
            break
    return at


def in_comment(tex: str, at: int) -> bool:
    """Whether the character at `at` lies in a comment (TeX never runs it)."""
    line_start = tex.rfind("\n", 0, at) + 1
    return any(token.kind == "comment" and token.start < at for token in tokens(tex, line_start, at))


def without_comments(tex: str) -> str:
    """`tex` as TeX reads it: each comment dropped with its newline and the next line's indentation."""
    if "%" not in tex:
        return tex
    out = []
    cursor = 0
    for token in tokens(tex):
        if token.kind == "comment":
            dropped = _COMMENT_AND_NEWLINE.match(tex, token.start)
            assert dropped is not None
            out.append(tex[cursor:token.start])
            cursor = dropped.end()
    return "".join(out) + tex[cursor:]
