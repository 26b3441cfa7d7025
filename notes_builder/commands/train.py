"""`notes train-figures`: the training plugin's command (its run needs the `train` extra)."""

from __future__ import annotations

import shlex
import sys

import click

from notes_builder.commands import NOTES_PATH, reports_errors
from notes_builder.config import load_config
from notes_builder.report import display_path
from notes_builder.train.results import check_results, require_extra, train_figures


def _command_line(command: str, path: str | None, options: dict[str, object]) -> str:
    """The command as the user gave it, so a printed follow-up command repeats their overrides."""
    words = [command] + ([shlex.quote(path)] if path else [])
    words += [f"{name} {shlex.quote(str(value))}" for name, value in options.items() if value is not None]
    return " ".join(words)


@click.command("train-figures")
@NOTES_PATH
@click.option("--data", type=click.Path(path_type=str),
              help="Training data (zip or folder); beats $NOTES_DATA and training.data.")
@click.option("--epochs", type=click.IntRange(min=1), help="Override training.epochs.")
@click.option("--seed", type=click.IntRange(min=0), help="Override training.seed.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="auto picks CUDA when present.")
@click.option("--threads", type=click.IntRange(min=0), help="CPU threads for torch (0: torch's default).")
@click.option("--task", type=click.Choice(["walking", "dynamic", "six"]), help="Override training.task.")
@click.option("--resume", is_flag=True, help="Continue from the checkpoint left by an interrupted run.")
@click.option("--check", "--explain", "explain", is_flag=True,
              help="Only say whether the recorded results are current and why (torch version included).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars; print only the results folder.")
@reports_errors
def train_figures_command(path: str | None, data: str | None, epochs: int | None, seed: int | None,
                          device: str | None, threads: int | None, task: str | None, resume: bool,
                          explain: bool, quiet: bool) -> None:
    """Train the notes' SimpleLSTM and write metrics.json, figures and freeze.json to the results folder.

    Needs the training extra: pip install 'notes-builder[train]'."""
    config = load_config(path)
    require_extra()
    from notes_builder.train.training import TrainOptions  # the optional extra, once known to be installed

    if explain:
        report = check_results(config, data, environment=True)
        click.echo(report.message())
        sys.exit(0 if report.current else 1)
    result = train_figures(config, TrainOptions(data=data, epochs=epochs, seed=seed, device=device,
                                                threads=threads, task=task, resume=resume, quiet=quiet))
    if result.interrupted:
        where = f"checkpoint saved to {result.checkpoint}" if result.checkpoint else "no epoch finished"
        again = _command_line("notes train-figures", path, {"--data": data, "--epochs": epochs, "--seed": seed,
                                                            "--device": device, "--threads": threads,
                                                            "--task": task}) + " --resume"
        click.echo(f"interrupted: {where}; run `{again}` to continue", err=True)
        sys.exit(130)
    if not quiet:
        m = result.metrics
        click.echo(f"test accuracy {100 * m['test_accuracy']:.2f}% (majority baseline "
                   f"{100 * m['majority_baseline']:.2f}%), tested epoch {m['chosen_epoch']}/{m['epochs']}, "
                   f"{m['seconds_per_epoch']:.2f} s/epoch, {m['windows_per_second']:.0f} windows/s")
    click.echo(display_path(result.results_dir))
