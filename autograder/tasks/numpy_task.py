"""The NumPy inverted-dropout exercise: the learner writes a function, the grader probes it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from autograder.checks import dropout_numpy
from autograder.checks.result import CheckResult


@dataclass(frozen=True)
class NumpyDropoutTask:
    name: str
    title: str
    solution_cell: str  # nbgrader grade_id of the cell that defines the function
    parts: dict[str, tuple[str, float]]  # grade_id -> (check name in dropout_numpy.CHECKS, points)
    function_name: str = "dropout_forward"

    @property
    def grade_ids(self) -> tuple[str, ...]:
        return tuple(self.parts)

    def grade_record(self, record: dict, parts: tuple[str, ...] | None = None) -> list[CheckResult]:
        """Pure: results from a probe record (see dropout_numpy.probe)."""
        results = []
        for grade_id in parts or self.grade_ids:
            check_name, points = self.parts[grade_id]
            try:
                results.append(dropout_numpy.CHECKS[check_name](record, grade_id, points))
            except Exception as exc:  # malformed output (e.g. arrays of the wrong kind)
                results.append(CheckResult.zero(grade_id, points, f"could not check the output: {exc!r}"))
        return results

    def check(self, grade_id: str, fn: Callable) -> CheckResult:
        """Run one graded part in the notebook; print the verdict and fail loudly if it is not met."""
        result = self.grade_record(dropout_numpy.probe(fn), parts=(grade_id,))[0]
        print(("PASSED" if result.passed else "NOT YET") + f" [{result.points:g}/{result.max_points:g}]")
        print(result.message)
        if not result.passed:
            raise AssertionError(result.message)
        return result
