"""Targets of `notes train-figures` (issue 4), measured with public tools only (time, resource).

    .venv/bin/python benchmarks/train.py [NOTES_PATH] [--seeds 1 2 3] [--no-six]

Runs the default training of the notes (default: content/) once per seed, each in a fresh Python process
so that its peak memory (ru_maxrss) is its own, writing into a temporary results folder (the committed
results are not touched). Prints test accuracy mean ± std over the seeds (target: at least 99.0 % on the
default walking-vs-rest task), the 6-class accuracy, seconds per epoch, windows per second, wall time
(target: at most 3 minutes per run) and peak memory (target: under 2 GiB).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = """
import json, resource, sys
from notes_builder.config import load_config
from notes_builder.train.results import train_figures
from notes_builder.train.training import TrainOptions
from notes_builder.train.settings import with_training
notes, results, overrides, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
config = load_config(notes)
config = with_training(config, **overrides)
result = train_figures(config, TrainOptions(quiet=True, results_dir=results, **options))
metrics = dict(result.metrics, peak_rss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
print(json.dumps({k: v for k, v in metrics.items() if not isinstance(v, list) or k == "confusion_matrix"}))
"""


def run_one(notes: str, overrides: dict, **options: object) -> dict:
    """One training in a fresh process: `overrides` replace the notes' training settings, `options` go to
    TrainOptions. Returns its metrics without the per-epoch lists, plus peak memory and process wall time."""
    with tempfile.TemporaryDirectory() as results:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", CHILD, notes, results, json.dumps(overrides),
                               json.dumps(options)], capture_output=True, text=True)
        wall = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"training failed ({overrides}, {options}):\n{done.stderr}")
    metrics = json.loads(done.stdout.strip().splitlines()[-1])
    metrics["process_wall_s"] = wall
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notes", nargs="?", default="content")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--no-six", action="store_true", help="skip the 6-class run")
    args = parser.parse_args()

    runs = []
    for seed in args.seeds:
        metrics = run_one(args.notes, {"seed": seed})
        runs.append(metrics)
        print(f"seed {seed}: test accuracy {100 * metrics['test_accuracy']:.2f} % (tested epoch "
              f"{metrics['chosen_epoch']}/{metrics['epochs']}), {metrics['seconds_per_epoch']:.2f} s/epoch, "
              f"{metrics['windows_per_second']:.0f} windows/s, wall {metrics['process_wall_s']:.1f} s, "
              f"peak {metrics['peak_rss_kib'] / 2**20:.2f} GiB", flush=True)
    accuracy = [100 * m["test_accuracy"] for m in runs]
    spread = statistics.stdev(accuracy) if len(accuracy) > 1 else 0.0
    walls = [m["process_wall_s"] for m in runs]
    peak = max(m["peak_rss_kib"] for m in runs) / 2**20
    first = runs[0]
    print()
    print(f"task {first['task']}: test accuracy {statistics.mean(accuracy):.2f} ± {spread:.2f} % over seeds "
          f"{args.seeds} (target ≥ 99.0 %; majority baseline {100 * first['majority_baseline']:.2f} %)")
    print(f"seconds per epoch {statistics.mean(m['seconds_per_epoch'] for m in runs):.2f}, windows per second "
          f"{statistics.mean(m['windows_per_second'] for m in runs):.0f}, threads {first['provenance']['threads']}")
    print(f"wall time per run: max {max(walls):.1f} s, mean {statistics.mean(walls):.1f} s (target ≤ 180 s)")
    print(f"peak memory: {peak:.2f} GiB (target < 2 GiB); "
          f"children total {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20:.2f} GiB")
    if not args.no_six:
        six = run_one(args.notes, {"seed": args.seeds[0], "task": "six"})
        print(f"6-class: test accuracy {100 * six['test_accuracy']:.2f} % (seed {args.seeds[0]}, macro F1 "
              f"{100 * six['test_f1']:.2f} %, wall {six['process_wall_s']:.1f} s)")


if __name__ == "__main__":
    main()
