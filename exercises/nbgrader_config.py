"""nbgrader configuration of the course (this folder is the nbgrader course directory).

The one change to nbgrader's defaults that matters: after nbgrader executes a
submission, ``JudgeInSandbox`` re-grades every autograded part outside the
learner's kernel (see autograder/nbgrader_plugin.py), so code in a submission
cannot raise its own score.
"""

from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    Execute,
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

# Each cell may run this long in the learner's kernel before it is interrupted (an infinite loop
# then costs that part, not the whole class run).
c.Execute.timeout = 240
c.Execute.interrupt_on_timeout = True

c.Autograde.create_student = True
c.Autograde.autograde_preprocessors = [
    Execute,
    JudgeInSandbox,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
c.JudgeInSandbox.judge_timeout = 900
c.JudgeInSandbox.sandbox_timeout = 120
