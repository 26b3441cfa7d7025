"""Scripts (NB11x): sub- and superscripts that need braces, doubled ones, empty ones.

One pass finds the three: a script that NB111 wraps in braces is skipped as a whole (its inner `_`, `^` belong
to it), as TeX reads it.
"""

from __future__ import annotations

import re

from notes_builder.lint.formula import MACRO, NAME, Formula, RawFix, skip_space
from notes_builder.lint.registry import rule
from notes_builder.tex import macros as M

_SCRIPT = re.compile(r"[_^]")
# The time step: `h_t-1` is almost always h_{t-1}. After other letters the sign is as often a subtraction
# (`n_h-1`, `\\sum_k x_k-1`, `\\boldsymbol{z}_j-2 \\boldsymbol{z}_i`: measured on real notes,
# benchmarks/lint_realworld.py).
_TIME_INDICES = frozenset("t")
_INDEX_LETTERS = frozenset("ijklmnpqrst")
_RANGE = re.compile(r"(?:=|\\to|\\in|\\leq?|\\geq?|\\neq)(?![A-Za-z])\s*")


@rule('NB111', 'script-needs-braces', 'warning',
      'A sub- or superscript of several tokens has no braces.',
      'A script without braces takes exactly one token: `h_t-1` sets h_t - 1, `x^10` sets x^1 0, `e^-x` sets e^- '
      'x, `W_xh` sets W_x h.',
      '$h_t-1$, $x^10$, $\\sum_i=1^n$',
      '$h_{t-1}$, $x^{10}$, $\\sum_{i=1}^n$',
      fix='sometimes')
@rule('NB112', 'double-script', 'error',
      'A symbol has two subscripts or two superscripts.',
      "TeX stops with 'Double subscript' / 'Double superscript'; nest the second script in braces.",
      '$x_t_1$',
      '$x_{t_1}$',
      fix='safe', derails_tex=True)
@rule('NB113', 'empty-script', 'warning',
      'A sub- or superscript is an empty group.',
      '`x_{}` typesets nothing but shifts spacing; it is usually a forgotten index.',
      '$x_{}$',
      '$x$',
      fix='safe')
def scripts(formula: Formula) -> None:
    clean = formula.clean
    if "_" not in clean and "^" not in clean:
        return
    body = formula.body
    n = len(body)
    done = -1
    for match in _SCRIPT.finditer(clean):
        p = match.start()
        if p < done:
            continue
        seen = {body[p]}
        end = _one_script(formula, p)
        while True:
            nxt = skip_space(clean, end)
            if nxt >= n or clean[nxt] not in "_^":
                break
            second = _one_script(formula, nxt)
            if body[nxt] in seen:
                kind = "subscript" if body[nxt] == "_" else "superscript"
                fix = None
                first_arg = skip_space(body, p + 1)
                if len(seen) == 1 and second > nxt + 1:
                    inner = body[first_arg:end]
                    if inner.startswith("{") and inner.endswith("}"):
                        inner = inner[1:-1]
                    fix = RawFix(first_arg, second, "{" + inner + body[nxt:second] + "}")
                formula.report("NB112", nxt, nxt + 1, f"double {kind}: nest it in braces", fix)
            seen.add(body[nxt])
            end = second
        done = end


def _script_arg(formula: Formula, at: int) -> tuple[str, int]:
    """(kind, end) of a script argument starting at `at`: group, macro, char, sign, none."""
    body, n = formula.body, len(formula.body)
    if at >= n:
        return "none", at
    char = body[at]
    if char == "{":
        end = formula.group_end(at)
        return ("group", end) if end > 0 else ("none", at)
    if char == "\\":
        found = MACRO.match(body, at)
        return "macro", found.end() if found else at + 1
    if char in "-+" and at + 1 < n:
        return "sign", at + 1
    if char in "}$&_^":
        return "none", at
    return "char", at + 1

def _atom_end(formula: Formula, at: int) -> int:
    """End of the atom at `at` (a letter, a digit run, a macro, a group), or -1 when none."""
    body, n = formula.body, len(formula.body)
    if at >= n:
        return -1
    char = body[at]
    if char.isdigit():
        while at < n and body[at].isdigit():
            at += 1
        return at
    if char.isascii() and char.isalpha():
        return at + 1
    if char == "\\":
        found = NAME.match(body, at)
        return found.end() if found else -1
    if char == "{":
        return formula.group_end(at)
    return -1

def _one_script(formula: Formula, p: int) -> int:
    """Check the script whose '_' or '^' is at p; returns the end of its argument."""
    body, clean = formula.body, formula.clean
    n = len(body)
    mark = body[p]
    q = skip_space(body, p + 1)
    kind, end = _script_arg(formula, q)
    if kind == "none":
        return max(end, p + 1)
    if kind == "group":
        # `\\int_{S}^{}`: an equation editor's empty slot after a subscript; it sets nothing and hides no index
        editor_slot = body[:p].rstrip().endswith("}") and mark == "^"
        if not body[q + 1:end - 1].strip() and not editor_slot:
            formula.report("NB113", p, end, f"empty {'subscript' if mark == '_' else 'superscript'} group",
                                RawFix(p, end, ""))
        return end
    if kind == "sign":
        atom = _atom_end(formula, q + 1)
        following = re.match(r"\\([A-Za-z]+)", body[q + 1:atom])
        if following and following.group(1) in M.BINARY_OPERATORS:
            return end  # `m^+\\times m^-`: the sign is the superscript, \\times the product
        if atom < n and clean[atom] in "_^":
            return end  # `m^+m^-`: TeX reads m^{+} m^{-}, a product of scripted symbols
        if atom > q + 1:
            _wrap(formula, p, q, atom)
            return atom
        return end
    if kind == "macro":
        return end
    # a single character
    char = body[q]
    rest = clean[end:end + 1]
    if char.isdigit():
        stop = end
        while stop < n and body[stop].isdigit():
            stop += 1
        if stop > end:
            _wrap(formula, p, q, stop)
            return stop
        return end
    if mark != "_" or not (char.isascii() and char.isalpha()):
        return end
    if rest in ("-", "+") and end + 1 < n and body[end + 1].isdigit() and _index_expression(formula, char, end):
        stop = end + 1
        while stop < n and body[stop].isdigit():
            stop += 1
        if stop >= n or not (body[stop].isalnum() or body[stop] in "_^("):
            _wrap(formula, p, q, stop)
            return stop
        return end
    if rest == "=" or body.startswith(("\\to", "\\in", "\\le", "\\ge", "\\neq"), end):
        if _nucleus_is_operator(formula, p):
            return _operator_range(formula, p, q, end)
        return end
    if rest.isascii() and rest.isalnum() and not (_nucleus_is_differential(formula, p)
                                                  or _nucleus_is_operator(formula, p)):
        stop = end
        while stop < n and clean[stop].isascii() and clean[stop].isalnum():
            stop += 1
        if stop < n and clean[stop] in "_^(":
            return end  # a product of scripted symbols such as a_ib_i, or `t_nf(x)`: t_n times f(x)
        letters = body[q:stop]
        if not (_nucleus_is_capital(formula, p) and letters.islower()) and not set(letters) <= _INDEX_LETTERS:
            return end  # `\\alpha_iy_ib`, `\\sum_hP`: juxtaposition; `W_xh` (a matrix), `e_ij`: indices
        if clean[end].isdigit() and any(c.isalpha() for c in clean[end:stop]):
            return end
        _wrap(formula, p, q, stop)
        return stop
    return end

def _wrap(formula: Formula, p: int, q: int, stop: int) -> None:
    body = formula.body
    kind = "subscript" if body[p] == "_" else "superscript"
    text = body[q:stop]
    # `x^10`: nobody means x^1 0, so the braces are safe; `h_t-1`, `W_xh`, `e^-x` have a second reading
    # (h_t - 1, W_x h, e^- x: `(n_h-1)` is a subtraction), so adding them is unsafe
    formula.report("NB111", p, stop, f"{kind} '{text}' needs braces: {body[p]}{{{text}}}",
                        RawFix(q, stop, "{" + text + "}", safe=text.isdigit()))

def _index_expression(formula: Formula, char: str, sign: int) -> bool:
    """Whether `x_k-1` is more likely x_{k-1} than x_k - 1. The time step (`h_t-1`) is; another index is when
    the number is 1 and no term follows it, unless a sum runs over that index (`\\sum_{k=1}^n x_k-1` sums x_k,
    then subtracts 1). Measured on real notes (benchmarks/lint_realworld.py)."""
    if char in _TIME_INDICES:
        return True
    body = formula.body
    if char not in _INDEX_LETTERS or body[sign + 1:sign + 2] != "1" or body[sign + 2:sign + 3].isdigit():
        return False
    if re.match(r"\s+(?:\\[A-Za-z]|[A-Za-z(])", body[sign + 2:]):
        return False  # `z_j-1 \\boldsymbol{z}`: a coefficient of the next term
    return not re.search(r"\\(?:sum|prod)\w*\s*_\s*\{?\s*" + char + r"(?![A-Za-z])", body[:sign])

def _nucleus_is_capital(formula: Formula, p: int) -> bool:
    """`W_xh`, `\\mathbf{W}_xh`: a matrix (an upper-case letter) indexed by letters."""
    return bool(re.search(r"(?:(?<![\\A-Za-z])[A-Z]|\\(?:mathbf|boldsymbol|bm)\{[A-Z]\})\s*$", formula.body[:p]))

def _nucleus_is_differential(formula: Formula, p: int) -> bool:
    """`\\nabla_xf`, `\\partial_xy`: the operator's index is one letter, what follows is what it acts on."""
    return bool(re.search(r"\\(?:nabla|partial|mathrm\{d\}|operatorname\{d\})\s*$", formula.body[:p]))

def _nucleus_is_operator(formula: Formula, p: int) -> bool:
    before = formula.body[:p].rstrip()
    before = re.sub(r"\\(?:no)?limits$", "", before).rstrip()
    found = re.search(r"\\([A-Za-z]+)$", before)
    return bool(found and found.group(1) in M.BIG_OPERATORS)

def _operator_range(formula: Formula, p: int, q: int, end: int) -> int:
    """`\\sum_i=1^n`, `\\lim_x\\to0`: brace the whole lower limit."""
    body, n = formula.body, len(formula.body)
    found = _RANGE.match(body, end)
    if not found:
        return end
    stop = found.end()
    while stop < n and body[stop] not in " \t\n^}&$":
        if body[stop] == "{":
            close = formula.group_end(stop)
            stop = close if close > 0 else n
            continue
        stop += 1
    if stop == found.end():
        return end
    _wrap(formula, p, q, stop)
    return stop
