"""The grader's fixed training run: one function both the learner and the judge call.

A learner who runs ``task.train(build_model)`` in the notebook goes through
exactly the code path the judge uses on the rebuilt model (seed, split,
optimizer, epochs, batch size), so the number the learner sees is the number
that is graded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from autograder.reproducibility import seed_everything

GRADING_SEED = 20240601


@dataclass(frozen=True)
class Recipe:
    """Everything about a grading run that is not the model itself."""

    dataset: str  # a name from autograder.data.DATASETS, or "digits"
    standardize: bool
    loss: str
    optimizer: str  # "adam" or "sgd"
    learning_rate: float
    epochs: int
    batch_size: int
    score: str  # history key that is graded, e.g. "val_loss" or "val_mse"
    metrics: tuple[str, ...] = ()
    momentum: float = 0.0
    seed: int = GRADING_SEED
    score_epochs: int = 5  # the score averages this many final epochs, to damp epoch-to-epoch noise

    def with_seed(self, seed: int) -> Recipe:
        return replace(self, seed=seed)


def load_data(recipe: Recipe):
    from autograder import data

    if recipe.dataset == "digits":
        return data.load_digits_split()
    return data.load_split(recipe.dataset, standardize=recipe.standardize)


def make_optimizer(recipe: Recipe):
    import keras

    if recipe.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=recipe.learning_rate)
    if recipe.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate=recipe.learning_rate, momentum=recipe.momentum)
    raise ValueError(f"unknown optimizer {recipe.optimizer!r}")


def model_from_json(model_json: str):
    """Rebuild a model from its JSON config, refusing arbitrary code (Lambda layers)."""
    import keras

    return keras.models.model_from_json(model_json)


def fit_from_json(model_json: str, recipe: Recipe, *, verbose: int = 0) -> dict[str, list[float]]:
    """Seed, rebuild the model from its config, train it with the recipe; return the history.

    Building from the config (not reusing a live model) means the initial weights
    come from the grader's seed, whoever built the model.
    """
    seed_everything(recipe.seed)
    split = load_data(recipe)
    model = model_from_json(model_json)
    model.compile(optimizer=make_optimizer(recipe), loss=recipe.loss, metrics=list(recipe.metrics))
    history = model.fit(
        split.x_train,
        split.y_train,
        validation_data=(split.x_val, split.y_val),
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        shuffle=True,
        verbose=verbose,
    )
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}


def final_score(history: dict[str, list[float]], recipe: Recipe) -> float:
    """The graded number: ``recipe.score`` averaged over the last epochs (inf if training diverged)."""
    tail = history[recipe.score][-recipe.score_epochs :]
    value = sum(tail) / len(tail)
    return value if math.isfinite(value) else math.inf
