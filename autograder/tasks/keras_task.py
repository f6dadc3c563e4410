"""What a "change this Keras model" exercise is, and everything a learner or the judge asks of it.

A :class:`KerasTask` bundles the given model, the expected structure, the
grader's training recipe and the calibrated bound. The judge grades the JSON
config that came out of the sandbox: the structure check is a pure function of
that JSON, and the validation part trains the rebuilt model in a second, fresh
sandbox where no learner code ever ran. The learner's ``task.train`` and
``task.check`` in the notebook go through the same functions on the learner's
own model, so the number the learner sees is the number that is graded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.checks.result import CheckResult
from autograder.checks.structure import Expected, check_structure
from autograder.recipe import Recipe, final_score, fit_from_json, load_data
from autograder.sandbox.channel import validate
from autograder.tasks.base import Exercise, Graded, Part

if TYPE_CHECKING:
    from autograder.sandbox import RunOutcome, Sandbox
    from autograder.sandbox.launch import Started

CALIBRATION_DIR = Path(__file__).resolve().parent.parent / "calibration"
BOUNDS_FILE = CALIBRATION_DIR / "bounds.json"
MAX_MODEL_JSON_BYTES = 2 * 1024**2
TRAIN_SECONDS = 600.0  # the grader's training run of one model, in the sandbox
HISTORY_SCHEMA = {str: [float]}
TRAINED_SCHEMA = {"status": str, "history": HISTORY_SCHEMA, "n_params": int, "fit_seconds": float}


def calibrated_bound(task_name: str) -> float:
    """The validation bound the calibration script set for a task (see autograder/calibrate.py)."""
    bounds = json.loads(BOUNDS_FILE.read_text())
    return float(bounds[task_name]["bound"])


@dataclass(frozen=True)
class KerasTask(Exercise):
    name: str
    title: str
    recipe: Recipe
    expected: Expected
    baseline: Callable[[int], Any]
    solution_cell: str  # nbgrader grade_id of the cell that defines build_model
    structure: Part
    validation: Part
    max_params: int
    mistakes: tuple[tuple[str, str], ...] = ()  # (name, solution-cell code) besides the unchanged given model
    given_code: str = ""  # the given model as solution-cell code (the first wrong answer)
    function_name: str = "build_model"

    # ----- facts -------------------------------------------------------------------------
    @property
    def parts(self) -> tuple[Part, ...]:
        return (self.structure, self.validation)

    @cached_property
    def n_features(self) -> int:
        return load_data(self.recipe).n_features

    @property
    def bound(self) -> float:
        return calibrated_bound(self.name)

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
        from autograder.recipe import model_from_json

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
        if grade_id == self.structure.grade_id:
            return self.verdict(self.check_structure(model_json))
        return self.verdict(self.check_validation(self.train(build_or_model)))

    # ----- decisions: pure functions of artifacts -------------------------------------------------
    def check_structure(self, model_json: str) -> CheckResult:
        return check_structure(model_json, self.expected, self.structure.grade_id, self.structure.points)

    def check_validation(self, history: dict[str, list[float]]) -> CheckResult:
        part = self.validation
        value, bound = self.score(history), self.bound
        text = f"{self.score_label} = {value:.4f} (it must be below {bound:.4f})"
        if value < bound:
            return CheckResult(part.grade_id, part.points, part.points, "OK: " + text)
        return CheckResult.zero(part.grade_id, part.points, "too high: " + text)

    def too_big(self, n_params: int) -> str:
        return (f"the model has {n_params:,} parameters; this task allows at most {self.max_params:,} "
                "(the given model has far fewer). It was not trained.")

    # ----- the judge's side ------------------------------------------------------------------
    def extract_request(self, source: str):
        request = {"mode": "extract", "kind": "keras_model", "source": source, "function": self.function_name,
                   "args": [self.n_features]}
        return request, {}

    @property
    def artifact_schema(self) -> dict:
        return {"status": str, "model_json": str, "n_params": int}

    def train_request(self, model_json: str | None = None) -> dict[str, Any]:
        """The runner's ``train`` request: this model config, or (None) the given model."""
        recipe = {**asdict(self.recipe), "metrics": list(self.recipe.metrics)}
        return {"mode": "train", "model_json": model_json, "task": self.name, "recipe": recipe,
                "max_params": self.max_params}

    def prestart(self, sandbox: Sandbox, train_seconds: float) -> Started:
        """The training run's sandbox, started early: TensorFlow loads while the learner's cell runs."""
        return sandbox.start(wall_seconds=train_seconds, preload="keras")

    def grade(self, artifact: RunOutcome, sandbox: Sandbox, *, train_seconds: float = TRAIN_SECONDS,
              given_cache: Path | None = None, trainer: Started | None = None, **_: Any) -> Graded:
        from autograder.sandbox import SandboxError

        model_json, n_params = artifact.meta["model_json"], artifact.meta["n_params"]
        if len(model_json) > MAX_MODEL_JSON_BYTES:
            return Graded(self.zero_all(f"the model's configuration is larger than {MAX_MODEL_JSON_BYTES:,} "
                                        "bytes; keep the given layers."))
        if n_params > self.max_params:
            return Graded(self.zero_all(self.too_big(n_params)))
        structure = self.check_structure(model_json)
        try:
            if trainer is not None:
                run = trainer.finish(self.train_request(model_json))
            else:
                run = sandbox.run(self.train_request(model_json), wall_seconds=train_seconds)
            validate(run.meta, TRAINED_SCHEMA, "training result")
            history = run.meta["history"]
        except SandboxError as exc:
            message = str(exc)
            if message.startswith("the model has"):  # refused for its size: nothing about it is graded
                return Graded(self.zero_all(message))
            return Graded([structure, CheckResult.zero(self.validation.grade_id, self.validation.points, message)])
        curves = {"your model": history}
        if given_cache is not None:
            curves["the given model"] = self.given_history(sandbox, given_cache, train_seconds)
        return Graded([structure, self.check_validation(history)], curves=curves)

    def given_cache_name(self) -> str:
        """File name of the given model's curves: keyed by all that determines them (config, recipe, versions)."""
        key = json.dumps([self.name, self.given_code, asdict(self.recipe), *package_versions()],
                         sort_keys=True, default=str)
        return f"given-{self.name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"

    def train_given(self, sandbox: Sandbox, train_seconds: float = TRAIN_SECONDS) -> dict[str, list[float]]:
        """The given model's curves under the recipe, from a sandboxed training run."""
        run = sandbox.run(self.train_request(None), wall_seconds=train_seconds)
        validate(run.meta, TRAINED_SCHEMA, "training result")
        return run.meta["history"]

    def given_history(self, sandbox: Sandbox, cache_dir: Path, train_seconds: float = TRAIN_SECONDS
                      ) -> dict[str, list[float]]:
        """The given model's curves, trained once per course and kept in ``cache_dir``."""
        path = Path(cache_dir) / self.given_cache_name()
        if not path.exists():
            write_json_atomically(path, self.train_given(sandbox, train_seconds))
        return json.loads(path.read_text())

    def wrong_answers(self) -> dict[str, str]:
        return {"no_fix": self.given_code, **dict(self.mistakes)}


def write_json_atomically(path: Path, data: Any) -> None:
    """Write then rename, so a run killed midway never leaves half a file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)


def package_versions() -> list[str]:
    """The versions that can change a training run's numbers (read without importing TensorFlow)."""
    from importlib.metadata import PackageNotFoundError, version

    import autograder

    found = [f"autograder {autograder.__version__}"]
    for name in ("keras", "tensorflow-cpu", "tensorflow", "numpy"):
        with contextlib.suppress(PackageNotFoundError):
            found.append(f"{name} {version(name)}")
    return found


_TRAIN_CACHE: dict[tuple[str, Recipe], dict[str, list[float]]] = {}


def _train_cached(model_json: str, recipe: Recipe, verbose: int) -> dict[str, list[float]]:
    """Training is the slow part; a notebook that plots and then checks trains only once."""
    key = (model_json, recipe)
    if key not in _TRAIN_CACHE:
        _TRAIN_CACHE[key] = fit_from_json(model_json, recipe, verbose=verbose)
    return _TRAIN_CACHE[key]
