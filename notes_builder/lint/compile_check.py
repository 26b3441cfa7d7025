"""`notes lint --compile`: every formula in ONE pdflatex run with the document's preamble.

Each formula is typeset into a discarded box between `\\typeout` markers, so nothing is shipped out and
the run stays fast; TeX's `! message` lines are attributed to the formula whose marker came last, and
TeX's `l.N` line (the body is written verbatim, starting on a known line) gives the exact position.
Formulas that lint already rejects for structural reasons (unbalanced braces, forbidden primitives...)
are left out: they would derail TeX for every formula after them. The rule itself (NB191) is in rules/compiled.py.
"""

from __future__ import annotations

import bisect
import re
import subprocess
import tempfile
import time
from pathlib import Path

from notes_builder.compile import require, safe_tex_environment
from notes_builder.content import Document, MathSpan
from notes_builder.displaymath import whole_environment
from notes_builder.errors import Diagnostic
from notes_builder.lint.located import diagnostic
from notes_builder.lint.registry import RULES
from notes_builder.render import as_latex_reads, render_preamble

# formulas with an error lint already reports are not compiled: TeX would report the same problem again
SKIP_CODES = frozenset(code for code, rule in RULES.items() if rule.derails_tex)
MARKER = "NBLINTFORMULA:"


def _wrapped(span: MathSpan) -> tuple[str, str]:
    if span.delimiter == "env" or (span.display and whole_environment(span.body)):
        return "", ""  # `$$\begin{align}…\end{align}$$` is set as the environment (displaymath.layout)
    if span.display:
        return "\\[", "\\]"
    return "$", "$"


def build_tex(document: Document, spans: list[MathSpan]) -> tuple[str, list[int]]:
    """The .tex source and, per span, the 1-based line where its body starts."""
    head = render_preamble(document)
    lines = head.rstrip("\n").split("\n")
    lines += ["\\begin{document}", "\\errorcontextlines=0", "\\hbadness=10000", "\\vbadness=10000",
              "\\hfuzz=\\maxdimen"]
    starts = []
    for index, span in enumerate(spans):
        before, after = _wrapped(span)
        lines.append(f"\\typeout{{{MARKER}{index}}}")
        lines.append("\\setbox0=\\vbox{\\hsize=\\textwidth\\noindent")
        lines.append(before)
        starts.append(len(lines) + 1)
        lines.extend(as_latex_reads(span.body).split("\n"))  # line count kept: positions map back
        lines.append(after)
        lines.append("\\par}")
    lines.append(f"\\typeout{{{MARKER}end}}")
    lines.append("\\end{document}")
    return "\n".join(lines) + "\n", starts


def _parse_log(log: str) -> list[tuple[int, str, int | None, str]]:
    """(formula index, message, tex line, context) for each TeX error after the first marker."""
    errors = []
    current: int | None = None
    lines = log.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith(MARKER):
            value = line[len(MARKER):].strip()
            current = int(value) if value.isdigit() else None
        elif line.startswith("! ") and current is not None:
            message = line[2:].strip()
            tex_line, context = None, ""
            for follow in lines[index + 1:index + 12]:
                found = re.match(r"l\.(\d+) ?(.*)", follow)
                if found:
                    tex_line, context = int(found.group(1)), found.group(2)
                    break
            errors.append((current, message, tex_line, context))
        index += 1
    return errors


def compile_documents(documents: list[Document], findings: list[Diagnostic]) -> tuple[list[Diagnostic], int, float]:
    """Compile every formula that has no error yet; returns NB191 findings, how many compiled, the seconds spent."""
    started = time.perf_counter()
    results: list[Diagnostic] = []
    compiled = 0
    bad: dict[Path, list[tuple[int, int]]] = {}
    for finding in findings:
        if finding.code in SKIP_CODES:
            bad.setdefault(finding.path, []).append((finding.line, finding.column))
    for positions in bad.values():
        positions.sort()
    for document in documents:
        spans = [s for s in document.math if not _has_error(s, bad.get(s.source.path, []))]
        if spans:
            results.extend(compile_spans(document, spans, document.config.compile_timeout))
            compiled += len(spans)
    return results, compiled, time.perf_counter() - started


def _has_error(span: MathSpan, positions: list[tuple[int, int]]) -> bool:
    """Whether a (sorted) error position lies inside the span's body: only that formula is left out, not
    the good formulas that share its line."""
    if not positions:
        return False
    first, last = span.location(0), span.location(len(span.body))
    index = bisect.bisect_left(positions, (first.line, first.column))
    return index < len(positions) and positions[index] <= (last.line, last.column)


def compile_spans(document: Document, spans: list[MathSpan], timeout: float = 120.0) -> list[Diagnostic]:
    tool = require("pdflatex", "texlive-latex-base")
    tex, starts = build_tex(document, spans)
    with tempfile.TemporaryDirectory(prefix="notes-lint-") as folder:
        path = Path(folder) / "formulas.tex"
        path.write_text(tex, encoding="utf-8")
        try:
            subprocess.run([tool, "-interaction=nonstopmode", "-no-shell-escape", "-draftmode", path.name],
                           cwd=folder, capture_output=True, timeout=timeout, check=False,
                           env=safe_tex_environment(), stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return [_finding(spans[0], 0, f"pdflatex did not finish within {timeout:.0f} s")]
        log_path = path.with_suffix(".log")
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    results: list[Diagnostic] = []
    seen: set[int] = set()
    for index, message, tex_line, context in _parse_log(log):
        if index >= len(spans) or index in seen:
            continue  # report the first error of each formula only: the rest are usually consequences
        seen.add(index)
        span = spans[index]
        offset = 0
        if tex_line is not None and span.exact:
            body_lines = span.body.split("\n")
            row = tex_line - starts[index]
            if 0 <= row < len(body_lines):
                line_start = sum(len(x) + 1 for x in body_lines[:row])
                column = 0 if context.startswith("...") else min(len(body_lines[row]), len(context))
                offset = line_start + column
                if "Undefined control sequence" in message:
                    back = span.body.rfind("\\", line_start, max(line_start, offset))
                    offset = back if back >= 0 else offset
                else:
                    offset = max(line_start, offset - 1)
        results.append(_finding(span, offset, f"TeX: {message}"))
    return results


def _finding(span: MathSpan, offset: int, message: str) -> Diagnostic:
    offset = max(0, min(offset, max(0, len(span.body) - 1)))
    at = span.location(offset)
    return diagnostic("NB191", at.path, at.line, at.column, at.line, at.column + 1, message)
