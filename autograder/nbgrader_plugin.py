"""nbgrader preprocessors: the judge's verdicts become the scores nbgrader records.

``nbgrader autograde`` here does not execute the learner's notebook (the course's
config leaves nbgrader's ``Execute`` step out): ``JudgeInSandbox`` hands the
notebook, as data, to :mod:`autograder.judge`, which runs the solution cell in
the sandbox, and then writes each judged test cell's outputs so that nbgrader's
own rule (error output = 0 points, numeric result = partial credit, otherwise
full points) yields the judge's score, with the judge's message (and, for Keras
exercises, the grader's learning curves) in the feedback.

Enabled in ``exercises/nbgrader_config.py``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells
from traitlets import Bool, Float, Unicode

from autograder.checks.result import CheckResult
from autograder.feedback import curves_output
from autograder.judge import EXTRACT_SECONDS, JUDGE_SECONDS, Budget, JudgeFailure, judge_notebook
from autograder.sandbox import Limits, Sandbox, SandboxUnavailable
from autograder.tasks import TASKS, Graded
from autograder.tasks.keras_task import TRAIN_SECONDS, KerasTask

__all__ = ["JudgeFailure", "JudgeInSandbox", "RestoreDeletedCells", "result_outputs", "PRECOMPUTED"]

# Verdicts ``course-grade`` obtained from its Dask workers, by (student, notebook): when it then runs
# nbgrader's autograde in its own process to record them, this step uses them instead of judging again.
PRECOMPUTED: dict[tuple[str, str], Graded] = {}


def result_outputs(result: CheckResult) -> list[NotebookNode]:
    """Cell outputs that make nbgrader award exactly ``result.points``."""
    header = "PASSED" if result.passed else "NOT PASSED"
    text = f"[autograder] {header}: {result.points:g}/{result.max_points:g} points\n{result.message}\n"
    outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    if result.points <= 0:
        outputs.append(
            nbformat.v4.new_output(
                "error", ename="NotPassed", evalue=result.message.splitlines()[0], traceback=[text]
            )
        )
    elif result.points < result.max_points:
        outputs.append(
            nbformat.v4.new_output("execute_result", data={"text/plain": repr(result.points)}, execution_count=None)
        )
    return outputs


def autograded_test_ids(nb: NotebookNode) -> set[str]:
    return {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")}


class JudgeInSandbox(NbGraderPreprocessor):
    """Set every autograded test cell's outputs from the judge's verdicts."""

    sandbox_timeout = Float(EXTRACT_SECONDS, help="Seconds the learner's solution cell may take in the sandbox.").tag(
        config=True)
    train_timeout = Float(TRAIN_SECONDS, help="Seconds the grader's training run may take in the sandbox.").tag(
        config=True)
    judge_timeout = Float(JUDGE_SECONDS, help="Seconds for everything about one notebook.").tag(config=True)
    unsandboxed = Bool(False, help="Run learner code without bubblewrap isolation (trusted code only).").tag(
        config=True)
    cache_dir = Unicode("", help="Where the given models' curves are kept (empty: no curves in feedback).").tag(
        config=True)

    def budget(self) -> Budget:
        return Budget(self.sandbox_timeout, self.train_timeout, self.judge_timeout)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        task_name = resources.get("unique_key") or Path(resources.get("metadata", {}).get("name", "")).stem
        tests = autograded_test_ids(nb)
        if task_name not in TASKS:
            if tests:
                raise JudgeFailure(f"{task_name} has autograded test cells {sorted(tests)} but no exercise module "
                                   "in autograder/tasks: nothing would grade them.")
            return nb, resources
        task = TASKS[task_name]
        unjudged = tests - set(task.grade_ids)
        if unjudged:
            raise JudgeFailure(f"{task_name}: test cells {sorted(unjudged)} are not parts of the exercise module.")
        student = resources.get("nbgrader", {}).get("student")
        graded = PRECOMPUTED.pop((student, task_name), None)
        if graded is None:
            try:
                cache = Path(self.cache_dir) if self.cache_dir else None
                graded = judge_notebook(nb, task_name, sandbox=Sandbox(Limits(), self.unsandboxed),
                                        budget=self.budget(), cache_dir=cache)
            except SandboxUnavailable as exc:
                raise JudgeFailure(str(exc)) from exc
        results = {r.grade_id: r for r in graded.results}
        for cell in nb.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id in results and cell.cell_type == "code":
                cell.outputs = result_outputs(results[grade_id])
                if isinstance(task, KerasTask) and grade_id == task.validation.grade_id and graded.curves:
                    title = f"the grader's training run ({task.recipe.epochs} epochs, seed {task.recipe.seed})"
                    cell.outputs.insert(1, curves_output(graded.curves, task.recipe.score, title))
        for r in graded.results:
            self.log.info("judge %s: %s %g/%g", task_name, r.grade_id, r.points, r.max_points)
        return nb, resources


class RestoreDeletedCells(OverwriteCells):
    """``OverwriteCells`` whose restoring of deleted grade cells also works next to read-only cells.

    nbgrader 0.9 puts a deleted grade cell back after the source cell that preceded it and
    assumes that cell is a graded one; when it is a locked read-only cell (our notebooks have
    them between the solution and the checks), nbgrader raises KeyError and the whole
    submission fails to grade. Here the cell goes after the nearest earlier source cell that
    is still in the notebook.
    """

    def add_missing_grade_cells(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        source_cells = {cell.name: cell for cell in source_nb.source_cells}
        order = [cell.name for cell in source_nb.source_cells]
        grade_cells = {cell.name: cell for cell in source_nb.grade_cells}
        solution_ids = {cell.name for cell in source_nb.solution_cells}
        for grade_id in order:
            if grade_id not in grade_cells:
                continue
            present = {
                cell.metadata["nbgrader"].get("grade_id"): i
                for i, cell in enumerate(nb.cells)
                if "nbgrader" in cell.metadata
            }
            if grade_id in present:
                continue
            self.log.warning("Missing grade cell %s encountered, adding it back", grade_id)
            earlier = [present[p] for p in order[: order.index(grade_id)] if p in present]
            position = max(earlier) + 1 if earlier else 0
            cell = self.missing_cell_transform(
                source_cells[grade_id], grade_cells[grade_id].max_score, is_solution=grade_id in solution_ids
            )
            nb.cells.insert(position, cell)
        return nb, resources
