"""Exercise 1: a wide MLP on the 8x8 digits overfits; the learner adds Dropout."""

from __future__ import annotations

from autograder.checks.structure import Expected
from autograder.recipe import Recipe
from autograder.tasks.base import Part
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


GIVEN_CODE = """
def build_model(n_features):
    return keras.Sequential([keras.Input((n_features,)), layers.Dense(256, activation="relu"),
                             layers.Dense(256, activation="relu"), layers.Dense(10, activation="softmax")])
"""

MISTAKES = (
    ("input_dropout_only", """
def build_model(n_features):
    return keras.Sequential([keras.Input((n_features,)), layers.Dropout(0.1),
                             layers.Dense(256, activation="relu"), layers.Dense(256, activation="relu"),
                             layers.Dense(10, activation="softmax")])
"""),
    ("rates_swapped", """
def build_model(n_features):
    return keras.Sequential([keras.Input((n_features,)), layers.Dropout(0.5),
                             layers.Dense(256, activation="relu"), layers.Dropout(0.1),
                             layers.Dense(256, activation="relu"), layers.Dropout(0.1),
                             layers.Dense(10, activation="softmax")])
"""),
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
    structure=Part("ex1_structure", 3),
    validation=Part("ex1_validation", 2),
    max_params=1_000_000,
    given_code=GIVEN_CODE,
    mistakes=MISTAKES,
)
