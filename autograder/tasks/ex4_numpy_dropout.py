"""Exercise 4: inverted dropout in NumPy, ``dropout_forward(x, rate, training, rng)``."""

from __future__ import annotations

from autograder.tasks.numpy_task import NumpyDropoutTask

TASK = NumpyDropoutTask(
    name="ex4_numpy_dropout",
    title="Inverted dropout in NumPy",
    solution_cell="ex4_dropout_forward",
    parts={
        "ex4_inference_identity": ("inference_identity", 1),
        "ex4_zero_fraction": ("zero_fraction", 1),
        "ex4_survivor_scaling": ("survivor_scaling", 1),
        "ex4_mean_preserved": ("mean_preserved", 1),
        "ex4_shape_dtype": ("shape_dtype", 1),
        "ex4_bad_rate": ("bad_rate", 1),
    },
)
