"""Names (NB12x): function names and Greek letters spelled as plain letters."""

from __future__ import annotations

import re

from notes_builder.lint.formula import Formula, RawFix, skip_space
from notes_builder.lint.registry import rule
from notes_builder.tex import macros as M

_TWO_LETTERS = re.compile(r"[A-Za-z]{2}")
_WORD = re.compile(r"(?<![A-Za-z\x01\\])[A-Za-z]{2,}(?![A-Za-z])")


@rule('NB121', 'function-without-backslash', 'warning',
      'A function name is written as plain letters.',
      'Math italic treats `tanh` as the product t*a*n*h; operators need `\\tanh`, and names LaTeX does not define '
      'need `\\operatorname{...}`.',
      '$tanh(x)$, $softmax(z)$',
      '$\\tanh(x)$, $\\operatorname{softmax}(z)$',
      fix='safe')
@rule('NB122', 'greek-without-backslash', 'warning',
      'A Greek letter is spelled out without a backslash.',
      '`alpha` sets five italic letters; `\\alpha` sets the Greek letter. Inside a subscript group (`W_{xi}`) the '
      'letters are often two indices, so the fix is unsafe there.',
      '$sigma(x)$',
      '$\\sigma(x)$',
      fix='sometimes')
def words(formula: Formula) -> None:
    """Each run of letters in the clean body: a Greek letter's name, or an operator's followed by its argument."""
    body, clean = formula.body, formula.clean
    if not _TWO_LETTERS.search(clean):
        return
    for match in _WORD.finditer(clean):
        word = match.group(0)
        start, end = match.span()
        if word in M.GREEK and len(word) == 2 and formula.in_script_group(start):
            continue  # `W_{xi}`, `W_{hi}`: two indices (input x, gate i), as in LSTM notes, not \\xi
        if word in M.GREEK:
            # inside a script group `W_{xi}` is usually two indices (x, i), not \\xi: unsafe there
            formula.report("NB122", start, end, f"'{word}' is set as letters; write \\{word}",
                           RawFix(start, end, f"\\{word}" + (" " if body[end:end + 1].isalpha() else ""),
                                  safe=not formula.in_script_group(start)))
            continue
        if word not in M.BUILTIN_FUNCTIONS and word not in M.OPERATOR_NAMES:
            continue
        if clean[:start].rstrip()[-1:] in ("_", "^"):
            continue  # `\\sum_tr(s_t)`: t is the sum's index, r(s_t) the summand
        after = body[skip_space(body, end):]
        builtin = word in M.BUILTIN_FUNCTIONS
        if not (after.startswith(("(", "\\left", "\\big", "\\Big")) or (builtin and after[:1] in ("_", "^"))):
            continue
        replacement = f"\\{word}" if builtin else f"\\operatorname{{{word}}}"
        formula.report("NB121", start, end, f"function name '{word}' is set as italic letters; write {replacement}",
                       RawFix(start, end, replacement))
