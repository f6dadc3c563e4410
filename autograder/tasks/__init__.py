"""Registry of the graded exercises, keyed by nbgrader assignment/notebook name.

One module per exercise holds all of its facts (parts and points, given model,
recipe, expected structure, typical mistakes); :mod:`autograder.tasks.base` is
the protocol the judge, the nbgrader plugin and calibration drive.
"""

from __future__ import annotations

from autograder.tasks.base import Exercise, Graded, Part
from autograder.tasks.choice_task import ChoiceTask
from autograder.tasks.ex1_add_dropout import TASK as EX1
from autograder.tasks.ex2_batch_normalization import TASK as EX2
from autograder.tasks.ex3_weight_regularization import TASK as EX3
from autograder.tasks.ex4_numpy_dropout import TASK as EX4
from autograder.tasks.ex6_choose_by_cv import TASK as EX6
from autograder.tasks.keras_task import KerasTask
from autograder.tasks.numpy_task import NumpyDropoutTask

TASKS: dict[str, Exercise] = {t.name: t for t in (EX1, EX2, EX3, EX4, EX6)}


def get_task(name: str) -> Exercise:
    try:
        return TASKS[name]
    except KeyError:
        raise KeyError(f"no autograded task named {name!r}; known: {', '.join(TASKS)}") from None


__all__ = ["TASKS", "get_task", "Exercise", "Graded", "Part", "KerasTask", "NumpyDropoutTask",
           "ChoiceTask", "EX1", "EX2", "EX3", "EX4", "EX6"]
