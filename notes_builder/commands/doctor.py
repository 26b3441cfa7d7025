"""`notes doctor`."""

from __future__ import annotations

import sys

import click

from notes_builder.commands import NOTES_PATH, reports_errors
from notes_builder.doctor import print_report, run_doctor


@click.command()
@NOTES_PATH
@reports_errors
def doctor(path: str | None) -> None:
    """Check that every program, LaTeX package, font and Python dependency a build needs is installed."""
    report = run_doctor(path)
    print_report(report)
    sys.exit(0 if report.ok else 1)
