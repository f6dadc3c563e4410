"""The coordinator of a class's grading: Dask does the judging, one process writes the course.

The expensive part of grading a submission (the sandboxed runs) is a pure
function of its notebook bytes (:func:`autograder.worker.grade_submission`), so
it goes to a Dask cluster: a ``LocalCluster`` of ``--workers`` processes on this
machine, or an existing cluster at ``--scheduler``. Everything that touches the
course directory stays here, in one process: reading submissions, keeping
results (:mod:`autograder.resultstore`), and recording them in the gradebook
through nbgrader's own ``autograde`` (in this process, with the verdicts handed
to the ``JudgeInSandbox`` step), feedback and export.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from autograder.resultstore import ResultStore, submission_key
from autograder.tasks import TASKS, ChoiceTask, KerasTask
from autograder.tasks.keras_task import write_json_atomically

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
    graded_now: bool = False  # recorded in the gradebook by this run
    judged_now: bool = False  # judged by this run (False: the stored result for these exact bytes was used)


def load_course_config(course: Path):
    """The course's ``nbgrader_config.py``, as nbgrader itself would load it."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    return config


def course_api(course: Path):
    """nbgrader's Python API for the course, in this process."""
    import warnings

    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)  # autoflush notices from inside nbgrader's API

    # nbgrader runs `alembic` for its database; it lives beside this interpreter.
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    config = load_course_config(course)
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def judge_settings(config, *, unsandboxed: bool) -> dict[str, Any]:
    """The workers' settings: the course's time limits (from its nbgrader config) and the isolation."""
    from autograder.nbgrader_plugin import JudgeInSandbox

    return {"budget": asdict(JudgeInSandbox(config=config).budget()), "unsandboxed": unsandboxed}


@contextlib.contextmanager
def dask_client(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """A client of the cluster at ``scheduler``, or of a new LocalCluster of ``workers`` processes."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout="30s") as client:
            yield client
        return
    with LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                      dashboard_address=None, memory_limit=0, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        yield client


def ensure_students(course: Path, students: list[str]) -> None:
    """Create the students in sorted order, so the gradebook (and the export) never depends on the schedule."""
    import warnings

    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        warnings.simplefilter("ignore")
        for student in sorted(students):
            gb.update_or_create_student(student)


def _once_per_course(course: Path, wanted: dict[str, tuple[str, Callable]], client,
                     settings: dict[str, Any]) -> dict[str, Any]:
    """Facts every submission of a task shares, computed once per course on a worker and cached.

    ``wanted`` maps a task name to its cache file name and the worker function that makes the
    fact (``fn(task_name, settings)``). Without a client, only what is cached already is returned.
    """
    cache = course / ".grading_cache"
    found, futures = {}, {}
    for name, (file_name, make) in wanted.items():
        path = cache / file_name
        if path.exists():
            found[name] = json.loads(path.read_text())
        elif client is not None:
            futures[name] = client.submit(make, name, settings, key=path.stem, retries=2)
    for name, future in futures.items():
        found[name] = future.result()
        write_json_atomically(cache / wanted[name][0], found[name])
    return found


def given_curves(course: Path, names: list[str], client, settings: dict[str, Any]) -> dict[str, dict]:
    """The given models' curves for the feedback, trained once per course (on a worker) and cached."""
    from autograder.worker import train_given

    wanted = {n: (TASKS[n].given_cache_name(), train_given) for n in names if isinstance(TASKS.get(n), KerasTask)}
    return _once_per_course(course, wanted, client, settings)


def course_references(course: Path, names: list[str], client, settings: dict[str, Any]) -> dict[str, list]:
    """The decision exercises' reference tables, computed once per course (on a worker) and cached.

    Every submission's decision is graded against the same table, so it is made before the
    submissions are judged and handed to the workers with their settings.
    """
    from autograder.worker import compute_reference

    wanted = {n: (TASKS[n].reference_cache_name(), compute_reference) for n in names
              if isinstance(TASKS.get(n), ChoiceTask)}
    return _once_per_course(course, wanted, client, settings)


def record(api, assignment: str, report: StudentReport, outcome: dict[str, Any], given: dict[str, dict],
           store: ResultStore) -> None:
    """Write one submission's verdicts to the gradebook with nbgrader's own autograde (this process only)."""
    from autograder.nbgrader_plugin import PRECOMPUTED
    from autograder.worker import graded_from_data

    keys = []
    for name, data in outcome.items():
        graded = graded_from_data(data)
        if name in given and graded.curves:
            graded.curves["the given model"] = given[name]
        PRECOMPUTED[(report.student, name)] = graded
        keys.append((report.student, name))
    try:
        result = api.autograde(assignment, report.student, force=True, create=True)
    finally:
        for key in keys:
            PRECOMPUTED.pop(key, None)
    log = (result.get("log") or "") + (result.get("error") or "")
    if not result.get("success") or NBGRADER_FAILED in log:
        report.system_failure = "\n".join(line for line in log.splitlines() if line.strip())[-2500:]
        return
    store.mark_recorded(report.student)
    report.graded_now = True


def grade_submissions(course: Path, assignment: str, submissions: dict[str, dict[str, bytes]],
                      reports: dict[str, StudentReport], *, workers: int | None, scheduler: str | None,
                      force: bool, unsandboxed: bool, prepare_gradebook: Callable[[], None]) -> None:
    """Judge what has no stored result (on Dask), record what the gradebook lacks (here).

    ``prepare_gradebook`` (nbgrader's side: the assignment, the students) runs in a thread while
    the cluster starts and the first submissions are judged; recording waits for it.
    """
    preparing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gradebook")
    prepared = preparing.submit(prepare_gradebook)
    preparing.shutdown(wait=False)
    api = course_api(course)
    settings = judge_settings(api.config, unsandboxed=unsandboxed)
    store = ResultStore(course, assignment)
    to_judge, to_record = {}, {}
    for student, notebooks in submissions.items():
        key = submission_key(notebooks, unsandboxed=unsandboxed)
        entry = None if force else store.get(student)
        if entry is not None and entry.get("key") == key:
            recorded = entry.get("recorded") and (course / "autograded" / student / assignment).is_dir()
            if not recorded:
                to_record[student] = entry["outcome"]
        else:
            to_judge[student] = key
    names = sorted({n for nbs in submissions.values() for n in nbs})
    if not to_judge:
        prepared.result()
        given = given_curves(course, names, None, settings) if to_record else {}
        for student, outcome in sorted(to_record.items()):
            record(api, assignment, reports[student], outcome, given, store)
        return
    from dask.distributed import as_completed

    from autograder.worker import grade_submission

    with dask_client(workers, scheduler) as client:
        # Spare slots (fewer submissions than worker threads) warm up each training run early.
        settings = {**settings, "prestart": len(to_judge) < sum(client.nthreads().values()),
                    "references": course_references(course, names, client, settings)}
        futures = {client.submit(grade_submission, submissions[s], settings, key=f"grade-{assignment}-{s}-{k[:16]}",
                                 retries=2, pure=False): s for s, k in sorted(to_judge.items())}
        given = given_curves(course, names, client, settings)
        prepared.result()
        for student, outcome in sorted(to_record.items()):
            record(api, assignment, reports[student], outcome, given, store)
        with tqdm(total=len(futures), desc=f"grading {assignment}", unit="submission", file=sys.stderr) as bar:
            for future in as_completed(futures):
                student = futures[future]
                report = reports[student]
                try:
                    outcome = future.result()
                except Exception as exc:  # the judge failed for this one (not the learner's code): say so
                    report.system_failure = f"{type(exc).__name__}: {exc}"[-2500:]
                else:
                    report.judged_now = True
                    store.put(student, to_judge[student], outcome)
                    record(api, assignment, report, outcome, given, store)
                bar.update()


def feedback_and_export(course: Path, assignment: str, students: list[str]) -> None:
    """Feedback for the students recorded in this run; the whole gradebook exported to grades.csv."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins.export import CsvExportPlugin

    api = course_api(course)
    for student in students:
        api.generate_feedback(assignment, student, force=True)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        CsvExportPlugin(to=str(course / "grades.csv")).export(gb)
