"""How fast grading is, against its floor and against plain nbgrader. Prints numbers; asserts nothing.

    python benchmarks/grading.py                 # everything (about 25 minutes on 2 cores)
    python benchmarks/grading.py --skip-class    # the per-exercise floors and single submissions only

1. Per exercise: the *floor* (what grading cannot avoid: a sandboxed interpreter that
   starts TensorFlow and runs the solution cell, plus the grader's one training run of
   the learner's model), one submission through ``course-grade`` with its defaults (the
   given model's curve already cached, as it is after a course's first submission), and
   the ratio.
2. A class of 20 submissions of exercise 1 (half correct, half wrong): plain
   ``nbgrader autograde`` as it ships (executing each notebook in a kernel, no judge),
   ``course-grade --workers 1`` and ``--workers 2``, each on a fresh course; then a
   re-run of ``course-grade`` on the unchanged class.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.calibrate import reference_source  # noqa: E402
from autograder.coordinator import course_api  # noqa: E402
from autograder.instructor import grade_assignment  # noqa: E402
from autograder.judge import solution_source  # noqa: E402
from autograder.nbgrader_cli import nbgrader  # noqa: E402
from autograder.sandbox import Sandbox  # noqa: E402
from autograder.tasks import TASKS, ChoiceTask, KerasTask  # noqa: E402

SOURCE = ROOT / "exercises" / "source"
CLASS_ASSIGNMENT = "ex1_add_dropout"


def make_course(where: Path, *, plain_nbgrader: bool = False) -> Path:
    """A scratch course; ``plain_nbgrader`` gives it nbgrader's shipped autograde (no judge, notebooks executed)."""
    course = where / "course"
    shutil.copytree(SOURCE, course / "source")
    if plain_nbgrader:
        config = 'c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = "keras-regularization"\n'
    else:
        config = (ROOT / "exercises" / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config)
    return course


def submit(course: Path, assignment: str, student: str, code: str | None = None) -> None:
    """The source notebook with its solution cell (or ``code`` in its place) stands for a submission."""
    nb = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    task = TASKS.get(assignment)
    if code is not None and task is not None:
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == task.solution_cell:
                cell.source = code
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{assignment}.ipynb")


def floor(assignment: str) -> float:
    """Sandboxed start with TensorFlow + the solution cell, plus one training run (its fit alone)."""
    task = TASKS[assignment]
    nb = nbformat.read(SOURCE / assignment / f"{assignment}.ipynb", as_version=4)
    request, arrays = task.extract_request(solution_source(nb, task.solution_cell))
    sandbox = Sandbox()
    extract = sandbox.run(request, arrays)
    seconds = extract.seconds
    if isinstance(task, KerasTask):
        seconds += sandbox.run(task.train_request(extract.meta["model_json"])).meta["fit_seconds"]
    return seconds


def timed(fn, *args, **kwargs) -> float:
    started = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - started


def per_exercise(tmp: Path) -> None:
    print(f"{'exercise':28s} {'floor':>8s} {'course-grade':>13s} {'ratio':>6s}", flush=True)
    for assignment in sorted(p.name for p in SOURCE.iterdir() if p.is_dir()):
        course = make_course(tmp / assignment)
        course_api(course).generate_assignment(assignment, force=True, create=True)
        task = TASKS.get(assignment)
        if isinstance(task, KerasTask):  # the given model's curve: trained once per course, before the clock
            task.given_history(Sandbox(), course / ".grading_cache")
        if isinstance(task, ChoiceTask):  # the grader's own cross-validation: once per course, before the clock
            once = timed(task.reference, Sandbox(), course / ".grading_cache")
            print(f"{assignment:28s} (once per course: the reference cross-validation, {once:.1f} s)", flush=True)
        submit(course, assignment, "one_student")
        seconds = timed(grade_assignment, course, assignment)  # default: one worker per core
        if assignment in TASKS:
            f = floor(assignment)
            print(f"{assignment:28s} {f:7.1f}s {seconds:12.1f}s {seconds / f:6.2f}", flush=True)
        else:
            print(f"{assignment:28s} {'(none)':>8s} {seconds:12.1f}s {'':>6s}  manually graded: nothing to judge",
                  flush=True)


def class_of_20(tmp: Path) -> None:
    task = TASKS[CLASS_ASSIGNMENT]
    wrong = list(task.wrong_answers().values())
    codes = [reference_source(task) if i % 2 == 0 else wrong[(i // 2) % len(wrong)] for i in range(20)]

    def fill(course: Path) -> None:
        for i, code in enumerate(codes):
            submit(course, CLASS_ASSIGNMENT, f"student_{i:02d}", code)

    peer = make_course(tmp / "peer", plain_nbgrader=True)
    nbgrader("generate_assignment", CLASS_ASSIGNMENT, "--log-level=WARN", course_dir=peer, capture=True)
    fill(peer)
    t_peer = timed(nbgrader, "autograde", CLASS_ASSIGNMENT, "--log-level=WARN", course_dir=peer, capture=True)
    print(f"class of 20, plain nbgrader autograde      {t_peer:7.1f} s", flush=True)
    times = {}
    for workers in (1, 2):
        course = make_course(tmp / f"w{workers}")
        fill(course)
        times[workers] = timed(grade_assignment, course, CLASS_ASSIGNMENT, workers=workers)
        print(f"class of 20, course-grade --workers {workers}        {times[workers]:7.1f} s "
              f"({times[workers] / 20:.1f} s per submission)", flush=True)
    rerun = timed(grade_assignment, course, CLASS_ASSIGNMENT, workers=2)
    print(f"re-run on the unchanged class              {rerun:7.1f} s", flush=True)
    print(f"--workers 2 vs --workers 1: {times[1] / times[2]:.2f}x faster; "
          f"vs plain nbgrader: {t_peer / times[2]:.2f}x faster", flush=True)
    per = times[1] / 20
    for n in (1, 8, 64):
        print(f"estimate, 1,000 submissions of {CLASS_ASSIGNMENT} on {n:2d} workers: "
              f"{1000 * per / n / 60:6.1f} min", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-class", action="store_true", help="only the per-exercise measurements")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        per_exercise(Path(tmp))
        if not args.skip_class:
            print()
            class_of_20(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
