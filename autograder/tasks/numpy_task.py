"""The NumPy inverted-dropout exercise: the learner writes a function, the grader probes it.

The judge plans the calls, the sandbox returns the raw outputs, and the checks
in :mod:`autograder.checks.dropout_numpy` decide outside. In the notebook the
learner's self-check makes the same calls in the learner's own kernel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from autograder.checks import dropout_numpy
from autograder.checks.result import CheckResult
from autograder.sandbox.channel import validate
from autograder.sandbox.runner import run_calls
from autograder.tasks.base import Exercise, Graded, Part

if TYPE_CHECKING:
    from autograder.sandbox import RunOutcome, Sandbox


@dataclass(frozen=True)
class NumpyDropoutTask(Exercise):
    name: str
    title: str
    solution_cell: str  # nbgrader grade_id of the cell that defines the function
    part_list: tuple[Part, ...]  # each Part's ``check`` names a function in dropout_numpy.CHECKS
    mistakes: tuple[tuple[str, str], ...] = ()
    function_name: str = "dropout_forward"

    @property
    def parts(self) -> tuple[Part, ...]:
        return self.part_list

    def grade_record(self, record: dict, parts: tuple[str, ...] | None = None) -> list[CheckResult]:
        """Pure: results from the record of the planned calls (see dropout_numpy.record_from_run)."""
        results = []
        for part in self.parts:
            if parts and part.grade_id not in parts:
                continue
            try:
                results.append(dropout_numpy.CHECKS[part.check](record, part.grade_id, part.points))
            except Exception as exc:  # malformed output (e.g. arrays of the wrong shape)
                results.append(CheckResult.zero(part.grade_id, part.points, f"could not check the output: {exc!r}"))
        return results

    def check(self, grade_id: str, fn: Callable) -> CheckResult:
        """Run one graded part in the notebook; print the verdict and fail loudly if it is not met."""
        calls, arrays = dropout_numpy.plan()
        raw, outputs = run_calls(fn, calls, arrays)
        return self.verdict(self.grade_record(dropout_numpy.record_from_run(raw, outputs), parts=(grade_id,))[0])

    def extract_request(self, source: str):
        calls, arrays = dropout_numpy.plan()
        return {"mode": "extract", "kind": "calls", "source": source, "function": self.function_name,
                "calls": calls}, arrays

    @property
    def artifact_schema(self) -> dict:
        return {"status": str, "calls": {str: dropout_numpy.CALL_SCHEMA}}

    def grade(self, artifact: RunOutcome, sandbox: Sandbox, **_: Any) -> Graded:
        calls = artifact.meta["calls"]
        for name, raw in calls.items():  # a reported exception must come with its class hierarchy
            if "raised" in raw:
                validate(raw.get("raised_mro"), [str], f"calls[{name!r}].raised_mro")
        return Graded(self.grade_record(dropout_numpy.record_from_run(calls, artifact.arrays)))

    def wrong_answers(self) -> dict[str, str]:
        return dict(self.mistakes)
