"""nbgrader preprocessor that makes the out-of-kernel judge's scores the ones nbgrader records.

``nbgrader autograde`` executes the submission in a kernel; the learner's code
runs there and could, in principle, tamper with any check executed in that
kernel. This preprocessor runs after execution and before ``SaveAutoGrades``: it
calls :mod:`autograder.judge` in a separate process and rewrites the outputs of
the judged test cells so nbgrader's own rule (error output = 0 points, numeric
result = partial credit, otherwise full points) yields the judge's score, with
the judge's message shown to the learner in the feedback.

Enabled in ``exercises/nbgrader_config.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells
from traitlets import Float

from autograder.checks.result import CheckResult
from autograder.tasks import TASKS


class JudgeFailure(RuntimeError):
    """The grading system itself failed (not the learner's code): the instructor must look."""


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


def run_judge(nb: NotebookNode, task_name: str, timeout: float, sandbox_timeout: float) -> list[CheckResult]:
    """Judge ``nb`` in a fresh interpreter; raise JudgeFailure if the judge itself breaks."""
    with tempfile.TemporaryDirectory(prefix="judge-") as tmp:
        nb_path, out_path = Path(tmp) / f"{task_name}.ipynb", Path(tmp) / "results.json"
        nbformat.write(nb, nb_path)
        cmd = [sys.executable, "-m", "autograder.judge", str(nb_path), "--task", task_name, "--json", str(out_path),
               "--timeout", str(sandbox_timeout)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise JudgeFailure(f"the judge did not finish {task_name} within {timeout:g} s") from exc
        if proc.returncode != 0 or not out_path.exists():
            raise JudgeFailure(f"the judge failed on {task_name} (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        return [CheckResult.from_dict(d) for d in json.loads(out_path.read_text())]


class JudgeInSandbox(NbGraderPreprocessor):
    """Replace the outputs of judged test cells with the out-of-kernel judge's verdicts."""

    judge_timeout = Float(900.0, help="Seconds the judge may take for one notebook.").tag(config=True)
    sandbox_timeout = Float(120.0, help="Seconds the learner's solution cell may take in the sandbox.").tag(
        config=True
    )

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        task_name = resources.get("unique_key") or Path(resources.get("metadata", {}).get("name", "")).stem
        if task_name not in TASKS:
            return nb, resources
        results = {r.grade_id: r for r in run_judge(nb, task_name, self.judge_timeout, self.sandbox_timeout)}
        seen = set()
        for cell in nb.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id in results and cell.cell_type == "code":
                cell.outputs = result_outputs(results[grade_id])
                seen.add(grade_id)
        for grade_id in sorted(set(results) - seen):
            self.log.warning("Judged part %s has no test cell in %s", grade_id, task_name)
        for r in results.values():
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
