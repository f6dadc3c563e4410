"""A decision exercise: choose a hyperparameter by k-fold cross-validation on the training split.

The learner writes the cross-validation (folds, loop, choice) and submits the
value it chose as a plain number in a separate decision cell. The grader

* probes the three functions in the sandbox on inputs it plans
  (:mod:`autograder.checks.cross_validation`), as in exercise 4;
* reads the decision cell without running it, and compares the number with its
  own cross-validation of the same candidates on the same training images (the
  *reference table*, computed once per course by trusted code in a sandbox of its
  own). Held-out images play no part in the grade, so peeking at them gains
  nothing;
* leaves the written justification to the instructor (a manually graded cell).

The training behind every score (:meth:`ChoiceTask.fit_and_score`) is the same
function in the learner's notebook and in the grader's reference run, so a
learner who follows the instructions sees the grader's numbers.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from autograder.checks import cross_validation as cv
from autograder.checks.result import CheckResult
from autograder.sandbox.channel import validate
from autograder.tasks.base import Exercise, Graded, Part
from autograder.tasks.keras_task import TRAIN_SECONDS, package_versions, write_json_atomically

if TYPE_CHECKING:
    from autograder.sandbox import RunOutcome, Sandbox

@functools.lru_cache(maxsize=1)
def _small_digits():
    from autograder.data import load_small_digits

    return load_small_digits()


@dataclass(frozen=True)
class ChoiceTask(Exercise):
    name: str
    title: str
    solution_cell: str  # the cell that defines make_folds, cross_validate and choose
    decision_cell: str  # the cell that assigns the chosen value as a plain number
    part_list: tuple[Part, ...]  # a Part's ``check`` names cross_validation.CHECKS, or "decision"
    candidates: tuple[float, ...]
    k: int
    cv_seed: int
    hidden: tuple[int, ...]
    passes: int  # passes over the training rows
    batch_size: int
    learning_rate: float
    fit_seed: int
    mistakes: tuple[tuple[str, str], ...] = ()
    function_name: str = "make_folds"

    @property
    def parts(self) -> tuple[Part, ...]:
        return self.part_list

    @property
    def decision(self) -> Part:
        return next(p for p in self.parts if p.check == "decision")

    @property
    def also_reads(self) -> tuple[str, ...]:
        return (self.decision_cell,)

    # ----- the data and the training both sides use ----------------------------------------------

    def training_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The training images and their (noisy) labels: all a choice may look at."""
        task = _small_digits()
        return task.x_train, task.y_train

    def fit(self, l2: float, x: np.ndarray, y: np.ndarray):
        """The course's wide network (:mod:`autograder.noisy_digits`) with L2 strength ``l2`` on every
        kernel, trained on ``x, y`` with the task's fixed seed, optimizer and number of passes."""
        from autograder import noisy_digits

        model, _ = noisy_digits.train(x, y, seed=self.fit_seed, l2=float(l2), hidden=self.hidden,
                                      passes=self.passes, batch_size=self.batch_size,
                                      learning_rate=self.learning_rate)
        return model

    @staticmethod
    def cross_entropy(model, x: np.ndarray, y: np.ndarray) -> float:
        """Mean cross-entropy of the full network (no penalty term: only the fit to the labels)."""
        from autograder import noisy_digits

        return noisy_digits.scores(model, x, y)["cross-entropy"]

    def fit_and_score(self, candidate: float, train_idx: Any, val_idx: Any) -> float:
        """Train with L2 strength ``candidate`` on the training rows ``train_idx``; return the
        cross-entropy on the rows ``val_idx`` (indices into :meth:`training_data`)."""
        x, y = self.training_data()
        train_idx, val_idx = np.asarray(train_idx, dtype=np.int64), np.asarray(val_idx, dtype=np.int64)
        if np.intersect1d(train_idx, val_idx).size:
            raise ValueError("train_idx and val_idx share rows: a fold must not be scored on rows it trained on")
        model = self.fit(candidate, x[train_idx], y[train_idx])
        return self.cross_entropy(model, x[val_idx], y[val_idx])

    def scorer(self, progress: bool = True) -> Callable[[float, Any, Any], float]:
        """:meth:`fit_and_score` with a progress bar over the whole table (candidates × folds)."""
        if not progress:
            return self.fit_and_score
        from tqdm.auto import tqdm

        bar = tqdm(total=len(self.candidates) * self.k, desc="cross-validation", unit="fit")

        def fit_and_score(candidate: float, train_idx: Any, val_idx: Any) -> float:
            bar.set_postfix_str(f"λ = {candidate:g}")
            score = self.fit_and_score(candidate, train_idx, val_idx)
            bar.update()
            return score

        return fit_and_score

    # ----- the grader's own cross-validation --------------------------------------------------------

    def reference_folds(self) -> list[tuple[np.ndarray, np.ndarray]]:
        from sklearn.model_selection import StratifiedKFold

        x, y = self.training_data()
        return list(StratifiedKFold(self.k, shuffle=True, random_state=self.cv_seed).split(x, y))

    def reference_losses(self, progress: bool = False) -> np.ndarray:
        """The grader's table: every candidate on the same stratified folds (trusted code only)."""
        score = self.scorer(progress)
        folds = self.reference_folds()
        return np.array([[score(c, tr, va) for tr, va in folds] for c in self.candidates])

    def reference_cache_name(self) -> str:
        """File name of the reference table: keyed by all that determines it (facts, data, versions)."""
        from autograder import noisy_digits

        training_code = hashlib.sha256(Path(noisy_digits.__file__).read_bytes()).hexdigest()
        facts = [self.name, self.candidates, self.k, self.cv_seed, self.hidden, self.passes, self.batch_size,
                 self.learning_rate, self.fit_seed, training_code, *package_versions()]
        return f"reference-{self.name}-{hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:16]}.json"

    def compute_reference(self, sandbox: Sandbox, seconds: float = TRAIN_SECONDS) -> list[list[float]]:
        """The reference table from a sandboxed run where no learner code runs.

        Its failure is the grading system's, never the learner's: it raises RuntimeError.
        """
        from autograder.sandbox import SandboxError

        try:
            run = sandbox.run({"mode": "reference", "task": self.name}, wall_seconds=seconds)
        except SandboxError as exc:
            raise RuntimeError(f"the grader's reference cross-validation of {self.name} failed: {exc}") from None
        validate(run.meta, {"status": str, "candidates": [float]}, "reference result")
        losses = run.arrays.get("losses")
        if losses is None or losses.shape != (len(self.candidates), self.k) or not np.all(np.isfinite(losses)):
            raise RuntimeError(f"the reference cross-validation of {self.name} gave no valid table")
        return losses.tolist()

    def reference(self, sandbox: Sandbox, cache_dir: Path | None, seconds: float = TRAIN_SECONDS
                  ) -> list[list[float]]:
        """The reference table, computed once per course and kept in ``cache_dir`` (or per process)."""
        if cache_dir is None:
            return _memo_reference(self, sandbox, seconds)
        path = Path(cache_dir) / self.reference_cache_name()
        if not path.exists():
            write_json_atomically(path, self.compute_reference(sandbox, seconds))
        return json.loads(path.read_text())

    # ----- grading ---------------------------------------------------------------------------------

    def plan(self) -> tuple[list[dict], dict[str, np.ndarray]]:
        return cv.plan(self.training_data()[1], self.k, self.cv_seed)

    def grade_record(self, record: dict, outputs: dict, parts: tuple[str, ...] | None = None) -> list[CheckResult]:
        """Pure: the function parts' results from the record of the planned calls."""
        calls, arrays = self.plan()
        results = []
        for part in self.parts:
            if part.check == "decision" or (parts and part.grade_id not in parts):
                continue
            try:
                results.append(cv.CHECKS[part.check](record, outputs, arrays, calls, part.grade_id, part.points))
            except Exception as exc:  # malformed output
                results.append(CheckResult.zero(part.grade_id, part.points, f"could not check the output: {exc!r}"))
        return results

    def grade_decision(self, source: str | None, losses: list[list[float]]) -> CheckResult:
        part = self.decision
        try:
            chosen = cv.parse_decision(source)
        except ValueError as exc:
            return CheckResult.zero(part.grade_id, part.points, str(exc) + ".")
        return cv.check_decision(chosen, list(self.candidates), np.asarray(losses), part.grade_id, part.points)

    def extract_request(self, source: str):
        calls, arrays = self.plan()
        return {"mode": "extract", "kind": "cv", "source": source, "function": None, "calls": calls}, arrays

    @property
    def artifact_schema(self) -> dict:
        return {"status": str, "calls": {str: cv.CALL_SCHEMA}}

    def grade(self, artifact: RunOutcome, sandbox: Sandbox, *, cells: dict[str, str | None] | None = None,
              reference: list[list[float]] | None = None, given_cache: Path | None = None,
              train_seconds: float = TRAIN_SECONDS, **_: Any) -> Graded:
        calls = artifact.meta["calls"]
        for name, raw in calls.items():
            if "raised" in raw:
                validate(raw.get("raised_mro"), [str], f"calls[{name!r}].raised_mro")
        results = self.grade_record(calls, artifact.arrays)
        losses = reference if reference is not None else self.reference(sandbox, given_cache, train_seconds)
        results.append(self.grade_decision((cells or {}).get(self.decision_cell), losses))
        order = {p.grade_id: i for i, p in enumerate(self.parts)}
        return Graded(sorted(results, key=lambda r: order[r.grade_id]))

    def extraction_failed(self, message: str, sandbox: Sandbox, *, cells: dict[str, str | None] | None = None,
                          reference: list[list[float]] | None = None, given_cache: Path | None = None,
                          train_seconds: float = TRAIN_SECONDS, **_: Any) -> Graded:
        """The code cell gave nothing: its parts score zero, but the decision cell is still graded."""
        results = [CheckResult.zero(p.grade_id, p.points, message) for p in self.parts if p.check != "decision"]
        losses = reference if reference is not None else self.reference(sandbox, given_cache, train_seconds)
        results.append(self.grade_decision((cells or {}).get(self.decision_cell), losses))
        return Graded(results)

    def wrong_answers(self) -> dict[str, str]:
        return dict(self.mistakes)

    # ----- in the learner's notebook ---------------------------------------------------------------

    def check(self, grade_id: str, namespace: dict[str, Any]) -> CheckResult:
        """Run one graded part on the learner's own functions; print the verdict, fail loudly if not met.

        For the decision this recomputes the reference table in the kernel (the instructor's
        hidden test); the learner's visible check only compares the decision with their own run.
        """
        if grade_id == self.decision.grade_id:
            chosen = namespace.get(cv.DECISION_NAME)
            source = f"{cv.DECISION_NAME} = {chosen!r}"
            return self.verdict(self.grade_decision(source, self.reference_losses(progress=True).tolist()))
        calls, arrays = self.plan()
        record, outputs = cv.run_plan(namespace, calls, arrays)
        return self.verdict(self.grade_record(record, outputs, parts=(grade_id,))[0])

    def check_consistent(self, chosen: Any, losses: Any, choose: Callable) -> None:
        """The visible self-check of the decision: a candidate, and the one your own table and rule give."""
        if not isinstance(chosen, (int, float)) or isinstance(chosen, bool):
            raise AssertionError(f"{cv.DECISION_NAME} must be a number, e.g. {cv.DECISION_NAME} = 0.001")
        if not any(math.isclose(chosen, c, rel_tol=1e-9, abs_tol=1e-15) for c in self.candidates):
            raise AssertionError(f"{cv.DECISION_NAME} = {chosen!r} is not one of the candidates {self.candidates}")
        picked = choose(list(self.candidates), np.asarray(losses))
        if not math.isclose(chosen, picked, rel_tol=1e-9, abs_tol=1e-15):
            raise AssertionError(f"your own cross-validation table and `choose` give {picked:g}, but "
                                 f"{cv.DECISION_NAME} = {chosen:g}: submit what the procedure chose")
        print(f"{cv.DECISION_NAME} = {chosen:g} is what your cross-validation chose.")

    def plot(self, losses: Any, chosen: float | None = None, ax=None):
        """Mean validation loss of each candidate ± one standard error, with every fold's score in grey."""
        import matplotlib.pyplot as plt

        losses = np.asarray(losses, dtype=float)
        ax = ax or plt.subplots(figsize=(7, 4))[1]
        positions = np.arange(len(self.candidates))
        for i in positions:
            ax.plot(np.full(losses.shape[1], i), losses[i], "o", color="grey", alpha=0.4, markersize=4)
        se = losses.std(axis=1, ddof=1) / np.sqrt(losses.shape[1])
        ax.errorbar(positions, losses.mean(axis=1), yerr=se, fmt="o-", color="C0", capsize=4,
                    label="mean over folds ± 1 s.e.")
        if chosen is not None:
            i = int(np.argmin([abs(c - chosen) for c in self.candidates]))
            ax.plot(i, losses[i].mean(), "*", color="C3", markersize=16, label=f"chosen: λ = {chosen:g}")
        ax.set_xticks(positions, [f"{c:g}" for c in self.candidates])
        ax.set_xlabel("L2 strength λ")
        ax.set_ylabel("validation cross-entropy (held-out fold)")
        ax.grid(alpha=0.3)
        ax.legend()
        return ax

    def held_out_report(self, chosen: float) -> dict[str, dict[str, float]]:
        """After deciding: no penalty and the chosen λ, each trained on all training images, scored
        once on the validation images (true labels). Looked at only after the choice is made."""
        from autograder import noisy_digits

        task = _small_digits()
        report = {}
        for label, l2 in (("no penalty", 0.0), (f"λ = {chosen:g}", chosen)):
            model = self.fit(l2, task.x_train, task.y_train)
            report[label] = noisy_digits.scores(model, task.x_val, task.y_val)
        return report


_REFERENCES: dict[str, list[list[float]]] = {}


def _memo_reference(task: ChoiceTask, sandbox: Sandbox, seconds: float) -> list[list[float]]:
    key = task.reference_cache_name()
    if key not in _REFERENCES:
        _REFERENCES[key] = task.compute_reference(sandbox, seconds)
    return _REFERENCES[key]
