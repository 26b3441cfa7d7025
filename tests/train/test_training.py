"""Short real training runs on the shared data: outputs, resume, divergence, the command."""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
import torch
from click.testing import CliRunner

from notes_builder.cli import cli
from notes_builder.config import load_config
from notes_builder.errors import TrainingError, UsageError
from notes_builder.train import data as har
from notes_builder.train.results import check_results, train_figures
from notes_builder.train.settings import TrainingConfig
from notes_builder.train.training import (
    TrainOptions,
    _batch,
    _better,
    _rotate,
    checkpoint_path,
    following_windows,
)
from train import DATA

pytestmark = pytest.mark.skipif(not DATA.exists(), reason=f"shared data not at {DATA}")

METRIC_KEYS = {
    "test_accuracy", "test_precision", "test_recall", "test_f1", "confusion_matrix", "class_names", "class_prior",
    "majority_baseline", "n_train_windows", "n_val_windows", "n_test_windows", "epochs", "chosen_epoch",
    "train_loss", "val_loss", "val_accuracy", "wall_time_s", "seconds_per_epoch", "windows_per_second",
    "hidden_size", "task", "provenance", "seeds", "runs", "confusion_matrix_of",
}


def make_notes(folder: Path, **training: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    options = {"data": str(DATA), "hidden_size": 16, "batch_size": 64, "threads": 1, **training}
    options.setdefault("seeds", "[1]")  # one seed unless a test asks for more (the default is three)
    lines = "".join(f"  {k}: {v}\n" for k, v in options.items())
    (folder / "notes.yaml").write_text(f"title: t\nsections: [a.md]\ntraining:\n{lines}")
    (folder / "a.md").write_text("# A\n")
    return folder


def test_short_run_beats_the_majority_baseline_and_writes_valid_files(tmp_path: Path) -> None:
    config = load_config(make_notes(tmp_path / "notes", epochs=4, learning_rate=0.005, lr_schedule="constant",
                                    augment_shift=0, augment_scale=0.0))
    result = train_figures(config, TrainOptions(quiet=True, max_train_windows=3000))
    metrics = json.loads((config.results_dir / "metrics.json").read_text())
    assert set(metrics) >= METRIC_KEYS
    assert metrics["test_accuracy"]["mean"] > metrics["majority_baseline"] > 0.8
    assert metrics["n_train_windows"] == 3000 and len(metrics["val_loss"]["mean"]) == 4
    assert 1 <= metrics["chosen_epoch"]["mean"] <= 4
    assert metrics["class_names"] == ["rest", "walking"]
    assert sum(map(sum, metrics["confusion_matrix"])) == metrics["n_test_windows"]
    assert metrics["provenance"]["data_sha256"] == "29d6ec76315de1f759e9f758576396495169f0382cfea9947b1d050961dba4af"
    for name in ("loss_curve", "val_accuracy", "confusion_matrix"):
        pdf = (config.results_dir / f"{name}.pdf").read_bytes()
        assert pdf.startswith(b"%PDF") and b"CMR10" in pdf.upper()  # Computer Modern, embedded
        image = matplotlib.image.imread(config.results_dir / f"{name}.png")
        assert image.ndim == 3 and image.shape[0] > 100
    assert not list(config.results_dir.glob("*.tmp")) and not checkpoint_path(config.results_dir, 1).exists()
    assert check_results(config).current
    assert result.state_dict is not None


def test_time_shift_augmentation_cuts_real_windows_from_the_recording() -> None:
    windows = har.load_data(DATA).train.select(slice(0, 400))
    following = torch.from_numpy(following_windows(windows))
    assert (following >= 0).sum() > 300
    x = torch.from_numpy(windows.x)
    index = torch.arange(len(windows))
    shifted = _batch(x, following, index, TrainingConfig(augment_shift=64), torch.Generator().manual_seed(0))
    for i in torch.nonzero(following >= 0)[:50, 0].tolist():
        joined = torch.cat([x[i], x[following[i]][64:]])
        # a (sub-sample) shift: every value lies between two neighbouring samples of the recording
        offsets = [o for o in range(64) if bool(
            (shifted[i] >= torch.minimum(joined[o:o + 128], joined[o + 1:o + 129]) - 1e-5).all()
            & (shifted[i] <= torch.maximum(joined[o:o + 128], joined[o + 1:o + 129]) + 1e-5).all())]
        assert offsets, f"window {i} is not a shifted stretch of its segment"
    assert not torch.equal(shifted, x)
    tilted = _rotate(x[:8], (torch.zeros(9), torch.ones(9)), 15.0, torch.Generator().manual_seed(0))
    for sensor in (0, 3, 6):  # a rotation keeps each sensor's vector length
        torch.testing.assert_close(tilted[..., sensor:sensor + 3].norm(dim=-1),
                                   x[:8, :, sensor:sensor + 3].norm(dim=-1))


def test_resume_after_ctrl_c_gives_the_same_weights(tmp_path: Path) -> None:
    options = {"max_train_windows": 600, "quiet": True}
    straight = load_config(make_notes(tmp_path / "straight", epochs=3))
    expected = train_figures(straight, TrainOptions(**options))

    config = load_config(make_notes(tmp_path / "stopped", epochs=3))

    def ctrl_c(epoch: int, history: dict) -> None:
        if epoch == 2:
            raise KeyboardInterrupt

    stopped = train_figures(config, TrainOptions(**options, on_epoch_end=ctrl_c))
    assert stopped.interrupted and stopped.checkpoint == checkpoint_path(config.results_dir, 1)
    assert not (config.results_dir / "metrics.json").exists()
    resumed = train_figures(config, TrainOptions(**options, resume=True))
    assert not resumed.interrupted
    for name, tensor in expected.state_dict.items():
        assert torch.equal(tensor, resumed.state_dict[name]), name
    assert resumed.metrics["val_loss"] == expected.metrics["val_loss"]
    assert resumed.metrics["runs"][0]["val_loss"] == expected.metrics["runs"][0]["val_loss"]
    assert resumed.metrics["test_accuracy"] == expected.metrics["test_accuracy"]


def test_ctrl_c_prints_a_resume_command_that_repeats_the_overrides(tmp_path: Path) -> None:
    """A real SIGINT to the command: the printed `--resume` line must work as printed, overrides included."""
    notes = make_notes(tmp_path / "notes", epochs=1, hidden_size=4, batch_size=512)
    command = [sys.executable, "-m", "notes_builder", "train-figures", str(notes), "--epochs", "6", "--seed", "2"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    checkpoint = checkpoint_path(notes / "results", 2)
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    printed = re.search(r"run `(notes train-figures [^`]*)` to continue", stderr)
    assert printed, stderr
    words = shlex.split(printed.group(1))
    assert words[1:] == ["train-figures", str(notes), "--epochs", "6", "--seed", "2", "--resume"]

    # Without the overrides the checkpoint does not match; the hint says what to do and the checkpoint stays.
    runner = CliRunner()
    bare = runner.invoke(cli, ["train-figures", str(notes), "--resume", "-q"])
    assert bare.exit_code == 1
    assert "training.epochs changed from 6 to 1" in bare.output and "options of the interrupted run" in bare.output
    assert checkpoint.exists()

    resumed = runner.invoke(cli, [*words[1:], "-q"])
    assert resumed.exit_code == 0, resumed.output
    metrics = json.loads((notes / "results" / "metrics.json").read_text())
    assert metrics["epochs"] == 6 and metrics["provenance"]["config"]["seeds"] == [2]
    assert not checkpoint.exists()


def test_exploding_loss_stops_with_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    config = load_config(make_notes(tmp_path / "notes", epochs=3, learning_rate=1.0e6, grad_clip=1.0e9))
    with pytest.raises(TrainingError, match="diverged") as error:
        train_figures(config, TrainOptions(quiet=True, max_train_windows=600))
    assert "learning_rate" in error.value.hint
    assert error.value.location is not None and error.value.location.path == config.source
    assert not config.results_dir.exists() or not any(config.results_dir.iterdir())


def test_command_explain_and_missing_data(tmp_path: Path) -> None:
    notes = make_notes(tmp_path / "notes", epochs=1)
    runner = CliRunner()
    explained = runner.invoke(cli, ["train-figures", str(notes), "--explain"])
    assert explained.exit_code == 1 and "no recorded results" in explained.output
    missing = runner.invoke(cli, ["train-figures", str(notes), "--data", str(tmp_path / "absent.zip"), "-q"])
    assert missing.exit_code == 1
    assert "absent.zip" in missing.output and "notes.yaml:" not in missing.output  # --data, not the config
    configured = make_notes(tmp_path / "configured", data=tmp_path / "gone.zip")
    missing = runner.invoke(cli, ["train-figures", str(configured), "-q"])
    assert missing.exit_code == 1
    assert "notes.yaml:4:9: error: training data not found: " in missing.output and "gone.zip" in missing.output


def test_committed_results_of_the_default_notes_are_current() -> None:
    content = Path(__file__).resolve().parents[2] / "content"
    report = check_results(load_config(content))
    assert report.current, report.message() + "\n(run `notes train-figures` and commit content/results)"


def test_holdout_volunteers_score_on_training_volunteers_never_the_test_set(tmp_path: Path) -> None:
    """Cross-validation (benchmarks/model_selection.py) must compare settings without any test window."""
    config = load_config(make_notes(tmp_path / "notes", epochs=1, val_volunteers=[6, 27]))
    data = har.load_data(DATA)
    holdout = [1, 11, 21]
    result = train_figures(config, TrainOptions(quiet=True, max_train_windows=500, holdout_volunteers=holdout))
    expected = int(np.isin(data.train.subject, holdout).sum())
    assert result.metrics["n_test_windows"] == expected > 0
    assert sum(map(sum, result.metrics["confusion_matrix"])) == expected
    with pytest.raises(UsageError, match="overlap"):
        train_figures(config, TrainOptions(quiet=True, max_train_windows=500, holdout_volunteers=[6, 1]))


def test_validation_volunteer_from_the_test_set_is_an_error_at_its_line(tmp_path: Path) -> None:
    config = load_config(make_notes(tmp_path / "notes", epochs=1, val_volunteers=[2, 99]))
    with pytest.raises(TrainingError, match=r"val_volunteers \[2, 99\] are not training .*\[2\] belong to the test"
                       ) as error:
        train_figures(config, TrainOptions(quiet=True))
    assert (error.value.location.line, error.value.location.column) == (9, 19)
    assert not (config.results_dir / "metrics.json").exists()


@pytest.mark.parametrize(("rule", "expected"), [("val_accuracy", [1, 2, 3]), ("val_loss", [1, 2]), ("last", [1, 2, 3])])
def test_epoch_selection_rules(rule: str, expected: list[int]) -> None:
    """Which epochs replace the best so far: (accuracy, loss) per epoch."""
    best: dict = {"accuracy": -1.0, "loss": float("inf")}
    taken = []
    for epoch, (accuracy, loss) in enumerate([(0.9, 0.5), (0.9, 0.4), (0.95, 0.45)], start=1):
        if _better(rule, accuracy, loss, best):
            best = {"accuracy": accuracy, "loss": loss}
            taken.append(epoch)
    assert taken == expected
