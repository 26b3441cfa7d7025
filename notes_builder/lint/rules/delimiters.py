"""Delimiters (NB131-NB135): sized delimiters, \\left/\\right, braces, parentheses and `$`."""

from __future__ import annotations

import re

from notes_builder.content import MathSpan
from notes_builder.lint.formula import Formula, RawFinding, RawFix
from notes_builder.lint.registry import also, rule, span_filter
from notes_builder.tex.mathview import TEXT
from notes_builder.tex.tokens import unbalanced_brace

_OPENERS = {"(", "[", "\\{", "\\langle", "\\lfloor", "\\lceil", "\\lvert", "\\lVert"}
_CLOSERS = {")", "]", "\\}", "\\rangle", "\\rfloor", "\\rceil", "\\rvert", "\\rVert"}
_DELIM = re.compile(
    r"\\(?P<macro>left|right|[bB]igg?[lrm]?)(?![A-Za-z])\s*(?P<delim>\\[{}|]|\\[A-Za-z]+|[()\[\]|./<>]|)"
    r"|(?P<plain>\\[{}]|[()\[\]])"
    r"|(?P<other>\\[^A-Za-z])", re.S)  # a control symbol (`\\(`, `\\\\`) is no delimiter; a control word holds none
_BRACE = re.compile(r"[{}]")
_DOLLAR = re.compile(r"\$")
_PROSE = re.compile(r"(?:(?<![\\\x01A-Za-zÀ-ÿ])[A-Za-zÀ-ÿ]{2,}[ ,.;'’]+){6,}")


@rule('NB131', 'sized-delimiter-mismatch', 'warning',
      'A sized delimiter is closed by a different size.',
      '`\\big(` ... `)` or `\\big(` ... `\\Big)` gives unequal parentheses.',
      '$\\big( a + b )$',
      '$\\big( a + b \\big)$',
      fix='safe')
@rule('NB132', 'left-right-unpaired', 'error',
      '\\left without \\right (or the reverse).',
      "TeX stops with 'Missing \\right. inserted' or 'Extra \\right'; use `\\right.` for an invisible partner.",
      '$\\left( \\frac{a}{b}$',
      '$\\left( \\frac{a}{b} \\right)$', derails_tex=True)
@rule('NB134', 'unbalanced-parentheses', 'warning',
      'Parentheses or brackets do not balance.',
      'More opening than closing ( [ or the reverse is almost always a typo (half-open intervals such as [0, 1) '
      'balance and are accepted).',
      '$f(g(x)$',
      '$f(g(x))$')
def delimiters(formula: Formula) -> None:
    """One walk over the delimiters with a stack: sizes that differ, \\left/\\right pairs, ( and [ that balance."""
    body, clean = formula.body, formula.clean
    lefts: list[tuple[int, int]] = []
    stack: list[tuple[int, int, str, str, str]] = []  # (start, end, size, macro, delimiter)
    for match in _DELIM.finditer(body):
        start = match.start()
        if clean[start] == TEXT:
            continue
        if match.group("other") is not None:
            continue
        macro, delim = match.group("macro"), match.group("delim")
        if macro is None:
            delim = match.group("plain")
            size, macro = "", ""
            if body[start - 1:start] == "{" and body[start + 1:start + 2] == "}":
                continue  # `{[}`: a bracket in braces is a literal one (`\\sqrt[{[}]{x}`), not a delimiter
        else:
            size = re.sub(r"[lrm]$", "", macro) if macro not in ("left", "right") else macro
        if macro == "left":
            lefts.append((start, match.end()))
            continue
        if macro == "right":
            if lefts:
                lefts.pop()
            else:
                formula.report("NB132", start, match.end(), "\\right without a matching \\left")
            continue
        if delim in _OPENERS or (macro.endswith("l") and delim):
            stack.append((start, match.end(), size, macro, delim))
        elif delim in _CLOSERS or (macro.endswith("r") and delim):
            if not stack:
                if macro or delim in ")]":
                    formula.report("NB134", start, match.end(), f"'{delim}' closes nothing")
                continue
            o_start, o_end, o_size, o_macro, o_delim = stack.pop()
            if o_size != size:
                _sized_mismatch(formula, (o_start, o_end, o_size, o_macro, o_delim),
                                (start, match.end(), size, macro, delim))
    for start, end in lefts:
        formula.report("NB132", start, end, "\\left without a matching \\right")
    for start, end, _size, _macro, delim in stack[:1]:
        if delim in "([":
            formula.report("NB134", start, end, f"'{delim}' is never closed")


def _sized_mismatch(formula: Formula, opener: tuple[int, int, str, str, str],
                    closer: tuple[int, int, str, str, str]) -> None:
    o_start, o_end, o_size, o_macro, o_delim = opener
    start, end, size, macro, delim = closer
    if o_size:
        suffix = "r" if o_macro.endswith("l") or macro.endswith("r") else ""
        replacement = f"\\{o_size}{suffix}{delim}"
        shown = f"\\{macro}{delim}" if macro else delim
        formula.report("NB131", start, end, f"\\{o_macro}{o_delim} is closed by {shown}",
                       RawFix(start, end, replacement))
    else:
        suffix = "l" if macro.endswith("r") else ""
        formula.report("NB131", o_start, o_end, f"'{o_delim}' is closed by \\{macro}{delim}",
                       RawFix(o_start, o_end, f"\\{size}{suffix}{o_delim}"))


_PARTNERS = {"(": ")", "[": "]", ")": "(", "]": "["}
_WIDE = {"(": "（", ")": "）", "[": "［", "]": "］"}


@span_filter("NB134")
def paired_outside(span: MathSpan, found: RawFinding) -> bool:
    """`$(S$、$A$、$R)$` and `（已知 $\\boldsymbol{x})$`: an inline formula's bracket whose partner is on the same
    line, in the prose or in another formula. It prints as written, so it is no defect."""
    if span.display or not span.exact or span.delimiter not in ("$", "\\("):
        return False
    char = span.body[found.start:found.start + 1]
    if char not in _PARTNERS:
        return False
    start, end = span.offset, span.offset + len(span.body)
    first, last = span.source.paragraph(start, end)
    # the partner lies after an opening bracket, before a closing one
    rest = span.source.text[end:last] if char in "([" else span.source.text[first:start]
    partner = _PARTNERS[char]
    return rest.count(partner) + rest.count(_WIDE[partner]) > rest.count(char) + rest.count(_WIDE[char])


@rule('NB133', 'unbalanced-braces', 'error',
      'A brace has no partner.',
      "An unbalanced '{' or '}' breaks the formula and usually everything after it; write `\\{` `\\}` for literal "
      'braces.',
      '$\\frac{a}{b$',
      '$\\frac{a}{b}$', derails_tex=True)
def unbalanced_braces(formula: Formula) -> None:
    body, clean = formula.body, formula.clean
    bad = unbalanced_brace(body) if ("{" in clean or "}" in clean) and not _balanced(clean) else None
    if bad is not None:
        formula.report("NB133", bad, bad + 1, f"unbalanced '{body[bad]}'")


def _balanced(clean: str) -> bool:
    """Fast brace check on the clean body (escapes and comments are already blanked out): the braces alone, with
    each innermost pair `{}` taken out until none is left (str.replace, no loop over the braces in Python)."""
    braces = "".join(_BRACE.findall(clean))
    while "{}" in braces:
        braces = braces.replace("{}", "")
    return not braces


@rule('NB135', 'unbalanced-dollar', 'error',
      'A `$` or `$$` is not closed, or a `$` appears inside math.',
      'An unclosed `$` (or `$$`) swallows the rest of the paragraph into math; close it with the same delimiter, '
      'and write `\\$` for a dollar sign.',
      'costs $5 and $x$',
      'costs \\$5 and $x$', exclusive=2, derails_tex=True)
def prose_between_formulas(formula: Formula) -> None:
    """`$x$ and then ... $y$` read with the wrong `$` pairs: the prose between two formulas became math, and every
    word of it would be a finding. (An unclosed `$` is NB135 too: rules.parse reports it while reading the file.)"""
    if formula.context == "inline":
        match = _PROSE.search(formula.clean)
        if match:
            formula.report("NB135", match.start(), match.end(), "this formula reads like prose: a '$' before it is "
                           "probably missing or one too many, so the '$' pair up wrongly")


@also("NB135")
def dollar_in_math(formula: Formula) -> None:
    for match in _DOLLAR.finditer(formula.clean):
        formula.report("NB135", match.start(), match.end(), "'$' inside math (write \\$ for a dollar sign)")
