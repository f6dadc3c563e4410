"""What every graded exercise is: the one protocol the judge, the nbgrader plugin and calibration drive.

An exercise says

1. what to extract in the sandbox (:meth:`Exercise.extract_request`): the request
   the runner carries out on the learner's solution cell;
2. what a valid artifact looks like (:attr:`Exercise.artifact_schema`);
3. how to grade that artifact (:meth:`Exercise.grade`): pure checks outside the
   sandbox, plus any further sandboxed run it needs (a Keras model's training);
4. its typical wrong answers (:meth:`Exercise.wrong_answers`), as solution-cell
   code, for calibration and the tests;

and holds its own facts (parts and points) in one place. The learner's
self-checks in the notebook call :meth:`Exercise.check`, which reaches the same
decisions on the learner's own objects.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from autograder.checks.result import CheckResult

if TYPE_CHECKING:
    import numpy as np

    from autograder.sandbox import RunOutcome, Sandbox
    from autograder.sandbox.launch import Started


@dataclass(frozen=True)
class Part:
    """One autograded test cell: its nbgrader ``grade_id``, its points, and what it checks."""

    grade_id: str
    points: float
    check: str = ""


@dataclass
class Graded:
    """The judge's verdict on one notebook: one result per part, and what the feedback may show."""

    results: list[CheckResult]
    curves: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # label -> Keras history
    notes: list[str] = field(default_factory=list)


class Exercise(ABC):
    """Base class of the exercise kinds (a Keras model to change, a NumPy function to write)."""

    name: str
    title: str
    solution_cell: str  # nbgrader grade_id of the cell the learner writes
    function_name: str

    @property
    @abstractmethod
    def parts(self) -> tuple[Part, ...]: ...

    @property
    def grade_ids(self) -> tuple[str, ...]:
        return tuple(p.grade_id for p in self.parts)

    @property
    def max_points(self) -> float:
        return sum(p.points for p in self.parts)

    def points(self, grade_id: str) -> float:
        return next(p.points for p in self.parts if p.grade_id == grade_id)

    def zero_all(self, message: str) -> list[CheckResult]:
        return [CheckResult.zero(p.grade_id, p.points, message) for p in self.parts]

    @abstractmethod
    def extract_request(self, source: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The runner's ``extract`` request for this solution cell, and its input arrays."""

    @property
    @abstractmethod
    def artifact_schema(self) -> dict:
        """The exact shape of the extraction result's metadata (see sandbox.channel.validate)."""

    def prestart(self, sandbox: Sandbox, train_seconds: float) -> Started | None:
        """A sandboxed run to start before extraction (it warms up meanwhile), handed to :meth:`grade`."""
        return None

    @abstractmethod
    def grade(self, artifact: RunOutcome, sandbox: Sandbox, **options: Any) -> Graded:
        """Every part's result from a validated artifact (decisions here, outside the sandbox)."""

    def extraction_failed(self, message: str, sandbox: Sandbox, **options: Any) -> Graded:
        """The verdict when the solution cell gave no artifact: zero for every part, with the reason.

        An exercise with a part that does not depend on that cell overrides this to grade it anyway.
        """
        return Graded(self.zero_all(message))

    @abstractmethod
    def wrong_answers(self) -> dict[str, str]:
        """Typical mistakes as solution-cell code, by name."""

    @staticmethod
    def verdict(result: CheckResult) -> CheckResult:
        """Print a self-check's verdict in the notebook; fail the cell loudly if the part is not met."""
        print(("PASSED" if result.passed else "NOT YET") + f" [{result.points:g}/{result.max_points:g}]")
        print(result.message)
        if not result.passed:
            raise AssertionError(result.message)
        return result
