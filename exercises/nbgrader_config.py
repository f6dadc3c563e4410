"""nbgrader configuration of the course (this folder is the nbgrader course directory).

The one change to nbgrader's defaults that matters: ``nbgrader autograde`` does
not execute a submission. ``JudgeInSandbox`` grades every autograded part by
running the learner's solution cell in a bubblewrap sandbox and deciding outside
it (see autograder/nbgrader_plugin.py and the README's "How grading works"), so
no line of a submission runs with the instructor's rights.
"""

from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    IgnorePattern,
    LimitOutput,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from autograder.nbgrader_plugin import JudgeInSandbox, RestoreDeletedCells

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "keras-regularization"
c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".nbgrader.log"]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A learner who deletes a test cell gets it back at grading time (and its points are earned, or not,
# by the judge), instead of silently dropping that part.
c.OverwriteCells.add_missing_cells = True
c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    RestoreDeletedCells,  # nbgrader's OverwriteCells, fixed for deleted cells next to read-only ones
    CheckCellMetadata,
]

# `nbgrader validate` (the learner's own check before submitting) runs the notebook in the learner's
# kernel: a cell may run this long there before it is interrupted.
c.Execute.timeout = 240
c.Execute.interrupt_on_timeout = True

c.Autograde.create_student = True
# No `Execute` step: the submission is never run in a kernel with the instructor's rights.
c.Autograde.autograde_preprocessors = [
    JudgeInSandbox,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
# Time limits (seconds) default to the ones in autograder/judge.py and autograder/tasks/keras_task.py;
# override them here, e.g. c.JudgeInSandbox.sandbox_timeout = 120, c.JudgeInSandbox.train_timeout = 600.
# The given models' learning curves, shown in the feedback, are trained once per course and kept here:
c.JudgeInSandbox.cache_dir = str(Path(__file__).resolve().parent / ".grading_cache")
