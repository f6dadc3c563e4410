"""Exercise 3: L2 penalties on the hidden layers of a wide network on the red wine data."""

from __future__ import annotations

from autograder.checks.structure import Expected
from autograder.recipe import Recipe
from autograder.tasks.base import Part
from autograder.tasks.keras_task import KerasTask

L2_STRENGTH = 1e-2


def baseline(n_features: int):
    """The given model: wide enough to fit the noise in the quality scores."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            layers.Dense(512, activation="relu"),
            layers.Dense(512, activation="relu"),
            layers.Dense(1),
        ],
        name="wine_mlp",
    )


GIVEN_CODE = """
def build_model(n_features):
    return keras.Sequential([keras.Input((n_features,)), layers.Dense(512, activation="relu"),
                             layers.Dense(512, activation="relu"), layers.Dense(1)])
"""

MISTAKES = (
    ("penalty_too_weak", """
def build_model(n_features):
    return keras.Sequential([keras.Input((n_features,)),
        layers.Dense(512, activation="relu", kernel_regularizer=regularizers.l2(1e-4)),
        layers.Dense(512, activation="relu", kernel_regularizer=regularizers.l2(1e-4)), layers.Dense(1)])
"""),
)

TASK = KerasTask(
    name="ex3_weight_regularization",
    title="Add L2 weight penalties",
    recipe=Recipe(
        dataset="wine_red",
        standardize=True,
        loss="mse",
        # Keras adds the penalty to both `loss` and `val_loss`; the metric is the data-only error.
        metrics=("mse",),
        optimizer="adam",
        learning_rate=3e-3,
        epochs=100,
        batch_size=32,
        score="val_mse",
    ),
    expected=Expected(
        hidden_units=(512, 512),
        output_units=1,
        output_activation="linear",
        kernel_regularizer={1: ("l2", L2_STRENGTH), 2: ("l2", L2_STRENGTH)},
    ),
    baseline=baseline,
    solution_cell="ex3_build_model",
    structure=Part("ex3_structure", 3),
    validation=Part("ex3_validation", 2),
    given_code=GIVEN_CODE,
    mistakes=MISTAKES,
    max_params=2_000_000,
)
