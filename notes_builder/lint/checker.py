"""Formula-level checks: one math body in, findings with offsets into that body out.

The fast path is a "clean" copy of the body, the same length, in which macro names, escaped characters,
comments and text arguments (`\\text{...}`, `\\label{...}`, environment names...) are blanked out; the
rules then run plain regular expressions over it and read the original body where they need the
macro names. Results are cached per (body, context), so a document that repeats a formula pays once.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from notes_builder.displaymath import SINGLE_LINE, layout, stacked_scripts, top_level, whole_environment
from notes_builder.tex import macros as M
from notes_builder.tex.chars import UNICODE_MATH, accented, is_cjk
from notes_builder.tex.safety import (
    CARET_NOTATION,
    FORBIDDEN_COMMANDS,
    PLACEHOLDER_IN_MATH,
    adds_caret_notation,
    describe,
    find_forbidden,
)
from notes_builder.tex.tokens import unbalanced_brace


@dataclass(frozen=True)
class RawFix:
    start: int
    end: int
    replacement: str
    # safe: the source has no other plausible reading (`\\tilde<c>` -> `\\tilde{c}`); unsafe: it has one (`h_t-1` may
    # be h_{t-1} or h_t - 1), so `--fix` leaves it to `--unsafe-fixes` or `--interactive` (ruff's applicability)
    safe: bool = True


@dataclass(frozen=True)
class RawFinding:
    code: str
    start: int
    end: int
    message: str
    fix: RawFix | None = None


_MACRO = re.compile(r"\\([A-Za-z@]+|[^A-Za-z@]?)", re.S)
_TEXT_ARG = re.compile(r"\\(" + "|".join(sorted(M.TEXT_ARGUMENT, key=len, reverse=True)) + r")\*?(?![A-Za-z])\s*\{")
_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
_BLANK = "\x01"
_TEXT = "\x02"
_SPACE = " \t\n\r"


def clean_body(body: str) -> str:
    """Same-length copy of `body` with macro names, escapes, comments and text arguments blanked."""

    def blank_macro(match: re.Match[str]) -> str:
        return "\\" + _BLANK * (len(match.group(0)) - 1)

    clean = _MACRO.sub(blank_macro, body)
    if "%" in body:
        clean = _COMMENT.sub(lambda m: _TEXT * len(m.group(0)), clean)
    pairs: dict[int, int] | None = None
    masked_until = -1
    for match in _TEXT_ARG.finditer(body):
        if match.start() < masked_until:
            continue  # nested inside a text argument already blanked
        if pairs is None:
            pairs = _brace_pairs(body)
        end = pairs.get(match.end() - 1, -1)
        if end < 0:
            continue
        start = match.end()
        masked_until = end
        clean = clean[:start] + _TEXT * (end - 1 - start) + clean[end - 1:]
    return clean


def _brace_pairs(body: str) -> dict[int, int]:
    """Index of each '{' -> index just past its matching '}' (escaped braces ignored), in one pass."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for match in _BRACE_OR_ESCAPE.finditer(body):
        token = match.group()
        if token == "{":
            stack.append(match.start())
        elif token == "}" and stack:
            pairs[stack.pop()] = match.end()
    return pairs


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in _SPACE:
        index += 1
    return index


class FormulaChecker:
    """Checks math bodies against a set of known macros; caches per (body, context)."""

    def __init__(self, known: frozenset[str], allow_primitives: bool = False,
                 argument_macros: dict[str, int] | None = None, template_packages: bool = False):
        self.known = known
        self.allow_primitives = allow_primitives
        # template.packages (or a template folder) may define macros lint cannot see: NB141 says how to declare them
        self.template_packages = template_packages
        # user macros (notes.yaml `macros`, lint.extra_macros) that take arguments: name -> count
        self.argument_macros = {k: v for k, v in (argument_macros or {}).items() if v > 0}
        # built-in commands' argument specs, unless the user (re)defines the name: their count wins
        self.builtin_arguments = {k: v for k, v in M.BUILTIN_ARGUMENTS.items() if k not in (argument_macros or {})}
        self._user_macro = re.compile(r"\\(" + "|".join(map(re.escape, sorted(self.argument_macros))) +
                                      r")(?![A-Za-z])") if self.argument_macros else None
        self._context_db = None
        self.cache: dict[tuple[str, str], tuple[RawFinding, ...]] = {}

    def latex_context(self):
        """pylatexenc's default context plus the user's macros with their argument counts."""
        if self._context_db is None:
            from pylatexenc.latexwalker import get_default_latex_context_db
            from pylatexenc.macrospec import MacroSpec

            db = get_default_latex_context_db().filter_context()
            db.add_context_category("notes", prepend=True, macros=[
                MacroSpec(name, "{" * count) for name, count in self.argument_macros.items()])
            self._context_db = db
        return self._context_db

    def check(self, body: str, context: str = "inline") -> tuple[RawFinding, ...]:
        """context: "inline" ($...$, YAML), "display" ($$, \\[), or "env:NAME" (an amsmath environment)."""
        key = (body, context)
        found = self.cache.get(key)
        if found is None:
            try:
                found = tuple(sorted(_Run(self, body, context).run(), key=lambda f: (f.start, f.code)))
            except RecursionError:  # pragma: no cover - defensive
                found = ()
            if len(self.cache) > 200_000:
                self.cache.clear()
            self.cache[key] = found
        return found


class _Run:
    def __init__(self, checker: FormulaChecker, body: str, context: str):
        self.checker = checker
        self.body = body
        self.context = context
        self.clean = clean_body(body)
        self.out: list[RawFinding] = []
        self._pairs: dict[int, int] | None = None
        self._brackets: dict[int, int] | None = None

    def group_end(self, start: int) -> int:
        """Index just past the '}' matching the '{' at `start`, or -1 (one pass over the body, cached)."""
        if self._pairs is None:
            self._pairs = _brace_pairs(self.body)
        return self._pairs.get(start, -1)

    def add(self, code: str, start: int, end: int, message: str, fix: RawFix | None = None) -> None:
        if fix is not None and adds_caret_notation(self.body[max(0, fix.start - 1):fix.start],
                                                   self.body[fix.start:fix.end], fix.replacement,
                                                   self.body[fix.end:fix.end + 1]):
            fix = None  # `x^²` -> `x^^{2}` would be TeX's ^^ notation (NB171): the message says what to write
        self.out.append(RawFinding(code, start, max(end, start + 1), message, fix))

    def run(self) -> list[RawFinding]:
        body, clean = self.body, self.clean
        placeholder = PLACEHOLDER_IN_MATH.search(body) if "{{" in body else None
        if placeholder is not None:  # its name would read as math (`hidden_size`): no other rule applies
            close = body.find("}}", placeholder.start())
            self.add("NB172", placeholder.start(), close + 2 if close >= 0 else len(body),
                     "placeholders are not replaced inside math; write it outside the $...$")
            return self.out
        if self.context == "inline" and _PROSE.search(clean):
            # `$x$ and then ... $y$` read with the wrong `$` pairs: the prose between two formulas became math,
            # and every word of it would be a finding
            match = _PROSE.search(clean)
            self.add("NB135", match.start(), match.end(), "this formula reads like prose: a '$' before it is "
                     "probably missing or one too many, so the '$' pair up wrongly")
            return self.out
        self.macros()
        user = self.checker._user_macro
        if user is not None and user.search(body):
            self.arguments()
        if "_" in clean or "^" in clean:
            self.scripts()
        self.delimiters()
        bad = unbalanced_brace(body) if ("{" in clean or "}" in clean) and not _balanced(clean) else None
        if bad is not None:
            self.add("NB133", bad, bad + 1, f"unbalanced '{body[bad]}'")
        for match in _DOLLAR.finditer(clean):
            self.add("NB135", match.start(), match.end(), "'$' inside math (write \\$ for a dollar sign)")
        self.environments()
        if _TWO_LETTERS.search(clean):
            self.words()
        if not clean.isascii():
            self.unicode()
        if "*" in clean:
            self.stars()
        return self.out

    # -- macros: unknown, text-mode, forbidden, accents --------------------------------------------
    def macros(self) -> None:
        body, clean = self.body, self.clean
        forbidden = {} if self.checker.allow_primitives else {
            offset: (name, why) for offset, name, why in find_forbidden(body)}
        for offset, (name, why) in forbidden.items():
            end = offset + (len(name) if name == CARET_NOTATION else 1 + len(name))
            self.add("NB171", offset, end, f"{describe(name)} is not allowed in notes ({why})")
        known = self.checker.known
        builtin = self.checker.builtin_arguments
        for match in _CONTROL.finditer(body):
            name = match.group(1)
            start, end = match.span()
            if start in forbidden or (start > 0 and _escaped(body, start)):
                continue
            if name in FORBIDDEN_COMMANDS:
                continue
            if name not in known:
                self.unknown(name, start, end)
                continue
            if clean[start] == _TEXT:
                continue
            spec = builtin.get(name)
            if spec is not None:
                self.builtin_call(name, spec, end)
            if name in M.TEXT_ONLY:
                fix = RawFix(start, end, f"\\text{{\\{name}}}") if name in M.TEXT_SYMBOLS else None
                self.add("NB161", start, end, f"text-mode command \\{name} in math", fix)
            elif name in M.ACCENTS:
                self.accent(name, start, end)

    def unknown(self, name: str, start: int, end: int) -> None:
        hint = M.suggest(name)
        message = f"unknown macro \\{name}" + (f" (did you mean {hint}?)" if hint else "")
        if self.checker.template_packages:
            # the user's packages are invisible to lint: say how to declare the macro, with this call's count
            count, at = 0, _skip_space(self.body, end)
            while self.body.startswith("{", at) and (close := self.group_end(at)) > 0:
                count, at = count + 1, _skip_space(self.body, close)
            message += (f"; if template.packages defines it, declare it in notes.yaml under lint.extra_macros "
                        f"(name: argument count), e.g. `{name}: {count}`")
        self.add("NB141", start, end, message)

    def next_token(self, at: int) -> int:
        """Skip spaces and comments from `at`: where TeX looks for the next (argument) token."""
        body, n = self.body, len(self.body)
        while True:
            at = _skip_space(body, at)
            if at >= n or body[at] != "%":
                return at
            newline = body.find("\n", at)
            at = n if newline < 0 else newline + 1

    def builtin_call(self, name: str, spec: str, end: int) -> None:
        """NB142 for a built-in command whose arguments run out (`\\frac{a}` at the end, before `}`, `&`...).

        One token is a full argument (`\\frac12`, `\\frac ab`, `\\sqrt\\pi`); an unbalanced group or an
        unclosed optional argument is left to other rules. Constant work per call except `[..]` lookups.
        """
        body = self.body
        at = end
        given = 0
        for kind in spec:
            at = self.next_token(at)
            if kind == "*":
                at += body.startswith("*", at)
                continue
            if kind == "[":
                if body.startswith("[", at):
                    close = self.bracket_end(at)
                    if close < 0:
                        return
                    at = close
                continue
            stop = self.argument_end(at)
            if stop < 0:
                wanted = spec.count("{")
                self.add("NB142", end - 1 - len(name), end, _missing(name, wanted, given))
                return
            if stop == 0:
                return
            given += 1
            at = stop

    def argument_end(self, at: int) -> int:
        """End of the undelimited argument starting at `at`; -1 when there is none, 0 when unsure."""
        body = self.body
        if at >= len(body):
            return -1
        char = body[at]
        if char in "}&":
            return -1
        if char == "{":
            close = self.group_end(at)
            return close if close > 0 else 0
        if char == "\\":
            found = _MACRO.match(body, at)
            if found is None or found.group(1) in _ARGUMENT_STOPS:
                return -1
            return found.end()
        return at + 1

    def bracket_end(self, start: int) -> int:
        """Index just past the ']' that ends the optional argument opened at `start`, or -1."""
        if self._brackets is None:
            self._brackets = _bracket_pairs(self.body)
        return self._brackets.get(start, -1)

    def arguments(self) -> None:
        """User macros called with too few arguments: parsed with pylatexenc's LatexWalker."""
        from pylatexenc.latexwalker import LatexMacroNode, LatexWalker

        counts = self.checker.argument_macros
        try:
            walker = LatexWalker(self.body, latex_context=self.checker.latex_context(), tolerant_parsing=True)
            nodes, _, _ = walker.get_latex_nodes()
        except Exception:  # pylatexenc gives up on some malformed input; other rules report it
            return
        pending = list(nodes or [])
        while pending:
            node = pending.pop()
            if node is None:
                continue
            parsed = getattr(node, "nodeargd", None)
            args = list(parsed.argnlist) if parsed is not None and parsed.argnlist else []
            if node.isNodeType(LatexMacroNode) and node.macroname in counts:
                given = sum(1 for a in args if a is not None and a.latex_verbatim().strip())
                wanted = counts[node.macroname]
                if given < wanted:
                    self.add("NB142", node.pos, node.pos + 1 + len(node.macroname),
                             _missing(node.macroname, wanted, given))
            pending.extend(getattr(node, "nodelist", None) or [])
            pending.extend(a for a in args if a is not None)

    def accent(self, name: str, start: int, end: int) -> None:
        body = self.body
        at = _skip_space(body, end)
        if at >= len(body):
            return
        char = body[at]
        if char == "<":
            close = body.find(">", at)
            fix = None
            if close > at + 1 and "<" not in body[at + 1:close]:
                fix = RawFix(at, close + 1, "{" + body[at + 1:close] + "}")
            self.add("NB101", start, close + 1 if close > 0 else at + 1,
                     f"\\{name}<...> uses angle brackets; accent arguments go in braces", fix)
        elif char == "{":
            close = self.group_end(at)
            if close < 0 or name not in M.NARROW_ACCENTS:
                return
            inner = body[at + 1:close - 1]
            found = _ACCENT_SUB.match(inner)
            if found:
                nucleus, script = found.group(1), found.group(2)
                self.add("NB102", start, close, f"\\{name} covers the subscript too; accent the symbol only",
                         RawFix(start, close, f"\\{name}{{{nucleus}}}_{script}"))
        elif char.isalnum() and char.isascii():
            self.add("NB103", start, at + 1, f"unbraced argument of \\{name}",
                     RawFix(end, at + 1, "{" + char + "}"))
        elif char == "\\":
            found = re.match(r"\\([A-Za-z]+)", body[at:])
            if found and found.group(1) not in M.ARGUMENT_MACROS:
                stop = at + found.end()
                self.add("NB103", start, stop, f"unbraced argument of \\{name}",
                         RawFix(end, stop, "{" + body[at:stop] + "}"))

    # -- scripts -----------------------------------------------------------------------------------
    def script_arg(self, at: int) -> tuple[str, int]:
        """(kind, end) of a script argument starting at `at`: group, macro, char, sign, none."""
        body, n = self.body, len(self.body)
        if at >= n:
            return "none", at
        char = body[at]
        if char == "{":
            end = self.group_end(at)
            return ("group", end) if end > 0 else ("none", at)
        if char == "\\":
            found = _MACRO.match(body, at)
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
            found = _NAME.match(body, at)
            return found.end() if found else -1
        if char == "{":
            return self.group_end(at)
        return -1

    def scripts(self) -> None:
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
                nxt = _skip_space(clean, end)
                if nxt >= n or clean[nxt] not in "_^":
                    break
                second = self.one_script(nxt)
                if body[nxt] in seen:
                    kind = "subscript" if body[nxt] == "_" else "superscript"
                    fix = None
                    first_arg = _skip_space(body, p + 1)
                    if len(seen) == 1 and second > nxt + 1:
                        inner = body[first_arg:end]
                        if inner.startswith("{") and inner.endswith("}"):
                            inner = inner[1:-1]
                        fix = RawFix(first_arg, second, "{" + inner + body[nxt:second] + "}")
                    self.add("NB112", nxt, nxt + 1, f"double {kind}: nest it in braces", fix)
                seen.add(body[nxt])
                end = second
            done = end

    def one_script(self, p: int) -> int:
        """Check the script whose '_' or '^' is at p; returns the end of its argument."""
        body, clean = self.body, self.clean
        n = len(body)
        mark = body[p]
        q = _skip_space(body, p + 1)
        kind, end = self.script_arg(q)
        if kind == "none":
            return max(end, p + 1)
        if kind == "group":
            # `\\int_{S}^{}`: an equation editor's empty slot after a subscript; it sets nothing and hides no index
            editor_slot = body[:p].rstrip().endswith("}") and mark == "^"
            if not body[q + 1:end - 1].strip() and not editor_slot:
                self.add("NB113", p, end, f"empty {'subscript' if mark == '_' else 'superscript'} group",
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
        self.add("NB111", p, stop, f"{kind} '{text}' needs braces: {body[p]}{{{text}}}",
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
        found = re.compile(r"(?:=|\\to|\\in|\\leq?|\\geq?|\\neq)(?![A-Za-z])\s*").match(body, end)
        if not found:
            return end
        stop = found.end()
        while stop < n and body[stop] not in " \t\n^}&$":
            if body[stop] == "{":
                close = self.group_end(stop)
                stop = close if close > 0 else n
                continue
            stop += 1
        if stop == found.end():
            return end
        self.wrap(p, q, stop)
        return stop

    # -- delimiters --------------------------------------------------------------------------------
    def delimiters(self) -> None:
        body, clean = self.body, self.clean
        lefts: list[tuple[int, int]] = []
        stack: list[tuple[int, int, str, str, str]] = []  # (start, end, size, macro, delimiter)
        for match in _DELIM.finditer(body):
            start = match.start()
            if clean[start] == _TEXT:
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
                    self.add("NB132", start, match.end(), "\\right without a matching \\left")
                continue
            if delim in _OPENERS or (macro.endswith("l") and delim):
                stack.append((start, match.end(), size, macro, delim))
            elif delim in _CLOSERS or (macro.endswith("r") and delim):
                if not stack:
                    if macro or delim in ")]":
                        self.add("NB134", start, match.end(), f"'{delim}' closes nothing")
                    continue
                o_start, o_end, o_size, o_macro, o_delim = stack.pop()
                if o_size != size:
                    self.sized_mismatch(o_start, o_end, o_size, o_macro, o_delim, start, match.end(), size, macro,
                                        delim)
        for start, end in lefts:
            self.add("NB132", start, end, "\\left without a matching \\right")
        for start, end, _size, _macro, delim in stack[:1]:
            if delim in "([":
                self.add("NB134", start, end, f"'{delim}' is never closed")

    def sized_mismatch(self, o_start: int, o_end: int, o_size: str, o_macro: str, o_delim: str,
                       start: int, end: int, size: str, macro: str, delim: str) -> None:
        if o_size:
            suffix = "r" if o_macro.endswith("l") or macro.endswith("r") else ""
            replacement = f"\\{o_size}{suffix}{delim}"
            shown = f"\\{macro}{delim}" if macro else delim
            self.add("NB131", start, end, f"\\{o_macro}{o_delim} is closed by {shown}",
                     RawFix(start, end, replacement))
        else:
            suffix = "l" if macro.endswith("r") else ""
            self.add("NB131", o_start, o_end, f"'{o_delim}' is closed by \\{macro}{delim}",
                     RawFix(o_start, o_end, f"\\{size}{suffix}{o_delim}"))

    # -- environments, & and \\ ---------------------------------------------------------------------
    def environments(self) -> None:
        body, clean = self.body, self.clean
        if "\\" not in body and "&" not in body:
            return
        stack: list[tuple[str, int, int]] = []
        display = self.context != "inline"
        # `$$\begin{align}…\end{align}$$` is one display environment, as MathJax reads it (displaymath.layout)
        whole = whole_environment(body) if self.context == "display" else None
        outer_display = not self.context.startswith("env:") and whole is None
        substacks = [(m.end() - 1, self.group_end(m.end() - 1)) for m in _SUBSTACK.finditer(body)]
        substacks += stacked_scripts(body)  # `\\prod_{j=1\\\\j\\neq i}`: set as \\substack by the renderer
        line_breaks: list[tuple[int, int]] = []
        for match in _ENV.finditer(body):
            start = match.start()
            token = match.group(0)
            if match.group("kind"):
                name = match.group("name").strip()
                if match.group("kind") == "begin":
                    if name not in M.KNOWN_ENVIRONMENTS and clean[start] != _TEXT:
                        close = difflib.get_close_matches(name, sorted(M.KNOWN_ENVIRONMENTS), n=1)
                        self.add("NB143", start, match.end(), f"unknown environment {name}" + (
                            f" (did you mean {close[0]}?)" if close else " (LaTeX's math has aligned, gathered, "
                            "cases, array and the matrix environments)"))
                    if name in M.DISPLAY_ENVIRONMENTS and (outer_display or stack):
                        self.add("NB137", start, match.end(),
                                 f"display environment {name} inside math (use aligned/gathered, or drop the "
                                 f"surrounding math delimiters)")
                    stack.append((name, start, match.end()))
                else:
                    if not stack:
                        self.add("NB136", start, match.end(), f"\\end{{{name}}} without \\begin{{{name}}}")
                    elif stack[-1][0] != name:
                        self.add("NB136", start, match.end(),
                                 f"\\begin{{{stack[-1][0]}}} ended by \\end{{{name}}}")
                        stack.pop()
                    else:
                        stack.pop()
                continue
            if token not in ("&", "\\\\") or clean[start] == _TEXT:
                continue
            allowed = M.ALIGNMENT_ENVIRONMENTS if token == "&" else M.LINE_ENVIRONMENTS
            if any(name in allowed for name, _, _ in stack):
                continue
            if token == "\\\\" and any(a < start < b for a, b in substacks):
                continue
            if token == "\\\\" and display and all(name in SINGLE_LINE for name, _, _ in stack):
                line_breaks.append((start, start + 2))  # MathJax's line break: NB139, checked below
                continue
            self.add("NB138", start, start + len(token),
                     f"'{token}' outside an alignment (wrap the lines in \\begin{{aligned}}...\\end{{aligned}})")
        for name, start, end in stack:
            self.add("NB136", start, end, f"\\begin{{{name}}} is never ended")
        if line_breaks:
            self.line_breaks(line_breaks)

    def line_breaks(self, found: list[tuple[int, int]]) -> None:
        """`\\\\` at the top level of display math: MathJax breaks the line, LaTeX joins the lines; the renderer
        sets them as `gathered` (displaymath.layout). A `\\\\` inside braces is still NB138."""
        body = self.body
        whole = whole_environment(body)
        begin, finish = (whole[2], whole[3]) if whole else (0, len(body))
        top = {token.start() for token in top_level(body, begin, finish) if token.group(0).startswith("\\\\")}
        formula = layout(body, self.context.removeprefix("env:") if self.context.startswith("env:") else "")
        breaks = []
        for start, end in found:
            if start not in top:
                self.add("NB138", start, end, "'\\\\' outside an alignment (wrap the lines in "
                                              "\\begin{aligned}...\\end{aligned})")
            elif formula.trailing_break is not None and start >= formula.trailing_break:
                if start == formula.trailing_break:  # `\\\\ \\\\` at the end: one report, the rest goes with it
                    self.add("NB139", start, end, "'\\\\' at the end of the formula breaks no line: it is dropped",
                             RawFix(start, end, ""))
            else:
                breaks.append(start)
        if not breaks:
            return
        inner = "aligned" if formula.aligned else "gathered"
        fix = None
        if formula.trailing_break is None:
            text = body[begin:finish]
            fix = RawFix(begin, finish, f"\\begin{{{inner}}}{text}\\end{{{inner}}}" if text.strip() == text else
                         f"{text[:len(text) - len(text.lstrip())]}\\begin{{{inner}}}{text.strip()}\\end{{{inner}}}"
                         f"{text[len(text.rstrip()):]}")
        self.add("NB139", breaks[0], breaks[0] + 2,
                 f"'\\\\' breaks the line in MathJax but LaTeX joins the lines: they are set as {inner}; "
                 f"write \\begin{{{inner}}}...\\end{{{inner}}} around them", fix)

    # -- words: function names and Greek letters without a backslash ---------------------------------
    def words(self) -> None:
        body, clean = self.body, self.clean
        for match in _WORD.finditer(clean):
            word = match.group(0)
            start, end = match.span()
            if word in M.GREEK and len(word) == 2 and self.in_script_group(start):
                continue  # `W_{xi}`, `W_{hi}`: two indices (input x, gate i), as in LSTM notes, not \\xi
            if word in M.GREEK:
                # inside a script group `W_{xi}` is usually two indices (x, i), not \\xi: unsafe there
                self.add("NB122", start, end, f"'{word}' is set as letters; write \\{word}",
                         RawFix(start, end, f"\\{word}" + (" " if body[end:end + 1].isalpha() else ""),
                                safe=not self.in_script_group(start)))
                continue
            if word not in M.BUILTIN_FUNCTIONS and word not in M.OPERATOR_NAMES:
                continue
            if clean[:start].rstrip()[-1:] in ("_", "^"):
                continue  # `\\sum_tr(s_t)`: t is the sum's index, r(s_t) the summand
            after = body[_skip_space(body, end):]
            builtin = word in M.BUILTIN_FUNCTIONS
            if not (after.startswith(("(", "\\left", "\\big", "\\Big")) or (builtin and after[:1] in ("_", "^"))):
                continue
            replacement = f"\\{word}" if builtin else f"\\operatorname{{{word}}}"
            self.add("NB121", start, end, f"function name '{word}' is set as italic letters; write {replacement}",
                     RawFix(start, end, replacement))

    # -- unicode and * -------------------------------------------------------------------------------
    def unicode(self) -> None:
        body, clean = self.body, self.clean
        for index, char in enumerate(clean):
            if char.isascii():
                continue
            if is_cjk(char) or char == "\u00a4":
                continue  # CJK: set as text by the renderer; ¤: stands for an unclosed `$` (engine.parse_lenient)
            replacement = UNICODE_MATH.get(char) or accented(char)
            name = f"U+{ord(char):04X}"
            if replacement is None:
                self.add("NB151", index, index + 1, f"Unicode character '{char}' ({name}) in math: no LaTeX "
                         "command stands for it")
                continue
            if replacement[-1:].isalpha() and body[index + 1:index + 2].isalpha():
                replacement += " "
            shown = replacement.strip() or "a space"
            # the renderer sets it as this command (render.math_unicode): a matter of style, reported on request
            self.add("NB152", index, index + 1, f"Unicode '{char}' in math; write {shown}",
                     RawFix(index, index + 1, replacement))

    def stars(self) -> None:
        clean = self.clean
        for match in _STAR.finditer(clean):
            p = match.start()
            back = p - 1
            while back >= 0 and clean[back] in _SPACE:
                back -= 1
            ahead = _skip_space(clean, p + 1)
            if back < 0 or ahead >= len(clean):
                continue
            prev, after = clean[back], clean[ahead]
            if prev in "_^*{(,=" or clean[p - 1] == _BLANK or after in "*}),=_^$&":
                continue
            if self.in_script_group(p) or _CONVOLUTION.match(self.body, p) and "(" in self.body[:p].rsplit(")", 1)[-1]:
                continue  # `(f * g)(i)`: a convolution evaluated at i
            self.add("NB162", p, p + 1, "'*' as a product: use \\cdot, \\odot (elementwise) or \\ast (convolution)")

    def in_script_group(self, p: int) -> bool:
        depth = 0
        body = self.body
        for index in range(p - 1, max(-1, p - 400), -1):
            char = body[index]
            if char == "}" and not _escaped(body, index):
                depth += 1
            elif char == "{" and not _escaped(body, index):
                if depth == 0:
                    return body[:index].rstrip(_SPACE)[-1:] in ("_", "^")
                depth -= 1
        return False


def _missing(name: str, wanted: int, given: int) -> str:
    return (f"\\{name} takes {wanted} argument{'s' if wanted != 1 else ''}; "
            f"{'one is' if wanted - given == 1 else 'some are'} missing")


def _bracket_pairs(body: str) -> dict[int, int]:
    """Index of each '[' -> index just past the first ']' after it at the same brace depth, in one pass.

    That ']' ends a TeX optional argument (`\\sqrt[a[b]c]` reads `a[b`), so every '[' still open at
    that depth closes there.
    """
    pairs: dict[int, int] = {}
    open_at: list[list[int]] = [[]]
    for match in _BRACKET_OR_BRACE.finditer(body):
        token = match.group()
        if token == "{":
            open_at.append([])
        elif token == "}":
            if len(open_at) > 1:
                open_at.pop()
        elif token == "[":
            open_at[-1].append(match.start())
        elif token == "]":
            for start in open_at[-1]:
                pairs[start] = match.end()
            open_at[-1].clear()
    return pairs


def _balanced(clean: str) -> bool:
    """Fast brace check on the clean body (escapes and comments are already blanked out)."""
    depth = 0
    for match in _BRACE.finditer(clean):
        depth += 1 if match.group() == "{" else -1
        if depth < 0:
            return False
    return depth == 0


def _escaped(text: str, index: int) -> bool:
    count = 0
    index -= 1
    while index >= 0 and text[index] == "\\":
        count += 1
        index -= 1
    return count % 2 == 1


_ACCENT_SUB = re.compile(r"^\s*(\\[A-Za-z]+|[A-Za-z])\s*_\s*(\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9])\s*$")
_OPENERS = {"(", "[", "\\{", "\\langle", "\\lfloor", "\\lceil", "\\lvert", "\\lVert"}
_CLOSERS = {")", "]", "\\}", "\\rangle", "\\rfloor", "\\rceil", "\\rvert", "\\rVert"}
_DELIM = re.compile(
    r"\\(?P<macro>left|right|[bB]igg?[lrm]?)(?![A-Za-z])\s*(?P<delim>\\[{}|]|\\[A-Za-z]+|[()\[\]|./<>]|)"
    r"|(?P<plain>\\[{}]|[()\[\]])"
    r"|(?P<other>\\(?:[A-Za-z@]+|.))", re.S)
_ENV = re.compile(r"\\(?P<kind>begin|end)\s*\{(?P<name>[^{}]*)\}|\\\\|&|\\(?:[A-Za-z@]+|.)", re.S)
_BRACE = re.compile(r"[{}]")
_BRACE_OR_ESCAPE = re.compile(r"\\.|[{}]", re.S)
_BRACKET_OR_BRACE = re.compile(r"\\.|[{}\[\]]", re.S)
# Control sequences TeX cannot take as an argument here: reaching one means the arguments ran out.
_ARGUMENT_STOPS = frozenset({"\\", "right", "middle", "end"})
_NAME = re.compile(r"\\[A-Za-z]+")
_CONTROL = re.compile(r"\\([A-Za-z@]+)")
_DOLLAR = re.compile(r"\$")
_TWO_LETTERS = re.compile(r"[A-Za-z]{2}")
_SCRIPT = re.compile(r"[_^]")
_STAR = re.compile(r"\*")
# The time step: `h_t-1` is almost always h_{t-1}. After other letters the sign is as often a subtraction
# (`n_h-1`, `\\sum_k x_k-1`, `\\boldsymbol{z}_j-2 \\boldsymbol{z}_i`: measured on real notes,
# benchmarks/lint_realworld.py).
_TIME_INDICES = frozenset("t")
_INDEX_LETTERS = frozenset("ijklmnpqrst")
_PROSE = re.compile(r"(?:(?<![\\\x01A-Za-zÀ-ÿ])[A-Za-zÀ-ÿ]{2,}[ ,.;'’]+){6,}")
_CONVOLUTION = re.compile(r"\*[^()]*\)\s*\(")
_SUBSTACK = re.compile(r"\\(?:substack|shortstack)\s*\{")
_WORD = re.compile(r"(?<![A-Za-z\x01\\])[A-Za-z]{2,}(?![A-Za-z])")
