"""Printing lint results: `path:line:col: CODE message` + source line + caret, or one JSON array."""

from __future__ import annotations

import json

from notes_builder.errors import Diagnostic
from notes_builder.lint.results import LintReport
from notes_builder.report import Stream, display_path, forget_sources, format_diagnostic, stdout


def format_text(report: LintReport) -> str:
    """Every finding, then the summary line: built once, so 10,000 findings are one write, not 30,000."""
    forget_sources()  # files may just have been rewritten by --fix
    blocks = [format_diagnostic(finding, lint_style=True) for finding in report.findings]
    total, fixable = len(report.findings), len(report.fixable)
    if report.fixed:
        blocks.append(f"fixed {report.fixed} problem{'s' if report.fixed != 1 else ''}")
    if total:
        blocks.append(f"{total} problem{'s' if total != 1 else ''} ({fixable} fixable)")
    else:
        blocks.append(f"no problems in {report.formulas} formula{'s' if report.formulas != 1 else ''}")
    return "\n".join(blocks)


def print_text(report: LintReport, console: Stream = stdout) -> None:
    console.print(format_text(report))


def to_json(findings: list[Diagnostic]) -> str:
    """`json.dumps(..., indent=2, ensure_ascii=False)` of the findings, character for character: written by
    `_indented`, since json's indenting encoder is pure Python (a third of the output time of 3,000 findings)."""
    return _indented([f.to_json(display_path(f.path)) for f in findings], 0)


_STRING = json.encoder.encode_basestring  # json's own string encoder for ensure_ascii=False (in C)


def _indented(value: object, depth: int) -> str:
    """json.dumps(value, indent=2, ensure_ascii=False) at nesting `depth`, for the dicts, lists, strings, numbers,
    booleans and None of a finding; keys are strings."""
    if isinstance(value, str):
        return _STRING(value)
    if type(value) is int:
        return str(value)  # what json writes (int.__repr__); a bool is no int here
    if isinstance(value, dict | list) and value:
        pad = "\n" + "  " * (depth + 1)
        if isinstance(value, dict):
            items = [f"{pad}{_STRING(key)}: {_indented(item, depth + 1)}" for key, item in value.items()]
            return "{" + ",".join(items) + "\n" + "  " * depth + "}"
        return "[" + ",".join(pad + _indented(item, depth + 1) for item in value) + "\n" + "  " * depth + "]"
    return json.dumps(value)  # None, booleans, floats, and empty containers
