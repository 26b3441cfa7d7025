"""`notes train-figures`: every seed of the notes' experiment, their summary, and the results folder.

The seeds train in parallel processes where cores allow (the standard library's ProcessPoolExecutor with the
spawn start method; one torch thread each; as many processes as seeds, up to twice the cores, since three
one-thread seeds on two cores finish sooner together than two then one), else one after another in this
process. Each seed is trained by training.train_seed exactly as it would be alone, so the same seed, thread
count and torch give the same numbers to the digit. metrics.json holds each seed's numbers (`runs`), their mean
and sample standard deviation (`test_accuracy.mean`, `.std`, ...), the curves' mean and range, and the
confusion matrix summed over the seeds; the figures show the mean with a band over the seeds; freeze.json
covers every seed. Under torchrun (distributed.py) this module runs in every rank and rank 0 alone writes.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import dataclasses
import multiprocessing
import os
import platform
import queue
import signal
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from notes_builder.config import NotesConfig
from notes_builder.errors import ConfigError, DataError, NotesError, TrainingError, UsageError
from notes_builder.files import write_json
from notes_builder.train import freeze
from notes_builder.train.settings import TrainingConfig
from notes_builder.train.training import (
    Distributed,
    Experiment,
    Stopped,
    TrainOptions,
    TrainResult,
    _git_commit,
    check_checkpoints,
    checkpoint_path,
    effective_training,
    pick_device,
    prepare,
    result_digest,
    train_seed,
)

SUMMARISED = ("test_accuracy", "test_precision", "test_recall", "test_f1", "best_val_accuracy", "chosen_epoch",
              "seconds_per_epoch", "train_time_s", "windows_per_second")
CURVES = ("train_loss", "val_loss", "val_accuracy")
# glibc's malloc returns the LSTM's large per-batch buffers to the kernel (mmap/munmap, heap trimming) and maps
# them again on the next batch; these keep them (benchmarks/train.py measures the difference).
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
MALLOC_SETTINGS = {M_MMAP_THRESHOLD: 32 << 20, M_TRIM_THRESHOLD: 512 << 20, M_TOP_PAD: 64 << 20}


def tune_malloc() -> bool:
    """Keep freed training buffers in the heap (glibc only; elsewhere nothing happens). True when applied."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return all(mallopt(option, value) == 1 for option, value in MALLOC_SETTINGS.items())


def available_cores() -> int:
    with contextlib.suppress(AttributeError, OSError):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def seed_processes(seeds: list[int], threads: int, device: torch.device, jobs: int | None) -> int:
    """How many seeds train at once in their own processes (1: one after another, in this process)."""
    if jobs is not None:
        return max(1, min(jobs, len(seeds)))
    if len(seeds) == 1 or device.type != "cpu" or threads == 0 or available_cores() < 2:
        return 1
    return min(len(seeds), 2 * available_cores() // threads)


def _summary(values: list[float]) -> dict[str, Any]:
    """Mean and sample standard deviation (None for one seed: no spread is known), range, and each seed's."""
    return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else None,
            "min": min(values), "max": max(values), "per_seed": values}


def _curve_summary(curves: list[list[float]]) -> dict[str, list[float] | None]:
    table = np.asarray(curves, dtype=float)
    return {"mean": table.mean(0).tolist(), "std": table.std(0, ddof=1).tolist() if len(curves) > 1 else None,
            "min": table.min(0).tolist(), "max": table.max(0).tolist()}


def confusion_source(seeds: list[int]) -> str:
    """What the confusion matrix shows, for its figure and the notes."""
    if len(seeds) == 1:
        return f"test windows, seed {seeds[0]}"
    return f"test windows, summed over seeds {', '.join(map(str, seeds[:-1]))} and {seeds[-1]}"


# --------------------------------------------------------------------------------------------- progress

class Bars:
    """One rich bar per seed (epoch, loss, validation accuracy) and one for the run; nothing when quiet."""

    def __init__(self, quiet: bool, seeds: list[int], epochs: int, batches: int):
        self.progress = None
        if quiet:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[epoch]}  loss {task.fields[loss]}  val acc {task.fields[val]}"),
            TextColumn("ETA"), TimeRemainingColumn(),
        )
        self.batches = batches
        self.tasks = {seed: self.progress.add_task(f"seed {seed}", total=epochs * batches, epoch="", loss="…",
                                                   val="…") for seed in seeds}
        self.epochs = epochs
        self.progress.start()

    def step(self, seed: int, epoch: int, batch: int, loss: float) -> None:
        if self.progress is not None:
            self.progress.update(self.tasks[seed], completed=(epoch - 1) * self.batches + batch,
                                 epoch=f"epoch {epoch}/{self.epochs}", loss=f"{loss:.4f}")

    def epoch(self, seed: int, epoch: int, history: dict[str, Any]) -> None:
        if self.progress is not None:
            self.progress.update(self.tasks[seed], completed=epoch * self.batches,
                                 val=f"{100 * history['val_accuracy'][-1]:.2f}%")

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


# --------------------------------------------------------------------------------------------- seed processes

_worker_queue: Any = None
_worker_stop: Any = None


def _worker_start(messages: Any, stop: Any, threads: int) -> None:
    """In each seed process: Ctrl-C is the parent's to handle (it sets `stop`), one torch thread, malloc tuned."""
    global _worker_queue, _worker_stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_queue, _worker_stop = messages, stop
    tune_malloc()
    if threads > 0:
        torch.set_num_threads(threads)


def _seed_job(config: NotesConfig, options: TrainOptions, seed: int, results_dir: Path) -> tuple[str, Any]:
    """One seed in a seed process; errors come back as data (a NotesError's message, hint and kind)."""
    try:
        training = effective_training(config, options)
        experiment = prepare(config, training, options, pick_device(training.device))
        report = _worker_queue
        result = train_seed(
            experiment, seed, results_dir, options.resume,
            step=(lambda e, b, loss: report.put((seed, "step", e, b, loss))) if report is not None else None,
            epoch_done=(lambda e, h: report.put((seed, "epoch", e, {"val_accuracy": h["val_accuracy"][-1:]})))
            if report is not None else None,
            should_stop=_worker_stop.is_set)
        return "ok", result
    except Stopped:
        return "stopped", None
    except NotesError as error:
        return "error", (type(error).__name__, error.message, error.hint)


_ERRORS: dict[str, type[NotesError]] = {cls.__name__: cls for cls in
                                         (TrainingError, DataError, UsageError, ConfigError, NotesError)}


def _in_processes(config: NotesConfig, training_seeds: list[int], options: TrainOptions, results_dir: Path,
                  processes: int, threads: int, bars: Bars) -> tuple[dict[int, dict[str, Any]], bool]:
    """Train the seeds in `processes` spawned processes; returns the finished seeds and whether Ctrl-C came."""
    context = multiprocessing.get_context("spawn")
    messages = context.Queue() if bars.progress is not None else None
    stop = context.Event()
    portable = dataclasses.replace(options, on_epoch_end=None)
    finished: dict[int, dict[str, Any]] = {}
    errors: list[NotesError] = []
    interrupted = False
    drawing = threading.Event()

    def draw() -> None:
        while not drawing.is_set() or (messages is not None and not messages.empty()):
            try:
                seed, kind, *rest = messages.get(timeout=0.1)
            except queue.Empty:
                continue
            if kind == "step":
                bars.step(seed, *rest)
            else:
                bars.epoch(seed, *rest)

    drawer = threading.Thread(target=draw, daemon=True) if messages is not None else None
    if drawer is not None:
        drawer.start()
    with concurrent.futures.ProcessPoolExecutor(processes, mp_context=context, initializer=_worker_start,
                                                initargs=(messages, stop, threads)) as pool:
        futures = {pool.submit(_seed_job, config, portable, seed, results_dir): seed for seed in training_seeds}
        pending = set(futures)
        while pending:
            try:
                done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            except KeyboardInterrupt:
                interrupted = True
                stop.set()
                continue
            for future in done:
                status, value = future.result()
                if status == "ok":
                    finished[futures[future]] = value
                elif status == "stopped":
                    interrupted = True
                else:
                    kind, message, hint = value
                    errors.append(_ERRORS.get(kind, NotesError)(message, hint=hint))
                    stop.set()  # one failed seed fails the run: the others stop at their next batch
    drawing.set()
    if drawer is not None:
        drawer.join()
    if errors:
        raise errors[0]
    return finished, interrupted


def _in_this_process(experiment: Experiment, seeds: list[int], options: TrainOptions, results_dir: Path,
                     bars: Bars) -> tuple[dict[int, dict[str, Any]], bool]:
    finished: dict[int, dict[str, Any]] = {}
    for seed in seeds:
        def epoch_done(epoch: int, history: dict[str, Any], seed: int = seed) -> None:
            bars.epoch(seed, epoch, history)
            if options.on_epoch_end:
                options.on_epoch_end(epoch, history)

        try:
            finished[seed] = train_seed(experiment, seed, results_dir, options.resume,
                                        step=lambda e, b, loss, seed=seed: bars.step(seed, e, b, loss),
                                        epoch_done=epoch_done)
        except Stopped:
            return finished, True
    return finished, False


# --------------------------------------------------------------------------------------------- the run

def run(config: NotesConfig, options: TrainOptions, distributed: Distributed | None = None) -> TrainResult:
    """Train every seed, summarise them, and write metrics, figures and the freeze record (rank 0 only)."""
    started = time.perf_counter()
    training = effective_training(config, options)
    tuned = tune_malloc()
    if training.threads > 0:
        torch.set_num_threads(training.threads)
    rank = distributed.rank if distributed else 0
    device = pick_device(training.device, rank)
    experiment = prepare(config, training, options, device)  # data and split errors before any process starts
    results_dir = Path(options.results_dir or config.results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    seeds = training.seeds
    processes = 1 if distributed else seed_processes(seeds, training.threads, device, options.jobs)
    batches = -(-experiment.counts["fit"] // max(1, training.batch_size))
    bars = Bars(options.quiet or rank != 0, seeds, training.epochs, batches)
    if options.resume:
        check_checkpoints(results_dir, freeze.inputs(training, experiment.data_sha256))
    if options.resume and not options.quiet and rank == 0:
        fresh = [s for s in seeds if not checkpoint_path(results_dir, s).exists()]
        if fresh:
            print(f"no checkpoint for seed{'s' if len(fresh) > 1 else ''} {', '.join(map(str, fresh))}: "
                  "starting from epoch 1")
    try:
        if distributed is not None:
            finished, interrupted = {}, False
            for seed in seeds:
                finished[seed] = train_seed(experiment, seed, results_dir, options.resume,
                                            step=lambda e, b, loss, seed=seed: bars.step(seed, e, b, loss),
                                            epoch_done=lambda e, h, seed=seed: bars.epoch(seed, e, h),
                                            distributed=distributed)
        elif processes > 1:
            finished, interrupted = _in_processes(config, seeds, options, results_dir, processes,
                                                  training.threads, bars)
        else:
            finished, interrupted = _in_this_process(experiment, seeds, options, results_dir, bars)
    except TrainingError as error:
        for seed in seeds:  # a diverged run needs other settings: no checkpoint of it is worth resuming
            checkpoint_path(results_dir, seed).unlink(missing_ok=True)
        if "diverged" in error.message:
            error.location = error.location or config.location_of("training", "learning_rate")
        raise
    except Stopped:
        finished, interrupted = {}, True
    finally:
        bars.close()
    if interrupted:
        saved = [checkpoint_path(results_dir, s) for s in seeds if checkpoint_path(results_dir, s).exists()]
        return TrainResult({}, results_dir, interrupted=True, checkpoints=saved)
    if rank != 0:
        return TrainResult({}, results_dir)
    runs = [finished[seed] for seed in seeds]
    threads = torch.get_num_threads()
    environment = freeze.environment(threads, device.type, distributed.world if distributed else 1)
    metrics = summarise(experiment, runs, training, processes, environment, tuned)
    metrics["wall_time_s"] = round(time.perf_counter() - started, 2)  # data, every seed, test (not the figures)
    metrics["provenance"]["git_commit"] = _git_commit(config.root)
    result = write_results(results_dir, metrics, runs, environment, training)
    result.state_dicts = {run["seed"]: run["state"] for run in runs}
    for seed in seeds:
        checkpoint_path(results_dir, seed).unlink(missing_ok=True)
    return result


def summarise(experiment: Experiment, runs: list[dict[str, Any]], training: TrainingConfig, processes: int,
              environment: dict[str, Any], malloc_tuned: bool) -> dict[str, Any]:
    """metrics.json: the seeds' mean ± std, their curves' mean and range, the summed confusion matrix, each run."""
    seeds = [run["seed"] for run in runs]
    truth = experiment.y_test.cpu().numpy()
    counts = np.bincount(truth, minlength=len(experiment.class_names))
    binary = experiment.binary
    return {
        "seeds": seeds,
        **{key: _summary([run[key] for run in runs]) for key in SUMMARISED},
        **{key: _curve_summary([run[key] for run in runs]) for key in CURVES},
        "confusion_matrix": np.sum([run["confusion_matrix"] for run in runs], axis=0).tolist(),
        "confusion_matrix_of": confusion_source(seeds),
        "class_names": experiment.class_names,
        "class_prior": float(counts[1] / counts.sum()) if binary else (counts / counts.sum()).tolist(),
        "majority_baseline": float(counts.max() / counts.sum()),
        "n_train_windows": experiment.counts["fit"],
        "n_val_windows": experiment.counts["val"],
        "n_test_windows": experiment.counts["test"],
        "epochs": training.epochs,
        "hidden_size": training.hidden_size,
        "task": training.task,
        "data_layout": experiment.data_layout,
        "runs": [{k: v for k, v in run.items() if k not in ("state", "epoch_seconds")} for run in runs],
        "provenance": {
            "data_sha256": experiment.data_sha256,
            "config": dataclasses.asdict(training),
            "seeds": seeds,
            "torch_version": torch.__version__,
            "numpy_version": np.__version__,
            "device": str(experiment.device),
            "threads": environment.get("threads"),
            "cpu_capability": environment.get("cpu_capability"),
            "processes": environment.get("processes", 1),
            "seed_processes": processes,
            "malloc_tuned": malloc_tuned,
        },
    }


def _rerun_notes(previous: freeze.Record | None, inputs: dict[str, Any], seeds: dict[str, dict[str, Any]],
                 environment: dict[str, Any]) -> list[str]:
    """When the same inputs gave other numbers than the recorded run: which seeds, and what differs around them."""
    if previous is None or freeze.digest(previous.inputs) != freeze.digest(inputs) or not previous.seeds:
        return []
    moved = [seed for seed, now in seeds.items()
             if seed in previous.seeds and previous.seeds[seed].get("result") != now["result"]]
    if not moved:
        return []
    shown = ", ".join(f"seed {seed} test accuracy {100 * previous.seeds[seed].get('test_accuracy', float('nan')):.2f}%"
                      f" → {100 * seeds[seed]['test_accuracy']:.2f}%" for seed in moved)
    why = freeze.explain_environment(previous.environment, environment, everything=True)
    because = "; ".join(why) if why else ("nothing recorded about the two runs differs (torch, threads, CPU "
                                          "kernels, device, processes): torch was not deterministic here")
    return [f"this rerun differs from the recorded run with the same inputs ({shown}): {because}"]


def write_results(results_dir: Path, metrics: dict[str, Any], runs: list[dict[str, Any]],
                  environment: dict[str, Any], training: TrainingConfig) -> TrainResult:
    """Figures, metrics.json and freeze.json, each written atomically; the record last, naming what was written."""
    from notes_builder.train.figures import write_figures  # matplotlib: only once the seeds have trained

    record_path = results_dir / freeze.RECORD_NAME
    previous = None
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        previous = freeze.read_record(record_path) if record_path.exists() else None
    inputs = freeze.inputs(training, metrics["provenance"]["data_sha256"])
    seeds = {str(run["seed"]): {"result": result_digest(run), "test_accuracy": run["test_accuracy"]}
             for run in runs}
    notes = _rerun_notes(previous, inputs, seeds, environment)
    files = write_figures(metrics, results_dir)
    write_json(results_dir / freeze.METRICS_NAME, metrics)
    files.append(results_dir / freeze.METRICS_NAME)
    outputs = freeze.output_hashes(results_dir, [path.name for path in files])
    write_json(record_path, freeze.record(inputs, environment, outputs, seeds, notes))
    files.append(record_path)
    return TrainResult(metrics, results_dir, files, notes=notes)
