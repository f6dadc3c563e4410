"""The course's overfitting task in one place: the wide network, how it is trained, how it is scored.

Chapters 1, 4 and 5 use it to show each technique on the same task
(:func:`autograder.data.load_small_digits`: 200 training digits, a fifth of them
mislabelled), with the same network (two hidden layers of 256 ReLU units) and the
same training (Adam, learning rate 10⁻³, mini-batches of 32, 100 passes over the
data), so that the gains they report can be compared. Every comparison is paired:
each seed gives every configuration the same initial weights and the same batch
order, and the gain is reported as a mean of per-seed differences with its
standard error.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

HIDDEN = (256, 256)
BATCH_SIZE = 32
PASSES = 100
LEARNING_RATE = 1e-3
PATIENCE_PASSES = 15  # early stopping waits this many passes without improvement
CHECK_EVERY = 5  # passes between two looks at the validation rows (and two points of a curve)


def network(*, l2: float = 0.0, dropout: tuple[float, float] | None = None, batch_norm: bool = False,
            hidden: tuple[int, ...] = HIDDEN):
    """The wide MLP. ``dropout`` holds the *keep* probabilities (inputs, hidden units); Keras gets
    ``rate = 1 - p``. With ``batch_norm`` each Dense layer is followed by BatchNormalization, then ReLU."""
    import keras

    penalty = keras.regularizers.l2(l2) if l2 else None
    layers: list[Any] = [keras.Input(shape=(64,))]
    if dropout:
        layers.append(keras.layers.Dropout(1 - dropout[0]))
    for units in hidden:
        layers.append(keras.layers.Dense(units, use_bias=not batch_norm, kernel_regularizer=penalty))
        if batch_norm:
            layers.append(keras.layers.BatchNormalization())
        layers.append(keras.layers.Activation("relu"))
        if dropout:
            layers.append(keras.layers.Dropout(1 - dropout[1]))
    layers.append(keras.layers.Dense(10, activation="softmax", kernel_regularizer=penalty))
    return keras.Sequential(layers)


def train(x: np.ndarray, y: np.ndarray, *, seed: int, validation: tuple | None = None,
          early_stopping: bool = False, batch_size: int = BATCH_SIZE, passes: int = PASSES,
          learning_rate: float = LEARNING_RATE, **config: Any):
    """Build ``network(**config)`` with ``seed`` and train it; return the model and its history.

    The history has one point every ``CHECK_EVERY`` passes. With ``early_stopping`` a stratified
    fifth of the rows is held out; training stops after ``PATIENCE_PASSES`` passes without a lower
    loss on it, and the best weights are restored (those rows are not trained on).
    """
    import keras
    import tensorflow as tf
    from sklearn.model_selection import train_test_split

    from autograder.reproducibility import seed_everything

    seed_everything(seed)
    model = network(**config)
    callbacks = []
    if early_stopping:
        x, x_stop, y, y_stop = train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)
        validation = (x_stop, y_stop)
        callbacks.append(keras.callbacks.EarlyStopping(patience=PATIENCE_PASSES // CHECK_EVERY,
                                                       restore_best_weights=True))
    steps = math.ceil(len(x) / batch_size)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  steps_per_execution=steps)
    data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed).batch(batch_size).repeat()
    history = model.fit(data, epochs=passes // CHECK_EVERY, steps_per_epoch=CHECK_EVERY * steps, shuffle=False,
                        validation_data=validation, callbacks=callbacks, verbose=0)
    return model, history.history


def scores(model, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Accuracy and cross-entropy of the full (inference-mode) network; no penalty term."""
    prob = np.asarray(model(x, training=False))
    picked = np.clip(prob[np.arange(len(y)), y.astype(int)], 1e-7, 1.0)
    return {"accuracy": float(np.mean(prob.argmax(axis=1) == y)), "cross-entropy": float(-np.mean(np.log(picked)))}


def compare(configs: dict[str, dict[str, Any]], seeds: list[int], task=None, progress: bool = False):
    """Train every configuration under every seed on the training images; score on the validation
    images (true labels). One row per (configuration, seed).

    No progress bar by default: a chapter's comparison takes seconds, and the book shows no widgets.
    """
    import pandas as pd
    from tqdm.auto import tqdm

    from autograder.data import load_small_digits

    task = task if task is not None else load_small_digits()
    rows = []
    with tqdm(total=len(configs) * len(seeds), desc="training", unit="run", disable=not progress) as bar:
        for name, config in configs.items():
            for seed in seeds:
                model, _ = train(task.x_train, task.y_train, seed=seed, **config)
                rows.append({"config": name, "seed": seed, **scores(model, task.x_val, task.y_val)})
                bar.update()
    return pd.DataFrame(rows)


def paired_gains(runs, baseline: str):
    """Per configuration: mean score, and the mean paired gain over ``baseline`` ± its standard error.

    Gains are improvements: accuracy up, cross-entropy down (reported as baseline minus configuration).
    """
    import pandas as pd

    wide = runs.pivot(index="seed", columns="config")
    n = len(wide)
    out = {}
    for name in dict.fromkeys(runs["config"]):
        if name == baseline:
            continue
        acc = wide["accuracy"][name] - wide["accuracy"][baseline]
        ce = wide["cross-entropy"][baseline] - wide["cross-entropy"][name]
        out[name] = {"accuracy": wide["accuracy"][name].mean(), "accuracy gain": acc.mean(),
                     "± s.e.": acc.std(ddof=1) / math.sqrt(n),
                     "cross-entropy": wide["cross-entropy"][name].mean(), "CE gain": ce.mean(),
                     "± s.e. ": ce.std(ddof=1) / math.sqrt(n)}
    return pd.DataFrame(out).T


def plot_gains(runs, baseline: str, ax=None, metric: str = "accuracy"):
    """Each configuration's paired gain over ``baseline``: every seed in grey, the mean ± 2 s.e. in colour."""
    import matplotlib.pyplot as plt

    wide = runs.pivot(index="seed", columns="config")[metric]
    sign = 1 if metric == "accuracy" else -1
    names = [c for c in dict.fromkeys(runs["config"]) if c != baseline]
    ax = ax or plt.subplots(figsize=(7, 0.8 + 0.6 * len(names)))[1]
    for i, name in enumerate(names):
        gains = sign * (wide[name] - wide[baseline])
        se = gains.std(ddof=1) / math.sqrt(len(gains))
        ax.plot(gains, np.full(len(gains), i), "o", color="grey", alpha=0.5, markersize=4)
        ax.errorbar(gains.mean(), i, xerr=2 * se, fmt="o", color=f"C{i}", capsize=4)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(-0.7, len(names) - 0.3)
    ax.invert_yaxis()
    what = "accuracy gain" if metric == "accuracy" else "cross-entropy reduction"
    ax.set_xlabel(f"validation {what} over {baseline} (mean ± 2 s.e.; grey: single seeds)")
    ax.grid(alpha=0.3)
    return ax
