"""The real nbgrader pipeline, end to end, on a corpus of submissions, in the real sandbox.

generate_assignment -> students' notebooks placed in submitted/ -> ``course-grade``
(autograde with the sandboxed judge, generate_feedback, export) -> exact scores,
feedback files, the exported CSV, and the instructor's manual grading.

The corpus holds one submission per class of attack (tests/attacks.py), graded in the
same run as the honest ones with a blank canary after them: each attack must score
exactly what its honest part earns, and leave every file, grade and process of the
course as it was.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder.judge import solution_source
from autograder.nbgrader_cli import nbgrader
from autograder.tasks import EX1, EX3, EX4, EX6
from tests import attacks
from tests.helpers import ROOT, SOURCE, cell_index, with_solution

pytestmark = pytest.mark.slow

ASSIGNMENTS = ["ex1_add_dropout", "ex2_batch_normalization", "ex3_weight_regularization",
               "ex4_numpy_dropout", "ex5_explain", "ex6_choose_by_cv"]
SOLUTION_CELL = {"ex1_add_dropout": "ex1_build_model", "ex2_batch_normalization": "ex2_build_model",
                 "ex3_weight_regularization": "ex3_build_model", "ex4_numpy_dropout": "ex4_dropout_forward",
                 "ex6_choose_by_cv": "ex6_cv_code"}
MANUAL = {"ex5_a1", "ex5_a2", "ex5_a3", "ex6_justification"}  # graded by hand: 0 until the instructor does

GIVEN_EX1 = EX1.given_code

EX1_FUNCTIONAL = """
def build_model(n_features):
    inputs = keras.Input(shape=(n_features,))
    x = layers.Dropout(0.1)(inputs)
    for _ in range(2):
        x = layers.Dense(256, activation="relu")(x)
        x = layers.Dropout(0.5)(x)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))
"""

EX1_ADD_TF_KERAS = """
import tensorflow as tf

def build_model(n_features):
    model = tf.keras.Sequential()
    model.add(tf.keras.Input(shape=(n_features,)))
    model.add(tf.keras.layers.Dropout(rate=0.1))
    for _ in range(2):
        model.add(tf.keras.layers.Dense(256))
        model.add(tf.keras.layers.Activation("relu"))
        model.add(tf.keras.layers.Dropout(0.5))
    model.add(tf.keras.layers.Dense(10, activation="softmax"))
    return model
"""


EX1_HOSTILE_PATCHES = GIVEN_EX1 + """
# Replace the autograder's checks and Keras' training inside the learner's kernel.
import autograder.tasks.keras_task as kt
from autograder.checks.result import CheckResult
kt.KerasTask.check = lambda self, grade_id, *a, **k: CheckResult(grade_id, 99, 99, "PASSED")
kt.KerasTask.train = lambda self, *a, **k: {"loss": [0.0] * 80, "val_loss": [0.0] * 80,
                                            "accuracy": [1.0] * 80, "val_accuracy": [1.0] * 80}
keras.Model.fit = lambda self, *a, **k: None
"""

EX2_PRE_ACTIVATION = """
def build_model(n_features):
    model = keras.Sequential([keras.Input(shape=(n_features,)), layers.BatchNormalization()])
    for _ in range(2):
        model.add(layers.Dense(64, use_bias=False))
        model.add(layers.BatchNormalization())
        model.add(layers.Activation("relu"))
    model.add(layers.Dense(1))
    return model
"""

EX2_FIRST_LAYER_ONLY = """
def build_model(n_features):
    return keras.Sequential([keras.Input((n_features,)), layers.BatchNormalization(),
        layers.Dense(64, activation="relu"), layers.Dense(64, activation="relu"), layers.Dense(1)])
"""

EX2_FUNCTIONAL = """
def build_model(n_features):
    inputs = keras.Input(shape=(n_features,))
    x = layers.BatchNormalization()(inputs)
    for _ in range(2):
        x = layers.Dense(64, activation="relu")(x)
        x = layers.BatchNormalization()(x)
    return keras.Model(inputs, layers.Dense(1)(x))
"""

EX3_OUTPUT_PENALIZED = """
def build_model(n_features):
    p = regularizers.l2(0.01)
    return keras.Sequential([keras.Input((n_features,)), layers.Dense(512, activation="relu", kernel_regularizer=p),
        layers.Dense(512, activation="relu", kernel_regularizer=p), layers.Dense(1, kernel_regularizer=p)])
"""

EX3_ADD_TF_KERAS = """
import tensorflow as tf

def build_model(n_features):
    model = tf.keras.Sequential()
    model.add(tf.keras.Input(shape=(n_features,)))
    for _ in range(2):
        model.add(tf.keras.layers.Dense(512, kernel_regularizer=tf.keras.regularizers.L2(0.01)))
        model.add(tf.keras.layers.ReLU())
    model.add(tf.keras.layers.Dense(1))
    return model
"""



EX4_BINOMIAL = """
def dropout_forward(x, rate, training, rng):
    if not (0.0 <= rate < 1.0):
        raise ValueError("the drop rate must satisfy 0 <= rate < 1")
    if not training:
        return x
    mask = rng.binomial(1, 1.0 - rate, size=x.shape).astype(x.dtype)
    return x * mask / x.dtype.type(1.0 - rate)
"""


EX3_FUNCTIONAL_L1L2 = """
def build_model(n_features):
    inputs = keras.Input(shape=(n_features,))
    x = inputs
    for _ in range(2):
        x = layers.Dense(512, activation="relu", kernel_regularizer=keras.regularizers.L1L2(l1=0.0, l2=0.01))(x)
    return keras.Model(inputs, layers.Dense(1)(x))
"""



EX4_WHERE = """
def dropout_forward(x, rate, training, rng):
    if rate < 0 or rate >= 1:
        raise ValueError(f"rate {rate} is not a probability in [0, 1)")
    if not training:
        return x.copy()
    keep = 1.0 - rate
    return np.where(rng.uniform(size=x.shape) < keep, x / keep, 0).astype(x.dtype)
"""


def release_nb(course: Path, assignment: str) -> nbformat.NotebookNode:
    return nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)


def reference_code(assignment: str) -> str:
    nb = nbformat.read(SOURCE / assignment / f"{assignment}.ipynb", as_version=4)
    return solution_source(nb, SOLUTION_CELL[assignment])


def submit(course: Path, student: str, assignment: str, nb=None, *, raw: bytes | None = None,
           filename: str | None = None) -> None:
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (filename or f"{assignment}.ipynb")
    if raw is not None:
        path.write_bytes(raw)
    else:
        nbformat.write(nb, path)


def solved(course: Path, assignment: str, code: str | None = None) -> nbformat.NotebookNode:
    """The released notebook with the solution cell filled in, as a learner would."""
    return with_solution(release_nb(course, assignment), SOLUTION_CELL[assignment], code or reference_code(assignment))


def decided(nb: nbformat.NotebookNode, value: str) -> nbformat.NotebookNode:
    """Exercise 6 with its decision cell filled in."""
    return with_solution(nb, EX6.decision_cell, f"CHOSEN_L2 = {value}")


def honest_ex4_score(code: str) -> dict[str, float]:
    """What a dropout_forward earns on its own, graded here in the test process (trusted test code)."""
    from autograder.checks import dropout_numpy
    from autograder.sandbox.runner import keras_namespace, run_calls, run_solution

    fn = run_solution(code, EX4.function_name, keras_namespace())
    calls, arrays = dropout_numpy.plan()
    record = dropout_numpy.record_from_run(*run_calls(fn, calls, arrays))
    return {r.grade_id: r.points for r in EX4.grade_record(record)}


def add_attacks(course: Path, add, port: int) -> None:
    """One submission per class of attack; see tests/attacks.py."""
    a1, a4 = "ex1_add_dropout", "ex4_numpy_dropout"
    z1, full1 = {"ex1_structure": 0, "ex1_validation": 0}, {"ex1_structure": 3, "ex1_validation": 2}
    full4 = dict.fromkeys(EX4.grade_ids, 1)
    ref1, ref4 = reference_code(a1), reference_code(a4)
    package = Path(attacks.__file__).resolve().parent.parent / "autograder"
    sources = [course / "source" / a1 / f"{a1}.ipynb", SOURCE / a1 / f"{a1}.ipynb"]
    add(a1, "attack_writes_grader_package", z1, solved(course, a1, attacks.writes_grader_package(package) + GIVEN_EX1))
    add(a1, "attack_writes_gradebook", z1, solved(course, a1, attacks.writes_gradebook(course) + GIVEN_EX1))
    add(a1, "attack_overwrites_submissions", full1,
        solved(course, a1, attacks.overwrites_submissions(course, a1) + ref1))
    add(a1, "attack_reads_submission", z1,
        solved(course, a1, GIVEN_EX1 + attacks.reads_submission(course, "reference", a1, EX1.solution_cell)))
    add(a1, "attack_reads_source_notebooks", z1,
        solved(course, a1, GIVEN_EX1 + attacks.reads_source_notebooks(sources, EX1.solution_cell)))
    add(a1, "attack_kills_graders", full1, solved(course, a1, attacks.kills_graders() + ref1))
    add(a1, "attack_opens_network", full1, solved(course, a1, attacks.opens_network(port) + ref1))
    add(a1, "attack_leaves_daemon", full1, solved(course, a1, attacks.leaves_daemon() + ref1))
    add(a1, "attack_reused_layer_model", full1, solved(course, a1, attacks.REUSED_LAYER))
    add(a4, "attack_exhausts_memory", full4, solved(course, a4, attacks.exhausts_memory() + ref4))
    add(a4, "attack_exhausts_processes", full4, solved(course, a4, attacks.exhausts_processes() + ref4))
    add(a4, "attack_exhausts_disk", full4, solved(course, a4, attacks.exhausts_disk() + ref4))
    add(a4, "attack_forges_record", honest_ex4_score(attacks.HONEST_RETURN_X),
        solved(course, a4, attacks.forges_record() + attacks.HONEST_RETURN_X))
    a6 = "ex6_choose_by_cv"
    full6 = {**dict.fromkeys(["ex6_folds_partition", "ex6_folds_stratified", "ex6_cv_loop", "ex6_choose"], 1),
             "ex6_decision": 0, "ex6_justification": 0}
    add(a6, "attack_peeks_and_patches_checks", full6,
        decided(solved(course, a6, reference_code(a6) + "\n" + attacks.patches_choice_checks(course)), "0.1"))
    # The canaries: blank submissions graded after every attack (names sort last).
    add(a1, "zz_canary", z1, release_nb(course, a1))
    add(a4, "zz_canary", dict.fromkeys(EX4.grade_ids, 0), release_nb(course, a4))
    add(a6, "zz_canary", dict.fromkeys(full6, 0), release_nb(course, a6))


def build_corpus(course: Path, port: int) -> dict[str, dict[str, dict[str, float]]]:
    """Place every submission; return the exact per-part scores each must get."""
    a1, a2, a3, a4, a5, a6 = ASSIGNMENTS
    z1 = {"ex1_structure": 0, "ex1_validation": 0}
    full1 = {"ex1_structure": 3, "ex1_validation": 2}
    expected: dict[str, dict[str, dict[str, float]]] = {a: {} for a in ASSIGNMENTS}

    def add(assignment, student, scores, nb=None, **kw):
        submit(course, student, assignment, nb, **kw)
        expected[assignment][student] = scores

    # ----- exercise 1: reference, untouched, wrong answers, correct variants, hostile cases
    add(a1, "reference", full1, solved(course, a1))
    add(a1, "reference_again", full1, solved(course, a1))
    add(a1, "untouched", z1, release_nb(course, a1))
    add(a1, "wrong_given_model", z1, solved(course, a1, GIVEN_EX1))
    add(a1, "wrong_rates_swapped", z1, solved(course, a1, EX1.wrong_answers()["rates_swapped"]))
    add(a1, "variant_functional", full1, solved(course, a1, EX1_FUNCTIONAL))
    add(a1, "variant_add_tf_keras", full1, solved(course, a1, EX1_ADD_TF_KERAS))
    add(a1, "hostile_exception", z1, solved(course, a1, "raise RuntimeError('my code is broken')"))
    add(a1, "hostile_missing_function", z1, solved(course, a1, "def make_model(n):\n    return None"))
    add(a1, "hostile_infinite_loop", z1, solved(course, a1, "while True:\n    pass"))
    add(a1, "hostile_enormous_model", z1, solved(course, a1, GIVEN_EX1.replace("256", "8192")))
    add(a1, "hostile_patches_autograder_and_keras", z1, solved(course, a1, EX1_HOSTILE_PATCHES))
    add(a1, "hostile_exits_after_building", z1,
        solved(course, a1, reference_code(a1) + "\nimport os\nos._exit(0)\n"))
    edited = solved(course, a1, GIVEN_EX1)
    for gid in ("ex1_structure", "ex1_validation"):
        edited.cells[cell_index(edited, gid)].source = "print('all good')"
    add(a1, "hostile_edits_test_cells", z1, edited)
    deleted = solved(course, a1)
    deleted.cells = [c for c in deleted.cells
                     if c.metadata.get("nbgrader", {}).get("grade_id") not in ("ex1_structure", "ex1_validation")]
    add(a1, "deletes_test_cells_but_correct", full1, deleted)
    add(a1, "hostile_truncated_notebook", z1,
        raw=nbformat.writes(solved(course, a1)).encode()[:5000])
    add(a1, "hostile_renamed_notebook", z1, solved(course, a1), filename="my_solution.ipynb")

    # ----- exercise 2
    z2, full2 = {"ex2_structure": 0, "ex2_validation": 0}, {"ex2_structure": 3, "ex2_validation": 2}
    add(a2, "reference", full2, solved(course, a2))
    add(a2, "untouched", z2, release_nb(course, a2))
    given2 = ("def build_model(n_features):\n    return keras.Sequential([keras.Input((n_features,)), "
              "layers.Dense(64, activation='relu'), layers.Dense(64, activation='relu'), layers.Dense(1)])")
    add(a2, "wrong_no_batchnorm", z2, solved(course, a2, given2))
    add(a2, "wrong_first_layer_only", z2, solved(course, a2, EX2_FIRST_LAYER_ONLY))
    add(a2, "variant_pre_activation", full2, solved(course, a2, EX2_PRE_ACTIVATION))
    add(a2, "variant_functional", full2, solved(course, a2, EX2_FUNCTIONAL))

    # ----- exercise 3
    z3, full3 = {"ex3_structure": 0, "ex3_validation": 0}, {"ex3_structure": 3, "ex3_validation": 2}
    add(a3, "reference", full3, solved(course, a3))
    add(a3, "untouched", z3, release_nb(course, a3))
    add(a3, "wrong_penalty_too_weak", z3, solved(course, a3, EX3.wrong_answers()["penalty_too_weak"]))
    # penalizing the output layer as well is not what was asked, but it does regularize
    add(a3, "wrong_output_penalized_too", {"ex3_structure": 0, "ex3_validation": 2},
        solved(course, a3, EX3_OUTPUT_PENALIZED))
    add(a3, "variant_functional_l1l2", full3, solved(course, a3, EX3_FUNCTIONAL_L1L2))
    add(a3, "variant_add_tf_keras", full3, solved(course, a3, EX3_ADD_TF_KERAS))

    # ----- exercise 4
    parts4 = ["ex4_inference_identity", "ex4_zero_fraction", "ex4_survivor_scaling", "ex4_mean_preserved",
              "ex4_shape_dtype", "ex4_bad_rate"]
    add(a4, "reference", dict.fromkeys(parts4, 1), solved(course, a4))
    add(a4, "untouched", dict.fromkeys(parts4, 0), release_nb(course, a4))
    add(a4, "wrong_vanilla_dropout", {**dict.fromkeys(parts4, 1), "ex4_inference_identity": 0,
                                      "ex4_survivor_scaling": 0, "ex4_mean_preserved": 0},
        solved(course, a4, EX4.wrong_answers()["vanilla_dropout"]))
    add(a4, "wrong_no_rate_check", {**dict.fromkeys(parts4, 1), "ex4_bad_rate": 0},
        solved(course, a4, EX4.wrong_answers()["no_rate_check"]))
    add(a4, "wrong_global_rng", {**dict.fromkeys(parts4, 1), "ex4_zero_fraction": 0},
        solved(course, a4, EX4.wrong_answers()["global_rng"]))
    add(a4, "wrong_rate_as_keep_probability", {**dict.fromkeys(parts4, 1), "ex4_zero_fraction": 0,
                                               "ex4_survivor_scaling": 0},
        solved(course, a4, EX4.wrong_answers()["rate_as_keep_probability"]))
    add(a4, "variant_np_where", dict.fromkeys(parts4, 1), solved(course, a4, EX4_WHERE))
    add(a4, "variant_binomial_mask", dict.fromkeys(parts4, 1), solved(course, a4, EX4_BINOMIAL))

    # ----- exercise 5 (manually graded): answered and untouched
    answered = release_nb(course, a5)
    for gid in ("ex5_a1", "ex5_a2", "ex5_a3"):
        answered.cells[cell_index(answered, gid)].source = "The validation loss rises while training loss falls."
    add(a5, "reference", {"ex5_a1": 0, "ex5_a2": 0, "ex5_a3": 0}, answered)
    add(a5, "untouched", {"ex5_a1": 0, "ex5_a2": 0, "ex5_a3": 0}, release_nb(course, a5))
    # ----- exercise 6: the code (4 points), the decision (2), the justification (by hand)
    parts6 = {**dict.fromkeys(["ex6_folds_partition", "ex6_folds_stratified", "ex6_cv_loop", "ex6_choose"], 1),
              "ex6_decision": 2, "ex6_justification": 0}
    add(a6, "reference", parts6, decided(solved(course, a6), "0.01"))
    add(a6, "untouched", dict.fromkeys(parts6, 0), release_nb(course, a6))
    add(a6, "wrong_unstratified", {**parts6, "ex6_folds_stratified": 0},
        decided(solved(course, a6, EX6.wrong_answers()["unstratified"]), "0.01"))
    add(a6, "wrong_decision", {**parts6, "ex6_decision": 0}, decided(solved(course, a6), "0.001"))
    add(a6, "decision_without_code", {**dict.fromkeys(parts6, 0), "ex6_decision": 2},
        decided(release_nb(course, a6), "1e-2"))
    add(a6, "hostile_decision_computed", {**parts6, "ex6_decision": 0},
        with_solution(solved(course, a6), EX6.decision_cell, "CHOSEN_L2 = choose(list(task.candidates), losses)"))
    add_attacks(course, add, port)
    return expected


def make_course(tmp: Path, extra_config: str = "") -> Path:
    course = tmp / "course"
    shutil.copytree(SOURCE, course / "source")
    config = (ROOT / "exercises" / "nbgrader_config.py").read_text()
    # Shorter limits than production so the hostile cases do not dominate the test's run time.
    config += "\nc.JudgeInSandbox.sandbox_timeout = 45\n" + extra_config
    (course / "nbgrader_config.py").write_text(config)
    for assignment in ASSIGNMENTS:
        nbgrader("generate_assignment", assignment, "--log-level=WARN", course_dir=course, capture=True)
    return course


def course_grade(course: Path, assignment: str, *options: str) -> subprocess.CompletedProcess:
    """``course-grade`` as an instructor runs it; two workers unless ``options`` say otherwise."""
    options = options or ("--workers", "2")
    return subprocess.run([sys.executable, "-m", "autograder.instructor", assignment, "--course", str(course),
                           *options], capture_output=True, text=True, stdin=subprocess.DEVNULL)


def read_report(course: Path) -> dict[str, dict[str, str]]:
    with (course / "grading_report.csv").open() as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def tree_digest(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """sha256 of every file under ``root`` (caches and ``skip``ped names aside)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and not any(s in p.parts for s in skip)}


def survivors() -> str:
    return subprocess.run(["pgrep", "-af", attacks.MARKER], capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("e2e"))
    server = socket.socket()  # what the network attack tries to reach
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.1)
    expected = build_corpus(course, server.getsockname()[1])
    before = {"package": tree_digest(ROOT / "autograder"), "repo_sources": tree_digest(SOURCE),
              "course_sources": tree_digest(course / "source"),
              "submissions": tree_digest(course / "submitted", skip=("hostile_truncated_notebook",))}
    runs = {}
    for assignment in ASSIGNMENTS:
        proc = course_grade(course, assignment)
        runs[assignment] = (proc, read_report(course), (course / "grades.csv").read_text())
    time.sleep(10)  # longer than the gradebook attack's background process would wait
    after = {"package": tree_digest(ROOT / "autograder"), "repo_sources": tree_digest(SOURCE),
             "course_sources": tree_digest(course / "source"),
             "submissions": tree_digest(course / "submitted", skip=("hostile_truncated_notebook",))}
    try:
        connection = server.accept()
    except (TimeoutError, OSError):
        connection = None
    server.close()
    return course, expected, runs, {"before": before, "after": after, "connection": connection,
                                    "survivors": survivors()}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_submission_gets_its_exact_score(graded, assignment):
    course, expected, runs, _ = graded
    proc, report, _ = runs[assignment]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert set(report) == set(expected[assignment])
    for student, parts in expected[assignment].items():
        got = {part: float(report[student][part]) for part in parts}
        assert got == parts, f"{student}: {got} != {parts}\nnotes: {report[student]['notes']}"
        assert float(report[student]["score"]) == sum(parts.values())
        assert report[student]["system_failure"] == ""


def test_summary_table_and_progress_are_printed(graded):
    _, _, runs, _ = graded
    proc, _, _ = runs["ex1_add_dropout"]
    assert "student" in proc.stdout and "ex1_structure" in proc.stdout
    assert "reference" in proc.stdout and "5/5" in proc.stdout
    assert "grading ex1_add_dropout" in proc.stderr  # tqdm's bar, with its rate and the time left
    assert re.search(r"\d+/\d+ \[[\d:]+<[\d:]+, +[\d.]+(s/submission|submission/s)\]", proc.stderr)


def test_unreadable_and_renamed_notebooks_are_explained_and_kept(graded):
    course, _, runs, _ = graded
    report = runs["ex1_add_dropout"][1]
    assert "not a readable notebook" in report["hostile_truncated_notebook"]["notes"]
    kept = course / "submitted" / "hostile_truncated_notebook" / "ex1_add_dropout" / "ex1_add_dropout.ipynb.unreadable"
    assert kept.exists()
    assert "was it renamed?" in report["hostile_renamed_notebook"]["notes"]
    assert "my_solution.ipynb" in report["hostile_renamed_notebook"]["notes"]


def judged_text(course: Path, student: str, assignment: str, grade_id: str) -> str:
    nb = nbformat.read(course / "autograded" / student / assignment / f"{assignment}.ipynb", as_version=4)
    cell = nb.cells[cell_index(nb, grade_id)]
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_feedback_tells_the_learner_why(graded):
    course, _, _, _ = graded
    html = (course / "feedback" / "wrong_given_model" / "ex1_add_dropout" / "ex1_add_dropout.html").read_text()
    assert "no Dropout after the input" in html
    assert "did not finish within 45 s" in judged_text(course, "hostile_infinite_loop", "ex1_add_dropout",
                                                       "ex1_structure")
    assert "1,000,000" in judged_text(course, "hostile_enormous_model", "ex1_add_dropout", "ex1_structure")


def test_same_submission_same_grade_and_learner_sees_the_graded_number(graded):
    course, _, _, _ = graded
    first = judged_text(course, "reference", "ex1_add_dropout", "ex1_validation")
    again = judged_text(course, "reference_again", "ex1_add_dropout", "ex1_validation")
    assert first == again
    graded_value = re.search(r"= (\d+\.\d{4})", first).group(1)
    # What the learner's `task.train(build_model)` prints in the notebook, run here as the learner would.
    from autograder.calibrate import builder

    seen = EX1.score(EX1.train(builder(EX1, reference_code("ex1_add_dropout"))))
    assert f"{seen:.4f}" == graded_value
    assert float(graded_value) < EX1.bound


def test_feedback_shows_the_graders_learning_curves(graded):
    course, _, _, _ = graded
    html = (course / "feedback" / "reference" / "ex1_add_dropout" / "ex1_add_dropout.html").read_text()
    assert "data:image/png;base64" in html
    nb = nbformat.read(course / "autograded" / "reference" / "ex1_add_dropout" / "ex1_add_dropout.ipynb",
                       as_version=4)
    [figure] = [o for o in nb.cells[cell_index(nb, "ex1_validation")].outputs if o.output_type == "display_data"]
    assert figure.data["text/plain"] == "<learning curves: your model, the given model>"
    assert len(list((course / ".grading_cache").glob("given-ex1_add_dropout-*.json"))) == 1


def test_attacks_leave_files_grades_and_processes_untouched(graded):
    course, expected, runs, trace = graded
    before, after = trace["before"], trace["after"]
    for what in before:
        changed = {k for k in before[what].keys() | after[what].keys() if before[what].get(k) != after[what].get(k)}
        assert not changed, f"{what}: {sorted(changed)[:5]}"
    assert trace["connection"] is None, "a submission reached a server on this machine"
    assert trace["survivors"] == "", trace["survivors"]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "keras-regularization") as gb:
        for assignment, students in expected.items():
            for student, parts in students.items():
                if assignment == "ex5_explain":
                    continue
                submission = gb.find_submission(assignment, student)
                got = {g.name: float(g.score) for nb in submission.notebooks for g in nb.grades
                       if g.name not in MANUAL}
                assert got == {k: v for k, v in parts.items() if k not in MANUAL}, (assignment, student)


def test_every_row_says_how_it_was_isolated(graded):
    _, _, runs, _ = graded
    assert {row["isolation"] for _, report, _ in runs.values() for row in report.values()} == {"bubblewrap"}


def test_without_bubblewrap_course_grade_refuses_and_says_how_to_install_it(tmp_path):
    course = make_course(tmp_path)
    submit(course, "someone", "ex4_numpy_dropout", solved(course, "ex4_numpy_dropout"))
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)}  # no /usr/bin: no bwrap
    proc = subprocess.run([sys.executable, "-m", "autograder.instructor", "ex4_numpy_dropout", "--course",
                           str(course)], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and "apt-get install bubblewrap" in proc.stderr
    assert not (course / "autograded").exists()
    proc = subprocess.run([sys.executable, "-m", "autograder.instructor", "ex4_numpy_dropout", "--course",
                           str(course), "--unsandboxed"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    row = read_report(course)["someone"]
    assert row["isolation"] == "UNSANDBOXED" and float(row["score"]) == 6.0
    assert "UNSANDBOXED" in proc.stdout


def test_grades_are_exported_and_manual_grades_flow_through(graded):
    course, expected, runs, _ = graded
    rows = list(csv.DictReader(runs["ex1_add_dropout"][2].splitlines()))
    by_student = {r["student_id"]: r for r in rows if r["assignment"] == "ex1_add_dropout"}
    assert float(by_student["reference"]["score"]) == 5.0
    assert float(by_student["untouched"]["score"]) == 0.0

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "keras-regularization") as gb:
        grade = gb.find_grade("ex5_a1", "ex5_explain", "ex5_explain", "reference")
        assert grade.needs_manual_grade
        grade.manual_score = 1.5
        gb.db.commit()
        assert gb.find_submission("ex5_explain", "reference").score == 1.5
    nbgrader("export", "--to=after_manual.csv", "--log-level=WARN", course_dir=course, capture=True)
    rows = list(csv.DictReader((course / "after_manual.csv").open()))
    ex5 = {r["student_id"]: r for r in rows if r["assignment"] == "ex5_explain"}
    assert float(ex5["reference"]["score"]) == 1.5


def test_grading_system_failure_exits_nonzero_but_grades_the_rest(tmp_path):
    course = make_course(tmp_path, extra_config="c.JudgeInSandbox.judge_timeout = 0.01\n")
    submit(course, "someone", "ex4_numpy_dropout", solved(course, "ex4_numpy_dropout"))
    proc = course_grade(course, "ex4_numpy_dropout")
    assert proc.returncode == 1
    assert "GRADING SYSTEM FAILURE for someone" in proc.stderr
    report = read_report(course)
    assert "judge_timeout" in report["someone"]["system_failure"]
    json.dumps(report)  # the report is plain data an instructor can archive
