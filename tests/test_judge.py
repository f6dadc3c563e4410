"""The judge grades from the notebook file, running learner code only in the sandbox.

These tests call the judge directly (no nbgrader) on notebooks whose solution cell is
replaced by typical and hostile code.
"""

import copy
import json

import nbformat
import pytest

from autograder.judge import Budget, JudgeFailure, judge_notebook
from autograder.tasks.keras_task import BOUNDS_FILE
from tests.helpers import SOURCE, with_solution

pytestmark = pytest.mark.slow  # real sandboxed runs with TensorFlow, two of them training (about 2 minutes)

EX1_NB = nbformat.read(SOURCE / "ex1_add_dropout" / "ex1_add_dropout.ipynb", as_version=4)
EX4_NB = nbformat.read(SOURCE / "ex4_numpy_dropout" / "ex4_numpy_dropout.ipynb", as_version=4)

GIVEN_MODEL = """
def build_model(n_features):
    return keras.Sequential([keras.Input((n_features,)), layers.Dense(256, activation="relu"),
                             layers.Dense(256, activation="relu"), layers.Dense(10, activation="softmax")])
"""


QUICK = Budget(extract_seconds=60, train_seconds=300)


def points(results):
    return {r.grade_id: r.points for r in results}


def judge(nb, task="ex1_add_dropout", **kw):
    return judge_notebook(nb, task, budget=kw.pop("budget", QUICK), **kw).results


def test_reference_passes_and_the_graded_number_is_the_calibrated_one(tmp_path):
    graded = judge_notebook(EX1_NB, "ex1_add_dropout", budget=QUICK, cache_dir=tmp_path)
    assert points(graded.results) == {"ex1_structure": 3, "ex1_validation": 2}
    assert set(graded.curves) == {"your model", "the given model"}
    reference = json.loads(BOUNDS_FILE.read_text())
    assert f"= {reference['ex1_add_dropout']['reference_max']:.4f}" in graded.results[1].message
    assert len(list(tmp_path.glob("given-ex1_add_dropout-*.json"))) == 1  # the given model: trained once, kept


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
    results = judge(with_solution(EX1_NB, "ex1_build_model", code))
    assert sum(r.points for r in results) == 0
    if fragment:
        assert all(fragment in r.message for r in results), [r.message for r in results]


def test_infinite_loop_is_stopped_and_reported():
    nb = with_solution(EX1_NB, "ex1_build_model", "while True:\n    pass")
    results = judge(nb, budget=Budget(extract_seconds=15, train_seconds=300))
    assert [r.points for r in results] == [0, 0]
    assert "did not finish within 15 s" in results[0].message


def test_enormous_model_is_refused_before_training():
    code = ("def build_model(n):\n    return keras.Sequential([keras.Input((n,)), layers.Dense(4096, "
            "activation='relu'), layers.Dense(4096, activation='relu'), layers.Dense(10)])")
    results = judge(with_solution(EX1_NB, "ex1_build_model", code))
    assert [r.points for r in results] == [0, 0]
    assert "parameters; this task allows at most 1,000,000" in results[0].message


def test_missing_solution_cell():
    nb = copy.deepcopy(EX1_NB)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "ex1_build_model"]
    results = judge(nb)
    assert sum(r.points for r in results) == 0 and "is missing" in results[0].message


def test_patching_the_autograder_or_keras_in_the_cell_gains_nothing():
    hostile = GIVEN_MODEL + """
import autograder.checks.structure as s
s.structure_problems = lambda *a, **k: []
import autograder.tasks.keras_task as kt
kt.KerasTask.grade_model_json = lambda self, *a, **k: []
keras.Model.count_params = lambda self: 1
"""
    results = judge(with_solution(EX1_NB, "ex1_build_model", hostile))
    assert results[0].points == 0 and "no Dropout after the input" in results[0].message
    assert results[1].points == 0 and "too high" in results[1].message


def test_numpy_exercise_reference_and_hostile_rng_patch():
    assert sum(r.points for r in judge(EX4_NB, "ex4_numpy_dropout")) == 6
    cheat = """
import autograder.checks.dropout_numpy as d
d.check_bad_rate = lambda rec, g, p: None
def dropout_forward(x, rate, training, rng):
    return x
"""
    results = points(judge(with_solution(EX4_NB, "ex4_dropout_forward", cheat), "ex4_numpy_dropout"))
    assert results == {"ex4_inference_identity": 1, "ex4_zero_fraction": 0, "ex4_survivor_scaling": 0,
                       "ex4_mean_preserved": 1, "ex4_shape_dtype": 1, "ex4_bad_rate": 0}


def test_a_forged_record_is_checked_like_any_output():
    """The runner's record is the learner's to corrupt; the checks outside treat it as data."""
    forge = """
import os, sys, numpy as np
from autograder.sandbox.channel import encode
fake = {"status": "ok", "calls": {"inference": {"input_modified": False}, "bad_rate_1.0": {"raised": "ValueError",
        "raised_mro": ["ValueError"], "message": "forged"}, "junk": {"evil": True}}}
os.write(int(sys.argv[1]), encode(fake, {"inference": np.zeros(3)}))
os._exit(0)
"""
    results = judge(with_solution(EX4_NB, "ex4_dropout_forward", forge), "ex4_numpy_dropout")
    assert sum(r.points for r in results) == 0 and "could not be read" in results[0].message


def test_the_exercise_decides_from_raw_outputs_only():
    forge_valid = """
import os, sys, numpy as np
from autograder.sandbox.channel import encode
fake = {"status": "ok", "calls": {"inference": {"input_modified": False}}}
os.write(int(sys.argv[1]), encode(fake, {"inference": np.zeros(3)}))
os._exit(0)
"""
    results = points(judge(with_solution(EX4_NB, "ex4_dropout_forward", forge_valid), "ex4_numpy_dropout"))
    assert results == dict.fromkeys(results, 0)


def test_a_budget_shorter_than_the_sandbox_limits_is_a_grading_system_failure():
    with pytest.raises(JudgeFailure, match="judge_timeout"):
        judge(EX1_NB, budget=Budget(extract_seconds=60, train_seconds=600, judge_seconds=10))
