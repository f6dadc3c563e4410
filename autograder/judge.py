"""Grade a submitted notebook from the outside: the decisive scores of every autograded part.

The judge reads the learner's solution cell from the notebook (a file, not a
kernel), has the sandbox run it and extract a plain artifact, checks the
artifact against the exercise's strict schema, and lets the exercise decide
(:meth:`autograder.tasks.base.Exercise.grade`). The judge itself runs no learner
code and imports no TensorFlow: every such step happens in a sandbox.

Command line (handy by hand)::

    python -m autograder.judge path/to/ex1_add_dropout.ipynb [--task ex1_add_dropout] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.sandbox import ChannelError, Limits, Sandbox, SandboxError, validate
from autograder.tasks import Graded, get_task
from autograder.tasks.keras_task import TRAIN_SECONDS

EXTRACT_SECONDS = 120.0  # running the learner's solution cell, in the sandbox
JUDGE_SECONDS = 1800.0  # everything for one notebook; running out is the grading system's failure


class JudgeFailure(RuntimeError):
    """The grading system itself failed (not the learner's code): the instructor must look."""


@dataclass(frozen=True)
class Budget:
    """Time limits of one judgement, each in one place; nbgrader's config can override them."""

    extract_seconds: float = EXTRACT_SECONDS
    train_seconds: float = TRAIN_SECONDS
    judge_seconds: float = JUDGE_SECONDS

    def check_fits(self, needs_training: bool) -> None:
        need = self.extract_seconds + (2 * self.train_seconds if needs_training else 0.0)
        if need > self.judge_seconds:
            raise JudgeFailure(f"the judge's time limit ({self.judge_seconds:g} s) is shorter than its sandboxed "
                               f"runs may take ({need:g} s): raise JudgeInSandbox.judge_timeout.")


def solution_source(nb: nbformat.NotebookNode, grade_id: str) -> str | None:
    """Source of the cell nbgrader knows as ``grade_id``, or None if it is gone."""
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return cell.source
    return None


def judge_notebook(nb: nbformat.NotebookNode, task_name: str, *, sandbox: Sandbox | None = None,
                   budget: Budget = Budget(), cache_dir: Path | None = None, prestart: bool = True,
                   reference: list[list[float]] | None = None) -> Graded:
    """Every autograded part of ``task_name``, scored from the notebook's solution cell.

    ``prestart`` starts the training sandbox before the extraction, so TensorFlow loads on a
    spare core meanwhile: it halves a lone submission's wait, and gains nothing (but costs
    nothing either) when every core already grades a submission, so a class turns it off.
    ``reference`` is a decision exercise's reference table when the caller has it already
    (a class computes it once); otherwise it comes from ``cache_dir`` or a sandboxed run.
    """
    task = get_task(task_name)
    sandbox = sandbox or Sandbox()
    budget.check_fits(needs_training=hasattr(task, "recipe") or hasattr(task, "reference"))
    started = time.perf_counter()
    source = solution_source(nb, task.solution_cell)
    if source is None:
        return Graded(task.zero_all(f"the solution cell ({task.solution_cell}) is missing from the notebook, so "
                                    f"`{task.function_name}` could not be graded."))
    request, arrays = task.extract_request(source)
    trainer = task.prestart(sandbox, budget.train_seconds) if prestart else None
    options = {"train_seconds": budget.train_seconds, "given_cache": cache_dir, "reference": reference,
               "cells": {grade_id: solution_source(nb, grade_id) for grade_id in getattr(task, "also_reads", ())}}
    try:
        try:
            artifact = sandbox.run(request, arrays, wall_seconds=budget.extract_seconds)
            validate(artifact.meta, task.artifact_schema, "your code's result")
        except SandboxError as exc:
            return task.extraction_failed(str(exc), sandbox, **options)
        except ChannelError as exc:
            return task.extraction_failed(f"the result of your code could not be read: {exc}.", sandbox, **options)
        try:
            graded = task.grade(artifact, sandbox, trainer=trainer, **options)
        except SandboxError as exc:
            return Graded(task.zero_all(str(exc)))
        except ChannelError as exc:
            return Graded(task.zero_all(f"the result of your code could not be read: {exc}."))
    finally:
        if trainer is not None:
            trainer.close()
    if time.perf_counter() - started > budget.judge_seconds:
        raise JudgeFailure(f"judging {task_name} took longer than {budget.judge_seconds:g} s")
    return graded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--task", help="task name (default: the notebook's file name)")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    parser.add_argument("--timeout", type=float, default=EXTRACT_SECONDS, help="seconds for the learner's code")
    parser.add_argument("--unsandboxed", action="store_true", help="run without bubblewrap (trusted code only)")
    args = parser.parse_args(argv)
    nb = nbformat.read(args.notebook, as_version=4)
    graded = judge_notebook(nb, args.task or args.notebook.stem, sandbox=Sandbox(Limits(), args.unsandboxed),
                            budget=Budget(extract_seconds=args.timeout))
    if args.json:
        args.json.write_text(json.dumps([r.to_dict() for r in graded.results], indent=1))
    for r in graded.results:
        print(f"{r.grade_id:28s} {r.points:g}/{r.max_points:g}  {r.message.splitlines()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
