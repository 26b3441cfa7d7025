"""`notes new`."""

from __future__ import annotations

import click

from notes_builder.commands import reports_errors
from notes_builder.report import display_path
from notes_builder.scaffold import scaffold


@click.command()
@click.argument("title")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the example prose (zh: Chinese mixed with English).")
@click.option("--dir", "directory", type=click.Path(path_type=str),
              help="Folder to create (default: a slug of TITLE in the current folder).")
@reports_errors
def new(title: str, lang: str, directory: str | None) -> None:
    """Scaffold a notes project (notes.yaml, a first section with a formula box and a code box)."""
    folder = scaffold(title, lang=lang, directory=directory)
    click.echo(display_path(folder))
