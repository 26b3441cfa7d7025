"""Commands (NB14x, NB161): macros the document does not define, missing arguments, text-mode commands."""

from __future__ import annotations

from notes_builder.lint.formula import MACRO, Formula, RawFix, skip_space
from notes_builder.lint.registry import rule
from notes_builder.tex import macros as M
from notes_builder.tex.tokens import skip_to_argument

# Control sequences TeX cannot take as an argument here: reaching one means the arguments ran out.
_ARGUMENT_STOPS = frozenset({"\\", "right", "middle", "end"})


@rule('NB141', 'unknown-macro', 'error',
      'A macro that LaTeX, amsmath, amssymb and the notes do not define.',
      "TeX stops with 'Undefined control sequence'. Define it under `macros:` in notes.yaml, or use the suggested "
      'standard macro. A macro from a package loaded with `template.packages` is unknown to lint: declare it under '
      '`lint.extra_macros` in notes.yaml as name: argument count (`extra_macros: {SI: 2}`).',
      '$x \\in \\R$',
      '$x \\in \\mathbb{R}$', derails_tex=True)
def unknown_macro(formula: Formula) -> None:
    body = formula.body
    for name, start, end in formula.unknown_commands:
        hint = M.suggest(name)
        message = f"unknown macro \\{name}" + (f" (did you mean {hint}?)" if hint else "")
        if formula.table.template_packages:
            # the user's packages are invisible to lint: say how to declare the macro, with this call's count
            count, at = 0, skip_space(body, end)
            while body.startswith("{", at) and (close := formula.group_end(at)) > 0:
                count, at = count + 1, skip_space(body, close)
            message += (f"; if template.packages defines it, declare it in notes.yaml under lint.extra_macros "
                        f"(name: argument count), e.g. `{name}: {count}`")
        formula.report("NB141", start, end, message)


@rule('NB142', 'macro-missing-argument', 'error',
      'A macro is called with too few arguments.',
      'Macros defined under `macros:` in notes.yaml (or `lint.extra_macros`) with #1..#9 need that many arguments '
      "(checked with pylatexenc's LatexWalker); so do LaTeX's own (`\\frac`, `\\sqrt`, `\\binom`, `\\mathbb`, "
      'accents...). A single token is a whole argument (`\\frac12` is fine); the arguments are missing when the '
      "formula, a group, or an alignment cell ends first, and TeX stops with 'Missing } inserted' or a runaway "
      'argument.',
      "$\\frac{a}$, macros: {norm: '\\lVert #1 \\rVert'}  $\\norm$",
      '$\\frac{a}{b}$, $\\norm{x}$', derails_tex=True)
def macro_missing_argument(formula: Formula) -> None:
    """LaTeX's own commands by their argument specs; the user's macros parsed with pylatexenc's LatexWalker."""
    builtin = formula.table.builtin_arguments
    if not builtin.keys().isdisjoint(formula.known_names):
        for name, _start, end in formula.known_commands:
            spec = builtin.get(name)
            if spec is not None:
                _builtin_call(formula, name, spec, end)
    user = formula.table.user_macro
    if user is not None and user.search(formula.body):
        _user_calls(formula)


@rule('NB161', 'text-command-in-math', 'warning',
      'A text-mode command is used in math.',
      'Commands like `\\LaTeX` or `\\par` are not valid in math mode; put them in `\\text{...}` or out of the '
      'formula.',
      '$\\LaTeX$',
      '$\\text{\\LaTeX}$',
      fix='safe')
def text_command_in_math(formula: Formula) -> None:
    if M.TEXT_ONLY.isdisjoint(formula.known_names):
        return
    for name, start, end in formula.known_commands:
        if name in M.TEXT_ONLY:
            fix = RawFix(start, end, f"\\text{{\\{name}}}") if name in M.TEXT_SYMBOLS else None
            formula.report("NB161", start, end, f"text-mode command \\{name} in math", fix)


def _missing(name: str, wanted: int, given: int) -> str:
    return (f"\\{name} takes {wanted} argument{'s' if wanted != 1 else ''}; "
            f"{'one is' if wanted - given == 1 else 'some are'} missing")


def _builtin_call(formula: Formula, name: str, spec: str, end: int) -> None:
    """NB142 for a built-in command whose arguments run out (`\\frac{a}` at the end, before `}`, `&`...).

    One token is a full argument (`\\frac12`, `\\frac ab`, `\\sqrt\\pi`); an unbalanced group or an
    unclosed optional argument is left to other rules. Constant work per call except `[..]` lookups.
    """
    body = formula.body
    at = end
    given = 0
    for kind in spec:
        at = skip_to_argument(body, at)  # past spaces and comments, as TeX looks for an argument
        if kind == "*":
            at += body.startswith("*", at)
            continue
        if kind == "[":
            if body.startswith("[", at):
                close = formula.bracket_end(at)
                if close < 0:
                    return
                at = close
            continue
        stop = _argument_end(formula, at)
        if stop < 0:
            wanted = spec.count("{")
            formula.report("NB142", end - 1 - len(name), end, _missing(name, wanted, given))
            return
        if stop == 0:
            return
        given += 1
        at = stop


def _argument_end(formula: Formula, at: int) -> int:
    """End of the undelimited argument starting at `at`; -1 when there is none, 0 when unsure."""
    body = formula.body
    if at >= len(body):
        return -1
    char = body[at]
    if char in "}&":
        return -1
    if char == "{":
        close = formula.group_end(at)
        return close if close > 0 else 0
    if char == "\\":
        found = MACRO.match(body, at)
        if found is None or found.group(1) in _ARGUMENT_STOPS:
            return -1
        return found.end()
    return at + 1


def _latex_context(formula: Formula):
    """pylatexenc's default context plus the user's macros with their argument counts (made once per table)."""
    table = formula.table
    if table.latex_context_db is None:
        # deliberate, for start-up time: pylatexenc (4 ms to import) parses only calls of the user's macros that
        # take arguments, which most notes never define
        from pylatexenc.latexwalker import get_default_latex_context_db
        from pylatexenc.macrospec import MacroSpec

        db = get_default_latex_context_db().filter_context()
        db.add_context_category("notes", prepend=True, macros=[
            MacroSpec(name, "{" * count) for name, count in table.argument_macros.items()])
        table.latex_context_db = db
    return table.latex_context_db


def _user_calls(formula: Formula) -> None:
    """User macros called with too few arguments."""
    counts = formula.table.argument_macros
    from pylatexenc.latexwalker import LatexMacroNode, LatexWalker  # deliberate: see _latex_context

    try:
        walker = LatexWalker(formula.body, latex_context=_latex_context(formula), tolerant_parsing=True)
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
                formula.report("NB142", node.pos, node.pos + 1 + len(node.macroname),
                               _missing(node.macroname, wanted, given))
        pending.extend(getattr(node, "nodelist", None) or [])
        pending.extend(a for a in args if a is not None)
