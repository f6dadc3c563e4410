"""What the feedback shows besides the verdicts: the grader's own learning curves of the learner's model.

Autograding no longer executes the learner's notebook, so the plots the learner
made are not in the feedback. Instead the validation part shows the curves of
the grader's training run of the learner's model beside the given model's (both
made by trusted code from the histories that came out of the sandbox).
"""

from __future__ import annotations

import base64
import io


def curves_png(curves: dict[str, dict[str, list[float]]], score_key: str, title: str) -> bytes:
    """A PNG of training (dashed) and validation (solid) ``score_key`` curves, one colour per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train_key = score_key.removeprefix("val_")
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for i, (label, history) in enumerate(curves.items()):
        epochs = range(1, len(history.get(score_key, [])) + 1)
        if score_key in history:
            ax.plot(epochs, history[score_key], color=f"C{i}", label=f"{label}: validation")
        if train_key in history:
            ax.plot(epochs, history[train_key], color=f"C{i}", linestyle="--", label=f"{label}: training")
    ax.set_xlabel("epoch")
    ax.set_ylabel(score_key.removeprefix("val_"))
    ax.set_title(title, fontsize="medium")
    values = [v for h in curves.values() for k in (score_key, train_key) for v in h.get(k, []) if v == v]
    if values and max(values) / max(min(values), 1e-12) > 50:
        ax.set_yscale("log")
    ax.legend(fontsize="small")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()


def curves_output(curves: dict[str, dict[str, list[float]]], score_key: str, title: str):
    """The figure as a notebook output, for nbgrader's feedback HTML."""
    import nbformat

    data = {"image/png": base64.b64encode(curves_png(curves, score_key, title)).decode(),
            "text/plain": f"<learning curves: {', '.join(curves)}>"}
    return nbformat.v4.new_output("display_data", data=data)
