"""Printing lint results: `path:line:col: CODE message` + source line + caret, or one JSON array."""

from __future__ import annotations

import json

from notes_builder.errors import Diagnostic
from notes_builder.lint.run import LintReport
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
    return json.dumps([f.to_json(display_path(f.path)) for f in findings], indent=2, ensure_ascii=False)
