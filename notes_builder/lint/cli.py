"""The body of `notes lint` (kept out of notes_builder/cli.py, which only parses options). It loads the parser and
the rules only when it has to lint: not for a rerun its record answers (record.py)."""

from __future__ import annotations

import click

from notes_builder.errors import Diagnostic, UsageError
from notes_builder.lint.output import print_text, to_json
from notes_builder.lint.record import lint_recorded
from notes_builder.lint.results import LintOptions
from notes_builder.report import print_diagnostic, stderr


def _ask(finding: Diagnostic) -> str:
    print_diagnostic(finding, console=stderr, lint_style=True)
    fix = finding.fix
    assert fix is not None
    # as typed: repr() would show `\sigma` as '\\sigma'
    note = "" if fix.safe else " (unsafe: the formula may mean something else; check it)"
    stderr.print(f"  fix: replace '{fix.original}' with '{fix.replacement}'{note}")
    try:
        answer = click.prompt("  apply? [y]es/[n]o/[a]ll/[q]uit", default="y", err=True,
                              type=click.Choice(["y", "n", "a", "q", "yes", "no", "all", "quit"]),
                              show_choices=False)
    except (click.exceptions.Abort, EOFError):  # input ended: keep what was accepted, ask no more
        return "quit"
    return {"y": "yes", "n": "no", "a": "all", "q": "quit"}.get(answer, answer)


def run_lint(paths, *, fix: bool = False, show_diff: bool = False, interactive: bool = False,
             output_format: str = "text", explain: str | None = None, compile_: bool = False,
             select: list[str] | None = None, ignore: list[str] | None = None, unsafe_fixes: bool = False,
             replay: bool = True) -> int:
    """Run `notes lint`; returns the exit code (0 clean, 1 findings; usage errors raise UsageError). `replay`: a
    plain run may repeat the findings of the last one when nothing they depend on changed (lint/record.py)."""
    if explain:
        from notes_builder.lint.rules import RULES  # deliberate, for start-up time: every rule's module

        code = explain.strip().upper()
        if code not in RULES:
            raise UsageError(f"unknown rule {explain}", hint=f"codes: {', '.join(RULES)}")
        click.echo(RULES[code].explain())
        return 0
    if interactive and not fix:
        raise UsageError("--interactive needs --fix")
    if fix and show_diff:
        raise UsageError("use either --fix or --diff")
    options = LintOptions(compile=compile_, select=select or [], ignore=ignore or [], unsafe_fixes=unsafe_fixes)
    if show_diff:
        # deliberate, for start-up time: see lint.run (fixes load file writing and difflib)
        from notes_builder.lint.fixes import diff_files

        text = diff_files(paths, options)
        click.echo(text, nl=False)
        return 1 if text else 0
    report = lint_recorded(paths, options, confirm=_ask if interactive else None, fix=fix, replay=replay)
    if output_format == "json":
        click.echo(to_json(report.findings))
    else:
        print_text(report)
        if report.compile_seconds is not None:
            skipped = report.formulas - report.compiled_formulas
            note = (f" ({skipped} with errors already reported {'was' if skipped == 1 else 'were'} not compiled)"
                    if skipped else "")
            stderr.print(f"compiled {report.compiled_formulas} of {report.formulas} "
                         f"formula{'s' if report.formulas != 1 else ''} in {report.compile_seconds:.2f} s{note}")
    return report.exit_code


__all__ = ["run_lint"]
