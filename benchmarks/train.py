"""`notes train-figures` against plain PyTorch and against itself before issue 17, in one script (issue 17).

    .venv/bin/python benchmarks/train.py [NOTES_PATH] [--pairs 3] [--epochs 2] [--baseline REV] [--skip-runs]

Everything is measured here, side by side, in fresh processes, so the ratios compare runs made under the same
load (the 2-core machine these numbers come from is shared: only the ratios of paired runs mean much):

1. One epoch of the tool (training.train_seed: augmentation, progress callbacks, validation, checkpoint; with
   its malloc tuning) beside a plain PyTorch loop of the same model on the same windows and batches (the same
   augmentation calls, Adam, clipping, a validation pass), with glibc's default malloc and with the tool's
   mallopt settings (runner.tune_malloc). Pairs alternate; medians. Target: tool / plain <= 1.05.
2. The default notes' three-seed run (`notes train-figures`, seed processes), the same code with one seed
   (`--seed 1`), and one seed with the code of `--baseline` (default: the commit before issue 17, from
   `git archive`): wall time and peak memory (all processes of a run together, sampled every 0.1 s; and the
   largest one). Target: three seeds <= 1.5 x the baseline's one seed.
3. Seed 1 under torchrun with 2 gloo processes (`--nproc 2`) beside the one-process seed 1 of (2): wall time
   and test accuracy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE_ISSUE_17 = "e14a608"

EPOCH_CHILD = """
import json, sys, time, math
import numpy as np, torch
from torch import nn
from notes_builder.config import load_config
from notes_builder.train import runner, training
from notes_builder.train.model import SimpleLSTM
from notes_builder.train.settings import with_training
notes, mode, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode != "plain":
    runner.tune_malloc()
torch.set_num_threads(1)
config = with_training(load_config(notes), seeds=[1], epochs=epochs)  # the first epochs of the notes' run
options = training.TrainOptions(quiet=True)
settings = training.effective_training(config, options)
experiment = training.prepare(config, settings, options, torch.device("cpu"))
if mode == "tool":
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        seconds = training.train_seed(experiment, 1, folder)["seconds_per_epoch"]
    print(json.dumps({"seconds_per_epoch": seconds}))
    sys.exit()
# the plain loop: what one writes by hand for the same model, data, batches and augmentation
torch.manual_seed(1)
model = SimpleLSTM(9, settings.hidden_size, settings.dense_size, 1)
optimiser = torch.optim.Adam(model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
counts = torch.bincount(experiment.y_fit, minlength=2).double()
loss_fn = nn.BCEWithLogitsLoss(pos_weight=(counts[0] / counts[1]).float())
x, y = experiment.x_fit, experiment.y_fit
times = []
for epoch in range(epochs):
    started = time.perf_counter()
    order = torch.from_numpy(np.random.default_rng([1, epoch]).permutation(len(x)))
    noise = torch.Generator().manual_seed(100_003 + epoch)
    for group in optimiser.param_groups:  # the same cosine schedule
        group["lr"] = settings.learning_rate * 0.5 * (1 + math.cos(math.pi * epoch / settings.epochs))
    model.train()
    for b in range(0, len(x), settings.batch_size):
        index = order[b:b + settings.batch_size]
        batch = training._augment(training._batch(x, experiment.following, index, settings, noise), settings, noise,
                                  experiment.scale)
        loss = loss_fn(model(batch)[:, 0], y[index].float())
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
        optimiser.step()
    model.eval()
    with torch.no_grad():
        model(experiment.x_val)
    times.append(time.perf_counter() - started)
print(json.dumps({"seconds_per_epoch": sum(times) / len(times)}))
"""


RUN_ONE_CHILD = """
import json, resource, sys
from notes_builder.config import load_config
from notes_builder.train.results import train_figures
from notes_builder.train.training import TrainOptions
from notes_builder.train.settings import with_training
notes, results, overrides, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
config = with_training(load_config(notes), **overrides)
metrics = train_figures(config, TrainOptions(quiet=True, results_dir=results, **options)).metrics
run = {k: v for k, v in metrics["runs"][0].items() if not isinstance(v, list) or k == "confusion_matrix"}
flat = {k: v for k, v in metrics.items() if not isinstance(v, dict | list)}
print(json.dumps({**flat, **run, "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def run_one(notes: str, overrides: dict, **options: object) -> dict:
    """One single-seed training in a fresh process (benchmarks/model_selection.py): `overrides` replace the notes'
    training settings (`seed` names the one seed), `options` go to TrainOptions. Returns that seed's metrics
    (test_accuracy, confusion_matrix, chosen_epoch, ...) with the run's counts, peak memory and wall time."""
    overrides = dict(overrides)
    if "seed" in overrides:
        overrides["seeds"] = [overrides.pop("seed")]
    with tempfile.TemporaryDirectory() as results:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", RUN_ONE_CHILD, notes, results, json.dumps(overrides),
                               json.dumps(options)], capture_output=True, text=True)
        wall = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"training failed ({overrides}, {options}):\n{done.stderr}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "process_wall_s": wall}


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc), in KiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack += children.get(current, [])
    return total


def measured(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict[str, float]:
    """Run a command; its wall time and peak memory (all its processes together, sampled every 0.1 s)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], _tree_rss_kib(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{err}")
    return {"wall": wall, "peak_gib": peak[0] / 2**20, "stdout": out}


def epoch_pairs(notes: str, pairs: int, epochs: int) -> None:
    results: dict[str, list[float]] = {"plain": [], "plain+mallopt": [], "tool": []}
    for _ in range(pairs):
        for mode in results:  # alternating: each pair sees the same load
            done = subprocess.run([sys.executable, "-c", EPOCH_CHILD, notes, mode, str(epochs)], cwd=ROOT,
                                  capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
            if done.returncode:
                sys.exit(done.stderr)
            results[mode].append(json.loads(done.stdout.strip().splitlines()[-1])["seconds_per_epoch"])
    median = {mode: statistics.median(values) for mode, values in results.items()}
    print(f"1. seconds per epoch (median of {pairs} alternating runs of {epochs} epochs, 1 thread):")
    for mode, values in results.items():
        print(f"   {mode:14} {median[mode]:.2f} s  ({', '.join(f'{v:.2f}' for v in values)})")
    print(f"   tool / plain loop {median['tool'] / median['plain']:.2f}x (target <= 1.05); "
          f"plain+mallopt / plain {median['plain+mallopt'] / median['plain']:.2f}x", flush=True)


def whole_runs(notes: str, baseline: str) -> None:
    notes_path = str((ROOT / notes).resolve())
    with tempfile.TemporaryDirectory() as scratch:
        old = Path(scratch) / "baseline"
        old.mkdir()
        archive = subprocess.run(["git", "archive", baseline], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        data = os.environ.get("NOTES_DATA") or str((ROOT / notes / "../../shared/data/HAPT-RawData.zip").resolve())
        runs = {}
        for name, extra, code in (("three seeds", [], ROOT), ("one seed", ["--seed", "1"], ROOT),
                                  (f"one seed, {baseline}", ["--seed", "1"], old),
                                  ("one seed, torchrun 2 gloo", ["--seed", "1", "--nproc", "2"], ROOT)):
            copy = code / "build" / f"benchmark-notes-{len(runs)}"  # inside the project root, as notes must be
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(notes_path, copy, ignore=shutil.ignore_patterns("results"))
            yaml = copy / "notes.yaml"
            text = yaml.read_text().replace("root: ..", f"root: {code}")
            if code == old:  # the baseline knows one `seed`, no `seeds` (its default seed is 1)
                text = "".join(line for line in text.splitlines(keepends=True) if "seeds:" not in line)
            yaml.write_text(text)
            runs[name] = measured([sys.executable, "-m", "notes_builder", "train-figures", str(copy), "-q", *extra],
                                  code, {"PYTHONPATH": str(code), "NOTES_DATA": data})
            accuracy = json.loads((copy / "results" / "metrics.json").read_text())["test_accuracy"]
            runs[name]["accuracy"] = accuracy["mean"] if isinstance(accuracy, dict) else accuracy
            runs[name]["std"] = accuracy.get("std") if isinstance(accuracy, dict) else None
            shutil.rmtree(copy)
            print(f"   {name:28} wall {runs[name]['wall']:6.1f} s, peak {runs[name]['peak_gib']:.2f} GiB (all "
                  f"processes), test accuracy {100 * runs[name]['accuracy']:.2f}"
                  + (f" ± {100 * runs[name]['std']:.2f}" if runs[name]["std"] else "") + " %", flush=True)
    three, one, old_one, ddp = (runs[k] for k in ("three seeds", "one seed", f"one seed, {baseline}",
                                                  "one seed, torchrun 2 gloo"))
    print(f"2. three seeds / one seed before issue 17: {three['wall'] / old_one['wall']:.2f}x (target <= 1.5); "
          f"/ one seed now: {three['wall'] / one['wall']:.2f}x")
    print(f"3. torchrun 2 gloo processes: wall {ddp['wall']:.1f} s vs one process {one['wall']:.1f} s "
          f"({ddp['wall'] / one['wall']:.2f}x); test accuracy {100 * ddp['accuracy']:.2f} % vs "
          f"{100 * one['accuracy']:.2f} % (difference {100 * (ddp['accuracy'] - one['accuracy']):+.2f} points)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notes", nargs="?", default="content")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--baseline", default=BEFORE_ISSUE_17, help="the commit whose one-seed run is the reference")
    parser.add_argument("--skip-runs", action="store_true", help="only the per-epoch comparison")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores (shared: compare ratios of the paired runs, not absolute times)")
    epoch_pairs(args.notes, args.pairs, args.epochs)
    if not args.skip_runs:
        print("2.-3. whole runs of the default notes (fresh processes, one after another):")
        whole_runs(args.notes, args.baseline)


if __name__ == "__main__":
    main()
