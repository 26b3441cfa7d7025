"""`notes train-figures`: the real LSTM run whose numbers and figures the notes quote.

API for the CLI and the build stage:

* `train_figures(config, options) -> TrainResult`: train and write metrics.json, the figures and
  freeze.json into `config.results_dir`.
* `check_results(config, data=None) -> FreshnessReport`: are the recorded results current, and if not,
  which input changed (config, data, code, torch version)?
* `ensure_results(config, retrain=False, quiet=False) -> FreshnessReport`: for `notes build`: use current
  results, retrain when stale and `retrain`, otherwise raise StaleResultsError naming the change.

Data precedence: `--data` beats $NOTES_DATA beats `training.data` in notes.yaml (see NotesConfig.data_path).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from notes_builder.config import NotesConfig, cache_dir
from notes_builder.errors import StaleResultsError
from notes_builder.files import sha256_file_cached
from notes_builder.report import display_path
from notes_builder.train import freeze
from notes_builder.train.freeze import FIGURES

if TYPE_CHECKING:  # training pulls in torch, numpy and scipy: only imported when a run is asked for
    from notes_builder.train.training import TrainOptions, TrainResult

__all__ = ["FreshnessReport", "TrainOptions", "TrainResult", "check_results", "ensure_results",
           "train_figures"]


@dataclass
class FreshnessReport:
    """Whether the recorded results match their inputs; `changes` says what differs, one line each."""

    current: bool
    results_dir: Path
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # caveats that do not make the results stale

    def message(self) -> str:
        if self.current:
            text = f"recorded results in {self.results_dir} are current"
        else:
            text = f"recorded results in {self.results_dir} are stale:\n" + "\n".join(
                f"  - {c}" for c in self.changes)
        return text + "".join(f"\n  note: {n}" for n in self.notes)


def __getattr__(name: str):
    if name in ("TrainOptions", "TrainResult"):
        from notes_builder.train import training

        return getattr(training, name)
    raise AttributeError(name)


def train_figures(config: NotesConfig, options: TrainOptions | None = None) -> TrainResult:
    """Run the notes' experiment and write its results (see notes_builder.train.training)."""
    from notes_builder.train.training import TrainOptions, run

    return run(config, options or TrainOptions())


def check_results(config: NotesConfig, data: str | None = None) -> FreshnessReport:
    """Compare the freeze record in the results folder with the current config, data and code."""
    folder = config.results_dir
    record_path = folder / freeze.RECORD_NAME
    missing = [n for n in ("metrics.json", freeze.RECORD_NAME, *(f"{f}.pdf" for f in FIGURES))
               if not (folder / n).exists()]
    if missing:
        return FreshnessReport(False, folder, [f"no recorded results: {', '.join(missing)} missing"])
    try:
        recorded = json.loads(record_path.read_text(encoding="utf-8"))["inputs"]
    except (ValueError, KeyError, OSError) as exc:
        return FreshnessReport(False, folder, [f"{record_path} is unreadable ({exc})"])
    notes = []
    path = config.data_path(data)
    if path.is_file():
        sha = sha256_file_cached(path, cache_dir() / "sha256.json")
    else:
        sha = recorded.get("data_sha256", "")
        notes.append(f"data not found at {path}; its SHA-256 was not checked")
    changes = freeze.explain(recorded, freeze.inputs(config.training, sha))
    return FreshnessReport(not changes, folder, changes, notes)


def _notes_argument(config: NotesConfig) -> str:
    """How a command names these notes: nothing for the default ./content, else the path (relative if under cwd)."""
    target = config.source if config.single_file else config.root
    if target.resolve() == Path("content").resolve():
        return ""
    return " " + shlex.quote(display_path(target))


def ensure_results(config: NotesConfig, retrain: bool = False, quiet: bool = False) -> FreshnessReport:
    """For the build: current results pass; stale ones retrain (retrain=True) or stop with the reason."""
    report = check_results(config)
    if report.current:
        return report
    if not retrain:
        notes = _notes_argument(config)
        raise StaleResultsError("recorded training results are stale: " + "; ".join(report.changes),
                                config.location_of("training", key=True),
                                hint=f"run `notes train-figures{notes}` (or `notes build{notes} --retrain`) "
                                     "to refresh them")
    from notes_builder.train.training import TrainOptions

    train_figures(config, TrainOptions(quiet=quiet))
    return check_results(config)
