"""Exercise 2: raw concrete data and plain SGD defeat the given network; BatchNormalization rescues it."""

from __future__ import annotations

from autograder.checks.structure import Expected
from autograder.recipe import Recipe
from autograder.tasks.base import Part
from autograder.tasks.keras_task import KerasTask


def baseline(n_features: int):
    """The given model: fine on standardized inputs, hopeless on raw ones with plain SGD."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            layers.Dense(64, activation="relu"),
            layers.Dense(64, activation="relu"),
            layers.Dense(1),
        ],
        name="concrete_mlp",
    )


GIVEN_CODE = """
def build_model(n_features):
    return keras.Sequential([keras.Input((n_features,)), layers.Dense(64, activation="relu"),
                             layers.Dense(64, activation="relu"), layers.Dense(1)])
"""

MISTAKES = (
    ("first_layer_only", """
def build_model(n_features):
    return keras.Sequential([keras.Input((n_features,)), layers.BatchNormalization(),
                             layers.Dense(64, activation="relu"), layers.Dense(64, activation="relu"),
                             layers.Dense(1)])
"""),
    ("hidden_only", """
def build_model(n_features):
    return keras.Sequential([keras.Input((n_features,)), layers.Dense(64, activation="relu"),
                             layers.BatchNormalization(), layers.Dense(64, activation="relu"),
                             layers.BatchNormalization(), layers.Dense(1)])
"""),
)

TASK = KerasTask(
    name="ex2_batch_normalization",
    title="Add Batch Normalization to train on unnormalized data",
    recipe=Recipe(
        dataset="concrete",
        standardize=False,
        loss="mse",
        optimizer="sgd",
        learning_rate=1e-3,
        epochs=60,
        batch_size=32,
        score="val_loss",
    ),
    expected=Expected(
        hidden_units=(64, 64),
        output_units=1,
        output_activation="linear",
        batchnorm=frozenset({0, 1, 2}),
    ),
    baseline=baseline,
    solution_cell="ex2_build_model",
    structure=Part("ex2_structure", 3),
    validation=Part("ex2_validation", 2),
    given_code=GIVEN_CODE,
    mistakes=MISTAKES,
    max_params=500_000,
)
