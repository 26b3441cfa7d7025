"""Safety (NB17x): what notes may not make TeX do (tex/safety.py holds the one policy and its wording)."""

from __future__ import annotations

from notes_builder.lint.formula import Formula
from notes_builder.lint.registry import rule
from notes_builder.tex.safety import CARET_NOTATION, PLACEHOLDER_IN_MATH, PLACEHOLDER_MESSAGE, forbidden_message


@rule('NB172', 'placeholder-in-math', 'error',
      'A `{{ ... }}` placeholder is written inside math.',
      'Placeholders are replaced in prose and tables only. Inside math the braces and the name would be typeset as '
      'math letters (`metrics.hidden_size` becomes a product with a subscript), so the build stops. Other doubled '
      'braces, `x^{{2}}` or `a^{{ T }}`, are LaTeX grouping and stay allowed.',
      '$n = {{ metrics.hidden_size }}$',
      '$n =$ {{ metrics.hidden_size }}', exclusive=1, derails_tex=True)
def placeholder_in_math(formula: Formula) -> None:
    """A `{{ name }}` placeholder: its name would read as math (`hidden_size`), so no other rule applies."""
    body = formula.body
    placeholder = PLACEHOLDER_IN_MATH.search(body) if "{{" in body else None
    if placeholder is not None:
        close = body.find("}}", placeholder.start())
        formula.report("NB172", placeholder.start(), close + 2 if close >= 0 else len(body),
                       f"{PLACEHOLDER_MESSAGE}; write it outside the $...$")


@rule('NB171', 'forbidden-primitive', 'error',
      'A TeX primitive that reads/writes files or defines macros.',
      'Notes are data: math must not run \\input, \\write, \\def, \\catcode... unless notes.yaml sets '
      "`allow.tex_primitives: true`; nor `^^5c` (TeX's ^^ notation spells any command) or `\\begin{input}`. "
      'lint.ignore, select and extra_macros cannot hide it. Define macros under `macros:` in notes.yaml instead.',
      '$\\def\\x{1}\\x$',
      "macros: {x: '1'}  then  $\\x$", derails_tex=True)
def forbidden_primitive(formula: Formula) -> None:
    for offset, (name, why) in formula.forbidden.items():
        end = offset + (len(name) if name == CARET_NOTATION else 1 + len(name))
        formula.report("NB171", offset, end, forbidden_message(name, why))
