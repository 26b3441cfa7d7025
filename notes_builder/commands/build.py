"""`notes build`, light half: options, then the manifest's "nothing changed" (manifest.py, without reading
notes.yaml; else plan.py, with it); only a build with something to do loads the renderer (build.build_stale),
through the command table's `build:stale` entry."""

from __future__ import annotations

import click

from notes_builder.commands import NOTES_PATH, reports_errors, terminated_as_interrupted
from notes_builder.manifest import BuildOptions, run_build
from notes_builder.report import display_path, print_build


@click.command()
@NOTES_PATH
@click.option("--pdf", is_flag=True, help="Compile the PDF (otherwise only the .tex is written).")
@click.option("--out", "out_dir", type=click.Path(path_type=str), help="Output folder (default: build/).")
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed.")
@click.option("--strict", is_flag=True, help="Treat LaTeX warnings as errors.")
@click.option("-W", "--warnings", "show_warnings", is_flag=True, help="Print every LaTeX warning.")
@click.option("--retrain", is_flag=True, help="Retrain when the recorded results are stale.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors and the output path.")
@click.option("--root", type=click.Path(path_type=str),
              help="Project root: figures, includes and sections must lie in it (beats `root:` in notes.yaml).")
@click.pass_context
@reports_errors
def build(ctx: click.Context, path: str | None, pdf: bool, out_dir: str | None, force: bool, strict: bool,
          show_warnings: bool, retrain: bool, quiet: bool, root: str | None) -> None:
    """Render the notes at PATH (folder with notes.yaml, or one .md file; default content/) to LaTeX/PDF."""
    options = BuildOptions(pdf=pdf, out_dir=out_dir, force=force, strict=strict, show_warnings=show_warnings,
                           retrain=retrain, quiet=quiet, root=root)
    commands = ctx.find_root().command
    with terminated_as_interrupted():
        result = run_build(path, options, commands.deferred("build:plan"),  # type: ignore[attr-defined]
                           commands.deferred("build:stale"))  # type: ignore[attr-defined]
    print_build(result, quiet, show_warnings)
    click.echo(display_path(result.output_path))
