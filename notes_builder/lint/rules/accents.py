"""Accents (NB10x): what `\\hat`, `\\tilde`, `\\bar`... are put over."""

from __future__ import annotations

import re

from notes_builder.lint.formula import Formula, RawFix, skip_space
from notes_builder.lint.registry import rule
from notes_builder.tex import macros as M

_ACCENT_SUB = re.compile(r"^\s*(\\[A-Za-z]+|[A-Za-z])\s*_\s*(\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9])\s*$")


@rule('NB101', 'accent-angle-brackets', 'error',
      "An accent's argument is written in angle brackets.",
      "TeX puts the accent over the single token after it: `\\tilde<c>` sets a tilde over '<' followed by 'c>'. "
      'Accent arguments go in braces.',
      '$\\tilde<c>_t$',
      '$\\tilde{c}_t$',
      fix='safe')
@rule('NB102', 'accent-over-subscript', 'warning',
      'An accent covers a symbol together with its subscript.',
      '`\\tilde{c_t}` stretches the accent over the subscript and places it badly; the accent belongs to the '
      'symbol, the index follows it.',
      '$\\tilde{c_t}$',
      '$\\tilde{c}_t$',
      fix='safe')
@rule('NB103', 'accent-unbraced', 'warning',
      "An accent's argument is not in braces (a style rule, off unless selected).",
      '`\\hat\\mu_n` renders exactly like `\\hat{\\mu}_n`; braces only make the argument explicit (`\\hat xy` '
      'accents only x). Turn it on with `lint: {select: [NB103]}` or `--select NB103`.',
      '$\\hat x$',
      '$\\hat{x}$',
      fix='safe', default=False)
def accent_arguments(formula: Formula) -> None:
    """The argument after each accent: angle brackets, a subscript inside the braces, or no braces at all."""
    if M.ACCENTS.isdisjoint(formula.known_names):
        return
    for name, start, end in formula.known_commands:
        if name in M.ACCENTS and name not in M.TEXT_ONLY:
            _accent(formula, name, start, end)


def _accent(formula: Formula, name: str, start: int, end: int) -> None:
    body = formula.body
    at = skip_space(body, end)
    if at >= len(body):
        return
    char = body[at]
    if char == "<":
        close = body.find(">", at)
        fix = None
        if close > at + 1 and "<" not in body[at + 1:close]:
            fix = RawFix(at, close + 1, "{" + body[at + 1:close] + "}")
        formula.report("NB101", start, close + 1 if close > 0 else at + 1,
                       f"\\{name}<...> uses angle brackets; accent arguments go in braces", fix)
    elif char == "{":
        close = formula.group_end(at)
        if close < 0 or name not in M.NARROW_ACCENTS:
            return
        inner = body[at + 1:close - 1]
        found = _ACCENT_SUB.match(inner)
        if found:
            nucleus, script = found.group(1), found.group(2)
            formula.report("NB102", start, close, f"\\{name} covers the subscript too; accent the symbol only",
                           RawFix(start, close, f"\\{name}{{{nucleus}}}_{script}"))
    elif char.isalnum() and char.isascii():
        formula.report("NB103", start, at + 1, f"unbraced argument of \\{name}", RawFix(end, at + 1, "{" + char + "}"))
    elif char == "\\":
        found = re.match(r"\\([A-Za-z]+)", body[at:])
        if found and found.group(1) not in M.ARGUMENT_MACROS:
            stop = at + found.end()
            formula.report("NB103", start, stop, f"unbraced argument of \\{name}",
                           RawFix(end, stop, "{" + body[at:stop] + "}"))
