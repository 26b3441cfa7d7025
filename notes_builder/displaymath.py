"""Display math as MathJax reads it, laid out for LaTeX: lines, numbers, tags and labels.

MathJax and LaTeX disagree on display math in ways that are silent in the PDF: MathJax breaks a line at a
top-level `\\\\`, LaTeX joins the lines; MathJax accepts `\\begin{align}` inside `$$`, LaTeX stops. This module
reads one display formula (the body of `$$ … $$`, `\\[ … \\]` or a bare `\\begin{align} … \\end{align}`) into
rows, each with its own label, `\\tag` or `\\notag`, so that the renderer numbers each line as LaTeX would and
lint reports what the renderer changes. It only reads text: numbering and output belong to render.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from notes_builder.tex.tokens import TOKEN_PATTERN, group_end

# Environments that are display math themselves, and what each becomes inside the formula box. Each row's
# number is a \tag, so every one becomes its starred form; `numbered` says whether rows are numbered by default.
ENVIRONMENTS: dict[str, str] = {
    "equation": "equation*", "equation*": "equation*", "displaymath": "equation*", "math": "equation*",
    "align": "align*", "align*": "align*", "flalign": "flalign*", "flalign*": "flalign*",
    "alignat": "alignat*", "alignat*": "alignat*", "gather": "gather*", "gather*": "gather*",
    "multline": "multline*", "multline*": "multline*", "eqnarray": "align*", "eqnarray*": "align*",
}
UNNUMBERED = frozenset({"equation*", "align*", "flalign*", "alignat*", "gather*", "multline*", "eqnarray*",
                        "displaymath", "math"})
SINGLE_LINE = frozenset({"equation", "equation*", "displaymath", "math"})  # `\\` there is MathJax's line break

# `\\\\[2pt]` takes a length; `\\\\ [0, 1]` starts a line with an interval (MathJax reads it so, and so do we).
# In front of tex.tokens' own: `\\begin{NAME}`/`\\end{NAME}` and the line break with its length; `&` besides.
_TOKEN = re.compile(r"\\(?P<kind>begin|end)\s*\{(?P<name>[^{}]*)\}"
                    r"|\\\\\*?(?:\[\s*-?[\d.]+\s*(?:pt|em|ex|mm|cm|in|mu|bp|pc|sp|dd)\s*\])?"
                    r"|" + TOKEN_PATTERN + r"|&", re.S)
_LABEL = re.compile(r"\\label\s*\{([^{}]*)\}")
_TAG = re.compile(r"\\tag(\*?)\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
_NOTAG = re.compile(r"\\(?:notag|nonumber)(?![A-Za-z])")
_WHOLE = re.compile(r"\A\s*\\begin\s*\{(?P<name>[^{}]+)\}(?P<arg>\s*\{[^{}]*\})?")


@dataclass
class Row:
    """One line of a display formula: its text without \\label, \\tag and \\notag, and what they said."""

    text: str
    separator: str = ""  # the `\\\\` (with `[2pt]` if any) that ends it; "" for the last row
    labels: list[tuple[str, int]] = field(default_factory=list)  # (label, offset in the formula's body)
    tag: str | None = None  # the user's \tag text
    tag_star: bool = False  # \tag*: printed without parentheses
    notag: bool = False
    offset: int = 0  # where the row starts in the formula's body


@dataclass
class Layout:
    """A display formula laid out: the environment it is set in and its rows."""

    environment: str  # the user's environment ("" for plain `$$ … $$`)
    argument: str  # alignat's column count `{2}`, else ""
    rows: list[Row]
    inner_offset: int  # where the rows' text starts in the body
    trailing_break: int | None = None  # a `\\\\` with nothing after it: its offset (dropped)
    aligned: bool = False  # a one-line formula with top-level `&` as well: set as `aligned`, not `gathered`

    @property
    def target(self) -> str:
        """The LaTeX environment the formula is set in, inside the box."""
        return ENVIRONMENTS.get(self.environment, "equation*")

    @property
    def numbered(self) -> bool:
        return self.environment not in UNNUMBERED


def whole_environment(body: str) -> tuple[str, str, int, int] | None:
    """(name, argument, inner start, inner end) when `body` is one display environment from start to end, as
    MathJax accepts inside `$$ … $$`; else None."""
    match = _WHOLE.match(body)
    if not match or match.group("name").strip() not in ENVIRONMENTS:
        return None
    name = match.group("name").strip()
    depth = 0
    for token in _TOKEN.finditer(body, match.end()):
        if token.group("kind") and token.group("name").strip() == name:
            if token.group("kind") == "begin":
                depth += 1
            elif depth:
                depth -= 1
            else:
                return (name, (match.group("arg") or "").strip(), match.end(), token.start()) \
                    if not body[token.end():].strip() else None
    return None


def top_level(body: str, start: int = 0, end: int | None = None):
    """The tokens of `body[start:end]` outside braces and nested environments: `\\\\`, `&` and commands."""
    end = len(body) if end is None else end
    depth = 0
    environments = 0
    position = start
    while True:
        token = _TOKEN.search(body, position, end)
        if token is None:
            return
        position = token.end()
        kind = token.lastgroup
        if kind == "comment":  # the token runs to the end of the line
            continue
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(0, depth - 1)
        elif token.group("kind") == "begin":
            environments += 1
        elif token.group("kind") == "end":
            environments = max(0, environments - 1)
        elif depth == 0 and environments == 0:
            yield token


def layout(body: str, environment: str = "") -> Layout:
    """Read a display formula. `environment` is the bare environment it was written in ("" for `$$`); a `$$`
    body that is one display environment (`$$\\begin{align}…\\end{align}$$`) is read as that environment."""
    start, end, argument = 0, len(body), ""
    whole = whole_environment(body)
    if whole is not None and (not environment or whole[0] == environment):
        environment, argument, start, end = whole
    rows: list[Row] = []
    row_start = start
    breaks: list[tuple[int, int]] = []
    has_ampersand = False
    for token in top_level(body, start, end):
        text = token.group(0)
        if text.startswith("\\\\"):
            breaks.append((token.start(), token.end()))
        elif text == "&":
            has_ampersand = True
    for at, after in breaks:
        rows.append(_row(body, row_start, at, body[at:after]))
        row_start = after
    rows.append(_row(body, row_start, end, ""))
    result = Layout(environment, argument, rows, start)
    while len(rows) > 1 and not rows[-1].text.strip() and not rows[-1].labels and rows[-1].tag is None:
        result.trailing_break = breaks[len(rows) - 2][0]  # `a \\ b \\` : the last line is empty
        rows.pop()
        rows[-1].separator = ""
    if environment in SINGLE_LINE or not environment:
        result.aligned = has_ampersand
    return result


def _row(body: str, start: int, end: int, separator: str) -> Row:
    text = body[start:end]
    row = Row(text, separator, offset=start)
    row.labels = [(m.group(1).strip(), start + m.start()) for m in _LABEL.finditer(text)]
    tags = list(_TAG.finditer(text))
    if tags:
        row.tag, row.tag_star = tags[-1].group(2).strip(), bool(tags[-1].group(1))
    row.notag = bool(_NOTAG.search(text))
    row.text = _NOTAG.sub("", _TAG.sub("", _LABEL.sub("", text)))
    return row


_SCRIPT_GROUP = re.compile(r"[_^]\s*\{")


def stacked_scripts(body: str) -> list[tuple[int, int]]:
    """(open, close) brace offsets of each `_{…}`/`^{…}` with a `\\\\` at its top level: `\\prod_{j=1\\\\j\\neq i}`
    stacks the lines in MathJax; LaTeX needs `\\substack` for that (render.mathjax_forms adds it)."""
    found = []
    for match in _SCRIPT_GROUP.finditer(body):
        start = match.end() - 1
        close = group_end(body, start)
        if close > 0 and any(token.group(0).startswith("\\\\") for token in top_level(body, start + 1, close)):
            found.append((start, close))
    return found

