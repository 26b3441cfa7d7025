"""`notes watch`."""

from __future__ import annotations

import sys

import click

from notes_builder.commands import NOTES_PATH, reports_errors
from notes_builder.watch import DEBOUNCE, INTERVAL, watch_notes


@click.command()
@NOTES_PATH
@click.option("--out", "out_dir", type=click.Path(path_type=str), help="Output folder (default: build/).")
@click.option("--interval", type=click.FloatRange(min=0.02), default=INTERVAL, show_default=True,
              help="Seconds between checks for changes (without file-system events: watchfiles missing).")
@click.option("--debounce", type=click.FloatRange(min=0.0), default=DEBOUNCE, show_default=True,
              help="Wait this long after the last change before rebuilding.")
@click.option("--max-builds", type=click.IntRange(min=1), help="Exit after this many builds (for scripts).")
@click.option("--once", is_flag=True, help="Build once and exit (same as --max-builds 1).")
@reports_errors
def watch(path: str | None, out_dir: str | None, interval: float, debounce: float, max_builds: int | None,
          once: bool) -> None:
    """Rebuild the PDF whenever a notes file, figure, template or result changes; Ctrl-C stops."""
    sys.exit(watch_notes(path, out_dir=out_dir, interval=interval, debounce=debounce,
                         max_builds=1 if once else max_builds))
