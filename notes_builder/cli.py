"""The `notes` command: parses options and calls the library; NotesError becomes a message + exit code."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from notes_builder import __version__
from notes_builder.errors import NotesError
from notes_builder.report import print_error

NOTES_PATH = click.argument("path", required=False, type=click.Path(path_type=str))


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library exceptions into the user-facing message and the exception's exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NotesError as error:
            print_error(error)
            sys.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="notes")
def cli() -> None:
    """Technical study notes (YAML + Markdown + LaTeX math) to a checked, compiled PDF."""


@cli.command()
@NOTES_PATH
@click.option("--pdf", is_flag=True, help="Compile the PDF (otherwise only the .tex is written).")
@click.option("--out", "out_dir", type=click.Path(path_type=str), help="Output folder (default: build/).")
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed.")
@click.option("--strict", is_flag=True, help="Treat LaTeX warnings as errors.")
@click.option("-W", "--warnings", "show_warnings", is_flag=True, help="Print every LaTeX warning.")
@click.option("--retrain", is_flag=True, help="Retrain when the recorded results are stale.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors and the output path.")
@reports_errors
def build(path: str | None, pdf: bool, out_dir: str | None, force: bool, strict: bool, show_warnings: bool,
          retrain: bool, quiet: bool) -> None:
    """Render the notes at PATH (folder with notes.yaml, or one .md file; default content/) to LaTeX/PDF."""
    from notes_builder.build import BuildOptions, build_notes

    result = build_notes(path, BuildOptions(pdf=pdf, out_dir=out_dir, force=force, strict=strict,
                                            show_warnings=show_warnings, retrain=retrain, quiet=quiet))
    click.echo(result.output_path)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
