"""Plots the chapters and exercises share, so every figure reads the same way.

Train curves are solid and validation curves dashed, in the same colour per
model, on the same axes: the gap between the two lines is the lesson.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt


def _as_dict(history: Any) -> Mapping[str, list[float]]:
    return history.history if hasattr(history, "history") else history


def plot_learning_curves(
    histories: Mapping[str, Any],
    metric: str = "loss",
    *,
    ax: plt.Axes | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    ylim: tuple[float, float] | None = None,
) -> plt.Axes:
    """Training (solid) and validation (dashed) curves of one or more runs.

    ``histories`` maps a label to a Keras ``History`` or its ``.history`` dict.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for i, (label, history) in enumerate(histories.items()):
        h = _as_dict(history)
        colour = f"C{i}"
        epochs = range(1, len(h[metric]) + 1)
        ax.plot(epochs, h[metric], color=colour, label=f"{label}: training")
        if f"val_{metric}" in h:
            ax.plot(epochs, h[f"val_{metric}"], color=colour, linestyle="--", label=f"{label}: validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel or metric.replace("_", " "))
    ax.set_title(title or f"Learning curves ({metric.replace('_', ' ')})")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return ax
