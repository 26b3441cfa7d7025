"""The freeze record: a hash of everything the recorded results depend on, and which part changed.

Inputs: the config's `training` section (minus `data`, `data_url`, `data_sha256`, `threads` and `device`:
where the file lives, how it is fetched and how many cores run it do not change what is learnt; the data
itself is identified by its SHA-256, and the device used is kept in metrics.json's provenance), the data
file's SHA-256, the source of the model, training and data modules, the preprocessing version and the
torch version. The notes' prose is not an input, so editing it never makes the results stale.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from notes_builder.config import TrainingConfig

# This module is imported by every `notes build` to check the recorded results, so it stays light:
# no torch, numpy or scipy here (the torch version comes from the installed package's metadata).
PREPROCESSING_VERSION = 1  # bump when the windowing/filtering in data.py changes what it produces
FIGURES = ("loss_curve", "val_accuracy", "confusion_matrix")

RECORD_NAME = "freeze.json"
RECORD_VERSION = 1
CODE_FILES = ("model.py", "training.py", "data.py")
NOT_INPUTS = ("data", "data_url", "data_sha256", "threads", "device")
_HERE = Path(__file__).resolve().parent


def torch_version() -> str:
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "not installed"


def _sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def config_section(training: TrainingConfig) -> dict[str, Any]:
    return {k: v for k, v in dataclasses.asdict(training).items() if k not in NOT_INPUTS}


def code_hashes(folder: Path = _HERE) -> dict[str, str]:
    """SHA-256 of each code file, line endings normalised."""
    return {f"notes_builder/train/{name}": _sha((folder / name).read_bytes().replace(b"\r\n", b"\n"))
            for name in CODE_FILES}


def inputs(training: TrainingConfig, data_sha256: str) -> dict[str, Any]:
    return {
        "config": config_section(training),
        "data_sha256": data_sha256,
        "code": code_hashes(),
        "preprocessing_version": PREPROCESSING_VERSION,
        "torch_version": torch_version(),
    }


def digest(values: dict[str, Any]) -> str:
    return _sha(json.dumps(values, sort_keys=True, separators=(",", ":")))


def record(values: dict[str, Any]) -> dict[str, Any]:
    return {"version": RECORD_VERSION, "hash": digest(values), "inputs": values}


def explain(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """One line per input that differs between a recorded and a current `inputs()`."""
    changes = []
    old_config, new_config = recorded.get("config", {}), current.get("config", {})
    for key in sorted(set(old_config) | set(new_config)):
        if old_config.get(key) != new_config.get(key):
            changes.append(f"config: training.{key} changed from {old_config.get(key)!r} "
                           f"to {new_config.get(key)!r}")
    if recorded.get("data_sha256") != current.get("data_sha256"):
        changes.append(f"data: SHA-256 changed from {str(recorded.get('data_sha256'))[:12]}… "
                       f"to {str(current.get('data_sha256'))[:12]}…")
    old_code, new_code = recorded.get("code", {}), current.get("code", {})
    for name in sorted(set(old_code) | set(new_code)):
        if old_code.get(name) != new_code.get(name):
            changes.append(f"code: {name} changed")
    for key in ("preprocessing_version", "torch_version"):
        if recorded.get(key) != current.get(key):
            label = key.replace("_", " ")
            changes.append(f"{label} changed from {recorded.get(key)} to {current.get(key)}")
    return changes
