"""The training plugin: owns notes.yaml's `training:` section and checks the recorded results before a build.

Built in (plugins.BUILTIN_PLUGINS) and registered under the `notes_builder.plugins` entry point (pyproject.toml).
The core loads it when one of its events fires (every build, placeholders, doctor; reading notes.yaml loads only
settings.py), so importing it must not import torch, numpy, scipy or matplotlib (the `train` extra).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from notes_builder.plugins import Check, Plugin
from notes_builder.train import freeze
from notes_builder.train.results import ensure_results
from notes_builder.train.settings import SECTION, SECTION_NAME, data_path, training_settings

if TYPE_CHECKING:
    from notes_builder.build import BuildOptions
    from notes_builder.config import NotesConfig


class TrainingPlugin(Plugin):
    name = SECTION_NAME
    section = SECTION
    extra = "train"

    def on_pre_build(self, config: NotesConfig, options: BuildOptions) -> None:
        """Use recorded results only when they still match their inputs (the contract in train.freeze); the
        build's own cache does not list the data or the training code, so this runs on every build."""
        if not (config.results_dir / freeze.RECORD_NAME).exists():
            return  # notes without a recorded experiment
        ensure_results(config, retrain=options.retrain, quiet=options.quiet)

    def on_inputs(self, config: NotesConfig) -> set[Path]:
        """What the freshness check reads: the record, the files the run wrote, the training code, the data."""
        folder = config.results_dir
        record = folder / freeze.RECORD_NAME
        if not record.exists():
            return set()
        recorded = None
        with contextlib.suppress(ValueError, KeyError, TypeError, OSError):
            recorded = freeze.read_record(record)
        files = {record, *(folder / name for name in freeze.output_names(recorded)), *freeze.code_files()}
        data = data_path(config)
        return {path for path in (*files, data) if path.is_file()}

    def on_doctor(self, config: NotesConfig | None) -> list[Check]:
        """The data a retraining would read (doctor checks the extra's packages itself)."""
        if config is None:
            return []
        path = data_path(config)
        with contextlib.suppress(OSError):
            path = path.resolve()
        if path.exists():
            return [Check("data", "training data", True, False, str(path))]
        fix = "set training.data in notes.yaml or $NOTES_DATA (or pass --data to notes train-figures)"
        detail = f"{path} does not exist (needed only by notes train-figures)"
        if training_settings(config).data_url:
            detail += f"; it will be downloaded from {training_settings(config).data_url}"
        return [Check("data", "training data", False, False, detail, fix)]
