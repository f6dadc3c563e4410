"""Each exercise's facts live in its module under autograder/tasks; the notebooks nbgrader reads agree."""

import nbformat
import pytest

from autograder.tasks import TASKS
from tests.helpers import SOURCE


def autograded_cells(task_name: str) -> dict[str, float]:
    nb = nbformat.read(SOURCE / task_name / f"{task_name}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"]) for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")}


@pytest.mark.parametrize("task_name", sorted(TASKS))
def test_notebook_points_are_the_exercise_modules(task_name):
    task = TASKS[task_name]
    assert autograded_cells(task_name) == {p.grade_id: float(p.points) for p in task.parts}


@pytest.mark.parametrize("task_name", sorted(TASKS))
def test_the_solution_cell_exists_and_every_wrong_answer_defines_the_function(task_name):
    task = TASKS[task_name]
    nb = nbformat.read(SOURCE / task_name / f"{task_name}.ipynb", as_version=4)
    assert any(c.metadata.get("nbgrader", {}).get("grade_id") == task.solution_cell for c in nb.cells)
    for name, code in task.wrong_answers().items():
        assert f"def {task.function_name}(" in code, name
