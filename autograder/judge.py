"""Grade a submitted notebook from the outside: the decisive scores of every autograded part.

The judge reads the learner's solution cell from the notebook (a file, not a
kernel), runs it in the sandbox to obtain an artifact, and scores the artifact
with the pure checks in this, clean, process. Nothing the learner's code does
in its notebook kernel (patched functions, a faked history, edited test cells)
reaches these scores.

Command line (used by the nbgrader plugin, handy by hand)::

    python -m autograder.judge path/to/ex1_add_dropout.ipynb [--task ex1_add_dropout] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nbformat

from autograder.checks.dropout_numpy import record_from_arrays
from autograder.checks.result import CheckResult
from autograder.sandbox import DEFAULT_TIMEOUT, SandboxError, run_cell
from autograder.tasks import KerasTask, get_task


def solution_source(nb: nbformat.NotebookNode, grade_id: str) -> str | None:
    """Source of the cell nbgrader knows as ``grade_id``, or None if it is gone."""
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return cell.source
    return None


def _points(task, grade_id: str) -> float:
    if isinstance(task, KerasTask):
        return task.structure_points if grade_id == task.structure_id else task.validation_points
    return task.parts[grade_id][1]


def judge_notebook(nb: nbformat.NotebookNode, task_name: str, *, timeout: float = DEFAULT_TIMEOUT) -> list[CheckResult]:
    """Every autograded part of ``task_name``, scored from the notebook's solution cell."""
    task = get_task(task_name)

    def zero_all(message: str) -> list[CheckResult]:
        return [CheckResult.zero(g, _points(task, g), message) for g in task.grade_ids]

    source = solution_source(nb, task.solution_cell)
    if source is None:
        return zero_all(
            f"the solution cell ({task.solution_cell}) is missing from the notebook, so "
            f"`{task.function_name}` could not be graded."
        )
    try:
        artifact = run_cell(task.name, source, timeout=timeout)
    except SandboxError as exc:
        return zero_all(str(exc))
    if isinstance(task, KerasTask):
        return task.grade_model_json(artifact.meta["model_json"], n_params=int(artifact.meta["n_params"]))
    return task.grade_record(record_from_arrays(artifact.arrays, artifact.meta))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--task", help="task name (default: the notebook's file name)")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds for the learner's code")
    args = parser.parse_args(argv)
    nb = nbformat.read(args.notebook, as_version=4)
    results = judge_notebook(nb, args.task or args.notebook.stem, timeout=args.timeout)
    if args.json:
        args.json.write_text(json.dumps([r.to_dict() for r in results], indent=1))
    for r in results:
        print(f"{r.grade_id:28s} {r.points:g}/{r.max_points:g}  {r.message.splitlines()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
