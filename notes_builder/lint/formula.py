"""One formula as the formula rules see it: the body, its math view, cached brace pairs, and `report`.

The math view (tex.mathview) has the body's length; command names, comments and text arguments (`\\text{...}`)
are blanked out in it, so rules run plain regular expressions over it and read the original body where they need
the command names. Commands, comments and braces are found by tex.tokens, as every other stage finds them.
Findings carry offsets into the body (RawFinding); the engine turns them into located Diagnostics.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from notes_builder.tex import macros as M
from notes_builder.tex import tokens
from notes_builder.tex.mathview import TEXT, view_and_commands
from notes_builder.tex.safety import FORBIDDEN_COMMANDS, adds_caret_notation, find_forbidden

MACRO = tokens.COMMAND  # one control sequence at an offset: `MACRO.match(body, at)`, group 1 its name
NAME = re.compile(r"\\[A-Za-z]+")
_BRACKET_OR_BRACE = re.compile(tokens.TOKEN_PATTERN + r"|(?P<bracket>[\[\]])", re.S)
SPACE = " \t\n\r"


@dataclass(frozen=True)
class RawFix:
    """A replacement of body[start:end]; `safe` as in errors.Fix."""

    start: int
    end: int
    replacement: str
    safe: bool = True


@dataclass(frozen=True)
class RawFinding:
    """A rule's finding in one formula, with offsets into its body."""

    code: str
    start: int
    end: int
    message: str
    fix: RawFix | None = None


@dataclass
class MacroTable:
    """What the formula rules know of the document: its macros, their argument counts, its settings."""

    known: frozenset[str]
    allow_primitives: bool = False
    # template.packages (or a template folder) may define macros lint cannot see: NB141 says how to declare them
    template_packages: bool = False
    # user macros (notes.yaml `macros`, lint.extra_macros) that take arguments: name -> count
    argument_macros: dict[str, int] = field(default_factory=dict)
    # built-in commands' argument specs, unless the user (re)defines the name: their count wins
    builtin_arguments: dict[str, str] = field(default_factory=dict)
    user_macro: re.Pattern[str] | None = None
    latex_context_db: object = None  # pylatexenc's context with the user's macros, made on first use

    @classmethod
    def make(cls, known: frozenset[str], allow_primitives: bool = False,
             argument_macros: dict[str, int] | None = None, template_packages: bool = False) -> MacroTable:
        arguments = {k: v for k, v in (argument_macros or {}).items() if v > 0}
        builtin = {k: v for k, v in M.BUILTIN_ARGUMENTS.items() if k not in (argument_macros or {})}
        pattern = re.compile(r"\\(" + "|".join(map(re.escape, sorted(arguments))) + r")(?![A-Za-z])") \
            if arguments else None
        return cls(known, allow_primitives, template_packages, arguments, builtin, pattern)


def brace_pairs(body: str) -> dict[int, int]:
    """Index of each '{' -> index just past its matching '}' (tex.tokens' matcher)."""
    return {start: close + 1 for start, close in tokens.brace_pairs(body).items()}


def bracket_pairs(body: str) -> dict[int, int]:
    """Index of each '[' -> index just past the first ']' after it at the same brace depth, in one pass.

    That ']' ends a TeX optional argument (`\\sqrt[a[b]c]` reads `a[b`), so every '[' still open at
    that depth closes there.
    """
    pairs: dict[int, int] = {}
    open_at: list[list[int]] = [[]]
    for match in _BRACKET_OR_BRACE.finditer(body):
        if match.lastgroup in ("command", "comment"):
            continue
        token = match.group()
        if token == "{":
            open_at.append([])
        elif token == "}":
            if len(open_at) > 1:
                open_at.pop()
        elif token == "[":
            open_at[-1].append(match.start())
        elif token == "]":
            for start in open_at[-1]:
                pairs[start] = match.end()
            open_at[-1].clear()
    return pairs


def skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in SPACE:
        index += 1
    return index


class Formula:
    """One math body in a context ("inline", "display" or "env:NAME"); rules call `report` for each finding."""

    def __init__(self, table: MacroTable, body: str, context: str):
        self.table = table
        self.body = body
        self.context = context
        self.clean, commands = view_and_commands(body)
        self.out: list[RawFinding] = []
        # offset -> (name, why) of the primitives notes may not use (none with allow.tex_primitives)
        self.forbidden: dict[int, tuple[str, str]] = {} if table.allow_primitives else {
            offset: (name, why) for offset, name, why in find_forbidden(body)}
        # (name, start, end) of each control word, leaving out escaped ones and forbidden primitives (NB171): those
        # the document does not know; those it knows, outside text arguments, and their names
        self.unknown_commands: list[tuple[str, int, int]] = []
        self.known_commands: list[tuple[str, int, int]] = []
        self.known_names: set[str] = set()
        known, clean, forbidden = table.known, self.clean, self.forbidden
        for name, start, end in commands:  # control words outside comments
            if start in forbidden or name in FORBIDDEN_COMMANDS:
                continue
            if name not in known:
                self.unknown_commands.append((name, start, end))
            elif clean[start] != TEXT:
                self.known_commands.append((name, start, end))
                self.known_names.add(name)

    def report(self, code: str, start: int, end: int, message: str, fix: RawFix | None = None) -> None:
        if fix is not None and adds_caret_notation(self.body[max(0, fix.start - 1):fix.start],
                                                   self.body[fix.start:fix.end], fix.replacement,
                                                   self.body[fix.end:fix.end + 1]):
            fix = None  # `x^²` -> `x^^{2}` would be TeX's ^^ notation (NB171): the message says what to write
        self.out.append(RawFinding(code, start, max(end, start + 1), message, fix))

    @functools.cached_property
    def pairs(self) -> dict[int, int]:
        """brace_pairs of the body, found on first use (most formulas need none) and then kept."""
        return brace_pairs(self.body)

    def group_end(self, start: int) -> int:
        """Index just past the '}' matching the '{' at `start`, or -1 (one pass over the body, cached)."""
        return self.pairs.get(start, -1)

    @functools.cached_property
    def brackets(self) -> dict[int, int]:
        """bracket_pairs of the body, found on first use (only a command with an optional argument asks)."""
        return bracket_pairs(self.body)

    def bracket_end(self, start: int) -> int:
        """Index just past the ']' that ends the optional argument opened at `start`, or -1."""
        return self.brackets.get(start, -1)

    def in_script_group(self, p: int) -> bool:
        """Whether `p` lies in a braced script argument (`x_{t-1}`): the innermost group around it follows `_`/`^`."""
        enclosing = max((start for start, end in self.pairs.items() if start < p < end), default=-1)
        return enclosing >= 0 and self.body[:enclosing].rstrip(SPACE)[-1:] in ("_", "^")
