"""The `notes` command: parses options and calls the library; NotesError becomes a message + exit code."""

from __future__ import annotations

import functools
import shlex
import sys
from collections.abc import Callable
from typing import Any

import click

from notes_builder import __version__
from notes_builder.errors import NotesError, UsageError
from notes_builder.report import display_path, print_build, print_error

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
@click.option("--root", type=click.Path(path_type=str),
              help="Project root: figures, includes and sections must lie in it (beats `root:` in notes.yaml).")
@reports_errors
def build(path: str | None, pdf: bool, out_dir: str | None, force: bool, strict: bool, show_warnings: bool,
          retrain: bool, quiet: bool, root: str | None) -> None:
    """Render the notes at PATH (folder with notes.yaml, or one .md file; default content/) to LaTeX/PDF."""
    from notes_builder.build import BuildOptions, build_notes

    result = build_notes(path, BuildOptions(pdf=pdf, out_dir=out_dir, force=force, strict=strict,
                                            show_warnings=show_warnings, retrain=retrain, quiet=quiet,
                                            root=root))
    print_build(result, quiet, show_warnings)
    click.echo(display_path(result.output_path))


def _command_line(command: str, path: str | None, options: dict[str, object]) -> str:
    """The command as the user gave it, so a printed follow-up command repeats their overrides."""
    words = [command] + ([shlex.quote(path)] if path else [])
    words += [f"{name} {shlex.quote(str(value))}" for name, value in options.items() if value is not None]
    return " ".join(words)


@cli.command("train-figures")
@NOTES_PATH
@click.option("--data", type=click.Path(path_type=str),
              help="Training data (zip or folder); beats $NOTES_DATA and training.data.")
@click.option("--epochs", type=click.IntRange(min=1), help="Override training.epochs.")
@click.option("--seed", "seeds", type=click.IntRange(min=0), multiple=True,
              help="Train this seed instead of training.seeds (repeatable: --seed 1 --seed 2).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="auto picks CUDA when present.")
@click.option("--threads", type=click.IntRange(min=0), help="CPU threads for torch (0: torch's default).")
@click.option("--task", type=click.Choice(["walking", "dynamic", "six"]), help="Override training.task.")
@click.option("--resume", is_flag=True, help="Continue each seed from the checkpoint an interrupted run left.")
@click.option("--check", "--explain", "explain", is_flag=True,
              help="Only say whether the recorded results are current, and why a rerun here would differ.")
@click.option("--nproc", type=click.IntRange(min=1),
              help="Train under torchrun with N processes on this node (DistributedDataParallel).")
@click.option("--nnodes", type=click.IntRange(min=1), default=1, show_default=True, help="torchrun: nodes.")
@click.option("--node-rank", type=click.IntRange(min=0), default=0, show_default=True,
              help="torchrun: this node's rank.")
@click.option("--rdzv-endpoint", help="torchrun: HOST:PORT where the nodes meet (node 0's address).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars; print only the results folder.")
@reports_errors
def train_figures_command(path: str | None, data: str | None, epochs: int | None, seeds: tuple[int, ...],
                          device: str | None, threads: int | None, task: str | None, resume: bool,
                          explain: bool, nproc: int | None, nnodes: int, node_rank: int, rdzv_endpoint: str | None,
                          quiet: bool) -> None:
    """Train the notes' SimpleLSTM once per seed and write metrics.json, figures and freeze.json to the results
    folder.

    Needs the training extra: pip install 'notes-builder[train]'."""
    from notes_builder.config import load_config
    from notes_builder.train.results import check_results, require_extra, train_figures

    config = load_config(path)
    require_extra()
    from notes_builder.train.training import TrainOptions  # the optional extra, once known to be installed

    if explain:
        report = check_results(config, data, environment=True)
        click.echo(report.message())
        sys.exit(0 if report.current else 1)
    options = TrainOptions(data=data, epochs=epochs, seeds=list(seeds) or None, device=device, threads=threads,
                           task=task, resume=resume, quiet=quiet)
    if nproc is None and (nnodes > 1 or rdzv_endpoint):
        raise UsageError("--nnodes and --rdzv-endpoint need --nproc (processes per node)")
    if nproc is not None:
        from notes_builder.train.distributed import Launch, launch

        result = launch(path, options, Launch(nproc, nnodes, node_rank, rdzv_endpoint), config.results_dir)
    else:
        result = train_figures(config, options)
    if result.interrupted:
        where = (f"checkpoint{'s' if len(result.checkpoints) > 1 else ''} saved to "
                 + ", ".join(display_path(p) for p in result.checkpoints)) if result.checkpoints else \
            "no epoch finished"
        again = _command_line("notes train-figures", path, {"--data": data, "--epochs": epochs, "--device": device,
                                                            "--threads": threads, "--task": task})
        again += "".join(f" --seed {seed}" for seed in seeds) + " --resume"
        click.echo(f"interrupted: {where}; run `{again}` to continue", err=True)
        sys.exit(130)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if not quiet and result.metrics:
        m = result.metrics
        accuracy, epoch = m["test_accuracy"], m["seconds_per_epoch"]
        spread = f" ± {100 * accuracy['std']:.2f}" if accuracy["std"] is not None else ""
        click.echo(f"test accuracy {100 * accuracy['mean']:.2f}{spread}% over seed{'s' if len(m['seeds']) > 1 else ''} "
                   f"{', '.join(map(str, m['seeds']))} (each: "
                   f"{', '.join(f'{100 * a:.2f}%' for a in accuracy['per_seed'])}; majority baseline "
                   f"{100 * m['majority_baseline']:.2f}%), {epoch['mean']:.2f} s/epoch, wall {m['wall_time_s']:.0f} s")
    click.echo(display_path(result.results_dir))


@cli.command()
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
@reports_errors
def lint(paths: tuple[str, ...], fix: bool, unsafe_fixes: bool, show_diff: bool, interactive: bool,
         output_format: str, explain: str | None, compile_: bool, select: tuple[str, ...],
         ignore: tuple[str, ...]) -> None:
    """Check the LaTeX math of the notes at PATHS (default content/): exit 0 clean, 1 findings, 2 usage."""
    from notes_builder.lint.cli import run_lint

    sys.exit(run_lint(paths, fix=fix, show_diff=show_diff, interactive=interactive, output_format=output_format,
                      explain=explain, compile_=compile_, select=list(select), ignore=list(ignore),
                      unsafe_fixes=unsafe_fixes))


@cli.command()
@NOTES_PATH
@reports_errors
def doctor(path: str | None) -> None:
    """Check that every program, LaTeX package, font and Python dependency a build needs is installed."""
    from notes_builder.doctor import print_report, run_doctor

    report = run_doctor(path)
    print_report(report)
    sys.exit(0 if report.ok else 1)


@cli.command()
@click.argument("title")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the example prose (zh: Chinese mixed with English).")
@click.option("--dir", "directory", type=click.Path(path_type=str),
              help="Folder to create (default: a slug of TITLE in the current folder).")
@reports_errors
def new(title: str, lang: str, directory: str | None) -> None:
    """Scaffold a notes project (notes.yaml, a first section with a formula box and a code box)."""
    from notes_builder.scaffold import scaffold

    folder = scaffold(title, lang=lang, directory=directory)
    click.echo(display_path(folder))


@cli.command()
@NOTES_PATH
@click.option("--out", "out_dir", type=click.Path(path_type=str), help="Output folder (default: build/).")
@click.option("--interval", type=click.FloatRange(min=0.02), default=0.25, show_default=True,
              help="Seconds between checks for changes.")
@click.option("--debounce", type=click.FloatRange(min=0.0), default=0.3, show_default=True,
              help="Wait this long after the last change before rebuilding.")
@click.option("--max-builds", type=click.IntRange(min=1), help="Exit after this many builds (for scripts).")
@click.option("--once", is_flag=True, help="Build once and exit (same as --max-builds 1).")
@reports_errors
def watch(path: str | None, out_dir: str | None, interval: float, debounce: float, max_builds: int | None,
          once: bool) -> None:
    """Rebuild the PDF whenever a notes file, figure, template or result changes; Ctrl-C stops."""
    from notes_builder.watch import watch_notes

    sys.exit(watch_notes(path, out_dir=out_dir, interval=interval, debounce=debounce,
                         max_builds=1 if once else max_builds))


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
