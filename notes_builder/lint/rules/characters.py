"""Characters (NB15x, NB162): Unicode in math, and `*` written for a product."""

from __future__ import annotations

import re

from notes_builder.content import MathSpan
from notes_builder.lint.formula import SPACE, Formula, RawFinding, RawFix, skip_space
from notes_builder.lint.registry import rule, span_filter
from notes_builder.tex.chars import UNICODE_MATH, accented, is_cjk
from notes_builder.tex.mathview import BLANK

_STAR = re.compile(r"\*")
_CONVOLUTION = re.compile(r"\*[^()]*\)\s*\(")


@rule('NB151', 'unicode-in-math', 'warning',
      'A Unicode character in math that no LaTeX command stands for.',
      'Math fonts have no glyph for it (a curly quote, an arrow LaTeX lacks): write the LaTeX command, or put '
      'words in `\\text{...}`. Characters with a command (σ, ≤, ×, x²) are set as that command and are reported '
      'only by NB152.',
      '$x ≺ y$',
      '$x \\prec y$')
@rule('NB152', 'unicode-in-math-mapped', 'warning',
      'A Unicode character in math that has a LaTeX command (a style rule, off unless selected).',
      'The renderer sets `σ`, `≤`, `×`, `x²` as `\\sigma`, `\\le`, `\\times`, `x^{2}`, as MathJax shows them; '
      'writing the command keeps the source portable to other LaTeX tools. Turn it on with `lint: {select: '
      '[NB152]}` or `--select NB152`.',
      '$σ(x) ≤ 1$',
      '$\\sigma(x) \\le 1$',
      fix='safe', default=False)
def unicode_in_math(formula: Formula) -> None:
    """Each non-ASCII character: with a LaTeX command (NB152, style) or without one (NB151)."""
    body, clean = formula.body, formula.clean
    if clean.isascii():
        return
    for index, char in enumerate(clean):
        if char.isascii():
            continue
        if is_cjk(char) or char == "\u00a4":
            continue  # CJK: set as text by the renderer; ¤: stands for an unclosed `$` (rules.parse)
        replacement = UNICODE_MATH.get(char) or accented(char)
        name = f"U+{ord(char):04X}"
        if replacement is None:
            formula.report("NB151", index, index + 1, f"Unicode character '{char}' ({name}) in math: no LaTeX "
                           "command stands for it")
            continue
        if replacement[-1:].isalpha() and body[index + 1:index + 2].isalpha():
            replacement += " "
        shown = replacement.strip() or "a space"
        # the renderer sets it as this command (render.math_unicode): a matter of style, reported on request
        formula.report("NB152", index, index + 1, f"Unicode '{char}' in math; write {shown}",
                       RawFix(index, index + 1, replacement))


@rule('NB162', 'star-as-product', 'warning',
      '`*` is used as a multiplication sign.',
      '`*` sets an asterisk (convolution in most notations). Write `\\cdot` (or nothing) for a product, `\\odot` '
      'for an elementwise product, `\\ast` for convolution.',
      '$a * b$',
      '$a \\cdot b$')
def star_as_product(formula: Formula) -> None:
    """A `*` between two operands; `(f * g)(i)`, a convolution evaluated at i, is left alone (so is a paragraph
    about convolution: the engine drops NB162 there)."""
    clean = formula.clean
    if "*" not in clean:
        return
    for match in _STAR.finditer(clean):
        p = match.start()
        back = p - 1
        while back >= 0 and clean[back] in SPACE:
            back -= 1
        ahead = skip_space(clean, p + 1)
        if back < 0 or ahead >= len(clean):
            continue
        prev, after = clean[back], clean[ahead]
        if prev in "_^*{(,=" or clean[p - 1] == BLANK or after in "*}),=_^$&":
            continue
        if formula.in_script_group(p) or _CONVOLUTION.match(formula.body, p) and \
                "(" in formula.body[:p].rsplit(")", 1)[-1]:
            continue  # `(f * g)(i)`: a convolution evaluated at i
        formula.report("NB162", p, p + 1, "'*' as a product: use \\cdot, \\odot (elementwise) or \\ast (convolution)")


_CONVOLUTION_WORDS = re.compile(r"convol|卷积|互相关|cross-correlation", re.I)


@span_filter("NB162")
def about_convolution(span: MathSpan, found: RawFinding) -> bool:
    """`$f * g = g * f$` in a paragraph about convolution: the star is the convolution, as written."""
    start, end = span.source.paragraph(span.offset, span.offset + len(span.body))
    return bool(_CONVOLUTION_WORDS.search(span.source.text, start, end))
