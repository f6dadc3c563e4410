"""The judge grades from the notebook file, running learner code only in the sandbox.

These tests call the judge directly (no nbgrader) on notebooks whose solution cell is
replaced by typical and hostile code.
"""

import copy

import nbformat
import pytest

from autograder.judge import judge_notebook
from autograder.sandbox import SandboxError, run_cell
from tests.helpers import SOURCE, with_solution

EX1_NB = nbformat.read(SOURCE / "ex1_add_dropout" / "ex1_add_dropout.ipynb", as_version=4)
EX4_NB = nbformat.read(SOURCE / "ex4_numpy_dropout" / "ex4_numpy_dropout.ipynb", as_version=4)

GIVEN_MODEL = """
def build_model(n_features):
    return keras.Sequential([keras.Input((n_features,)), layers.Dense(256, activation="relu"),
                             layers.Dense(256, activation="relu"), layers.Dense(10, activation="softmax")])
"""


def points(results):
    return {r.grade_id: r.points for r in results}


def structure_only(nb, task="ex1_add_dropout"):
    """Judge without training: the structure part decides these cases."""
    from autograder.tasks import get_task

    t = get_task(task)
    from autograder.judge import solution_source

    artifact = run_cell(task, solution_source(nb, t.solution_cell), timeout=60)
    return t.grade_model_json(artifact.meta["model_json"], n_params=artifact.meta["n_params"],
                              parts=(t.structure_id,))[0]


def test_reference_structure_passes_through_the_sandbox():
    assert structure_only(EX1_NB).passed


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("raise RuntimeError('boom')", "RuntimeError: boom (line 1 of your cell"),
        ("x = 1", "does not define a function named `build_model`"),
        ("def build_model(n):\n    raise NotImplementedError()", "still raises NotImplementedError"),
        ("def build_model(n):\n    return 42", "must return a keras Model, it returned a int"),
        ("import sys\nsys.exit(0)", "SystemExit"),
        ("import os\nos._exit(3)", "exit code 3"),
        ("def build_model(n)\n    pass", "SyntaxError"),
        ("%matplotlib inline\nraise ValueError('after magic')", "ValueError: after magic"),
        ("def build_model(n):\n    return keras.Sequential([keras.Input((n,)), "
         "layers.Lambda(lambda t: t * 2), layers.Dense(10)])", None),
    ],
)
def test_broken_solution_cells_score_zero_with_a_reason(code, fragment):
    results = judge_notebook(with_solution(EX1_NB, "ex1_build_model", code), "ex1_add_dropout", timeout=60)
    assert sum(r.points for r in results) == 0
    if fragment:
        assert all(fragment in r.message for r in results), [r.message for r in results]


def test_infinite_loop_is_stopped_and_reported():
    nb = with_solution(EX1_NB, "ex1_build_model", "while True:\n    pass")
    results = judge_notebook(nb, "ex1_add_dropout", timeout=15)
    assert [r.points for r in results] == [0, 0]
    assert "did not finish within 15 s" in results[0].message


def test_enormous_model_is_refused_before_training():
    code = ("def build_model(n):\n    return keras.Sequential([keras.Input((n,)), layers.Dense(4096, "
            "activation='relu'), layers.Dense(4096, activation='relu'), layers.Dense(10)])")
    results = judge_notebook(with_solution(EX1_NB, "ex1_build_model", code), "ex1_add_dropout", timeout=60)
    assert [r.points for r in results] == [0, 0]
    assert "parameters; this task allows at most 1,000,000" in results[0].message


def test_missing_solution_cell():
    nb = copy.deepcopy(EX1_NB)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "ex1_build_model"]
    results = judge_notebook(nb, "ex1_add_dropout")
    assert sum(r.points for r in results) == 0 and "is missing" in results[0].message


def test_patching_the_autograder_or_keras_in_the_cell_gains_nothing():
    hostile = GIVEN_MODEL + """
import autograder.checks.structure as s
s.structure_problems = lambda *a, **k: []
import autograder.tasks.keras_task as kt
kt.KerasTask.grade_model_json = lambda self, *a, **k: []
keras.Model.count_params = lambda self: 1
"""
    result = structure_only(with_solution(EX1_NB, "ex1_build_model", hostile))
    assert result.points == 0 and "no Dropout after the input" in result.message


def test_numpy_exercise_reference_and_hostile_rng_patch():
    assert sum(r.points for r in judge_notebook(EX4_NB, "ex4_numpy_dropout")) == 6
    cheat = """
import autograder.checks.dropout_numpy as d
d.check_bad_rate = lambda rec, g, p: None
def dropout_forward(x, rate, training, rng):
    return x
"""
    results = points(judge_notebook(with_solution(EX4_NB, "ex4_dropout_forward", cheat), "ex4_numpy_dropout"))
    assert results == {"ex4_inference_identity": 1, "ex4_zero_fraction": 0, "ex4_survivor_scaling": 0,
                       "ex4_mean_preserved": 1, "ex4_shape_dtype": 1, "ex4_bad_rate": 0}


def test_sandbox_error_is_a_learner_message_not_a_crash():
    with pytest.raises(SandboxError, match="ZeroDivisionError"):
        run_cell("ex4_numpy_dropout", "1/0", timeout=30)
