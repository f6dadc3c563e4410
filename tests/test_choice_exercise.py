"""Exercise 6, the decision: the checks of its code, the reading of the decision, the tolerance, and
the judge on typical, broken and hostile notebooks in the real sandbox.

The pure tests run the learner-side protocol (``run_plan``) in this process on the instructor's own
code and its typical mistakes; the judged tests go through the sandbox, with the grader's reference
cross-validation computed once for the module (about 30 s) and kept in a cache directory, as a
course keeps it.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.checks import cross_validation as cv
from autograder.judge import Budget, judge_notebook, solution_source
from autograder.tasks import EX6
from autograder.tasks.ex6_choose_by_cv import REFERENCE
from tests.helpers import SOURCE, with_solution

NOTEBOOK = SOURCE / "ex6_choose_by_cv" / "ex6_choose_by_cv.ipynb"
FUNCTION_PARTS = ("ex6_folds_partition", "ex6_folds_stratified", "ex6_cv_loop", "ex6_choose")

# Each typical mistake loses exactly the part that covers it.
LOSES = {"unstratified": "ex6_folds_stratified", "unseeded_folds": "ex6_folds_partition",
         "trains_on_everything": "ex6_cv_loop", "transposed_table": "ex6_cv_loop",
         "best_single_fold": "ex6_choose", "index_not_value": "ex6_choose"}


def graded_in_process(code: str) -> dict[str, float]:
    namespace = {"np": np}
    exec(compile(code, "<cell>", "exec"), namespace)
    calls, arrays = EX6.plan()
    record, outputs = cv.run_plan(namespace, calls, arrays)
    return {r.grade_id: r.points for r in EX6.grade_record(record, outputs)}


def test_the_instructors_code_earns_every_code_point_and_is_the_notebooks():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    source = solution_source(nb, EX6.solution_cell)
    assert graded_in_process(source) == dict.fromkeys(FUNCTION_PARTS, 1)
    assert graded_in_process(REFERENCE) == dict.fromkeys(FUNCTION_PARTS, 1)
    assert set(LOSES) == set(EX6.wrong_answers())


@pytest.mark.parametrize("mistake", sorted(LOSES))
def test_each_typical_mistake_loses_exactly_its_point(mistake):
    got = graded_in_process(EX6.wrong_answers()[mistake])
    assert got == {part: 0 if part == LOSES[mistake] else 1 for part in FUNCTION_PARTS}


def test_folds_checks_catch_what_a_partition_and_stratification_forbid():
    y = cv.skewed_labels()
    good = [(np.setdiff1d(np.arange(len(y)), v), v) for v in np.array_split(np.argsort(y, kind="stable"), 1)]
    assert cv.folds_problems(good, len(y), 1, "f") == []
    overlapping = [(np.arange(len(y)), np.arange(5))]
    assert "trains on rows it also validates on" in cv.folds_problems(overlapping, len(y), 1, "f")[0]
    out_of_range = [(np.arange(10), np.arange(10, len(y) + 1))]
    assert "outside" in cv.folds_problems(out_of_range, len(y), 1, "f")[0]
    by_class = [(np.where(y != c)[0], np.where(y == c)[0]) for c in range(3)]  # one class per fold
    assert cv.folds_problems(by_class, len(y), 3, "f") == []
    assert cv.stratification_problems(by_class, y, "f")


@pytest.mark.parametrize(("cell", "expected"), [
    ("CHOSEN_L2 = 0.01", 0.01),
    ("# chosen by 5-fold CV\nCHOSEN_L2 = 1e-2  # lowest mean", 0.01),
    ("CHOSEN_L2 = 0\n", 0.0),
    ("CHOSEN_L2 = 0.1\nCHOSEN_L2 = 0.001", 0.001),
])
def test_the_decision_is_read_without_running_anything(cell, expected):
    assert cv.parse_decision(cell) == expected


@pytest.mark.parametrize(("cell", "fragment"), [
    ("CHOSEN_L2 = choose(candidates, losses)", "plain number"),
    ("CHOSEN_L2 = __import__('os').system('id')", "plain number"),
    ("chosen = 0.01", "does not assign CHOSEN_L2"),
    ("CHOSEN_L2 = 'small'", "must be a number"),
    ("CHOSEN_L2 = True", "must be a number"),
    ("CHOSEN_L2 = float('nan')", "plain number"),
    ("CHOSEN_L2 = (", "not valid Python"),
    (None, "missing"),
])
def test_a_decision_that_is_not_a_plain_number_is_refused_with_a_reason(cell, fragment):
    with pytest.raises(ValueError, match=fragment):
        cv.parse_decision(cell)


def test_the_tolerance_accepts_what_the_folds_cannot_separate_and_only_that():
    candidates = [0.0, 1e-3, 1e-2, 1e-1]
    losses = np.array([
        [2.4, 2.2, 2.6, 2.3, 2.5],   # clearly worse on every fold
        [1.40, 1.22, 1.38, 1.24, 1.36],  # within noise of the best: wins two folds, loses three
        [1.30, 1.30, 1.30, 1.30, 1.30],  # the best mean
        [2.3, 2.3, 2.3, 2.3, 2.3],
    ])
    assert set(cv.accepted(candidates, losses)) == {1e-3, 1e-2}
    assert cv.check_decision(0.01, candidates, losses, "d", 2).points == 2
    assert cv.check_decision(0.001, candidates, losses, "d", 2).points == 2
    rejected = cv.check_decision(0.0, candidates, losses, "d", 2)
    assert rejected.points == 0 and "prefers λ = 0.01" in rejected.message
    assert "validation and test images play no part" in rejected.message
    assert "not one of the candidates" in cv.check_decision(0.5, candidates, losses, "d", 2).message


def test_the_reference_uses_the_training_images_only():
    from autograder.data import load_small_digits

    x, y = EX6.training_data()
    task = load_small_digits()
    assert np.array_equal(x, task.x_train) and np.array_equal(y, task.y_train)
    folds = EX6.reference_folds()
    assert np.array_equal(np.sort(np.concatenate([v for _, v in folds])), np.arange(len(y)))
    assert cv.folds_problems([(np.asarray(t), np.asarray(v)) for t, v in folds], len(y), EX6.k, "ref") == []


# ----- through the judge and the real sandbox -------------------------------------------------------

QUICK = Budget(extract_seconds=60, train_seconds=300)


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    """Judge notebooks against one reference table, computed once in its own sandbox and cached."""
    import nbformat

    cache = tmp_path_factory.mktemp("grading_cache")
    nb = nbformat.read(NOTEBOOK, as_version=4)

    def run(solution: str | None = None, decision: str | None = None, budget: Budget = QUICK) -> dict:
        notebook = nb
        if solution is not None:
            notebook = with_solution(notebook, EX6.solution_cell, solution)
        if decision is not None:
            notebook = with_solution(notebook, EX6.decision_cell, decision)
        results = judge_notebook(notebook, EX6.name, budget=budget, cache_dir=cache).results
        return {r.grade_id: r for r in results}

    run.cache = cache
    return run


@pytest.mark.slow
def test_the_instructors_notebook_earns_every_autograded_point_and_the_reference_is_kept(judged):
    results = judged()
    assert {g: r.points for g, r in results.items()} == {**dict.fromkeys(FUNCTION_PARTS, 1), "ex6_decision": 2}
    assert "λ=0.01: " in results["ex6_decision"].message
    assert len(list(judged.cache.glob("reference-ex6_choose_by_cv-*.json"))) == 1


@pytest.mark.slow
@pytest.mark.parametrize("mistake", sorted(LOSES))
def test_in_the_sandbox_each_mistake_loses_exactly_its_point(judged, mistake):
    results = judged(EX6.wrong_answers()[mistake])
    expected = {part: 0 if part == LOSES[mistake] else 1 for part in FUNCTION_PARTS}
    assert {g: r.points for g, r in results.items() if g in FUNCTION_PARTS} == expected
    assert results["ex6_decision"].points == 2


@pytest.mark.slow
def test_decisions_the_grader_cross_validation_does_not_support_score_zero(judged):
    for wrong in ("0.0", "0.001", "0.1"):
        result = judged(decision=f"CHOSEN_L2 = {wrong}")["ex6_decision"]
        assert result.points == 0 and "prefers λ = 0.01" in result.message
    result = judged(decision="CHOSEN_L2 = choose(list(task.candidates), losses)")["ex6_decision"]
    assert result.points == 0 and "plain number" in result.message


@pytest.mark.slow
def test_a_broken_code_cell_loses_its_points_but_not_the_decision(judged):
    results = judged("raise RuntimeError('half-finished')")
    assert all(results[p].points == 0 and "half-finished" in results[p].message for p in FUNCTION_PARTS)
    assert results["ex6_decision"].points == 2
    results = judged("while True:\n    pass", budget=Budget(extract_seconds=10, train_seconds=300))
    assert all(results[p].points == 0 for p in FUNCTION_PARTS) and results["ex6_decision"].points == 2


@pytest.mark.slow
def test_peeking_and_patching_in_the_sandbox_gain_nothing(judged):
    """The cell reads the held-out images, patches the checks and tries to write the cached reference:
    inside the sandbox all of that is possible or harmless, and none of it reaches the grade."""
    cache_file = next(judged.cache.glob("reference-*.json"), None) or judged.cache / "reference-x.json"
    hostile = REFERENCE + f"""
import autograder.checks.cross_validation as c
from autograder.data import load_small_digits
peek = load_small_digits()  # the held-out images are readable here, and useless for the grade
c.accepted = lambda candidates, losses: {{float(x): (0.0, 0.0) for x in candidates}}
c.check_decision = lambda *a, **k: None
try:
    open({str(cache_file)!r}, "w").write("[[0, 0, 0, 0, 0]]")
except OSError:
    pass
"""
    before = cache_file.read_bytes() if cache_file.exists() else None
    results = judged(hostile, decision="CHOSEN_L2 = 0.1")
    assert results["ex6_decision"].points == 0
    assert {g: r.points for g, r in results.items() if g in FUNCTION_PARTS} == dict.fromkeys(FUNCTION_PARTS, 1)
    assert (cache_file.read_bytes() if cache_file.exists() else None) == before


# ----- the learner's side: the notebook run top to bottom in a real kernel -----------------------------

def learner_notebook(solution: str | None = None):
    """The notebook as a learner has it once the cells are typed in: solutions present, hidden tests gone."""
    import nbformat
    from nbgrader.preprocessors import ClearHiddenTests

    nb = nbformat.read(NOTEBOOK, as_version=4)
    if solution is not None:
        nb = with_solution(nb, EX6.solution_cell, solution)
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    return nb


def execute(nb, cwd):
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def stream(nb, grade_id: str) -> str:
    from tests.helpers import cell_index

    return "".join(o.get("text", "") for o in nb.cells[cell_index(nb, grade_id)].outputs if o.output_type == "stream")


@pytest.mark.slow
def test_a_learner_sees_every_self_check_pass_and_the_graders_own_numbers(judged, tmp_path):
    import json
    import re

    judged()  # the grader's reference table, in the module's cache
    [cache] = judged.cache.glob("reference-*.json")
    grader_means = np.asarray(json.loads(cache.read_text())).mean(axis=1)
    nb = execute(learner_notebook(), tmp_path)
    for part in FUNCTION_PARTS:
        assert "Error" not in stream(nb, part)
    assert "CHOSEN_L2 = 0.01 is what your cross-validation chose." in stream(nb, "ex6_decision")
    printed = stream(nb, "ex6_run")
    learner_means = [float(m) for m in re.findall(r"^\s*[\d.e+-]+\s+(\d+\.\d{3})\s+\d+\.\d{3}$", printed, re.M)]
    assert learner_means == [round(m, 3) for m in grader_means], printed
    figures = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if o.output_type == "display_data" and "image/png" in o.data]
    assert figures, "the cross-validation plot is missing"


@pytest.mark.slow
def test_a_learners_mistake_fails_its_visible_check_with_the_reason(tmp_path):
    from nbclient.exceptions import CellExecutionError

    with pytest.raises(CellExecutionError, match="a class's count differs by more than 1"):
        execute(learner_notebook(EX6.wrong_answers()["unstratified"]), tmp_path)
