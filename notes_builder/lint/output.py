"""Printing lint results: `path:line:col: CODE message` + source line + caret, or one JSON array."""

from __future__ import annotations

import json

from rich.console import Console

from notes_builder.errors import Diagnostic
from notes_builder.lint.run import LintReport
from notes_builder.report import display_path, forget_sources, print_diagnostic, stdout


def print_text(report: LintReport, console: Console | None = None) -> None:
    console = console or stdout
    forget_sources()  # files may just have been rewritten by --fix
    for finding in report.findings:
        print_diagnostic(finding, console=console, lint_style=True)
    total, fixable = len(report.findings), len(report.fixable)
    if report.fixed:
        console.print(f"fixed {report.fixed} problem{'s' if report.fixed != 1 else ''}")
    if total:
        console.print(f"{total} problem{'s' if total != 1 else ''} ({fixable} fixable)")
    else:
        console.print(f"no problems in {report.formulas} formula{'s' if report.formulas != 1 else ''}")


def to_json(findings: list[Diagnostic]) -> str:
    return json.dumps([f.to_json(display_path(f.path)) for f in findings], indent=2, ensure_ascii=False)
