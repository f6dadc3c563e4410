"""Exercise 1: a wide MLP on the 8x8 digits overfits; the learner adds Dropout."""

from __future__ import annotations

from autograder.checks.structure import Expected
from autograder.recipe import Recipe
from autograder.tasks.keras_task import KerasTask


def baseline(n_features: int):
    """The given model: two wide ReLU layers and a softmax, no regularization."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            layers.Dense(256, activation="relu"),
            layers.Dense(256, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ],
        name="wide_mlp",
    )


TASK = KerasTask(
    name="ex1_add_dropout",
    title="Add Dropout to an overfitting network",
    recipe=Recipe(
        dataset="digits",
        standardize=False,
        loss="sparse_categorical_crossentropy",
        metrics=("accuracy",),
        optimizer="adam",
        learning_rate=1e-3,
        epochs=80,
        batch_size=128,
        score="val_loss",
    ),
    expected=Expected(
        hidden_units=(256, 256),
        output_units=10,
        output_activation="softmax",
        dropout={0: 0.1, 1: 0.5, 2: 0.5},
    ),
    baseline=baseline,
    solution_cell="ex1_build_model",
    structure_id="ex1_structure",
    structure_points=3,
    validation_id="ex1_validation",
    validation_points=2,
    max_params=1_000_000,
)
