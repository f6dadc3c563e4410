"""Time nbgrader autograding: one submission of each exercise, then a class of N for one exercise.

    python benchmarks/grading.py                       # one of each, then a class of 30 for ex4
    python benchmarks/grading.py --class-size 30 --class-assignment ex1_add_dropout
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.instructor import grade_assignment  # noqa: E402
from autograder.nbgrader_cli import nbgrader  # noqa: E402
from autograder.student_versions import assignments  # noqa: E402


def make_course(tmp: Path) -> Path:
    course = tmp / "course"
    shutil.copytree(ROOT / "exercises" / "source", course / "source")
    shutil.copy(ROOT / "exercises" / "nbgrader_config.py", course / "nbgrader_config.py")
    return course


def submit_reference(course: Path, assignment: str, student: str) -> None:
    """The source notebook (solutions filled in) stands for a correct student submission."""
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    nbformat.write(nb, folder / f"{assignment}.ipynb")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--class-size", type=int, default=30)
    parser.add_argument("--class-assignment", default="ex4_numpy_dropout")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        course = make_course(Path(tmp))
        for assignment in assignments():
            nbgrader("generate_assignment", assignment, "--log-level=WARN", course_dir=course, capture=True)
            submit_reference(course, assignment, "one_student")
            started = time.perf_counter()
            grade_assignment(course, assignment)
            print(f"one submission   {assignment:28s} {time.perf_counter() - started:7.1f} s", flush=True)
        course = make_course(Path(tmp) / "class")  # a fresh course: only the class's submissions
        nbgrader("generate_assignment", args.class_assignment, "--log-level=WARN", course_dir=course, capture=True)
        for i in range(args.class_size):
            submit_reference(course, args.class_assignment, f"student_{i:02d}")
        started = time.perf_counter()
        reports = grade_assignment(course, args.class_assignment)
        seconds = time.perf_counter() - started
        print(f"class of {len(reports):<7d} {args.class_assignment:28s} {seconds:7.1f} s "
              f"({seconds / len(reports):.1f} s per student)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
