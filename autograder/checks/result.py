"""The one result type every check returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one graded part: points out of ``max_points`` and a message for the learner."""

    grade_id: str
    points: float
    max_points: float
    message: str

    @property
    def passed(self) -> bool:
        return self.points >= self.max_points

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> CheckResult:
        return cls(
            grade_id=str(d["grade_id"]),
            points=float(d["points"]),
            max_points=float(d["max_points"]),
            message=str(d["message"]),
        )

    @classmethod
    def all_or_nothing(cls, grade_id: str, max_points: float, problems: list[str], ok: str) -> CheckResult:
        """Full points with ``ok`` when there are no problems, else zero and every problem listed."""
        if not problems:
            return cls(grade_id, max_points, max_points, ok)
        return cls(grade_id, 0.0, max_points, "\n".join(f"- {p}" for p in problems))

    @classmethod
    def zero(cls, grade_id: str, max_points: float, message: str) -> CheckResult:
        return cls(grade_id, 0.0, max_points, message)
