"""Citations as pandoc and Quarto write them: `[@key]`, `[see @a, p. 3; @b]`, `[-@key]`, `@key` in running text.

A markdown-it plugin turns each into one `citation` token whose `meta["citation"]` is a `Citation`, so that
citations in code spans, math and link targets are never read as such (the parser sees those first).
Rules as in pandoc's manual: a key starts with a letter, digit or `_` and may hold `:.#$%&-+?<>~/` inside
(not at its end); `@{...}` allows any key; an `@` after a letter or digit (an e-mail address) is no citation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

_KEY = r"(?:\{(?P<braced>[^{}\s]+)\}|(?P<plain>[\w](?:[\w]|[:.#$%&\-+?<>~/](?=[\w]))*))"
_ITEM = re.compile(r"^(?P<prefix>[^@]*?)\s*(?P<suppress>-)?@" + _KEY + r"(?P<suffix>.*)$", re.S)
_IN_TEXT = re.compile(r"@" + _KEY)


# pandoc-crossref's references look like citations (`@fig:loss`, `[@eq:forget; @eq:input]`): a key with one of
# these prefixes names a label of the notes, not a work of the bibliography
CROSSREF_PREFIXES = ("fig:", "tbl:", "eq:", "sec:")


def is_crossref(key: str) -> bool:
    return key.startswith(CROSSREF_PREFIXES)


@dataclass(frozen=True)
class CiteItem:
    """One cited work: its key, the words before and after it (`see`, `p. 3`), and `-@` (year only)."""

    key: str
    prefix: str = ""
    suffix: str = ""
    suppress_author: bool = False
    offset: int = 0  # of the key's `@` in the citation's own text (`[see @a]`: 5), to locate it in the file


@dataclass(frozen=True)
class Citation:
    """A bracketed group (`parenthetical`: "(Hochreiter and Schmidhuber 1997)") or an in-text one (`textual`:
    "Hochreiter and Schmidhuber (1997)")."""

    mode: str  # "parenthetical" | "textual"
    items: tuple[CiteItem, ...] = field(default_factory=tuple)

    @property
    def keys(self) -> list[str]:
        return [item.key for item in self.items]


def _key_of(match: re.Match[str]) -> str:
    return match.group("braced") or match.group("plain")


def parse_bracketed(text: str, offset: int = 0) -> Citation | None:
    """The inside of `[...]` as citations separated by `;`, or None when any part is not one (then it is prose)."""
    items = []
    start = 0
    for part in text.split(";"):
        match = _ITEM.match(part)
        at = part.find("@")
        before = part[:at - 1 if match and match.group("suppress") else at]
        if not match or "@" in match.group("suffix") or (before and not before[-1].isspace()):
            return None  # `[a@b.c]`, `[x-@y]`: an address or prose, not a citation
        suffix = match.group("suffix").strip()
        suffix = suffix[1:].strip() if suffix.startswith(",") else suffix
        items.append(CiteItem(_key_of(match), match.group("prefix").strip(), suffix, bool(match.group("suppress")),
                              offset + start + at))
        start += len(part) + 1
    return Citation("parenthetical", tuple(items)) if items else None


def _bracketed_rule(state: StateInline, silent: bool) -> bool:
    """`[@a; see @b, p. 3]`: a bracket holding only citations, and not a link (`[@a](url)`, `[@a][ref]`)."""
    if state.src[state.pos] != "[" or state.linkLevel or "@" not in state.src[state.pos:state.pos + 200]:
        return False
    end = state.src.find("]", state.pos + 1)
    if end < 0 or "[" in state.src[state.pos + 1:end] or state.src[end + 1:end + 2] in ("(", "["):
        return False
    citation = parse_bracketed(state.src[state.pos + 1:end], 1)
    if citation is None:
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.meta = {"citation": citation}
        token.content = state.src[state.pos:end + 1]
    state.pos = end + 1
    return True


def _in_text_rule(state: StateInline, silent: bool) -> bool:
    """`@key` in running text, with an optional locator right after it: `@key [p. 3]`."""
    pos = state.pos
    if state.src[pos] != "@" or (pos > 0 and (state.src[pos - 1].isalnum() or state.src[pos - 1] in "_\\")):
        return False
    if state.linkLevel:  # a link's text: `[@Sm1les](https://github.com/Sm1les)` is a user name, not a citation
        return False
    match = _IN_TEXT.match(state.src, pos)
    if not match:
        return False
    end = match.end()
    suffix = ""
    locator = re.match(r" ?\[([^\[\]@]*)\]", state.src[end:])
    if locator and state.src[end + locator.end():end + locator.end() + 1] not in ("(", "["):
        suffix = locator.group(1).strip()
        end += locator.end()
    if not silent:
        token = state.push("citation", "", 0)
        token.meta = {"citation": Citation("textual", (CiteItem(_key_of(match), "", suffix, False, 0),))}
        token.content = state.src[pos:end]
    state.pos = end
    return True


def citations_plugin(md: MarkdownIt) -> None:
    """Register the two rules: brackets before links, `@` before plain text."""
    md.inline.ruler.before("link", "citation_bracketed", _bracketed_rule)
    md.inline.ruler.before("text", "citation_in_text", _in_text_rule)
