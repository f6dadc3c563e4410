"""Helpers shared by the tests: paths and notebook surgery, as a learner would edit a notebook."""

import copy
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "exercises" / "source"


def cell_index(nb: nbformat.NotebookNode, grade_id: str) -> int:
    for i, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return i
    raise KeyError(grade_id)


def with_solution(nb: nbformat.NotebookNode, grade_id: str, source: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose cell ``grade_id`` holds ``source`` (what a learner types)."""
    nb = copy.deepcopy(nb)
    nb.cells[cell_index(nb, grade_id)].source = source
    return nb
