"""Where the cross-validation errors fall: per activity and per held-out volunteer, training volunteers only.

    .venv/bin/python benchmarks/cv_errors.py FOLD SEED ['{"augment_rotate": 20}'] [NOTES_PATH]

Trains fold FOLD of benchmarks/model_selection.py's protocol (same folds and validation draw) and counts the
wrong held-out windows by activity and by volunteer, next to each volunteer's mean gravity vector while
walking (the phone's tilt). It never reads the test volunteers. Round 4 of the model selection was motivated
by what this printed for folds 0 and 1.
"""

from __future__ import annotations

import json
import sys
import tempfile

import numpy as np
import torch
from model_selection import DRAW, FOLDS, draw_validation  # benchmarks/, beside this script

from notes_builder.config import load_config
from notes_builder.train import data as har
from notes_builder.train.model import SimpleLSTM
from notes_builder.train.results import train_figures
from notes_builder.train.settings import data_path, training_settings, with_training
from notes_builder.train.training import TrainOptions, labels_for


def main() -> None:
    k, seed = int(sys.argv[1]), int(sys.argv[2])
    overrides = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    config = load_config(sys.argv[4] if len(sys.argv) > 4 else "content")
    data = har.load_data(har.resolve_data(data_path(config), quiet=True))
    volunteers = sorted(int(v) for v in np.unique(data.train.subject))
    fold = volunteers[k::FOLDS]
    validation = draw_validation([v for v in volunteers if v not in fold], DRAW + k)
    config = with_training(config, seeds=[seed], val_volunteers=validation, **overrides)
    training = training_settings(config)
    with tempfile.TemporaryDirectory() as results:
        result = train_figures(config,
                               TrainOptions(quiet=True, results_dir=results, holdout_volunteers=fold))

    fit = data.train.select(~np.isin(data.train.subject, validation + fold))
    mean, std = fit.x.mean(axis=(0, 1), dtype=np.float64), fit.x.std(axis=(0, 1), dtype=np.float64) + 1e-8
    held = data.train.select(np.isin(data.train.subject, fold))
    model = SimpleLSTM(9, training.hidden_size, training.dense_size, 1)
    model.load_state_dict(result.state_dict)
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(((held.x - mean) / std).astype(np.float32)))[:, 0].numpy()
    wrong = (logits > 0).astype(int) != labels_for("walking", held.activity)
    print(f"fold {k}, seed {seed}, {overrides or 'the notes settings'}: held-out accuracy "
          f"{100 * (1 - wrong.mean()):.2f} % ({wrong.sum()} of {len(wrong)} wrong)")
    for a, name in enumerate(har.ACTIVITIES, start=1):
        m = held.activity == a
        print(f"  {name:<19} {m.sum():5d} windows {wrong[m].sum():4d} wrong")
    for v in fold:
        m, walking = held.subject == v, (held.subject == v) & (held.activity == 1)
        gravity = held.x[walking][:, :, 6:9].mean(axis=(0, 1))
        print(f"  volunteer {v:2d} {m.sum():5d} windows {wrong[m].sum():4d} wrong; "
              f"gravity while walking {np.round(gravity, 2)}")


if __name__ == "__main__":
    main()
