"""Scripts (NB11x): sub- and superscripts that need braces, doubled ones, empty ones.

One pass finds the three: a script that NB111 wraps in braces is skipped as a whole (its inner `_`, `^` belong
to it), as TeX reads it.
"""

from __future__ import annotations

import re

from notes_builder.lint import macros as M
from notes_builder.lint.formula import MACRO, NAME, Formula, RawFix, skip_space
from notes_builder.lint.registry import rule

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
      fix='safe')
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
    _Scripts(formula).run()


class _Scripts:
    def __init__(self, formula: Formula):
        self.formula = formula
        self.body = formula.body
        self.clean = formula.clean

    def run(self) -> None:
        body, clean = self.body, self.clean
        n = len(body)
        done = -1
        for match in _SCRIPT.finditer(clean):
            p = match.start()
            if p < done:
                continue
            seen = {body[p]}
            end = self.one_script(p)
            while True:
                nxt = skip_space(clean, end)
                if nxt >= n or clean[nxt] not in "_^":
                    break
                second = self.one_script(nxt)
                if body[nxt] in seen:
                    kind = "subscript" if body[nxt] == "_" else "superscript"
                    fix = None
                    first_arg = skip_space(body, p + 1)
                    if len(seen) == 1 and second > nxt + 1:
                        inner = body[first_arg:end]
                        if inner.startswith("{") and inner.endswith("}"):
                            inner = inner[1:-1]
                        fix = RawFix(first_arg, second, "{" + inner + body[nxt:second] + "}")
                    self.formula.report("NB112", nxt, nxt + 1, f"double {kind}: nest it in braces", fix)
                seen.add(body[nxt])
                end = second
            done = end

    def script_arg(self, at: int) -> tuple[str, int]:
        """(kind, end) of a script argument starting at `at`: group, macro, char, sign, none."""
        body, n = self.body, len(self.body)
        if at >= n:
            return "none", at
        char = body[at]
        if char == "{":
            end = self.formula.group_end(at)
            return ("group", end) if end > 0 else ("none", at)
        if char == "\\":
            found = MACRO.match(body, at)
            return "macro", found.end() if found else at + 1
        if char in "-+" and at + 1 < n:
            return "sign", at + 1
        if char in "}$&_^":
            return "none", at
        return "char", at + 1

    def atom_end(self, at: int) -> int:
        """End of the atom at `at` (a letter, a digit run, a macro, a group), or -1 when none."""
        body, n = self.body, len(self.body)
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
            return self.formula.group_end(at)
        return -1

    def one_script(self, p: int) -> int:
        """Check the script whose '_' or '^' is at p; returns the end of its argument."""
        body, clean = self.body, self.clean
        n = len(body)
        mark = body[p]
        q = skip_space(body, p + 1)
        kind, end = self.script_arg(q)
        if kind == "none":
            return max(end, p + 1)
        if kind == "group":
            # `\\int_{S}^{}`: an equation editor's empty slot after a subscript; it sets nothing and hides no index
            editor_slot = body[:p].rstrip().endswith("}") and mark == "^"
            if not body[q + 1:end - 1].strip() and not editor_slot:
                self.formula.report("NB113", p, end, f"empty {'subscript' if mark == '_' else 'superscript'} group",
                                    RawFix(p, end, ""))
            return end
        if kind == "sign":
            atom = self.atom_end(q + 1)
            following = re.match(r"\\([A-Za-z]+)", body[q + 1:atom])
            if following and following.group(1) in M.BINARY_OPERATORS:
                return end  # `m^+\\times m^-`: the sign is the superscript, \\times the product
            if atom < n and clean[atom] in "_^":
                return end  # `m^+m^-`: TeX reads m^{+} m^{-}, a product of scripted symbols
            if atom > q + 1:
                self.wrap(p, q, atom)
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
                self.wrap(p, q, stop)
                return stop
            return end
        if mark != "_" or not (char.isascii() and char.isalpha()):
            return end
        if rest in ("-", "+") and end + 1 < n and body[end + 1].isdigit() and self.index_expression(char, end):
            stop = end + 1
            while stop < n and body[stop].isdigit():
                stop += 1
            if stop >= n or not (body[stop].isalnum() or body[stop] in "_^("):
                self.wrap(p, q, stop)
                return stop
            return end
        if rest == "=" or body.startswith(("\\to", "\\in", "\\le", "\\ge", "\\neq"), end):
            if self.nucleus_is_operator(p):
                return self.operator_range(p, q, end)
            return end
        if rest.isascii() and rest.isalnum() and not (self.nucleus_is_differential(p) or self.nucleus_is_operator(p)):
            stop = end
            while stop < n and clean[stop].isascii() and clean[stop].isalnum():
                stop += 1
            if stop < n and clean[stop] in "_^(":
                return end  # a product of scripted symbols such as a_ib_i, or `t_nf(x)`: t_n times f(x)
            letters = body[q:stop]
            if not (self.nucleus_is_capital(p) and letters.islower()) and not set(letters) <= _INDEX_LETTERS:
                return end  # `\\alpha_iy_ib`, `\\sum_hP`: juxtaposition; `W_xh` (a matrix), `e_ij`: indices
            if clean[end].isdigit() and any(c.isalpha() for c in clean[end:stop]):
                return end
            self.wrap(p, q, stop)
            return stop
        return end

    def wrap(self, p: int, q: int, stop: int) -> None:
        body = self.body
        kind = "subscript" if body[p] == "_" else "superscript"
        text = body[q:stop]
        # `x^10`: nobody means x^1 0, so the braces are safe; `h_t-1`, `W_xh`, `e^-x` have a second reading
        # (h_t - 1, W_x h, e^- x: `(n_h-1)` is a subtraction), so adding them is unsafe
        self.formula.report("NB111", p, stop, f"{kind} '{text}' needs braces: {body[p]}{{{text}}}",
                            RawFix(q, stop, "{" + text + "}", safe=text.isdigit()))

    def index_expression(self, char: str, sign: int) -> bool:
        """Whether `x_k-1` is more likely x_{k-1} than x_k - 1. The time step (`h_t-1`) is; another index is when
        the number is 1 and no term follows it, unless a sum runs over that index (`\\sum_{k=1}^n x_k-1` sums x_k,
        then subtracts 1). Measured on real notes (benchmarks/lint_realworld.py)."""
        if char in _TIME_INDICES:
            return True
        body = self.body
        if char not in _INDEX_LETTERS or body[sign + 1:sign + 2] != "1" or body[sign + 2:sign + 3].isdigit():
            return False
        if re.match(r"\s+(?:\\[A-Za-z]|[A-Za-z(])", body[sign + 2:]):
            return False  # `z_j-1 \\boldsymbol{z}`: a coefficient of the next term
        return not re.search(r"\\(?:sum|prod)\w*\s*_\s*\{?\s*" + char + r"(?![A-Za-z])", body[:sign])

    def nucleus_is_capital(self, p: int) -> bool:
        """`W_xh`, `\\mathbf{W}_xh`: a matrix (an upper-case letter) indexed by letters."""
        return bool(re.search(r"(?:(?<![\\A-Za-z])[A-Z]|\\(?:mathbf|boldsymbol|bm)\{[A-Z]\})\s*$", self.body[:p]))

    def nucleus_is_differential(self, p: int) -> bool:
        """`\\nabla_xf`, `\\partial_xy`: the operator's index is one letter, what follows is what it acts on."""
        return bool(re.search(r"\\(?:nabla|partial|mathrm\{d\}|operatorname\{d\})\s*$", self.body[:p]))

    def nucleus_is_operator(self, p: int) -> bool:
        before = self.body[:p].rstrip()
        before = re.sub(r"\\(?:no)?limits$", "", before).rstrip()
        found = re.search(r"\\([A-Za-z]+)$", before)
        return bool(found and found.group(1) in M.BIG_OPERATORS)

    def operator_range(self, p: int, q: int, end: int) -> int:
        """`\\sum_i=1^n`, `\\lim_x\\to0`: brace the whole lower limit."""
        body, n = self.body, len(self.body)
        found = _RANGE.match(body, end)
        if not found:
            return end
        stop = found.end()
        while stop < n and body[stop] not in " \t\n^}&$":
            if body[stop] == "{":
                close = self.formula.group_end(stop)
                stop = close if close > 0 else n
                continue
            stop += 1
        if stop == found.end():
            return end
        self.wrap(p, q, stop)
        return stop
