"""The freeze record: a hash of everything the recorded results depend on, and which part changed.

Inputs: the config's `training` section (its `seeds` included; minus `data`, `data_url`, `data_sha256`,
`threads` and `device`: where the file lives, how it is fetched and how many cores run it do not change what
is learnt; the data itself is identified by its SHA-256), the data file's SHA-256, the source of the model,
training and data modules and the preprocessing version. The notes' prose is not an input, so editing it never
makes the results stale.

The record is the contract of the results folder (`freeze.json`, version 3): `inputs` and their `hash`;
`outputs`, the SHA-256 of every file the run wrote (so a missing or replaced file is seen); `seeds`, for every
seed the digest of what it learnt (metrics and curves, not timings) and its test accuracy; and the
`environment` of the run (torch and numpy versions, threads, CPU kernels, device, torchrun processes), which
decides whether a rerun gives the same numbers to the digit. `notes build` checks inputs and outputs without
torch (train.plugin); `notes train-figures --check` also compares the environment and says why a rerun would
differ; a rerun whose numbers differ from the record's with the same inputs says why in `notes`.
Version 1 records kept the torch version among the inputs; they are read as if it were in `environment`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from notes_builder.files import sha256_file
from notes_builder.train.settings import TrainingConfig

# This module is imported by every `notes build` to check the recorded results, so it stays light:
# no torch, numpy or scipy here (only inside environment, which builds never call).
PREPROCESSING_VERSION = 1  # bump when the windowing/filtering in data.py changes what it produces
FIGURES = ("loss_curve", "val_accuracy", "confusion_matrix")
METRICS_NAME = "metrics.json"
EXPECTED_OUTPUTS = (METRICS_NAME, *(f"{name}.pdf" for name in FIGURES))  # what a record without `outputs` needs

RECORD_NAME = "freeze.json"
RECORD_VERSION = 3
CODE_FILES = ("model.py", "training.py", "data.py")
NOT_INPUTS = ("data", "data_url", "data_sha256", "threads", "device")
_HERE = Path(__file__).resolve().parent


@dataclass
class Record:
    """A freeze.json as read: inputs, the run's environment, and the files it wrote (name -> SHA-256)."""

    inputs: dict[str, Any]
    environment: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    seeds: dict[str, dict[str, Any]] = field(default_factory=dict)  # seed -> digest of what it learnt, accuracy
    notes: list[str] = field(default_factory=list)  # e.g. why this run's numbers differ from the previous run's


def _sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def config_section(training: TrainingConfig) -> dict[str, Any]:
    return {k: v for k, v in dataclasses.asdict(training).items() if k not in NOT_INPUTS}


def code_files(folder: Path = _HERE) -> list[Path]:
    return [folder / name for name in CODE_FILES]


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
    }


def environment(threads: int | None = None, device: str | None = None, processes: int | None = None
                ) -> dict[str, Any]:
    """What ran the experiment: results may differ in the last digits across torch versions, thread counts
    (sums split differently), CPU kernels (torch picks its vector code by CPU), devices and torchrun process
    counts, so `notes train-figures --check` compares them; the build never does."""
    import numpy
    import torch  # the optional extra

    if threads == 0:  # torch's default: as many as the machine has
        threads = torch.get_num_threads()
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return {"torch_version": torch.__version__, "numpy_version": numpy.__version__,
            "cpu_capability": torch.backends.cpu.get_cpu_capability(), "cpu": cpu_model(),
            **({"threads": threads} if threads is not None else {}),
            **({"device": device} if device is not None else {}),
            **({"processes": processes} if processes is not None else {})}


def cpu_model() -> str:
    """The processor's name (Linux), else the platform's word for it: kernels are picked per CPU model."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or platform.machine()


def output_hashes(folder: Path, names: list[str] | tuple[str, ...]) -> dict[str, str]:
    return {name: sha256_file(folder / name) for name in sorted(names)}


def output_names(record: Record | None) -> list[str]:
    """The files a record vouches for: those it hashed; for a record without `outputs` (version 1), an unreadable
    one or none, the files every run writes. The build's freshness check and its input list must agree on them."""
    return list(record.outputs) if record is not None and record.outputs else list(EXPECTED_OUTPUTS)


def digest(values: dict[str, Any]) -> str:
    return _sha(json.dumps(values, sort_keys=True, separators=(",", ":")))


def record(values: dict[str, Any], environment: dict[str, Any] | None = None,
           outputs: dict[str, str] | None = None, seeds: dict[str, dict[str, Any]] | None = None,
           notes: list[str] | None = None) -> dict[str, Any]:
    return {"version": RECORD_VERSION, "hash": digest(values), "inputs": values,
            "environment": environment or {}, "outputs": outputs or {}, "seeds": seeds or {},
            **({"notes": notes} if notes else {})}


def read_record(path: Path) -> Record:
    """A freeze.json of either version; raises OSError, ValueError or KeyError when it is unreadable."""
    data = json.loads(path.read_text(encoding="utf-8"))
    values = dict(data["inputs"])
    environment = dict(data.get("environment", {}))
    if "torch_version" in values:  # version 1
        environment.setdefault("torch_version", values.pop("torch_version"))
    return Record(values, environment, dict(data.get("outputs", {})), dict(data.get("seeds", {})),
                  list(data.get("notes", [])))


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
    for key in ("preprocessing_version", "torch_version"):  # torch_version: in environments, old checkpoints
        if recorded.get(key) != current.get(key):
            label = key.replace("_", " ")
            changes.append(f"{label} changed from {recorded.get(key)} to {current.get(key)}")
    return changes


ENVIRONMENT_LABELS = {
    "torch_version": "torch version",
    "numpy_version": "numpy version",
    "threads": "threads",
    "cpu_capability": "CPU kernels",
    "cpu": "CPU",
    "device": "device",
    "processes": "torchrun processes",
}
ENVIRONMENT_WHY = {
    "threads": "a different thread count splits the sums differently, so the last digits move",
    "cpu_capability": "torch picks its vector code by CPU, and sums in a different order",
    "cpu": "oneDNN and MKL choose their kernels by processor",
    "numpy_version": "the shuffles and the normalisation come from numpy",
    "device": "CUDA kernels do not sum like the CPU's",
    "processes": "each process trains on its share of every batch",
}


def explain_environment(recorded: dict[str, Any], current: dict[str, Any], everything: bool = False) -> list[str]:
    """Why a rerun here would not give the recorded numbers to the digit: each recorded fact of the run (torch
    and numpy version, threads, CPU kernels, device, processes) that differs now. By default only the torch
    version, the thread count and the CPU; `everything` adds numpy, device and processes."""
    keys = ENVIRONMENT_LABELS if everything else ("torch_version", "threads", "cpu_capability", "cpu")
    changes = []
    for key in keys:
        if key in recorded and key in current and recorded[key] != current[key]:
            why = f" ({ENVIRONMENT_WHY[key]})" if key in ENVIRONMENT_WHY else ""
            changes.append(f"{ENVIRONMENT_LABELS[key]} changed from {recorded[key]} to {current[key]}{why}")
    return changes
