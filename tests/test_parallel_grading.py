"""Grading a class on Dask: the same grades whatever the schedule, a killed worker's task retried, runs resumable.

The corpus: every exercise-4 submission of the end-to-end corpus (honest, wrong, hostile)
and three exercise-1 ones (the reference, the given model, a reused layer), so each
schedule grades short and long tasks side by side.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from tests import attacks
from tests.test_nbgrader_e2e import build_corpus, course_grade, make_course, solved, submit

pytestmark = pytest.mark.slow
A1, A4 = "ex1_add_dropout", "ex4_numpy_dropout"


def make_class(tmp: Path) -> tuple[Path, dict[str, dict[str, float]]]:
    course = make_course(tmp)
    expected = build_corpus(course, port=9)  # port 9 (discard): nothing listens, nothing is reached
    keep1 = {"reference": 5, "wrong_given_model": 0, "attack_reused_layer_model": 5}
    for folder in sorted((course / "submitted").iterdir()):
        for assignment in [p.name for p in folder.iterdir()]:
            if assignment != A4 and not (assignment == A1 and folder.name in keep1):
                subprocess.run(["rm", "-rf", str(folder / assignment)], check=True)
    return course, {A4: expected[A4], A1: {s: expected[A1][s] for s in keep1}}


def judged_messages(course: Path, assignment: str) -> dict[str, str]:
    """Every judged cell's text in the autograded notebooks, by student and cell."""
    found = {}
    for path in sorted((course / "autograded").glob(f"*/{assignment}/{assignment}.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            if cell.cell_type == "code" and cell.get("outputs") and gid.startswith(assignment[:3]):
                text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
                found[f"{path.parts[-3]}/{gid}"] = text
    return found


def grade_all(course: Path, *options: str) -> dict:
    out = {}
    for assignment in (A4, A1):
        proc = course_grade(course, assignment, *options)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        out[assignment] = judged_messages(course, assignment)
    out["grades.csv"] = (course / "grades.csv").read_text()
    return out


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    course, expected = make_class(tmp_path_factory.mktemp("serial"))
    return course, expected, grade_all(course, "--workers", "1")


def test_serial_grades_are_the_expected_ones(serial):
    course, expected, result = serial
    rows = csv.DictReader(result["grades.csv"].splitlines())
    scores = {(r["assignment"], r["student_id"]): float(r["score"]) for r in rows}
    for assignment, students in expected.items():
        for student, parts in students.items():
            want = sum(parts.values()) if isinstance(parts, dict) else parts
            assert scores[(assignment, student)] == want, (assignment, student)


def test_two_workers_give_byte_identical_grades_and_messages(serial, tmp_path):
    course, _ = make_class(tmp_path)
    assert grade_all(course, "--workers", "2") == serial[2]


def start_cluster(tmp: Path) -> tuple[str, list[subprocess.Popen]]:
    """A scheduler and two single-threaded worker processes on this machine, as an instructor would start them."""
    dask = str(Path(sys.executable).parent / "dask")
    scheduler_file = tmp / "scheduler.json"
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(scheduler_file)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    deadline = time.monotonic() + 60
    while not scheduler_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    for name in ("w1", "w2"):
        procs.append(subprocess.Popen([dask, "worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1",
                                       "--no-nanny", "--no-dashboard", "--memory-limit", "0", "--name", name,
                                       "--host", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    address = json.loads(scheduler_file.read_text())["address"]
    from dask.distributed import Client

    with Client(address, timeout="30s") as client:
        client.wait_for_workers(2, timeout=60)
    return address, procs


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def test_a_dask_cluster_gives_the_same_grades_even_when_a_worker_dies(serial, tmp_path):
    course, _ = make_class(tmp_path)
    address, procs = start_cluster(tmp_path)
    try:
        out = {}
        proc = course_grade(course, A4, "--scheduler", address)
        assert proc.returncode == 0, proc.stderr[-3000:]
        out[A4] = judged_messages(course, A4)
        grading = subprocess.Popen([sys.executable, "-m", "autograder.instructor", A1, "--course", str(course),
                                    "--scheduler", address], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, stdin=subprocess.DEVNULL)
        doomed, killed = procs[1], False
        deadline = time.monotonic() + 120
        while grading.poll() is None and time.monotonic() < deadline and not killed:
            if descendants(doomed.pid):  # w1 is running a sandbox: it is mid-task
                time.sleep(1.0)
                doomed.send_signal(signal.SIGKILL)
                killed = True
            time.sleep(0.1)
        stdout, stderr = grading.communicate(timeout=900)
        assert killed, "the worker to kill never started a task"
        assert grading.returncode == 0, stdout[-3000:] + stderr[-3000:]
        out[A1] = judged_messages(course, A1)
        out["grades.csv"] = (course / "grades.csv").read_text()
    finally:
        for p in procs:
            p.kill()
            p.wait()
    assert out == serial[2]


def test_a_killed_run_resumes_and_an_unchanged_class_is_not_regraded(serial, tmp_path):
    course, _ = make_class(tmp_path)
    results = course / ".grading_cache" / "results" / A4
    run = subprocess.Popen([sys.executable, "-m", "autograder.instructor", A4, "--course", str(course),
                            "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    deadline = time.monotonic() + 300
    while run.poll() is None and len(list(results.glob("*.json"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)  # Ctrl-C's rough cousin: the coordinator and its workers, at once
    run.wait()
    kept = len(list(results.glob("*.json")))
    assert 4 <= kept < len(serial[1][A4]), kept
    again = course_grade(course, A4)
    assert again.returncode == 0, again.stderr[-3000:]
    graded_now = int(again.stdout.split(" graded now")[0].rsplit("(", 1)[1])
    assert graded_now == len(serial[1][A4]) - kept
    assert judged_messages(course, A4) == serial[2][A4]
    unchanged = course_grade(course, A4)
    assert "(0 graded now" in unchanged.stdout
    # A changed submission is re-graded, and only it.
    submit(course, "reference", A4, solved(course, A4, attacks.HONEST_RETURN_X))
    changed = course_grade(course, A4)
    assert "(1 graded now" in changed.stdout
