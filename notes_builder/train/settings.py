"""The `training:` section of notes.yaml, declared here and validated by config.py's machinery (see plugins)."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from notes_builder.config import NotesConfig, check_settings
from notes_builder.errors import ConfigError, Location
from notes_builder.plugins import Section

SECTION_NAME = "training"
DATA_ENV_VAR = "NOTES_DATA"


@dataclass
class TrainingConfig:
    """`notes train-figures`: the experiment whose numbers and figures the notes quote."""

    data: str = "../../shared/data/HAPT-RawData.zip"  # relative to the notes folder
    data_url: str = ""
    data_sha256: str = ""
    task: str = "walking"  # walking | dynamic | six
    hidden_size: int = 48
    dense_size: int = 20
    epochs: int = 30
    batch_size: int = 128
    learning_rate: float = 0.002
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    lr_schedule: str = "cosine"  # constant | cosine (decays to 0 over the epochs)
    # which epoch is tested: best val_accuracy (ties: lower validation loss) | lowest val_loss | last (the end of
    # the cosine decay; chosen by cross-validation, benchmarks/model_selection.py round 2)
    select_epoch: str = "last"
    # weight the loss by inverse class frequency in the training windows (chosen by cross-validation over the
    # training volunteers: benchmarks/model_selection.py)
    balance_classes: bool = True
    augment_shift: int = 64  # random time shift (samples, at most 64) of each training window
    augment_stretch: float = 0.0  # random change of speed, e.g. 0.2: resampled at 0.8-1.2x
    # random tilt of the phone, up to this many degrees about a random axis (chosen by cross-validation,
    # benchmarks/model_selection.py round 4: volunteers who carry the phone tilted were the errors)
    augment_rotate: float = 25.0
    augment_scale: float = 0.1  # std of a random gain per window and channel during training
    augment_noise: float = 0.0  # std of added Gaussian noise (normalised units) during training
    # each seed trains the model once (in parallel processes where cores allow); the notes quote the mean and
    # standard deviation over them, and the figures show the spread
    seeds: list[int] = field(default_factory=lambda: [1, 2, 3])
    # from the 21 training volunteers; drawn at random (numpy default_rng(2026)), not hand-picked
    val_volunteers: list[int] = field(default_factory=lambda: [6, 27])
    threads: int = 1  # 0: torch's default; 1 is fastest on a busy 2-core CPU (small LSTM steps)
    device: str = "auto"  # auto | cpu | cuda


SECTION = Section(
    TrainingConfig,
    choices={
        "task": ("walking", "dynamic", "six"),
        "device": ("auto", "cpu", "cuda"),
        "lr_schedule": ("constant", "cosine"),
        "select_epoch": ("val_accuracy", "val_loss", "last"),
    },
    ranges={
        **{name: (1, None, True) for name in ("hidden_size", "dense_size", "epochs", "batch_size")},
        "learning_rate": (0, None, False),
        "weight_decay": (0, None, True),
        "grad_clip": (0, None, False),  # 0 would zero every gradient
        "augment_shift": (0, 64, True),  # at most into the next window, which starts 64 samples later
        "augment_stretch": (0, 0.5, True),
        "augment_rotate": (0, 180, True),
        "augment_scale": (0, None, True),
        "augment_noise": (0, None, True),
        "threads": (0, None, True),
        "seeds": (0, None, True),  # each; numpy's generators take no negative seeds
    },
)


def training_settings(config: NotesConfig) -> TrainingConfig:
    """The notes' validated `training:` section, or the defaults when notes.yaml has none."""
    return config.plugin_sections.get(SECTION_NAME) or TrainingConfig()


def check_training(training: TrainingConfig, where: Location | None = None) -> None:
    """Settings from the command line or a library caller get the checks notes.yaml's get; the seeds must be
    a list of distinct numbers (`where`: their line in notes.yaml)."""
    check_settings(SECTION_NAME, training)
    if not training.seeds:
        raise ConfigError("'training.seeds' must name at least one seed, e.g. [1, 2, 3]", where)
    if len(set(training.seeds)) != len(training.seeds):
        twice = sorted({s for s in training.seeds if training.seeds.count(s) > 1})
        raise ConfigError(f"'training.seeds' names seed {twice[0]} twice: {training.seeds}", where,
                          hint="each seed trains once; list distinct seeds")


def _data_override(override: str | os.PathLike | None) -> str | os.PathLike | None:
    """A data path that beats notes.yaml's: `--data`, then $NOTES_DATA."""
    return override or os.environ.get(DATA_ENV_VAR)


def data_path(config: NotesConfig, override: str | os.PathLike | None = None) -> Path:
    """Training data: `--data` beats $NOTES_DATA beats the config's `training.data`."""
    chosen = _data_override(override) or training_settings(config).data
    path = Path(chosen).expanduser()
    return path if path.is_absolute() else (config.root / path if not override else Path.cwd() / path)


def data_location(config: NotesConfig, override: str | os.PathLike | None = None) -> Location | None:
    """Where notes.yaml names the training data, when that is where `data_path` took it from."""
    if _data_override(override) or (SECTION_NAME, "data") not in config.positions:
        return None
    return config.location_of(SECTION_NAME, "data")


def with_training(config: NotesConfig, **changes: Any) -> NotesConfig:
    """A copy of the notes' config whose training settings differ (benchmarks, cross-validation)."""
    training = dataclasses.replace(training_settings(config), **changes)
    return dataclasses.replace(config, plugin_sections={**config.plugin_sections, SECTION_NAME: training})
