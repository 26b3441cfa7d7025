"""`notes train-figures`: the training plugin's command (its run needs the `train` extra)."""

from __future__ import annotations

import shlex
import sys

import click

from notes_builder.commands import NOTES_PATH, reports_errors
from notes_builder.config import load_config
from notes_builder.errors import UsageError
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
    config = load_config(path)
    require_extra()
    if explain:  # needs torch for the environment, not the training modules
        report = check_results(config, data, environment=True)
        click.echo(report.message())
        sys.exit(0 if report.current else 1)
    # the optional extra, once known to be installed
    from notes_builder.train.distributed import Launch, launch
    from notes_builder.train.training import TrainOptions

    options = TrainOptions(data=data, epochs=epochs, seeds=list(seeds) or None, device=device, threads=threads,
                           task=task, resume=resume, quiet=quiet)
    if nproc is None and (nnodes > 1 or rdzv_endpoint):
        raise UsageError("--nnodes and --rdzv-endpoint need --nproc (processes per node)")
    if nproc is not None:
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
        each = ", ".join(f"{100 * a:.2f}%" for a in accuracy["per_seed"])
        click.echo(f"test accuracy {100 * accuracy['mean']:.2f}{spread}% over seed{'s' if len(m['seeds']) > 1 else ''} "
                   f"{', '.join(map(str, m['seeds']))} (each: {each}; majority baseline "
                   f"{100 * m['majority_baseline']:.2f}%), {epoch['mean']:.2f} s/epoch, wall {m['wall_time_s']:.0f} s")
    click.echo(display_path(result.results_dir))
