"""Turning a rule's findings into Diagnostics located in the user's file (1-based line/column; end exclusive)."""

from __future__ import annotations

from pathlib import Path

from notes_builder.content import MathSpan
from notes_builder.errors import Diagnostic, Fix, Location
from notes_builder.lint.formula import RawFinding
from notes_builder.lint.registry import RULES


def diagnostic(code: str, path: Path, line: int, column: int, end_line: int, end_column: int, message: str,
               fix: Fix | None = None) -> Diagnostic:
    """A lint diagnostic of rule `code`, with the rule's severity."""
    return Diagnostic(Location(path, line, column, end_line, end_column), RULES[code].severity, message, code=code,
                      fix=fix)


def locate(span: MathSpan, raw: RawFinding) -> Diagnostic:
    """A formula finding (offsets into the body) at its place in the file; its fix only where the body is
    verbatim in the file (not from YAML, not rewritten)."""
    start = span.location(raw.start)
    end = span.location(min(raw.end, len(span.body)))
    if raw.end > len(span.body) or not span.exact:
        end = Location(start.path, start.line, start.column + max(1, raw.end - raw.start))
    fix = None
    if raw.fix is not None and span.exact and span.delimiter != "yaml":
        text = span.source.text
        a, b = span.offset + raw.fix.start, span.offset + raw.fix.end
        if text[span.offset:span.offset + len(span.body)] == span.body:
            fa, fb = span.source.position(a), span.source.position(b)
            fix = Fix(a, b, raw.fix.replacement, text[a:b], fa[0], fa[1], fb[0], fb[1], raw.fix.safe)
    return diagnostic(raw.code, start.path, start.line, start.column, end.line, end.column, raw.message, fix)
