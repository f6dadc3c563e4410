"""``course-grade``: grade every collected submission of an assignment, end to end, with nbgrader.

For each student folder in ``submitted/``: check the notebooks can be read,
judge the submission on a Dask cluster (each worker runs the learner's solution
cell in its bubblewrap sandbox; see :mod:`autograder.coordinator`), record the
verdicts in the gradebook with nbgrader's own autograde, then generate feedback
and export ``grades.csv``. A student's broken submission costs that student
points, with a reason in the summary; it never stops the run. Results are kept
per submission, keyed by its content and the grader's version, so a run that
was stopped resumes where it was, and a re-run re-grades only what changed.

    course-grade ex1_add_dropout                     # all students, one worker per core
    course-grade ex1_add_dropout --student alice     # one student
    course-grade ex1_add_dropout --workers 8         # a LocalCluster of 8 worker processes
    course-grade ex1_add_dropout --scheduler tcp://host:8786   # an existing Dask cluster
    course-grade ex1_add_dropout --force             # re-grade everyone
    course-grade ex1_add_dropout --unsandboxed       # no bubblewrap: trusted submissions only

Without bubblewrap (or where it cannot create namespaces) course-grade stops and
says how to install it, unless ``--unsandboxed`` is given; every row of the
report then says UNSANDBOXED. The exit status is 2 when submissions cannot be
isolated, 1 when the grading system itself failed for someone (a CI job or a
cron script can tell "a student's code is wrong" from "the grader is broken"),
0 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
import warnings
from pathlib import Path

import nbformat

from autograder.coordinator import (
    COURSE_ID,
    StudentReport,
    course_api,
    ensure_students,
    feedback_and_export,
    grade_submissions,
)
from autograder.sandbox import SandboxUnavailable, check_available

DEFAULT_COURSE = Path(__file__).resolve().parent.parent / "exercises"


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
                     workers: int | None = None, scheduler: str | None = None, force: bool = False,
                     unsandboxed: bool = False) -> list[StudentReport]:
    """Grade, give feedback and export grades for ``assignment``; return one report per student."""
    expected = expected_notebooks(course, assignment)
    if not expected:
        raise SystemExit(f"no source notebooks for {assignment!r} in {course / 'source'}")
    folders = sorted(p.parent for p in (course / "submitted").glob(f"*/{assignment}") if p.is_dir())
    if students:
        folders = [f for f in folders if f.name in set(students)]
    reports, submissions, empty = {}, {}, []
    for folder in folders:
        report = reports[folder.name] = StudentReport(folder.name,
                                                      isolation="UNSANDBOXED" if unsandboxed else "bubblewrap")
        report.notes += preflight(folder / assignment, expected)
        notebooks = {name: (folder / assignment / f"{name}.ipynb").read_bytes() for name in expected
                     if (folder / assignment / f"{name}.ipynb").exists()}
        if notebooks:
            submissions[folder.name] = notebooks
        else:
            empty.append(folder.name)

    def prepare_gradebook() -> None:
        """The assignment (idempotent), the students in sorted order, zeros for empty submissions."""
        generated = course_api(course).generate_assignment(assignment, force=True, create=True)
        if not generated.get("success"):
            raise SystemExit(f"nbgrader could not generate {assignment}:\n{generated.get('log', '')[-3000:]}")
        ensure_students(course, [f.name for f in folders])
        for student in empty:
            record_zero_submission(course, assignment, student)

    if submissions:
        grade_submissions(course, assignment, submissions, reports, workers=workers, scheduler=scheduler,
                          force=force, unsandboxed=unsandboxed, prepare_gradebook=prepare_gradebook)
    else:
        prepare_gradebook()
    for report in reports.values():
        collect_scores(course, assignment, report)
    if reports:
        feedback_and_export(course, assignment, sorted(r.student for r in reports.values() if r.graded_now))
    return [reports[f.name] for f in folders]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment", help="e.g. ex1_add_dropout")
    parser.add_argument("--course", type=Path, default=DEFAULT_COURSE, help="nbgrader course directory")
    parser.add_argument("--student", action="append", help="grade only this student (repeatable)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="grade this many submissions at once on a local Dask cluster (default: the cores)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="use the Dask cluster whose scheduler is at ADDRESS (e.g. tcp://10.0.0.5:8786)")
    parser.add_argument("--force", action="store_true", help="re-grade every submission, even unchanged ones")
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
    started = time.perf_counter()
    reports = grade_assignment(course, args.assignment, args.student, workers=args.workers,
                               scheduler=args.scheduler, force=args.force, unsandboxed=args.unsandboxed)
    if not reports:
        print(f"no submissions for {args.assignment} in {course / 'submitted'}")
        return 0
    parts = sorted({p for r in reports for p in r.parts})
    print_summary(reports, parts)
    write_report(course / "grading_report.csv", reports, parts)
    judged = sum(r.judged_now for r in reports)
    recorded = sum(r.graded_now and not r.judged_now for r in reports)
    print(f"\n{len(reports)} submissions in {time.perf_counter() - started:.0f} s "
          f"({judged} graded now, {recorded} recorded from stored results, "
          f"{len(reports) - judged - recorded} unchanged since the last run)")
    print(f"feedback: {course / 'feedback'}\ngrades:   {course / 'grades.csv'}\n"
          f"report:   {course / 'grading_report.csv'}")
    failures = [r for r in reports if r.system_failure]
    for r in failures:
        print(f"\nGRADING SYSTEM FAILURE for {r.student}:\n{r.system_failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
