"""`notes lint`."""

from __future__ import annotations

import sys

import click

from notes_builder.commands import reports_errors
from notes_builder.errors import UsageError
from notes_builder.gcpause import no_collection_pauses
from notes_builder.lint.cli import run_lint


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--fix", is_flag=True, help="Apply the safe fixes in place.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff: also the fixes that may change meaning.")
@click.option("--diff", "show_diff", is_flag=True, help="Show the fixes as a unified diff; change nothing.")
@click.option("-i", "--interactive", is_flag=True, help="With --fix: ask for each fix (yes/no/all/quit).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              help="Output format.")
@click.option("--explain", metavar="CODE", help="Explain a rule, with a before/after example.")
@click.option("--compile", "compile_", is_flag=True, help="Also compile every formula (one pdflatex run).")
@click.option("--select", multiple=True, help="Only these codes or prefixes (repeatable).")
@click.option("--ignore", multiple=True, help="Skip these codes or prefixes (repeatable).")
@click.option("--no-cache", is_flag=True,
              help="Lint afresh, even where nothing changed since the last run (whose findings it would repeat).")
@reports_errors
def lint(paths: tuple[str, ...], fix: bool, unsafe_fixes: bool, show_diff: bool, interactive: bool,
         output_format: str, explain: str | None, compile_: bool, select: tuple[str, ...],
         ignore: tuple[str, ...], no_cache: bool) -> None:
    """Check the LaTeX math of the notes at PATHS (default content/): exit 0 clean, 1 findings, 2 usage."""
    try:
        with no_collection_pauses(process_ends=True):
            code = run_lint(paths, fix=fix, show_diff=show_diff, interactive=interactive,
                            output_format=output_format, explain=explain, compile_=compile_, select=list(select),
                            ignore=list(ignore), unsafe_fixes=unsafe_fixes, replay=not no_cache)
    except PermissionError as error:  # a folder lint must look into, or a file --fix must write (not an output)
        raise UsageError(f"permission denied: {error.filename}",
                         hint="lint reads the notes and their folders (and --fix writes the notes): check their "
                              "permissions") from None
    sys.exit(code)
