"""``course-grade``: grade every collected submission of an assignment, end to end, with nbgrader.

For each student folder in ``submitted/``: check the notebooks can be read,
run ``nbgrader autograde`` (which, with this course's config, executes nothing:
the judge runs the solution cell in the bubblewrap sandbox and sets the
autograded scores), then, for the whole class,
``nbgrader generate_feedback`` and ``nbgrader export``. A student's broken
submission costs that student points, with a reason in the summary; it never
stops the run. The exit status is non-zero only when the grading system itself
failed for someone (for example, the judge crashed), so a CI job or a cron
script can tell "a student's code is wrong" from "the grader is broken".

    course-grade ex1_add_dropout                  # all students
    course-grade ex1_add_dropout --student alice  # one student
    course-grade ex1_add_dropout --unsandboxed    # no bubblewrap: trusted submissions only

Without bubblewrap (or where it cannot create namespaces) course-grade stops and
says how to install it, unless ``--unsandboxed`` is given; every row of the
report then says UNSANDBOXED.
"""

from __future__ import annotations

import argparse
import csv
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from tqdm import tqdm

from autograder.nbgrader_cli import nbgrader
from autograder.sandbox import SandboxUnavailable, check_available

DEFAULT_COURSE = Path(__file__).resolve().parent.parent / "exercises"
COURSE_ID = "keras-regularization"
NBGRADER_FAILED = "There was an error processing"


@dataclass
class StudentReport:
    student: str
    notes: list[str] = field(default_factory=list)
    system_failure: str | None = None
    score: float = 0.0
    max_score: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)
    isolation: str = "bubblewrap"


def expected_notebooks(course: Path, assignment: str) -> list[str]:
    return sorted(p.stem for p in (course / "source" / assignment).glob("*.ipynb"))


def preflight(folder: Path, expected: list[str]) -> list[str]:
    """Find renamed and unreadable notebooks; set unreadable ones aside (kept, never deleted)."""
    notes = []
    present = {p.stem for p in folder.glob("*.ipynb")}
    missing, unknown = sorted(set(expected) - present), sorted(present - set(expected))
    for name in missing:
        hint = f" (found {', '.join(n + '.ipynb' for n in unknown)}: was it renamed?)" if unknown else ""
        notes.append(f"{name}.ipynb was not submitted{hint}; its parts score 0.")
    for name in sorted(set(expected) & present):
        path = folder / f"{name}.ipynb"
        try:
            nbformat.validate(nbformat.read(path, as_version=4))
        except Exception as exc:
            aside = path.with_suffix(".ipynb.unreadable")
            path.rename(aside)
            first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
            notes.append(f"{name}.ipynb is not a readable notebook ({type(exc).__name__}: {first}); "
                         f"it scores 0 and was kept as {aside.name}.")
    return notes


def record_zero_submission(course: Path, assignment: str, student: str) -> None:
    """Give every part zero, as nbgrader does for a missing notebook.

    nbgrader refuses to autograde a submission with none of the assignment's notebooks
    ("No notebooks found"), so that case is recorded here through its gradebook API.
    """
    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush notices from inside nbgrader's API
        gb.update_or_create_student(student)
        submission = gb.update_or_create_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gb.db.commit()


def _autograde_failed(proc) -> bool:
    """nbgrader's own verdict. Its log also says ERROR for things it handles."""
    return proc.returncode != 0 or NBGRADER_FAILED in proc.stdout + proc.stderr


def autograde_student(course: Path, assignment: str, report: StudentReport, *, unsandboxed: bool = False) -> None:
    args = ["autograde", assignment, f"--student={report.student}", "--force"]
    if unsandboxed:
        args.append("--JudgeInSandbox.unsandboxed=True")
        report.isolation = "UNSANDBOXED"
    proc = nbgrader(*args, course_dir=course, check=False, capture=True)
    if not _autograde_failed(proc):
        return
    log = proc.stdout + proc.stderr
    report.system_failure = "\n".join(line for line in log.splitlines() if line.strip())[-2500:]


def collect_scores(course: Path, assignment: str, report: StudentReport) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        try:
            submission = gb.find_submission(assignment, report.student)
        except MissingEntry:
            return
        report.score, report.max_score = float(submission.score), float(submission.max_score)
        for nb in submission.notebooks:
            for grade in nb.grades:
                report.parts[grade.name] = float(grade.score)


def print_summary(reports: list[StudentReport], part_names: list[str]) -> None:
    width = max([len("student"), *(len(r.student) for r in reports)])
    header = f"{'student':{width}}  {'score':>9}  " + "  ".join(f"{p:>{len(p)}}" for p in part_names)
    print("\n" + header)
    print("-" * len(header))
    for r in reports:
        cells = "  ".join(f"{r.parts.get(p, 0.0):>{len(p)}g}" for p in part_names)
        status = "  GRADING FAILURE" if r.system_failure else ""
        status += "  UNSANDBOXED" if r.isolation != "bubblewrap" else ""
        print(f"{r.student:{width}}  {r.score:>4g}/{r.max_score:<4g}  {cells}{status}")
        for note in r.notes:
            print(f"{'':{width}}  note: {note}")


def write_report(path: Path, reports: list[StudentReport], part_names: list[str]) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "score", "max_score", *part_names, "notes", "system_failure", "isolation"])
        for r in reports:
            writer.writerow([r.student, r.score, r.max_score, *(r.parts.get(p, 0.0) for p in part_names),
                             " | ".join(r.notes), r.system_failure or "", r.isolation])


def grade_assignment(course: Path, assignment: str, students: list[str] | None = None, *,
                     unsandboxed: bool = False) -> list[StudentReport]:
    """Autograde, give feedback and export grades for ``assignment``; return one report per student."""
    expected = expected_notebooks(course, assignment)
    if not expected:
        raise SystemExit(f"no source notebooks for {assignment!r} in {course / 'source'}")
    # Make sure the gradebook knows the assignment (idempotent; does not touch submissions).
    nbgrader("generate_assignment", assignment, "--force", "--log-level=WARN", course_dir=course, capture=True)
    submitted = course / "submitted"
    folders = sorted(p.parent for p in submitted.glob(f"*/{assignment}") if p.is_dir())
    if students:
        folders = [f for f in folders if f.name in set(students)]
    reports = []
    for folder in tqdm(folders, desc=f"grading {assignment}", unit="student"):
        report = StudentReport(student=folder.name)
        report.notes += preflight(folder / assignment, expected)
        if any((folder / assignment / f"{name}.ipynb").exists() for name in expected):
            autograde_student(course, assignment, report, unsandboxed=unsandboxed)
        else:
            record_zero_submission(course, assignment, report.student)
        collect_scores(course, assignment, report)
        reports.append(report)
    if reports:
        nbgrader("generate_feedback", assignment, "--force", "--log-level=WARN", course_dir=course,
                 check=False, capture=True)
        nbgrader("export", "--to=grades.csv", "--log-level=WARN", course_dir=course, check=False, capture=True)
    return reports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment", help="e.g. ex1_add_dropout")
    parser.add_argument("--course", type=Path, default=DEFAULT_COURSE, help="nbgrader course directory")
    parser.add_argument("--student", action="append", help="grade only this student (repeatable)")
    parser.add_argument("--unsandboxed", action="store_true",
                        help="grade without the bubblewrap sandbox: submissions run with your rights (trusted "
                             "code only); every row of the report says UNSANDBOXED")
    args = parser.parse_args(argv)
    course = args.course.resolve()
    if not args.unsandboxed:
        try:
            check_available()
        except SandboxUnavailable as exc:
            print(f"course-grade: cannot isolate submissions: {exc}", file=sys.stderr)
            return 2
    else:
        print("WARNING: grading UNSANDBOXED: submissions run with your rights and can read, write and signal "
              "anything you can.", file=sys.stderr)
    reports = grade_assignment(course, args.assignment, args.student, unsandboxed=args.unsandboxed)
    if not reports:
        print(f"no submissions for {args.assignment} in {course / 'submitted'}")
        return 0
    parts = sorted({p for r in reports for p in r.parts})
    print_summary(reports, parts)
    write_report(course / "grading_report.csv", reports, parts)
    print(f"\nfeedback: {course / 'feedback'}\ngrades:   {course / 'grades.csv'}\n"
          f"report:   {course / 'grading_report.csv'}")
    failures = [r for r in reports if r.system_failure]
    for r in failures:
        print(f"\nGRADING SYSTEM FAILURE for {r.student}:\n{r.system_failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
