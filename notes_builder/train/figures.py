"""The results figures: vector PDFs in the document's Computer Modern, plus PNG previews.

Over several seeds each curve is the mean, with a band from the lowest to the highest seed; the confusion
matrix sums the seeds' test predictions and says so. Computer Modern comes from matplotlib's own cmr10 font and
its `cm` mathtext, so no TeX is needed to draw (and `text.usetex` stays off). TrueType fonts are embedded
(pdf.fonttype 42). Figures are drawn on matplotlib's Figure directly (no pyplot: less to import, no global
state). Every file is written to a temp file in the same folder and then moved into place, so a reader never
sees half a figure.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from notes_builder.files import atomic_file
from notes_builder.train.freeze import FIGURES

STYLE = {
    "font.family": "serif",
    "font.serif": ["cmr10"],
    "mathtext.fontset": "cm",
    "axes.formatter.use_mathtext": True,
    "axes.unicode_minus": False,  # cmr10 has no Unicode minus sign
    "text.usetex": False,
    "pdf.fonttype": 42,
    "font.size": 9,
    "figure.dpi": 150,
    "savefig.bbox": "tight",
}


def _figure(width: float, height: float) -> tuple[Any, Any]:
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _save(fig: Any, folder: Path, name: str) -> list[Path]:
    written = []
    for suffix in ("pdf", "png"):
        target = folder / f"{name}.{suffix}"
        with atomic_file(target) as handle:
            fig.savefig(handle, format=suffix, metadata={"CreationDate": None} if suffix == "pdf" else None)
        written.append(target)
    return written


def _seeds_label(metrics: dict[str, Any]) -> str:
    seeds = metrics["seeds"]
    return f"seed {seeds[0]}" if len(seeds) == 1 else f"mean of seeds {', '.join(map(str, seeds))}"


def _band(ax: Any, epochs: np.ndarray, curve: dict[str, Any], scale: float, color: str, label: str,
          **style: Any) -> None:
    """The mean over the seeds as a line, their lowest to highest as a shaded band (one seed: the line)."""
    ax.plot(epochs, scale * np.asarray(curve["mean"]), color=color, label=label, **style)
    if curve.get("std") is not None:
        ax.fill_between(epochs, scale * np.asarray(curve["min"]), scale * np.asarray(curve["max"]), color=color,
                        alpha=0.2, linewidth=0)


def _loss_curve(metrics: dict[str, Any]) -> Any:
    fig, ax = _figure(4.2, 2.6)
    epochs = np.arange(1, len(metrics["train_loss"]["mean"]) + 1)
    _band(ax, epochs, metrics["train_loss"], 1, "#1f4e79", "training")
    _band(ax, epochs, metrics["val_loss"], 1, "#c55a11", "validation", linestyle="--")
    for chosen in sorted(set(metrics["chosen_epoch"]["per_seed"])):
        ax.axvline(chosen, color="0.6", linewidth=0.8, linestyle=":")
    ax.set_xlabel("epoch")
    binary = len(metrics["class_names"]) == 2
    ax.set_ylabel("loss (binary cross-entropy)" if binary else "loss (cross-entropy)")
    ax.set_yscale("log")
    several = len(metrics["seeds"]) > 1
    ax.legend(frameon=False, title=f"{_seeds_label(metrics)}" + ("; band: lowest to highest" if several else ""),
              title_fontsize=7)
    ax.grid(alpha=0.3, linewidth=0.5)
    return fig


def _val_accuracy(metrics: dict[str, Any]) -> Any:
    fig, ax = _figure(4.2, 2.6)
    curve = metrics["val_accuracy"]
    mean = 100 * np.asarray(curve["mean"])
    epochs = np.arange(1, len(mean) + 1)
    several = len(metrics["seeds"]) > 1
    _band(ax, epochs, curve, 100, "#1f4e79", _seeds_label(metrics) + (" (band: lowest to highest)" if several
                                                                        else ""), marker="o", markersize=2.5)
    chosen = metrics["chosen_epoch"]["per_seed"]
    if len(set(chosen)) == 1:
        at = chosen[0]
        ax.plot([at], [mean[at - 1]], marker="*", markersize=10, color="#c55a11", linestyle="none",
                label=f"tested: epoch {at} ({'mean ' if len(metrics['seeds']) > 1 else ''}{mean[at - 1]:.2f}%)")
    else:
        for epoch in sorted(set(chosen)):
            ax.axvline(epoch, color="#c55a11", linewidth=0.8, linestyle=":")
        ax.plot([], [], color="#c55a11", linewidth=0.8, linestyle=":", label="tested epochs")
    ax.set_xlabel("epoch")
    ax.set_ylabel(r"validation accuracy (%)")
    ax.legend(frameon=False, loc="lower right", fontsize=7)
    ax.grid(alpha=0.3, linewidth=0.5)
    return fig


def _confusion(metrics: dict[str, Any]) -> Any:
    matrix = np.asarray(metrics["confusion_matrix"])
    names = [n.replace("_", " ").lower() for n in metrics["class_names"]]
    size = 2.8 if len(names) == 2 else 4.4
    fig, ax = _figure(size, size * 0.9)
    ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, f"{count:,}", ha="center", va="center",
                color="white" if count > matrix.max() / 2 else "black")
    ax.set_xticks(range(len(names)), names, rotation=0 if len(names) == 2 else 45, ha="center" if
                  len(names) == 2 else "right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(metrics.get("confusion_matrix_of", ""), fontsize=8)
    return fig


def write_figures(metrics: dict[str, Any], folder: Path) -> list[Path]:
    """loss_curve, val_accuracy and confusion_matrix as .pdf and .png in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    logging.getLogger("fontTools").setLevel(logging.ERROR)  # cmr10.ttf's old header dates are harmless
    written: list[Path] = []
    with matplotlib.rc_context(STYLE):
        for name, draw in zip(FIGURES, (_loss_curve, _val_accuracy, _confusion), strict=True):
            written += _save(draw(metrics), folder, name)
    return written
