"""The training run behind the notes' results: data -> SimpleLSTM -> metrics.json, figures, freeze record.

Reproducible by construction: the model is initialised from `seed`, epoch e shuffles with a generator
seeded by (seed, e), and a checkpoint is written after every epoch, so a run resumed after Ctrl-C takes the
same steps as one that never stopped. Validation windows come from whole volunteers (`val_volunteers`) of
the training split; `select_epoch` says which epoch is evaluated on the test volunteers, exactly once: the
last, the one with the lowest validation loss, or the one with the best validation accuracy (ties: lower
loss). `holdout_volunteers` scores on training volunteers instead, for cross-validation.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from notes_builder.config import NotesConfig
from notes_builder.errors import DataError, TrainingError, UsageError
from notes_builder.files import atomic_file, write_json
from notes_builder.train import data as har
from notes_builder.train import freeze
from notes_builder.train.model import SimpleLSTM
from notes_builder.train.settings import TrainingConfig, check_training, data_location, data_path, training_settings

CHECKPOINT_NAME = ".checkpoint.pt"
EXPLODING_LOSS = 1e3
TASKS: dict[str, tuple[str, ...]] = {
    "walking": ("rest", "walking"),  # label 1 vs 2-6
    "dynamic": ("static", "dynamic"),  # labels 1-3 vs 4-6
    "six": har.ACTIVITIES,
}


@dataclass
class TrainOptions:
    """Command-line overrides (None: use the config) and run controls."""

    data: str | None = None
    epochs: int | None = None
    seed: int | None = None
    device: str | None = None
    threads: int | None = None
    task: str | None = None
    resume: bool = False
    quiet: bool = False
    results_dir: Path | None = None  # default: the notes' results folder
    max_train_windows: int | None = None  # a deterministic subset, for quick checks
    # Cross-validation: score on these training volunteers (left out of fitting and validation) instead of
    # the test volunteers, so settings can be compared without ever looking at the test set.
    holdout_volunteers: list[int] | None = None
    on_epoch_end: Callable[[int, dict[str, Any]], None] | None = None


@dataclass
class TrainResult:
    metrics: dict[str, Any]
    results_dir: Path
    files: list[Path] = field(default_factory=list)
    interrupted: bool = False
    checkpoint: Path | None = None
    state_dict: dict[str, torch.Tensor] | None = None  # weights of the tested epoch


def labels_for(task: str, activity: np.ndarray) -> np.ndarray:
    if task == "walking":
        return (activity == 1).astype(np.int64)
    if task == "dynamic":
        return (activity <= 3).astype(np.int64)
    return activity.astype(np.int64) - 1


def effective_training(config: NotesConfig, options: TrainOptions) -> TrainingConfig:
    overrides = {k: getattr(options, k) for k in ("epochs", "seed", "device", "threads", "task")
                 if getattr(options, k) is not None}
    training = dataclasses.replace(training_settings(config), **overrides)
    check_training(training)
    return training


def pick_device(choice: str) -> torch.device:
    if choice == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA device is available", hint="use --device auto or cpu")
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(choice)


def _git_commit(folder: Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def following_windows(w: har.Windows) -> np.ndarray:
    """Index of the window that starts 64 samples later in the same segment, or -1 (none, or unknown)."""
    following = -np.ones(len(w), dtype=np.int64)
    same = ((w.experiment[1:] == w.experiment[:-1]) & (w.experiment[1:] >= 0)
            & (w.activity[1:] == w.activity[:-1]) & (w.start[1:] == w.start[:-1] + har.STEP))
    following[:-1][same] = np.arange(1, len(w))[same]
    return following


def _batch(x: torch.Tensor, following: torch.Tensor, index: torch.Tensor, training: TrainingConfig,
           generator: torch.Generator) -> torch.Tensor:
    """A training batch. Each window may slide up to `augment_shift` samples into the window that follows
    it in its segment, and be resampled at a speed 1 ± `augment_stretch` (linear interpolation)."""
    if training.augment_shift <= 0 and training.augment_stretch <= 0:
        return x[index]
    n, last = len(index), har.WINDOW - 1
    after = following[index]
    room = torch.where(after >= 0, har.WINDOW + har.STEP - 1, last).double()  # last usable sample
    rate = 1 + training.augment_stretch * (2 * torch.rand(n, generator=generator, dtype=torch.float64) - 1)
    rate = torch.minimum(rate, room / last)
    slack = torch.clamp(torch.minimum(room - rate * last, torch.tensor(float(training.augment_shift))), min=0)
    offset = slack * torch.rand(n, generator=generator, dtype=torch.float64)
    where = (offset[:, None] + rate[:, None] * torch.arange(har.WINDOW, dtype=torch.float64)).clamp(max=room[:, None])
    below = where.floor().long()
    above = torch.minimum(below + 1, room.long()[:, None])
    frac = (where - below).float().to(x.device)[:, :, None]
    joined = torch.cat([x[index], x[after.clamp(min=0)][:, har.WINDOW - har.STEP:]], dim=1)
    channels = x.shape[2]

    def pick(rows: torch.Tensor) -> torch.Tensor:
        return torch.gather(joined, 1, rows.to(x.device)[:, :, None].expand(-1, -1, channels))

    return pick(below) * (1 - frac) + pick(above) * frac


def _rotate(x: torch.Tensor, scale: tuple[torch.Tensor, torch.Tensor], degrees: float,
            generator: torch.Generator) -> torch.Tensor:
    """Turn each window's three sensors (x y z triplets, in physical units) by one random small rotation,
    as if the phone sat at a slightly different angle on the waist."""
    mean, std = scale
    axis = torch.randn(len(x), 3, generator=generator)
    axis = axis / axis.norm(dim=1, keepdim=True).clamp(min=1e-8)
    angle = torch.deg2rad(torch.tensor(degrees)) * (2 * torch.rand(len(x), generator=generator) - 1)
    k = torch.zeros(len(x), 3, 3)
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    k = k - k.transpose(1, 2)
    sin, cos = angle.sin()[:, None, None], angle.cos()[:, None, None]
    turn = (torch.eye(3) + sin * k + (1 - cos) * k @ k).to(x.device)
    raw = x * std + mean
    raw = torch.cat([raw[:, :, i:i + 3] @ turn.transpose(1, 2) for i in (0, 3, 6)], dim=2)
    return (raw - mean) / std


def _augment(x: torch.Tensor, training: TrainingConfig, generator: torch.Generator,
             scale: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Training-time jitter: a random tilt, a random gain per window and channel, Gaussian noise."""
    if training.augment_rotate > 0:
        x = _rotate(x, scale, training.augment_rotate, generator)
    if training.augment_scale > 0:
        gain = 1 + training.augment_scale * torch.randn(len(x), 1, x.shape[2], generator=generator)
        x = x * gain.to(x.device)
    if training.augment_noise > 0:
        x = x + training.augment_noise * torch.randn(x.shape, generator=generator).to(x.device)
    return x


def _better(rule: str, accuracy: float, loss: float, best: dict[str, Any]) -> bool:
    """Does this epoch replace the best one so far, under the configured selection rule?"""
    if rule == "last":
        return True
    if rule == "val_loss":
        return loss < best["loss"]
    return (accuracy, -loss) > (best["accuracy"], -best["loss"])


def _evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, binary: bool) -> tuple[float, np.ndarray]:
    """Mean loss and predicted classes, in batches, without gradients."""
    model.eval()
    losses, preds = [], []
    with torch.no_grad():
        for i in range(0, len(x), 1024):
            logits = model(x[i:i + 1024])
            target = y[i:i + 1024]
            if binary:
                losses.append(nn.functional.binary_cross_entropy_with_logits(
                    logits[:, 0], target.float(), reduction="sum").item())
                preds.append((torch.sigmoid(logits[:, 0]) > 0.5).long())
            else:
                losses.append(nn.functional.cross_entropy(logits, target, reduction="sum").item())
                preds.append(logits.argmax(1))
    model.train()
    return sum(losses) / max(1, len(x)), torch.cat(preds).cpu().numpy()


def classification_metrics(truth: np.ndarray, pred: np.ndarray, n_classes: int) -> dict[str, Any]:
    """Accuracy, precision/recall/F1 (positive class when binary, macro average otherwise), confusion."""
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (truth, pred), 1)
    tp = np.diag(confusion).astype(float)
    precision = np.divide(tp, confusion.sum(0), out=np.zeros(n_classes), where=confusion.sum(0) > 0)
    recall = np.divide(tp, confusion.sum(1), out=np.zeros(n_classes), where=confusion.sum(1) > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(n_classes),
                   where=precision + recall > 0)
    pick = (lambda v: float(v[1])) if n_classes == 2 else (lambda v: float(v.mean()))
    return {
        "test_accuracy": float(tp.sum() / max(1, len(truth))),
        "test_precision": pick(precision),
        "test_recall": pick(recall),
        "test_f1": pick(f1),
        "confusion_matrix": confusion.tolist(),
    }


class _Bars:
    """One rich bar per epoch (batches, loss, validation accuracy, ETA of the run); nothing when quiet."""

    def __init__(self, quiet: bool, epochs: int, first: int, batches: int):
        self.progress = None
        if quiet:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}  val acc {task.fields[val]}"),
            TextColumn("ETA"), TimeRemainingColumn(),
        )
        self.total = self.progress.add_task("all epochs", total=(epochs - first) * batches, loss="", val="")
        self.epochs = epochs
        self.progress.start()

    def epoch(self, epoch: int, batches: int) -> Any:
        if self.progress is None:
            return None
        return self.progress.add_task(f"epoch {epoch}/{self.epochs}", total=batches, loss="…", val="…")

    def step(self, task: Any, loss: float) -> None:
        if self.progress is not None:
            self.progress.update(task, advance=1, loss=f"{loss:.4f}")
            self.progress.update(self.total, advance=1)

    def done(self, task: Any, loss: float, val_accuracy: float) -> None:
        if self.progress is not None:
            self.progress.update(task, loss=f"{loss:.4f}", val=f"{100 * val_accuracy:.2f}%")
            self.progress.update(self.total, loss=f"{loss:.4f}", val=f"{100 * val_accuracy:.2f}%")

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def run(config: NotesConfig, options: TrainOptions) -> TrainResult:
    """Train, select on validation, test once, and write metrics, figures and the freeze record."""
    started = time.perf_counter()
    training = effective_training(config, options)
    if training.threads > 0:
        torch.set_num_threads(training.threads)
    device = pick_device(training.device)
    try:
        data = har.load_data(har.resolve_data(data_path(config, options.data), training.data_url,
                                              training.data_sha256, options.quiet))
    except DataError as error:
        error.location = error.location or data_location(config, options.data)
        raise
    results_dir = Path(options.results_dir or config.results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    inputs = freeze.inputs(training, data.sha256)

    # ---- splits: validation volunteers come out of the training volunteers, never random windows
    volunteers = sorted(set(data.train.subject.tolist()))
    strangers = sorted(set(training.val_volunteers) - set(volunteers))
    if strangers:
        tested = sorted(set(strangers) & set(data.test.subject.tolist()))
        raise TrainingError(f"val_volunteers {strangers} are not training volunteers of this data"
                            + (f"; {tested} belong to the test set" if tested else ""),
                            config.location_of("training", "val_volunteers"), hint=f"choose from {volunteers}")
    is_val = np.isin(data.train.subject, training.val_volunteers)
    held = np.isin(data.train.subject, options.holdout_volunteers or [])
    if (held & is_val).any():
        raise UsageError("holdout volunteers and val_volunteers overlap")
    fit, val = data.train.select(~is_val & ~held), data.train.select(is_val)
    test = data.train.select(held) if options.holdout_volunteers else data.test
    if options.max_train_windows and options.max_train_windows < len(fit):
        keep = np.random.default_rng(training.seed).permutation(len(fit))[:options.max_train_windows]
        fit = fit.select(np.sort(keep))
    if not len(fit) or not len(val) or not len(test):
        raise TrainingError(f"empty split: {len(fit)} training, {len(val)} validation, {len(test)} test",
                            config.location_of("training", "val_volunteers"),
                            hint="val_volunteers must name some, not all, of the training volunteers")
    mean = fit.x.mean(axis=(0, 1), dtype=np.float64)
    std = fit.x.std(axis=(0, 1), dtype=np.float64) + 1e-8

    def tensors(w: har.Windows) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.from_numpy(((w.x - mean) / std).astype(np.float32)).to(device)
        return x, torch.from_numpy(labels_for(training.task, w.activity)).to(device)

    (x_fit, y_fit), (x_val, y_val), (x_test, y_test) = tensors(fit), tensors(val), tensors(test)
    following = torch.from_numpy(following_windows(fit)).to(device)
    scale = (torch.from_numpy(mean.astype(np.float32)).to(device), torch.from_numpy(std.astype(np.float32)).to(device))
    class_names = list(TASKS[training.task])
    binary = len(class_names) == 2

    torch.manual_seed(training.seed)
    n_out = 1 if binary else len(class_names)
    model = SimpleLSTM(9, training.hidden_size, training.dense_size, n_out).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=training.learning_rate,
                                 weight_decay=training.weight_decay)
    counts = torch.bincount(y_fit, minlength=len(class_names)).double().clamp(min=1).cpu()
    weights = (counts.sum() / counts / len(counts)).float() if training.balance_classes else None
    if binary:
        loss_fn: nn.Module = nn.BCEWithLogitsLoss(pos_weight=None if weights is None else
                                                  (weights[1] / weights[0]).to(device))
    else:
        loss_fn = nn.CrossEntropyLoss(weight=None if weights is None else weights.to(device))
    history: dict[str, list[float]] = {k: [] for k in ("train_loss", "val_loss", "val_accuracy",
                                                       "epoch_seconds")}
    best: dict[str, Any] = {"epoch": 0, "accuracy": -1.0, "loss": math.inf, "state": None}
    checkpoint = results_dir / CHECKPOINT_NAME
    first_epoch, elapsed_before = 0, 0.0
    if options.resume and checkpoint.exists():
        saved = torch.load(checkpoint, map_location=device, weights_only=False)
        if saved["freeze_hash"] != freeze.digest(inputs):
            changed = "; ".join(freeze.explain(saved["inputs"], inputs)) or "unknown change"
            raise TrainingError(f"the checkpoint {checkpoint} was made from other inputs ({changed})",
                                hint="resume with the options of the interrupted run (the "
                                     "message it printed repeats them), or run without --resume to start again")
        model.load_state_dict(saved["model"])
        optimiser.load_state_dict(saved["optimiser"])
        history, best, first_epoch = saved["history"], saved["best"], saved["epoch"]
        elapsed_before = saved["elapsed"]
    elif options.resume and not options.quiet:
        print(f"no checkpoint at {checkpoint}: starting from epoch 1")

    batches = math.ceil(len(x_fit) / training.batch_size)
    bars = _Bars(options.quiet, training.epochs, first_epoch, batches)
    loop_started = time.perf_counter()
    try:
        for epoch in range(first_epoch, training.epochs):
            epoch_started = time.perf_counter()
            task = bars.epoch(epoch + 1, batches)
            order = torch.from_numpy(np.random.default_rng([training.seed, epoch]).permutation(len(x_fit)))
            noise = torch.Generator().manual_seed(training.seed * 100_003 + epoch)
            if training.lr_schedule == "cosine":
                for group in optimiser.param_groups:
                    group["lr"] = training.learning_rate * 0.5 * (1 + math.cos(math.pi * epoch / training.epochs))
            total, count = 0.0, 0
            model.train()
            for b in range(batches):
                index = order[b * training.batch_size:(b + 1) * training.batch_size].to(device)
                batch = _batch(x_fit, following, index, training, noise)
                logits = model(_augment(batch, training, noise, scale))
                target = y_fit[index]
                loss = loss_fn(logits[:, 0], target.float()) if binary else loss_fn(logits, target)
                value = loss.item()
                if not math.isfinite(value) or value > EXPLODING_LOSS:
                    checkpoint.unlink(missing_ok=True)
                    raise TrainingError(
                        f"training diverged: loss {value:.4g} at epoch {epoch + 1}, batch {b + 1}",
                        config.location_of("training", "learning_rate"),
                        hint=f"lower training.learning_rate (now {training.learning_rate}) or grad_clip")
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), training.grad_clip)
                optimiser.step()
                total += value * len(index)
                count += len(index)
                bars.step(task, total / count)
            val_loss, val_pred = _evaluate(model, x_val, y_val, binary)
            val_accuracy = float((val_pred == y_val.cpu().numpy()).mean())
            history["train_loss"].append(total / count)
            history["val_loss"].append(val_loss)
            history["val_accuracy"].append(val_accuracy)
            history["epoch_seconds"].append(time.perf_counter() - epoch_started)
            if _better(training.select_epoch, val_accuracy, val_loss, best):
                best = {"epoch": epoch + 1, "accuracy": val_accuracy, "loss": val_loss,
                        "state": copy.deepcopy(model.state_dict())}
            bars.done(task, total / count, val_accuracy)
            with atomic_file(checkpoint, 0o600) as handle:
                torch.save({"freeze_hash": freeze.digest(inputs), "inputs": inputs, "epoch": epoch + 1,
                            "model": model.state_dict(), "optimiser": optimiser.state_dict(),
                            "history": history, "best": best,
                            "elapsed": elapsed_before + time.perf_counter() - loop_started}, handle)
            if options.on_epoch_end:
                options.on_epoch_end(epoch + 1, history)
    except KeyboardInterrupt:
        bars.close()
        return TrainResult({}, results_dir, interrupted=True,
                           checkpoint=checkpoint if checkpoint.exists() else None)
    bars.close()
    train_seconds = elapsed_before + time.perf_counter() - loop_started

    model.load_state_dict(best["state"])
    _, test_pred = _evaluate(model, x_test, y_test, binary)
    truth = y_test.cpu().numpy()
    counts = np.bincount(truth, minlength=len(class_names))
    seconds_per_epoch = float(np.mean(history["epoch_seconds"]))
    metrics: dict[str, Any] = {
        **classification_metrics(truth, test_pred, len(class_names)),
        "class_names": class_names,
        "class_prior": float(counts[1] / counts.sum()) if binary else (counts / counts.sum()).tolist(),
        "majority_baseline": float(counts.max() / counts.sum()),
        "n_train_windows": len(fit),
        "n_val_windows": len(val),
        "n_test_windows": len(test),
        "epochs": training.epochs,
        "chosen_epoch": best["epoch"],
        "best_val_accuracy": best["accuracy"],
        "train_loss": history["train_loss"],
        "val_loss": history["val_loss"],
        "val_accuracy": history["val_accuracy"],
        "wall_time_s": round(elapsed_before + time.perf_counter() - started, 2),  # data, training, test
        "train_time_s": round(train_seconds, 2),
        "seconds_per_epoch": round(seconds_per_epoch, 3),
        "windows_per_second": round(len(fit) / seconds_per_epoch, 1),
        "hidden_size": training.hidden_size,
        "task": training.task,
        "data_layout": data.layout,
        "provenance": {
            "data_sha256": data.sha256,
            "config": dataclasses.asdict(training),
            "seed": training.seed,
            "torch_version": torch.__version__,
            "numpy_version": np.__version__,
            "device": str(device),
            "threads": torch.get_num_threads(),
            "git_commit": _git_commit(config.root),
        },
    }
    from notes_builder.train.figures import write_figures

    files = write_figures(metrics, results_dir)
    write_json(results_dir / freeze.METRICS_NAME, metrics)
    files.append(results_dir / freeze.METRICS_NAME)
    outputs = freeze.output_hashes(results_dir, [path.name for path in files])
    write_json(results_dir / freeze.RECORD_NAME,
               freeze.record(inputs, freeze.environment(torch.get_num_threads()), outputs))
    files.append(results_dir / freeze.RECORD_NAME)
    checkpoint.unlink(missing_ok=True)
    return TrainResult(metrics, results_dir, files, state_dict=best["state"])
