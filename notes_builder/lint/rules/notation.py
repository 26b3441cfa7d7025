"""Notation (NB18x), document-level: symbols written unlike the symbols table, or missing from it."""

from __future__ import annotations

import re

from notes_builder.content import Document, MathSpan
from notes_builder.errors import Diagnostic, Location
from notes_builder.lint.formula import RawFinding
from notes_builder.lint.located import locate
from notes_builder.lint.registry import rule
from notes_builder.tex.mathview import TEXT, math_view

_STYLES = {"mathbf": "mathbf", "bm": "bm", "boldsymbol": "bm", "pmb": "bm"}
_SYMBOL = re.compile(
    r"\\(?P<s1>mathbf|bm|boldsymbol)\s*\{\s*(?P<l1>[A-Za-z])\s*\}\s*_\s*(?P<i1>\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9])"
    r"|\\(?P<s2>mathbf|bm|boldsymbol)\s*\{\s*(?P<l2>[A-Za-z])\s*_\s*(?P<i2>\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9])\s*\}"
    r"|\\(?P<s3>mathbf|bm|boldsymbol)\s+(?P<l3>[A-Za-z])\s*_\s*(?P<i3>\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9])"
    r"|(?<![\\A-Za-z{])(?P<l4>[A-Za-z])\s*_\s*(?P<i4>\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9])")


def symbol_uses(body: str) -> list[tuple[int, int, str, str, str]]:
    """(start, end, letter, index, style) for each letter-with-subscript in a formula."""
    clean = math_view(body)
    uses = []
    for match in _SYMBOL.finditer(body):
        if clean[match.start()] == TEXT:
            continue
        for group in "1234":
            letter = match.group(f"l{group}")
            if letter:
                style = _STYLES.get(match.group(f"s{group}") or "", "plain") if group != "4" else "plain"
                index = re.sub(r"[\s{}]", "", match.group(f"i{group}"))
                uses.append((match.start(), match.end(), letter, index, style))
                break
    return uses


def _style_text(letter: str, index: str, style: str) -> str:
    core = letter if style == "plain" else f"\\{style}{{{letter}}}"
    return f"{core}_{index if len(index) == 1 else '{' + index + '}'}"


@rule('NB181', 'inconsistent-notation', 'warning',
      'A symbol of the symbols table is written another way.',
      'The table declares `\\mathbf{W}_f`; `W_f` in an equation looks like a different object to a reader. Without '
      'a table nothing is reported: a bold `x_t` beside a plain `x_t` is usually a vector and its entry.',
      'symbols: [\\mathbf{W}_f]  ...  $W_f$',
      '$\\mathbf{W}_f$', scope="document")
@rule('NB182', 'symbol-not-in-table', 'warning',
      'A symbol used in equations is missing from the symbols table.',
      'When the notes have a symbols table, every symbol (a letter with an index) the equations use should be '
      'listed there.',
      'symbols: [h_t]  ...  $c_t$',
      'symbols: [h_t, c_t]', scope="document")
def notation(document: Document, table: list[MathSpan]) -> list[Diagnostic]:
    """`table`: the symbols table's formulas (YAML spans), read before the document's. Both rules compare with
    the table, so notes without one have nothing to report and their formulas are not scanned."""
    findings: list[Diagnostic] = []
    if not table:
        return findings
    first: dict[tuple[str, str], tuple[str, Location]] = {}
    table_letters: set[str] = set()
    for span in table:
        for letter in re.findall(r"(?<![\\A-Za-z])[A-Za-z]", re.sub(r"\\[A-Za-z]+", " ", span.body)):
            table_letters.add(letter)
    missing_reported: set[str] = set()
    reported: set[tuple[str, str, str]] = set()
    for span in [*table, *document.math]:
        if "_" not in span.body:
            continue
        for start, end, letter, index, style in symbol_uses(span.body):
            key = (letter, index)
            location = span.location(start)
            if span.delimiter == "yaml":
                first.setdefault(key, (style, location))
                continue
            # A bold x_t beside a plain x_t is, in most texts, a vector and its entry: only a symbol the table
            # declares one way is a likely slip when written another way (reported once per form)
            if key in first and first[key][0] != style and (letter, index, style) not in reported:
                reported.add((letter, index, style))
                seen_style, seen_at = first[key]
                raw = RawFinding("NB181", start, end,
                                 f"{span.body[start:end].strip()} is declared {_style_text(letter, index, seen_style)}"
                                 f" in the symbols table ({seen_at})")
                findings.append(locate(span, raw))
            if span.delimiter != "yaml" and table and letter not in table_letters \
                    and letter not in missing_reported and not index.isdigit():
                missing_reported.add(letter)
                raw = RawFinding("NB182", start, end,
                                 f"{_style_text(letter, index, style)} is not in the symbols table")
                findings.append(locate(span, raw))
    return findings
