"""The results figures: vector PDFs in the document's Computer Modern, plus PNG previews.

Computer Modern comes from matplotlib's own cmr10 font and its `cm` mathtext, so no TeX is needed to draw
(and `text.usetex` stays off). TrueType fonts are embedded (pdf.fonttype 42). Every file is written to a
temp file in the same folder and then moved into place, so a reader never sees half a figure.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

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
from notes_builder.files import atomic_file  # noqa: E402
from notes_builder.train.freeze import FIGURES  # noqa: E402


def _save(fig: Any, folder: Path, name: str) -> list[Path]:
    written = []
    for suffix in ("pdf", "png"):
        target = folder / f"{name}.{suffix}"
        with atomic_file(target) as handle:
            fig.savefig(handle, format=suffix, metadata={"CreationDate": None} if suffix == "pdf" else None)
        written.append(target)
    plt.close(fig)
    return written


def _loss_curve(metrics: dict[str, Any]) -> Any:
    fig, ax = plt.subplots(figsize=(4.2, 2.6))
    epochs = np.arange(1, len(metrics["train_loss"]) + 1)
    ax.plot(epochs, metrics["train_loss"], label="training", color="#1f4e79")
    ax.plot(epochs, metrics["val_loss"], label="validation", color="#c55a11", linestyle="--")
    ax.axvline(metrics["chosen_epoch"], color="0.6", linewidth=0.8, linestyle=":")
    ax.set_xlabel("epoch")
    binary = len(metrics["class_names"]) == 2
    ax.set_ylabel("loss (binary cross-entropy)" if binary else "loss (cross-entropy)")
    ax.set_yscale("log")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3, linewidth=0.5)
    return fig


def _val_accuracy(metrics: dict[str, Any]) -> Any:
    fig, ax = plt.subplots(figsize=(4.2, 2.6))
    accuracy = 100 * np.asarray(metrics["val_accuracy"])
    epochs = np.arange(1, len(accuracy) + 1)
    ax.plot(epochs, accuracy, color="#1f4e79", marker="o", markersize=2.5)
    chosen = metrics["chosen_epoch"]
    ax.plot([chosen], [accuracy[chosen - 1]], marker="*", markersize=10, color="#c55a11", linestyle="none",
            label=f"tested: epoch {chosen} ({accuracy[chosen - 1]:.2f}%)")
    ax.set_xlabel("epoch")
    ax.set_ylabel(r"validation accuracy (%)")
    ax.legend(frameon=False, loc="lower right")
    ax.grid(alpha=0.3, linewidth=0.5)
    return fig


def _confusion(metrics: dict[str, Any]) -> Any:
    matrix = np.asarray(metrics["confusion_matrix"])
    names = [n.replace("_", " ").lower() for n in metrics["class_names"]]
    size = 2.8 if len(names) == 2 else 4.4
    fig, ax = plt.subplots(figsize=(size, size * 0.9))
    ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center",
                color="white" if count > matrix.max() / 2 else "black")
    ax.set_xticks(range(len(names)), names, rotation=0 if len(names) == 2 else 45, ha="center" if
                  len(names) == 2 else "right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return fig


def write_figures(metrics: dict[str, Any], folder: Path) -> list[Path]:
    """loss_curve, val_accuracy and confusion_matrix as .pdf and .png in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    logging.getLogger("fontTools").setLevel(logging.ERROR)  # cmr10.ttf's old header dates are harmless
    written: list[Path] = []
    with plt.rc_context(STYLE):
        for name, draw in zip(FIGURES, (_loss_curve, _val_accuracy, _confusion), strict=True):
            written += _save(draw(metrics), folder, name)
    return written
