"""Exercise 4: inverted dropout in NumPy, ``dropout_forward(x, rate, training, rng)``."""

from __future__ import annotations

from autograder.tasks.base import Part
from autograder.tasks.numpy_task import NumpyDropoutTask

MISTAKES = (
    ("vanilla_dropout", """
def dropout_forward(x, rate, training, rng):
    if not 0 <= rate < 1:
        raise ValueError("rate must be in [0, 1)")
    if training:
        return x * (rng.random(x.shape) >= rate)
    return x * (1 - rate)
"""),
    ("no_rate_check", """
def dropout_forward(x, rate, training, rng):
    if not training:
        return x
    return (x * (rng.random(x.shape) >= rate) / (1 - rate)).astype(x.dtype)
"""),
    ("global_rng", """
def dropout_forward(x, rate, training, rng):
    if not 0 <= rate < 1:
        raise ValueError("rate must be in [0, 1)")
    if not training:
        return x
    return (x * (np.random.random(x.shape) >= rate) / (1 - rate)).astype(x.dtype)
"""),
    ("rate_as_keep_probability", """
def dropout_forward(x, rate, training, rng):
    if not 0 <= rate < 1:
        raise ValueError("rate must be in [0, 1)")
    if not training or rate == 0:
        return x
    return (x * (rng.random(x.shape) < rate) / rate).astype(x.dtype)
"""),
)

TASK = NumpyDropoutTask(
    name="ex4_numpy_dropout",
    title="Inverted dropout in NumPy",
    solution_cell="ex4_dropout_forward",
    part_list=(
        Part("ex4_inference_identity", 1, check="inference_identity"),
        Part("ex4_zero_fraction", 1, check="zero_fraction"),
        Part("ex4_survivor_scaling", 1, check="survivor_scaling"),
        Part("ex4_mean_preserved", 1, check="mean_preserved"),
        Part("ex4_shape_dtype", 1, check="shape_dtype"),
        Part("ex4_bad_rate", 1, check="bad_rate"),
    ),
    mistakes=MISTAKES,
)
