"""Choose the training settings of the default notes by cross-validation over the training volunteers.

    .venv/bin/python benchmarks/model_selection.py [NOTES_PATH] [--jobs 2] [--out FILE]

Why: the settings used until now were tuned while test accuracy was visible, which makes the test figure
optimistic. This script is the pre-registered replacement. It was committed before any of its candidates
was run, and it never reads a test prediction: every score comes from training volunteers held out of
fitting.

Protocol (fixed before running):

1. The 21 UCI HAR training volunteers, sorted, are dealt into 3 folds: fold k = volunteers[k::3].
2. For each candidate and fold, train on the other 14 volunteers, exactly as `notes train-figures` does.
   Two of those 14, drawn with `numpy.random.default_rng(2026 + k)`, validate and pick the epoch.
   Score the chosen epoch on the 7 volunteers of the fold. Seed 1 throughout.
3. The winner is the candidate with the highest pooled held-out accuracy over the 3 folds (correct windows
   / all held-out windows). A tie goes to the candidate listed first.
4. The final run uses the winner's settings. Its two validation volunteers are drawn from all 21 with
   `numpy.random.default_rng(2026)`, not hand-picked. It is judged once on the test volunteers by
   `benchmarks/train.py`, seeds 1, 2, 3, whatever the result.

Every candidate keeps the notes' `SimpleLSTM` and fits the 3-minute budget of a full run on this machine.
Round 2 (`--round 2`, added after round 1 was judged, so it is a second look at the test set): round 1's
winner scored 98.45 ± 0.75 % on test (99.00 / 98.77 / 97.60). The spread over seeds points at the epoch
choice: two validation volunteers sit at 100 % accuracy, so the choice falls to small differences in loss.
Round 2 keeps round 1's winner and compares the epoch rules and round 1's runner-up. It uses the same folds
and draws, scored over seeds 1 and 2 to halve the noise, with the same winner rule. The final run is judged
on the test volunteers by `benchmarks/train.py`, seeds 1, 2, 3, whatever the result.

Round 3 (`--round 3`) is a screen on the training volunteers only, to see whether anything beats round 2's
winner by a clear margin before spending another look at the test set.

Round 4 (`--round 4`, committed before it ran). `benchmarks/cv_errors.py` (training volunteers only) showed
where round 2's winner fails: folds 0 and 1, seed 1, lose 64 of 90 held-out windows on the walking of two
volunteers, 16 and 14 (24 of 51 and 40 of 59 walking windows). Volunteer 14 carries the phone tilted: the mean
gravity while walking is (0.90, -0.25, -0.42) g against about (1.0, -0.2, -0.1) g for most, which is about
19 degrees, the kind of tilt that otherwise comes with climbing stairs. Round 1's random tilt of up to 10 degrees
was too small to cover that. Round 4 tries larger random tilts about a random axis, and one with 40 epochs
because a harder augmentation may need longer (40 epochs still fit the 3-minute budget of a full run). Same
folds, draws and seeds as rounds 2 and 3. Decision rule, fixed in advance: the best round 4 candidate is
adopted only if its pooled held-out accuracy beats round 2's winner (98.56 %, same folds, draws and seeds) by at
least 0.30 points; otherwise nothing changes. If adopted, it is judged on the test volunteers by
`benchmarks/train.py`, seeds 1, 2, 3, and that figure is reported whatever it is. That is the third and
last look at the test set.

Prints one row per candidate, and writes the folds, settings and scores to --out as JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from train import run_one  # benchmarks/train.py, beside this script

FOLDS = 3
DRAW = 2026

# round -> (seeds per fold, name -> overrides of the notes' settings). Round 1 starts from the settings used
# before it (hidden 48, 30 epochs, Adam 0.002 with a cosine decay, batch 128, random shift up to 64 samples,
# random gain 0.1, no class weights); round 2 from round 1's winner.
ROUNDS: dict[int, tuple[list[int], dict[str, dict]]] = {
    1: ([1], {
        "current": {"balance_classes": False},
        "rotate10": {"balance_classes": False, "augment_rotate": 10.0},
        "stretch0.1": {"balance_classes": False, "augment_stretch": 0.1},
        "noise0.05": {"balance_classes": False, "augment_noise": 0.05},
        "wd1e-4": {"balance_classes": False, "weight_decay": 1e-4},
        "balanced": {"balance_classes": True},
        "lr0.003": {"balance_classes": False, "learning_rate": 0.003},
        "hidden64-18ep": {"balance_classes": False, "hidden_size": 64, "epochs": 18},
        "hidden32-50ep": {"balance_classes": False, "hidden_size": 32, "epochs": 50},
    }),
    2: ([1, 2], {
        "balanced": {"balance_classes": True, "select_epoch": "val_accuracy"},
        "balanced+stretch0.1": {"balance_classes": True, "select_epoch": "val_accuracy", "augment_stretch": 0.1},
        "balanced+val-loss": {"balance_classes": True, "select_epoch": "val_loss"},
        "balanced+last-epoch": {"balance_classes": True, "select_epoch": "last"},
    }),
    # a screen, not a selection: its scores compare with round 2's winner (same folds, draws and seeds); none of
    # it was judged on the test set in the session that ran it
    3: ([1, 2], {
        "lr0.001-40ep": {"learning_rate": 0.001, "epochs": 40},
        "batch64": {"batch_size": 64},
        "hidden32-60ep": {"hidden_size": 32, "epochs": 60},
        "scale0.2": {"augment_scale": 0.2},
    }),
    4: ([1, 2], {
        "tilt15": {"augment_rotate": 15.0},
        "tilt25": {"augment_rotate": 25.0},
        "tilt35": {"augment_rotate": 35.0},
        "tilt25-40ep": {"augment_rotate": 25.0, "epochs": 40},
    }),
}

def training_volunteers(notes: str) -> list[int]:
    from notes_builder.config import load_config
    from notes_builder.train import data as har
    from notes_builder.train.settings import data_path

    config = load_config(notes)
    data = har.load_data(har.resolve_data(data_path(config), quiet=True))
    return sorted(int(v) for v in np.unique(data.train.subject))


def draw_validation(volunteers: list[int], seed: int) -> list[int]:
    return sorted(int(v) for v in np.random.default_rng(seed).choice(volunteers, 2, replace=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notes", nargs="?", default="content")
    parser.add_argument("--jobs", type=int, default=2, help="trainings at once (each uses one thread)")
    parser.add_argument("--round", type=int, choices=sorted(ROUNDS), default=max(ROUNDS))
    parser.add_argument("--out", help="default: benchmarks/results/model_selection_round{N}.json")
    parser.add_argument("--only", nargs="+", help="run only these candidates (for a quick look)")
    args = parser.parse_args()

    volunteers = training_volunteers(args.notes)
    folds = [volunteers[k::FOLDS] for k in range(FOLDS)]
    seeds, candidates = ROUNDS[args.round]
    jobs = []
    for name, overrides in candidates.items():
        if args.only and name not in args.only:
            continue
        for k, fold in enumerate(folds):
            rest = [v for v in volunteers if v not in fold]
            for seed in seeds:
                settings = {**overrides, "seed": seed, "val_volunteers": draw_validation(rest, DRAW + k)}
                jobs.append((name, k, settings, fold))

    started = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        outcomes = list(pool.map(lambda job: run_one(args.notes, job[2], holdout_volunteers=job[3]), jobs))

    rows: dict[str, dict] = {}
    for (name, k, settings, fold), metrics in zip(jobs, outcomes, strict=True):
        row = rows.setdefault(name, {"overrides": candidates[name], "folds": []})
        correct = int(np.trace(np.array(metrics["confusion_matrix"])))
        row["folds"].append({"fold": k, "seed": settings["seed"], "holdout": fold,
                             "val_volunteers": settings["val_volunteers"],
                             "accuracy": metrics["test_accuracy"], "correct": correct,
                             "windows": metrics["n_test_windows"], "chosen_epoch": metrics["chosen_epoch"],
                             "seconds_per_epoch": metrics["seconds_per_epoch"],
                             "n_train_windows": metrics["n_train_windows"]})
    print(f"{'candidate':<16} {'pooled acc':>10}  {'per fold':<26} {'s/epoch':>7}  epochs chosen")
    for name, row in rows.items():
        correct = sum(f["correct"] for f in row["folds"])
        windows = sum(f["windows"] for f in row["folds"])
        row["pooled_accuracy"] = correct / windows
        per_fold = " ".join(f"{100 * f['accuracy']:.2f}" for f in row["folds"])
        speed = np.mean([f["seconds_per_epoch"] for f in row["folds"]])
        chosen = ",".join(str(f["chosen_epoch"]) for f in row["folds"])
        print(f"{name:<16} {100 * row['pooled_accuracy']:>9.2f}%  {per_fold:<26} {speed:>7.2f}  {chosen}")
    winner = max(rows, key=lambda n: (rows[n]["pooled_accuracy"], -list(rows).index(n)))
    final_validation = draw_validation(volunteers, DRAW)
    print(f"\nwinner: {winner} {candidates[winner]}; final validation volunteers {final_validation}; "
          f"{time.perf_counter() - started:.0f} s")
    out = Path(args.out or f"benchmarks/results/model_selection_round{args.round}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"protocol": __doc__, "round": args.round, "folds": folds, "seeds": seeds,
                               "candidates": rows, "winner": winner, "final_val_volunteers": final_validation},
                              indent=2) + "\n")


if __name__ == "__main__":
    main()
