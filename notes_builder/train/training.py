"""One seed's training run: data -> SimpleLSTM -> the seed's metrics and curves (runner.py runs the seeds).

Reproducible by construction: the model is initialised from the seed, epoch e shuffles with a generator
seeded by (seed, e), and a checkpoint is written after every epoch, so a run resumed after Ctrl-C takes the
same steps as one that never stopped; with the same thread count and torch, a seed gives the same numbers to
the digit in any process. Validation windows come from whole volunteers (`val_volunteers`) of the training
split; `select_epoch` says which epoch is evaluated on the test volunteers, exactly once: the last, the one
with the lowest validation loss, or the one with the best validation accuracy (ties: lower loss).
`holdout_volunteers` scores on training volunteers instead, for cross-validation. Under torchrun
(`Distributed`), every rank trains on its share of each batch (DistributedDataParallel, DistributedSampler) and
rank 0 alone validates, tests and keeps the checkpoint.
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
from notes_builder.files import atomic_file
from notes_builder.train import data as har
from notes_builder.train import freeze
from notes_builder.train.model import SimpleLSTM
from notes_builder.train.settings import TrainingConfig, check_training, data_location, data_path, training_settings

EXPLODING_LOSS = 1e3
TIMING_KEYS = ("seconds_per_epoch", "train_time_s", "windows_per_second", "epoch_seconds")  # vary run to run
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
    seeds: list[int] | None = None
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
    jobs: int | None = None  # seed processes at once (None: as many as seeds, up to twice the cores; 1: in-process)
    on_epoch_end: Callable[[int, dict[str, Any]], None] | None = None  # in-process runs only


@dataclass
class TrainResult:
    metrics: dict[str, Any]
    results_dir: Path
    files: list[Path] = field(default_factory=list)
    interrupted: bool = False
    checkpoints: list[Path] = field(default_factory=list)  # one per seed that saved an epoch
    state_dicts: dict[int, dict[str, torch.Tensor]] = field(default_factory=dict)  # seed -> tested weights
    notes: list[str] = field(default_factory=list)  # what the CLI should say besides the numbers

    @property
    def checkpoint(self) -> Path | None:
        return self.checkpoints[0] if self.checkpoints else None

    @property
    def state_dict(self) -> dict[str, torch.Tensor] | None:
        return next(iter(self.state_dicts.values()), None)


@dataclass(frozen=True)
class Distributed:
    """This process's place under torchrun: rank 0 of `world` validates, tests and writes."""

    rank: int
    world: int


@dataclass
class Experiment:
    """What every seed trains and is tested on: the splits as tensors, normalised with the fit windows."""

    training: TrainingConfig
    device: torch.device
    x_fit: torch.Tensor
    y_fit: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    following: torch.Tensor
    scale: tuple[torch.Tensor, torch.Tensor]
    class_names: list[str]
    data_sha256: str
    data_layout: str
    counts: dict[str, int]

    @property
    def binary(self) -> bool:
        return len(self.class_names) == 2


def checkpoint_path(results_dir: Path, seed: int) -> Path:
    """Each seed's own checkpoint, so `--resume` resumes every seed where it stopped."""
    return Path(results_dir) / f".checkpoint-seed{seed}.pt"


def labels_for(task: str, activity: np.ndarray) -> np.ndarray:
    if task == "walking":
        return (activity == 1).astype(np.int64)
    if task == "dynamic":
        return (activity <= 3).astype(np.int64)
    return activity.astype(np.int64) - 1


def effective_training(config: NotesConfig, options: TrainOptions) -> TrainingConfig:
    overrides = {k: getattr(options, k) for k in ("epochs", "seeds", "device", "threads", "task")
                 if getattr(options, k) is not None}
    training = dataclasses.replace(training_settings(config), **overrides)
    where = None if options.seeds is not None or ("training", "seeds") not in config.positions else \
        config.location_of("training", "seeds")
    check_training(training, where)
    return training


def pick_device(choice: str, rank: int = 0) -> torch.device:
    if choice == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA device is available", hint="use --device auto or cpu")
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda" and torch.cuda.device_count() > 1:
        return torch.device("cuda", rank % torch.cuda.device_count())
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


def prepare(config: NotesConfig, training: TrainingConfig, options: TrainOptions, device: torch.device) -> Experiment:
    """Load the data (from the window cache after the first run) and cut the splits; every seed gets the same."""
    try:
        data = har.load_data(har.resolve_data(data_path(config, options.data), training.data_url,
                                              training.data_sha256, options.quiet))
    except DataError as error:
        error.location = error.location or data_location(config, options.data)
        raise
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
        # the subset is the same for every seed (drawn from the first), so seeds differ only in training
        keep = np.random.default_rng(training.seeds[0]).permutation(len(fit))[:options.max_train_windows]
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
    scale = (torch.from_numpy(mean.astype(np.float32)).to(device), torch.from_numpy(std.astype(np.float32)).to(device))
    return Experiment(training, device, x_fit, y_fit, x_val, y_val, x_test, y_test,
                      torch.from_numpy(following_windows(fit)).to(device), scale, list(TASKS[training.task]),
                      data.sha256, data.layout, {"fit": len(fit), "val": len(val), "test": len(test)})


def _loss_function(experiment: Experiment) -> nn.Module:
    training, device = experiment.training, experiment.device
    counts = torch.bincount(experiment.y_fit, minlength=len(experiment.class_names)).double().clamp(min=1).cpu()
    weights = (counts.sum() / counts / len(counts)).float() if training.balance_classes else None
    if experiment.binary:
        return nn.BCEWithLogitsLoss(pos_weight=None if weights is None else (weights[1] / weights[0]).to(device))
    return nn.CrossEntropyLoss(weight=None if weights is None else weights.to(device))


class Stopped(Exception):
    """The run was asked to stop (Ctrl-C): the seed's last finished epoch is in its checkpoint."""


def train_seed(experiment: Experiment, seed: int, results_dir: Path, resume: bool = False,
               step: Callable[[int, int, float], None] | None = None,
               epoch_done: Callable[[int, dict[str, Any]], None] | None = None,
               should_stop: Callable[[], bool] | None = None,
               distributed: Distributed | None = None) -> dict[str, Any]:
    """Train one seed, select its epoch on validation, test it once: the seed's metrics, curves and weights
    (`state`). `step(epoch, batch, loss)` after each batch and `epoch_done(epoch, history)` after each epoch
    report progress; `should_stop()` (checked every batch) or Ctrl-C raises Stopped, keeping the checkpoint.
    Raises TrainingError (without a location: the caller knows the notes) when the loss diverges."""
    training, device = experiment.training, experiment.device
    x_fit, y_fit, binary = experiment.x_fit, experiment.y_fit, experiment.binary
    inputs = freeze.inputs(training, experiment.data_sha256)
    lead = distributed is None or distributed.rank == 0
    torch.manual_seed(seed)
    n_out = 1 if binary else len(experiment.class_names)
    model = SimpleLSTM(9, training.hidden_size, training.dense_size, n_out).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=training.learning_rate, weight_decay=training.weight_decay)
    loss_fn = _loss_function(experiment)
    history: dict[str, list[float]] = {k: [] for k in ("train_loss", "val_loss", "val_accuracy", "epoch_seconds")}
    best: dict[str, Any] = {"epoch": 0, "accuracy": -1.0, "loss": math.inf, "state": None}
    checkpoint = checkpoint_path(results_dir, seed)
    first_epoch, elapsed_before = 0, 0.0
    if resume and checkpoint.exists():
        saved = torch.load(checkpoint, map_location=device, weights_only=False)
        if saved["freeze_hash"] != freeze.digest(inputs):
            changed = "; ".join(freeze.explain(saved["inputs"], inputs)) or "unknown change"
            raise TrainingError(f"the checkpoint {checkpoint} was made from other inputs ({changed})",
                                hint="resume with the options of the interrupted run (the "
                                     "message it printed repeats them), or run without --resume to start again")
        if saved.get("result") is not None:  # this seed had finished before the run stopped
            return saved["result"]
        model.load_state_dict(saved["model"])
        optimiser.load_state_dict(saved["optimiser"])
        history, best, first_epoch = saved["history"], saved["best"], saved["epoch"]
        elapsed_before = saved["elapsed"]
    trained: nn.Module = model
    world, rank = (distributed.world, distributed.rank) if distributed else (1, 0)
    if distributed is not None:
        trained = nn.parallel.DistributedDataParallel(model)  # broadcasts rank 0's weights
    # the global batch stays training.batch_size: each rank takes its share, gradients are averaged
    batch_size = max(1, training.batch_size // world)
    sampler = torch.utils.data.DistributedSampler(range(len(x_fit)), num_replicas=world, rank=rank, shuffle=True,
                                                  seed=seed) if distributed else None
    loop_started = time.perf_counter()
    try:
        for epoch in range(first_epoch, training.epochs):
            epoch_started = time.perf_counter()
            if sampler is not None:
                sampler.set_epoch(epoch)
                order = torch.tensor(list(iter(sampler)))
            else:
                order = torch.from_numpy(np.random.default_rng([seed, epoch]).permutation(len(x_fit)))
            noise = torch.Generator().manual_seed(seed * 100_003 + epoch + 7_919 * rank)
            if training.lr_schedule == "cosine":
                for group in optimiser.param_groups:
                    group["lr"] = training.learning_rate * 0.5 * (1 + math.cos(math.pi * epoch / training.epochs))
            total, count = 0.0, 0
            trained.train()
            batches = math.ceil(len(order) / batch_size)
            for b in range(batches):
                if should_stop is not None and should_stop():
                    raise Stopped
                index = order[b * batch_size:(b + 1) * batch_size].to(device)
                batch = _batch(x_fit, experiment.following, index, training, noise)
                logits = trained(_augment(batch, training, noise, experiment.scale))
                target = y_fit[index]
                loss = loss_fn(logits[:, 0], target.float()) if binary else loss_fn(logits, target)
                value = loss.item()
                if not math.isfinite(value) or value > EXPLODING_LOSS:
                    checkpoint.unlink(missing_ok=True)
                    raise TrainingError(
                        f"training diverged: loss {value:.4g} at epoch {epoch + 1}, batch {b + 1} (seed {seed})",
                        hint=f"lower training.learning_rate (now {training.learning_rate}) or grad_clip")
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), training.grad_clip)
                optimiser.step()
                total += value * len(index)
                count += len(index)
                if step is not None:
                    step(epoch + 1, b + 1, total / count)
            if not lead:
                continue
            val_loss, val_pred = _evaluate(model, experiment.x_val, experiment.y_val, binary)
            val_accuracy = float((val_pred == experiment.y_val.cpu().numpy()).mean())
            history["train_loss"].append(total / count)
            history["val_loss"].append(val_loss)
            history["val_accuracy"].append(val_accuracy)
            history["epoch_seconds"].append(time.perf_counter() - epoch_started)
            if _better(training.select_epoch, val_accuracy, val_loss, best):
                best = {"epoch": epoch + 1, "accuracy": val_accuracy, "loss": val_loss,
                        "state": copy.deepcopy(model.state_dict())}
            with atomic_file(checkpoint, 0o600) as handle:
                torch.save({"freeze_hash": freeze.digest(inputs), "inputs": inputs, "epoch": epoch + 1,
                            "model": model.state_dict(), "optimiser": optimiser.state_dict(),
                            "history": history, "best": best,
                            "elapsed": elapsed_before + time.perf_counter() - loop_started}, handle)
            if epoch_done is not None:
                epoch_done(epoch + 1, history)
    except KeyboardInterrupt:
        raise Stopped from None
    if not lead:
        return {}
    train_seconds = elapsed_before + time.perf_counter() - loop_started
    model.load_state_dict(best["state"])
    _, test_pred = _evaluate(model, experiment.x_test, experiment.y_test, binary)
    seconds_per_epoch = float(np.mean(history["epoch_seconds"]))
    result = {
        "seed": seed,
        **classification_metrics(experiment.y_test.cpu().numpy(), test_pred, len(experiment.class_names)),
        "chosen_epoch": best["epoch"],
        "best_val_accuracy": best["accuracy"],
        "train_loss": history["train_loss"],
        "val_loss": history["val_loss"],
        "val_accuracy": history["val_accuracy"],
        "train_time_s": round(train_seconds, 2),
        "seconds_per_epoch": round(seconds_per_epoch, 3),
        "windows_per_second": round(len(x_fit) / seconds_per_epoch, 1),
        "state": best["state"],
    }
    with atomic_file(checkpoint, 0o600) as handle:  # a finished seed is not trained again by --resume
        torch.save({"freeze_hash": freeze.digest(inputs), "inputs": inputs, "result": result}, handle)
    return result


def check_checkpoints(results_dir: Path, inputs: dict[str, Any]) -> None:
    """Before `--resume`: every checkpoint in the folder must come from these inputs (its seeds included), or the
    user resumed with other options than the interrupted run's."""
    for checkpoint in sorted(Path(results_dir).glob(".checkpoint-seed*.pt")):
        saved = torch.load(checkpoint, map_location="cpu", weights_only=False)
        if saved.get("freeze_hash") != freeze.digest(inputs):
            changed = "; ".join(freeze.explain(saved.get("inputs", {}), inputs)) or "unknown change"
            raise TrainingError(f"the checkpoint {checkpoint} was made from other inputs ({changed})",
                                hint="resume with the options of the interrupted run (the "
                                     "message it printed repeats them), or run without --resume to start again")


def result_digest(result: dict[str, Any]) -> str:
    """What a seed learnt, without the timings and weights: equal digests mean results equal to the digit."""
    return freeze.digest({k: v for k, v in result.items() if k not in (*TIMING_KEYS, "state")})


