"""What a "change this Keras model" exercise is, and everything a learner or the judge asks of it.

A :class:`KerasTask` bundles the given model, the expected structure, the
grader's training recipe and the calibrated bound. The learner calls its
methods in the notebook (``train``, ``check``); the judge calls
:meth:`KerasTask.grade_model_json` on a config obtained outside the learner's
kernel. Both go through the same functions, so they agree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from autograder.checks.result import CheckResult
from autograder.checks.structure import Expected, check_structure
from autograder.recipe import Recipe, final_score, fit_from_json, load_data, model_from_json

CALIBRATION_DIR = Path(__file__).resolve().parent.parent / "calibration"
BOUNDS_FILE = CALIBRATION_DIR / "bounds.json"


def calibrated_bound(task_name: str) -> float:
    """The validation bound the calibration script set for a task (see autograder/calibrate.py)."""
    bounds = json.loads(BOUNDS_FILE.read_text())
    return float(bounds[task_name]["bound"])


@dataclass(frozen=True)
class KerasTask:
    name: str
    title: str
    recipe: Recipe
    expected: Expected
    baseline: Callable[[int], Any]
    solution_cell: str  # nbgrader grade_id of the cell that defines build_model
    structure_id: str
    structure_points: float
    validation_id: str
    validation_points: float
    max_params: int
    function_name: str = "build_model"

    # ----- facts -------------------------------------------------------------------------
    @cached_property
    def n_features(self) -> int:
        return load_data(self.recipe).n_features

    @property
    def bound(self) -> float:
        return calibrated_bound(self.name)

    @property
    def grade_ids(self) -> tuple[str, ...]:
        return (self.structure_id, self.validation_id)

    @property
    def score_label(self) -> str:
        r = self.recipe
        return f"mean {r.score} over the last {r.score_epochs} epochs"

    # ----- the learner's side ----------------------------------------------------------------
    def baseline_model(self):
        """The given model, as the exercise hands it out."""
        return self.baseline(self.n_features)

    def model_json(self, build_or_model: Any) -> str:
        """JSON config of a model, or of the model that ``build_model(n_features)`` returns."""
        is_model = hasattr(build_or_model, "layers")
        model = build_or_model if is_model else build_or_model(self.n_features)
        return model.to_json()

    def train(self, build_or_model: Any, *, verbose: int = 0) -> dict[str, list[float]]:
        """Train with the grader's recipe (cached per model config): the number you see is the grade's."""
        model_json = self.model_json(build_or_model)
        n_params = model_from_json(model_json).count_params()
        if n_params > self.max_params:
            raise ValueError(f"this model has {n_params:,} parameters; the task allows at most "
                             f"{self.max_params:,}. Keep the given layer sizes.")
        return _train_cached(model_json, self.recipe, verbose)

    def score(self, history: dict[str, list[float]]) -> float:
        return final_score(history, self.recipe)

    def check(self, grade_id: str, build_or_model: Any) -> CheckResult:
        """Run one graded part in the notebook; print the verdict and fail loudly if it is not met."""
        model_json = self.model_json(build_or_model)
        result = {r.grade_id: r for r in self.grade_model_json(model_json, parts=(grade_id,))}[grade_id]
        print(("PASSED" if result.passed else "NOT YET") + f" [{result.points:g}/{result.max_points:g}]")
        print(result.message)
        if not result.passed:
            raise AssertionError(result.message)
        return result

    # ----- the judge's side ------------------------------------------------------------------
    def grade_model_json(
        self, model_json: str, *, n_params: int | None = None, parts: tuple[str, ...] | None = None
    ) -> list[CheckResult]:
        """Structure and validation results for a model config. Pure: no learner code runs here."""
        parts = parts or self.grade_ids
        if n_params is not None and n_params > self.max_params:
            msg = (
                f"the model has {n_params:,} parameters; this task allows at most {self.max_params:,} "
                "(the given model has far fewer). It was not trained."
            )
            return [CheckResult.zero(g, self._points(g), msg) for g in parts]
        try:
            model = model_from_json(model_json)
        except Exception as exc:  # a malformed or unsafe config is a learner error, not a crash
            msg = f"the model could not be rebuilt from its configuration: {type(exc).__name__}: {exc}"
            return [CheckResult.zero(g, self._points(g), msg) for g in parts]
        if model.count_params() > self.max_params:
            return self.grade_model_json(model_json, n_params=model.count_params(), parts=parts)
        results = []
        if self.structure_id in parts:
            results.append(check_structure(model, self.expected, self.structure_id, self.structure_points))
        if self.validation_id in parts:
            results.append(self._check_validation(model_json))
        return results

    def _check_validation(self, model_json: str) -> CheckResult:
        try:
            history = _train_cached(model_json, self.recipe, 0)
        except Exception as exc:
            return CheckResult.zero(
                self.validation_id,
                self.validation_points,
                f"training your model with the grader's settings failed: {type(exc).__name__}: {exc}",
            )
        value, bound = self.score(history), self.bound
        text = f"{self.score_label} = {value:.4f} (it must be below {bound:.4f})"
        if value < bound:
            return CheckResult(self.validation_id, self.validation_points, self.validation_points, "OK: " + text)
        return CheckResult.zero(self.validation_id, self.validation_points, "too high: " + text)

    def _points(self, grade_id: str) -> float:
        return self.structure_points if grade_id == self.structure_id else self.validation_points


_TRAIN_CACHE: dict[tuple[str, Recipe], dict[str, list[float]]] = {}


def _train_cached(model_json: str, recipe: Recipe, verbose: int) -> dict[str, list[float]]:
    """Training is the slow part; a notebook that plots and then checks trains only once."""
    key = (model_json, recipe)
    if key not in _TRAIN_CACHE:
        _TRAIN_CACHE[key] = fit_from_json(model_json, recipe, verbose=verbose)
    return _TRAIN_CACHE[key]
