"""The results folder's contract for `notes build` and `notes train-figures`: are the recorded results current?

* `check_results(config, data=None, environment=False) -> FreshnessReport`: compare the freeze record with the
  current config, data, code and the files the run wrote (see freeze); with `environment`, also what decides
  whether a rerun here gives the same numbers to the digit: torch, numpy, threads, CPU kernels, device
  (`notes train-figures --check`).
* `ensure_results(config, retrain=False, quiet=False) -> FreshnessReport`: for `notes build`: use current
  results, retrain when stale and `retrain`, otherwise raise StaleResultsError naming the change.
* `train_figures(config, options) -> TrainResult`: train and write metrics.json, the figures and freeze.json
  into `config.results_dir` (needs the `train` extra: `require_extra` says how to install it).

Light on purpose (the build runs it through the training plugin): torch & co. only inside functions that need
them, after `require_extra`. Data precedence: `--data` beats $NOTES_DATA beats `training.data` (settings).
"""

from __future__ import annotations

import importlib.util
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from notes_builder.config import NotesConfig, cache_dir
from notes_builder.errors import StaleResultsError, ToolMissingError
from notes_builder.files import sha256_file, sha256_file_cached
from notes_builder.report import display_path
from notes_builder.train import freeze
from notes_builder.train.settings import SECTION_NAME, data_path, training_settings

if TYPE_CHECKING:  # training pulls in torch, numpy and scipy: only imported when a run is asked for
    from notes_builder.train.training import TrainOptions, TrainResult


EXTRA_INSTALL = "pip install 'notes-builder[train]'"
EXTRA_MODULES = ("torch", "numpy", "scipy", "matplotlib", "pooch")


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


def missing_extra() -> str | None:
    """The first module of the `train` extra that cannot be imported, or None when all can (none is imported)."""
    for name in EXTRA_MODULES:
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except (ImportError, ValueError):
            return name
    return None


def require_extra(what: str = "`notes train-figures`") -> None:
    """Stop with the install command when the training extra is missing."""
    missing = missing_extra()
    if missing is not None:
        raise ToolMissingError(f"{what} needs the training extra, which is not installed ({missing} is missing)",
                               hint=f"install it with `{EXTRA_INSTALL}`; `notes build` works without it, "
                                    "from the committed results")


def train_figures(config: NotesConfig, options: TrainOptions | None = None) -> TrainResult:
    """Run the notes' experiment, every seed, and write its results (see notes_builder.train.runner)."""
    require_extra()
    from notes_builder.train.runner import run  # the optional extra
    from notes_builder.train.training import TrainOptions

    return run(config, options or TrainOptions())


def check_results(config: NotesConfig, data: str | None = None, environment: bool = False) -> FreshnessReport:
    """Compare the freeze record in the results folder with the current config, data, code and the files the run
    wrote; with `environment`, also with what a rerun here would run on (torch, numpy, threads, CPU kernels,
    device). Imports nothing heavy without `environment`."""
    folder = config.results_dir
    record_path = folder / freeze.RECORD_NAME
    recorded = None
    if record_path.exists():
        try:
            recorded = freeze.read_record(record_path)
        except (ValueError, KeyError, TypeError, OSError) as exc:
            return FreshnessReport(False, folder, [f"{record_path} is unreadable ({exc})"])
    missing = [n for n in (*freeze.output_names(recorded), freeze.RECORD_NAME) if not (folder / n).is_file()]
    if missing or recorded is None:  # no record: freeze.json is among the missing
        return FreshnessReport(False, folder, [f"no recorded results: {', '.join(missing)} missing"])
    changes = [f"results: {name} is not the file the run wrote" for name, sha in recorded.outputs.items()
               if sha256_file(folder / name) != sha]
    notes = []
    path = data_path(config, data)
    if path.is_file():
        sha = sha256_file_cached(path, cache_dir() / "sha256.json")
    else:
        sha = recorded.inputs.get("data_sha256", "")
        notes.append(f"data not found at {path}; its SHA-256 was not checked")
    changes += freeze.explain(recorded.inputs, freeze.inputs(training_settings(config), sha))
    if environment:
        require_extra("comparing the torch version")
        training = training_settings(config)
        now = freeze.environment(training.threads, training.device, 1)  # what a plain rerun here would use
        moved = freeze.explain_environment(recorded.environment, now, everything=True)
        changes += moved
        if not moved and recorded.seeds:
            notes.append(f"a rerun here should give the recorded numbers of seeds {', '.join(recorded.seeds)} to the "
                         "digit: same torch, numpy, threads and CPU kernels")
    notes += [f"the recorded run: {note}" for note in recorded.notes]
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
                                config.location_of(SECTION_NAME, key=True),
                                hint=f"run `notes train-figures{notes}` (or `notes build{notes} --retrain`) "
                                     "to refresh them")
    require_extra("`notes build --retrain`")
    from notes_builder.train.training import TrainOptions  # the optional extra

    train_figures(config, TrainOptions(quiet=quiet))
    return check_results(config)
