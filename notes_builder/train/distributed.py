"""`notes train-figures --nproc N`: the same run under PyTorch's own launcher, torchrun (torch.distributed.run).

`launch` starts `python -m torch.distributed.run` with N processes per node (`--nnodes`, `--node-rank` and
`--rdzv-endpoint` passed through; one node alone is `--standalone`), each running this module as `__main__`.
Every rank joins the process group (gloo on CPU, nccl on CUDA) and trains each seed with
DistributedDataParallel on its DistributedSampler share of every batch (the global batch stays
`training.batch_size`); rank 0 alone validates, tests and writes metrics, figures and the freeze record, each
atomically (runner.py). A rank that fails writes its message to a file the launcher's caller reads, so the run
fails with that message rather than torchrun's traceback summary.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from notes_builder.config import load_config
from notes_builder.errors import NotesError, TrainingError
from notes_builder.files import write_atomic
from notes_builder.train.runner import run
from notes_builder.train.training import Distributed, TrainOptions, TrainResult, effective_training, pick_device

ERROR_DIR_VARIABLE = "NOTES_TRAIN_ERRORS"
PASSED_OPTIONS = ("data", "epochs", "seeds", "device", "threads", "task", "resume", "quiet", "results_dir",
                  "max_train_windows")


@dataclasses.dataclass(frozen=True)
class Launch:
    """torchrun's topology: processes on this node, nodes, this node's rank, where the nodes meet."""

    nproc: int
    nnodes: int = 1
    node_rank: int = 0
    rdzv_endpoint: str | None = None


def torchrun_command(notes: str | None, options: TrainOptions, launch: Launch) -> list[str]:
    spec = {name: getattr(options, name) for name in PASSED_OPTIONS}
    spec["results_dir"] = str(spec["results_dir"]) if spec["results_dir"] else None
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(launch.nproc),
               "--max-restarts", "0"]
    if launch.nnodes == 1 and launch.rdzv_endpoint is None:
        command.append("--standalone")
    else:
        command += ["--nnodes", str(launch.nnodes), "--node-rank", str(launch.node_rank)]
        if launch.rdzv_endpoint:
            command += ["--rdzv-endpoint", launch.rdzv_endpoint]
    return [*command, "-m", "notes_builder.train.distributed", notes or "", json.dumps(spec)]


def launch(notes: str | None, options: TrainOptions, topology: Launch, results_dir: Path) -> TrainResult:
    """Run torchrun and wait; a failed rank fails the run with its own message."""
    with tempfile.TemporaryDirectory(prefix="notes-ranks-") as errors:
        done = subprocess.run(torchrun_command(notes, options, topology), stderr=subprocess.PIPE, text=True,
                              env={**os.environ, ERROR_DIR_VARIABLE: errors})
        failures = sorted(Path(errors).glob("rank*.json"), key=lambda p: int(p.stem[4:]))
        reports = [report for report in map(_read_report, failures) if report is not None]
    if done.returncode != 0:
        if reports:
            first = reports[0]
            raise TrainingError(f"rank {first['rank']} of the torchrun run failed: {first['message']}",
                                hint=first.get("hint"))
        lines = done.stderr.strip().splitlines()
        causes = [line for line in lines if re.search(r"what\(\)|terminate called|Error:|error:", line)][:6]
        shown = "\n".join(causes + ["..."] + lines[-8:] if causes else lines[-12:])
        raise TrainingError(f"torchrun failed (exit {done.returncode}):\n{shown}",
                            hint="torchrun's own messages are above; check --nproc, --nnodes and --rdzv-endpoint")
    if topology.node_rank != 0:
        return TrainResult({}, results_dir)
    metrics = json.loads((results_dir / "metrics.json").read_text(encoding="utf-8"))
    return TrainResult(metrics, results_dir)


def _read_report(path: Path) -> dict[str, Any] | None:
    """A failed rank's report; None for one it could not finish writing (stopped by torchrun meanwhile)."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) and "message" in report else None


def _rank_main(notes: str, spec: dict[str, Any]) -> int:
    """One rank: join the group, train, leave; a NotesError becomes a file for the launcher's caller."""
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    options = TrainOptions(**spec)
    try:
        config = load_config(notes or None)
        cuda = pick_device(effective_training(config, options).device).type == "cuda"
        if cuda:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl" if cuda else "gloo")
        try:
            run(config, options, Distributed(rank, world))
            dist.barrier()  # the other ranks wait while rank 0 tests and writes, then all leave together
        finally:
            dist.destroy_process_group()
    except NotesError as error:
        folder = os.environ.get(ERROR_DIR_VARIABLE)
        if folder:
            # whole or not at all: torchrun stops the other ranks as soon as one fails
            write_atomic(Path(folder, f"rank{rank}.json"), json.dumps(
                {"rank": rank, "message": error.message, "hint": error.hint}))
        print(f"rank {rank}: error: {error.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    status = _rank_main(sys.argv[1], json.loads(sys.argv[2]))
    sys.stdout.flush()
    sys.stderr.flush()
    # Leave without the interpreter's teardown: under load, a gloo worker thread still being torn down there
    # ends the process with "terminate called without an active exception" (SIGABRT) after all work is done.
    os._exit(status)
