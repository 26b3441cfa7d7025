"""Environments (NB136-NB139, NB143): \\begin/\\end pairs, display environments, `&` and `\\\\` outside alignments."""

from __future__ import annotations

import re

from notes_builder.displaymath import SINGLE_LINE, layout, stacked_scripts, top_level, whole_environment
from notes_builder.lint.formula import Formula, RawFix
from notes_builder.lint.registry import rule
from notes_builder.tex import macros as M
from notes_builder.tex.mathview import TEXT
from notes_builder.tex.tokens import CONTROL_SEQUENCE

# `\\begin{NAME}`/`\\end{NAME}`, the line break `\\\\` and `&`; any other control sequence is read as tex.tokens
# reads it, so `\\&` is no alignment tab
_ENV = re.compile(r"\\(?P<kind>begin|end)\s*\{(?P<name>[^{}]*)\}|\\\\|&|" + CONTROL_SEQUENCE, re.S)
_SUBSTACK = re.compile(r"\\(?:substack|shortstack)\s*\{")


@rule('NB136', 'environment-mismatch', 'error',
      '\\begin{...} and \\end{...} do not match.',
      "TeX stops with '\\begin{x} ended by \\end{y}'.",
      '\\begin{aligned} a \\end{align}',
      '\\begin{aligned} a \\end{aligned}', derails_tex=True)
@rule('NB137', 'display-environment-in-math', 'error',
      'A display environment is nested inside math.',
      '`align`, `equation`, `gather`... start display math themselves; inside other math (`$…$`, or after other '
      'symbols in `$$`) they fail. A `$$` that holds only one such environment is fine: it is read as that '
      'environment, as MathJax reads it. Use `aligned`/`gathered` inside a formula.',
      '$$x = \\begin{align} a &= b \\end{align}$$',
      '$$x = \\begin{aligned} a &= b \\end{aligned}$$', derails_tex=True)
@rule('NB138', 'alignment-outside-environment', 'error',
      '`&` or `\\\\` outside an alignment.',
      "TeX stops with 'Misplaced alignment tab character &' (and `\\\\` does not break lines outside an "
      'alignment); wrap the lines in `aligned`.',
      '$$a &= b \\\\ c &= d$$',
      '$$\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}$$', derails_tex=True)
@rule('NB139', 'display-line-break', 'warning',
      '`\\\\` at the top level of display math.',
      'MathJax breaks the line there; LaTeX silently joins the lines of `$$ … $$` or `equation`. notes sets such '
      'lines as `gathered` (`aligned` when they have `&`) and drops a `\\\\` that ends the formula; saying so in '
      'the source makes the notes mean the same everywhere.',
      '$$a = b \\\\ c = d$$',
      '$$\\begin{gathered}a = b \\\\ c = d\\end{gathered}$$',
      fix='safe')
@rule('NB143', 'unknown-environment', 'error',
      'An environment that LaTeX and amsmath do not define.',
      "TeX stops with 'Environment … undefined'. MathJax knows a few of its own (CD, xalignat, prooftree); write "
      'the formula with aligned, gathered, cases, array or a matrix environment.',
      '$$\\begin{xalignat} a & b \\end{xalignat}$$',
      '$$\\begin{aligned} a & b \\end{aligned}$$', derails_tex=True)
def environments(formula: Formula) -> None:
    """One walk with a stack of open environments; `\\\\` at the top of display math goes to _line_breaks."""
    body, clean = formula.body, formula.clean
    if "&" not in body and "\\\\" not in body and "\\begin" not in body and "\\end" not in body:
        return  # nothing this walk reports on: no environment, no `&`, no `\\\\`
    stack: list[tuple[str, int, int]] = []
    display = formula.context != "inline"
    # `$$\begin{align}…\end{align}$$` is one display environment, as MathJax reads it (displaymath.layout)
    whole = whole_environment(body) if formula.context == "display" else None
    outer_display = not formula.context.startswith("env:") and whole is None
    substacks: list[tuple[int, int]] | None = None  # found at the first `\\\\` (most formulas have none)
    line_breaks: list[tuple[int, int]] = []
    for match in _ENV.finditer(body):
        start = match.start()
        token = match.group(0)
        if match.group("kind"):
            name = match.group("name").strip()
            if match.group("kind") == "begin":
                if name not in M.KNOWN_ENVIRONMENTS and clean[start] != TEXT:
                    import difflib  # deliberate, for start-up time: only an unknown environment needs it

                    close = difflib.get_close_matches(name, sorted(M.KNOWN_ENVIRONMENTS), n=1)
                    formula.report("NB143", start, match.end(), f"unknown environment {name}" + (
                        f" (did you mean {close[0]}?)" if close else " (LaTeX's math has aligned, gathered, "
                        "cases, array and the matrix environments)"))
                if name in M.DISPLAY_ENVIRONMENTS and (outer_display or stack):
                    formula.report("NB137", start, match.end(),
                                   f"display environment {name} inside math (use aligned/gathered, or drop the "
                                   f"surrounding math delimiters)")
                stack.append((name, start, match.end()))
            else:
                if not stack:
                    formula.report("NB136", start, match.end(), f"\\end{{{name}}} without \\begin{{{name}}}")
                elif stack[-1][0] != name:
                    formula.report("NB136", start, match.end(), f"\\begin{{{stack[-1][0]}}} ended by \\end{{{name}}}")
                    stack.pop()
                else:
                    stack.pop()
            continue
        if token not in ("&", "\\\\") or clean[start] == TEXT:
            continue
        allowed = M.ALIGNMENT_ENVIRONMENTS if token == "&" else M.LINE_ENVIRONMENTS
        if any(name in allowed for name, _, _ in stack):
            continue
        if token == "\\\\" and substacks is None:
            substacks = [(m.end() - 1, formula.group_end(m.end() - 1)) for m in _SUBSTACK.finditer(body)]
            substacks += stacked_scripts(body)  # `\\prod_{j=1\\\\j\\neq i}`: set as \\substack by the renderer
        if token == "\\\\" and any(a < start < b for a, b in substacks or ()):
            continue
        if token == "\\\\" and display and all(name in SINGLE_LINE for name, _, _ in stack):
            line_breaks.append((start, start + 2))  # MathJax's line break: NB139, checked below
            continue
        formula.report("NB138", start, start + len(token),
                       f"'{token}' outside an alignment (wrap the lines in \\begin{{aligned}}...\\end{{aligned}})")
    for name, start, end in stack:
        formula.report("NB136", start, end, f"\\begin{{{name}}} is never ended")
    if line_breaks:
        _line_breaks(formula, line_breaks)


def _line_breaks(formula: Formula, found: list[tuple[int, int]]) -> None:
    """`\\\\` at the top level of display math: MathJax breaks the line, LaTeX joins the lines; the renderer
    sets them as `gathered` (displaymath.layout). A `\\\\` inside braces is still NB138."""
    body, context = formula.body, formula.context
    whole = whole_environment(body)
    begin, finish = (whole[2], whole[3]) if whole else (0, len(body))
    top = {token.start() for token in top_level(body, begin, finish) if token.group(0).startswith("\\\\")}
    layout_of = layout(body, context.removeprefix("env:") if context.startswith("env:") else "")
    breaks = []
    for start, end in found:
        if start not in top:
            formula.report("NB138", start, end, "'\\\\' outside an alignment (wrap the lines in "
                                                "\\begin{aligned}...\\end{aligned})")
        elif layout_of.trailing_break is not None and start >= layout_of.trailing_break:
            if start == layout_of.trailing_break:  # `\\\\ \\\\` at the end: one report, the rest goes with it
                formula.report("NB139", start, end, "'\\\\' at the end of the formula breaks no line: it is dropped",
                               RawFix(start, end, ""))
        else:
            breaks.append(start)
    if not breaks:
        return
    inner = "aligned" if layout_of.aligned else "gathered"
    fix = None
    if layout_of.trailing_break is None:
        text = body[begin:finish]
        fix = RawFix(begin, finish, f"\\begin{{{inner}}}{text}\\end{{{inner}}}" if text.strip() == text else
                     f"{text[:len(text) - len(text.lstrip())]}\\begin{{{inner}}}{text.strip()}\\end{{{inner}}}"
                     f"{text[len(text.rstrip()):]}")
    formula.report("NB139", breaks[0], breaks[0] + 2,
                   f"'\\\\' breaks the line in MathJax but LaTeX joins the lines: they are set as {inner}; "
                   f"write \\begin{{{inner}}}...\\end{{{inner}}} around them", fix)
