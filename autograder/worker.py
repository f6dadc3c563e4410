"""The work a Dask worker does: plain data in, plain data out, no course directory in sight.

``course-grade`` (the coordinator) sends each submission's notebook bytes to
:func:`grade_submission` on a worker of a Dask cluster (a ``LocalCluster`` by
default, an existing cluster with ``--scheduler``). The worker judges them (the
learner's code runs in the worker's sandbox) and returns the results as JSON-able
data; only the coordinator reads the course directory and writes the gradebook.
A worker needs the course environment installed and bubblewrap, nothing else.
"""

from __future__ import annotations

from typing import Any

import nbformat

from autograder.judge import Budget, judge_notebook
from autograder.sandbox import Limits, Sandbox
from autograder.tasks import TASKS, Graded, get_task


def _sandbox(settings: dict[str, Any]) -> Sandbox:
    return Sandbox(Limits(), unsandboxed=bool(settings.get("unsandboxed")))


def grade_submission(notebooks: dict[str, bytes], settings: dict[str, Any]) -> dict[str, Any]:
    """Judge every exercise notebook of one submission: ``{notebook: {"results": [...], "curves": {...}}}``."""
    budget = Budget(**settings["budget"])
    out: dict[str, Any] = {}
    for name, raw in sorted(notebooks.items()):
        if name not in TASKS:
            continue
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        graded = judge_notebook(nb, name, sandbox=_sandbox(settings), budget=budget,
                                prestart=bool(settings.get("prestart")),
                                reference=settings.get("references", {}).get(name))
        out[name] = {"results": [r.to_dict() for r in graded.results], "curves": graded.curves,
                     "notes": graded.notes}
    return out


def train_given(task_name: str, settings: dict[str, Any]) -> dict[str, list[float]]:
    """The given model's learning curves for the feedback (once per course, whoever the student)."""
    return get_task(task_name).train_given(_sandbox(settings), Budget(**settings["budget"]).train_seconds)


def compute_reference(task_name: str, settings: dict[str, Any]) -> list[list[float]]:
    """A decision exercise's reference cross-validation (once per course, whoever the student)."""
    return get_task(task_name).compute_reference(_sandbox(settings), Budget(**settings["budget"]).train_seconds)


def graded_from_data(data: dict[str, Any]) -> Graded:
    """Back from plain data to a :class:`Graded` (on the coordinator)."""
    from autograder.checks.result import CheckResult

    return Graded([CheckResult.from_dict(r) for r in data["results"]], curves=dict(data.get("curves", {})),
                  notes=list(data.get("notes", [])))
