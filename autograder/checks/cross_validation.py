"""Exercise 6's checks: k-fold splits, the cross-validation loop and the choice.

The learner writes three functions:

``make_folds(y, k, seed)``
    k (train_idx, val_idx) pairs over the rows of ``y``, stratified by class;
``cross_validate(fit_and_score, candidates, folds)``
    the table of validation losses, one row per candidate, one column per fold,
    where ``fit_and_score(candidate, train_idx, val_idx)`` trains on one fold's
    training rows and returns the loss on its validation rows;
``choose(candidates, losses)``
    the candidate with the lowest mean loss over the folds.

As in exercise 4, the judge plans every call (:func:`plan`), the sandbox only
runs them and returns raw outputs (:func:`run_plan`, which the learner's
self-checks run too), and every decision below is a pure function of those
outputs. The loop is called with a stand-in for training (:func:`stand_in_score`),
a formula of the indices it receives: a table that matches it cannot be faked
without calling it with the right rows in the right place.

The choice itself (``CHOSEN_L2``) is judged against the grader's own
cross-validation on the training split (:func:`accepted`), never against the
validation or test images, so looking at those cannot raise the grade.
"""

from __future__ import annotations

import ast
import math
from typing import Any

import numpy as np

from autograder.checks.result import CheckResult

FUNCTIONS = ("make_folds", "cross_validate", "choose")
DECISION_NAME = "CHOSEN_L2"

# The loop check's own small problem: 12 rows, 4 folds, 3 candidates, chosen by the judge.
LOOP_VAL_FOLDS = ((0, 5, 7), (1, 8, 11), (2, 4, 9), (3, 6, 10))
LOOP_CANDIDATES = (0.0, 0.01, 0.1)

# The choice check's tables. In table "spread" the lowest *mean* (row 3) is not the lowest
# single fold (row 2), last fold (row 0), first fold (row 2) or median (row 4); in table
# "descending" the candidates are not in increasing order and there are not as many folds as
# candidates, so an index, a reversed order or the wrong axis all give another answer.
CHOICE_TABLES: dict[str, tuple[tuple[float, ...], tuple[tuple[float, ...], ...]]] = {
    "spread": ((0.0, 1e-4, 1e-3, 1e-2, 1e-1), (
        (2.0, 2.0, 2.0, 2.0, 0.5),
        (1.9, 1.9, 1.9, 1.9, 1.9),
        (0.1, 2.5, 2.5, 2.5, 2.5),
        (1.2, 1.2, 1.6, 1.6, 1.6),
        (1.5, 1.5, 1.5, 3.0, 3.0),
    )),
    "descending": ((0.1, 0.01, 0.001, 0.0), (
        (1.30, 1.10, 1.20),
        (0.90, 1.00, 0.95),
        (1.00, 0.70, 1.40),
        (1.60, 1.50, 0.60),
    )),
}

CALL_SCHEMA = {"raised?": str, "raised_mro?": [str], "message?": str, "n_folds?": int, "value?": float,
               "input_modified?": bool}


def stand_in_score(candidate: float, train_idx: Any, val_idx: Any) -> float:
    """What the loop check's ``fit_and_score`` returns: depends on the candidate and on both index sets."""
    train = np.asarray(train_idx, dtype=np.int64).ravel()
    val = np.asarray(val_idx, dtype=np.int64).ravel()
    return float(candidate) + 1e-3 * float(val.sum() + 1) + 1e-6 * float(train.sum() + 1) + 1e-8 * len(train)


def skewed_labels() -> np.ndarray:
    """Three unequal classes (23, 14 and 9 rows) in a fixed shuffled order: stratification must work here too."""
    y = np.repeat(np.arange(3), (23, 14, 9))
    return np.random.default_rng(6).permutation(y)


def plan(y_train: np.ndarray, k: int, seed: int) -> tuple[list[dict], dict[str, np.ndarray]]:
    """The calls the judge makes, and their input arrays (the same in the sandbox and in the notebook)."""
    n = 12
    arrays: dict[str, np.ndarray] = {"y_course": np.asarray(y_train).astype(np.int64), "y_skewed": skewed_labels()}
    calls: list[dict] = [
        {"name": "folds_course", "function": "make_folds", "labels": "y_course", "k": k, "seed": seed},
        {"name": "folds_course_again", "function": "make_folds", "labels": "y_course", "k": k, "seed": seed},
        {"name": "folds_skewed", "function": "make_folds", "labels": "y_skewed", "k": 4, "seed": 7},
    ]
    for j, val in enumerate(LOOP_VAL_FOLDS):
        arrays[f"loop__val__{j}"] = np.array(val, dtype=np.int64)
        arrays[f"loop__train__{j}"] = np.array(sorted(set(range(n)) - set(val)), dtype=np.int64)
    calls.append({"name": "loop", "function": "cross_validate", "candidates": list(LOOP_CANDIDATES),
                  "n_folds": len(LOOP_VAL_FOLDS)})
    for name, (candidates, table) in CHOICE_TABLES.items():
        arrays[f"choose_{name}"] = np.array(table, dtype=np.float64)
        calls.append({"name": f"choose_{name}", "function": "choose", "candidates": list(candidates),
                      "losses": f"choose_{name}"})
    return calls, arrays


def _raised(exc: BaseException) -> dict[str, Any]:
    return {"raised": type(exc).__name__, "raised_mro": [c.__name__ for c in type(exc).__mro__],
            "message": str(exc)[:300]}


def _bad(message: str) -> dict[str, Any]:
    return {"raised": "BadReturn", "raised_mro": ["BadReturn"], "message": message}


def _index_array(value: Any) -> np.ndarray:
    """Indices as a flat int64 array; whole floats are accepted, anything else is refused."""
    out = np.asarray(value)
    if out.size == 0 or out.dtype.kind in "iu":
        return out.astype(np.int64).ravel()
    if out.dtype.kind == "f" and np.all(out == np.round(out)):
        return out.astype(np.int64).ravel()
    raise TypeError(f"indices must be integers, got an array of {out.dtype}")


def run_plan(namespace: dict[str, Any], calls: list[dict], arrays: dict) -> tuple[dict[str, Any], dict]:
    """Make the planned calls on the functions in ``namespace``; record raw outputs or exceptions.

    Runs in the sandbox for grading and in the learner's kernel for the self-checks.
    """
    record: dict[str, Any] = {}
    outputs: dict[str, np.ndarray] = {}
    for call in calls:
        name, function = call["name"], call["function"]
        fn = namespace.get(function)
        if not callable(fn):
            record[name] = {"raised": "Missing", "raised_mro": ["Missing"],
                            "message": f"your cell does not define a function named `{function}`"}
            continue
        try:
            if function == "make_folds":
                labels = np.array(arrays[call["labels"]], copy=True)
                folds = list(fn(labels, call["k"], call["seed"]))
                entry: dict[str, Any] = {"n_folds": len(folds),
                                         "input_modified": not np.array_equal(labels, arrays[call["labels"]])}
                for i, pair in enumerate(folds[:50]):
                    train_idx, val_idx = pair
                    outputs[f"{name}__train__{i}"] = _index_array(train_idx)
                    outputs[f"{name}__val__{i}"] = _index_array(val_idx)
            elif function == "cross_validate":
                folds = [(np.array(arrays[f"loop__train__{j}"]), np.array(arrays[f"loop__val__{j}"]))
                         for j in range(call["n_folds"])]
                table = np.asarray(fn(stand_in_score, list(call["candidates"]), folds), dtype=np.float64)
                entry = {}
                outputs[name] = table
            else:
                losses = np.array(arrays[call["losses"]], copy=True)
                value = fn(list(call["candidates"]), losses)
                entry = {"value": float(value),
                         "input_modified": not np.array_equal(losses, arrays[call["losses"]])}
        except Exception as exc:
            record[name] = _raised(exc)
            continue
        record[name] = entry
    return record, outputs


# ----- the pure checks -----------------------------------------------------------------------

def _failure(record: dict, name: str, what: str) -> str | None:
    raw = record.get(name)
    if raw is None:
        return f"{what}: no result was recorded"
    if "raised" in raw:
        return f"{what} raised {raw['raised']}: {raw.get('message', '')}"
    return None


def _folds(record: dict, outputs: dict, name: str) -> list[tuple[np.ndarray, np.ndarray]]:
    n = record[name]["n_folds"]
    return [(outputs.get(f"{name}__train__{i}", np.zeros(0, np.int64)),
             outputs.get(f"{name}__val__{i}", np.zeros(0, np.int64))) for i in range(min(n, 50))]


def folds_problems(folds: list[tuple[np.ndarray, np.ndarray]], n_rows: int, k: int, what: str) -> list[str]:
    """Why these are not k folds over ``n_rows`` rows (empty: they are)."""
    if len(folds) != k:
        return [f"{what}: expected {k} (train_idx, val_idx) pairs, got {len(folds)}"]
    problems = []
    seen = np.zeros(n_rows, dtype=np.int64)
    everything = np.arange(n_rows)
    for i, (train, val) in enumerate(folds):
        if train.size and (train.min() < 0 or train.max() >= n_rows) or val.size and (
                val.min() < 0 or val.max() >= n_rows):
            return [f"{what}: fold {i} holds indices outside 0..{n_rows - 1}"]
        if len(np.unique(val)) != len(val) or len(np.unique(train)) != len(train):
            problems.append(f"{what}: fold {i} lists a row twice")
        if np.intersect1d(train, val).size:
            problems.append(f"{what}: fold {i} trains on rows it also validates on")
        elif not np.array_equal(np.union1d(train, val), everything):
            problems.append(f"{what}: in fold {i}, the training rows are not all the rows outside its validation "
                            "part")
        np.add.at(seen, val, 1)
    if not problems and not np.all(seen == 1):
        never, twice = int(np.sum(seen == 0)), int(np.sum(seen > 1))
        problems.append(f"{what}: every row must be a validation row exactly once; {never} never are and "
                        f"{twice} more than once")
    return problems


def _fold_calls(record: dict, outputs: dict, arrays: dict, calls: list[dict], problems: list[str]):
    """Each planned make_folds call whose folds came back: ``(call, what, folds, n_rows)``.

    A call that raised (or returned nothing) adds its reason to ``problems`` instead.
    """
    for call in calls:
        if call["function"] != "make_folds":
            continue
        n_rows = len(arrays[call["labels"]])
        what = f"make_folds(y of {n_rows} rows, k={call['k']}, seed={call['seed']})"
        failure = _failure(record, call["name"], what)
        if failure:
            problems.append(failure)
            continue
        yield call, what, _folds(record, outputs, call["name"]), n_rows


def check_folds_partition(record: dict, outputs: dict, arrays: dict, calls: list[dict], grade_id: str,
                          points: float) -> CheckResult:
    problems: list[str] = []
    for call, what, folds, n_rows in _fold_calls(record, outputs, arrays, calls, problems):
        problems += folds_problems(folds, n_rows, call["k"], what)
        if record[call["name"]].get("input_modified"):
            problems.append(f"{what} changed the labels it was given")
    if not problems and "folds_course_again" in record:
        first, again = _folds(record, outputs, "folds_course"), _folds(record, outputs, "folds_course_again")
        if not all(np.array_equal(a[1], b[1]) for a, b in zip(first, again, strict=True)):
            problems.append("two calls with the same seed gave different folds: draw the shuffle from `seed` "
                            "(e.g. `random_state=seed`), so the folds can be reproduced")
    return CheckResult.all_or_nothing(grade_id, points, problems,
                                      "PASSED: every row is a validation row exactly once, each fold trains on "
                                      "all the other rows, and the same seed gives the same folds.")


def stratification_problems(folds: list[tuple[np.ndarray, np.ndarray]], y: np.ndarray, what: str) -> list[str]:
    """Each class's count in each validation part must be its total over k, rounded down or up."""
    k = len(folds)
    problems = []
    for c in np.unique(y):
        total = int(np.sum(y == c))
        low, high = total // k, -(-total // k)
        counts = [int(np.sum(y[val] == c)) for _, val in folds]
        if min(counts) < low or max(counts) > high:
            problems.append(f"{what}: class {c} ({total} rows) appears {counts} times in the {k} validation "
                            f"parts; stratified folds hold {low}{'' if low == high else f' or {high}'} each")
    return problems


def check_folds_stratified(record: dict, outputs: dict, arrays: dict, calls: list[dict], grade_id: str,
                           points: float) -> CheckResult:
    problems: list[str] = []
    for call, what, folds, n_rows in _fold_calls(record, outputs, arrays, calls, problems):
        if call["name"] == "folds_course_again":  # the repeat only checks the seed (partition part)
            continue
        partition = folds_problems(folds, n_rows, call["k"], what)
        problems += ([f"{what}: not a valid set of folds (see the partition check)"] if partition
                     else stratification_problems(folds, arrays[call["labels"]], what)[:3])
    return CheckResult.all_or_nothing(grade_id, points, problems,
                                      "PASSED: every class keeps its share in every validation part.")


def check_loop(record: dict, outputs: dict, arrays: dict, calls: list[dict], grade_id: str,
               points: float) -> CheckResult:
    call = next(c for c in calls if c["function"] == "cross_validate")
    what = "cross_validate(fit_and_score, candidates, folds)"
    failure = _failure(record, call["name"], what)
    if failure:
        return CheckResult.zero(grade_id, points, failure)
    folds = [(arrays[f"loop__train__{j}"], arrays[f"loop__val__{j}"]) for j in range(call["n_folds"])]
    expected = np.array([[stand_in_score(c, tr, va) for tr, va in folds] for c in call["candidates"]])
    table = outputs.get(call["name"], np.zeros(0))
    if table.shape != expected.shape:
        hint = " (rows and columns swapped?)" if table.shape == expected.shape[::-1] else ""
        return CheckResult.zero(grade_id, points, f"{what} returned a table of shape {table.shape}; expected "
                                f"{expected.shape}: one row per candidate, one column per fold{hint}.")
    if not np.allclose(table, expected, rtol=1e-9, atol=1e-12):
        wrong = np.argwhere(~np.isclose(table, expected, rtol=1e-9, atol=1e-12))[0]
        return CheckResult.zero(grade_id, points,
                                f"{what}: entry [{wrong[0]}, {wrong[1]}] is not fit_and_score(candidates[{wrong[0]}], "
                                f"train_idx, val_idx) of fold {wrong[1]}. Call fit_and_score once per candidate and "
                                "fold, with that fold's training indices and then its validation indices, and put "
                                "the result in row = candidate, column = fold.")
    return CheckResult(grade_id, points, points, "PASSED: one score per candidate and fold, each trained on the "
                       "fold's training rows and measured on its validation rows.")


def lowest_mean(candidates: list[float], losses: np.ndarray) -> float:
    """The rule the course teaches: the candidate whose mean validation loss over the folds is lowest."""
    return float(candidates[int(np.argmin(np.asarray(losses).mean(axis=1)))])


def check_choose(record: dict, outputs: dict, arrays: dict, calls: list[dict], grade_id: str,
                 points: float) -> CheckResult:
    problems = []
    for call in calls:
        if call["function"] != "choose":
            continue
        what = f"choose(candidates={call['candidates']}, losses=<{call['name'][7:]} table>)"
        failure = _failure(record, call["name"], what)
        if failure:
            problems.append(failure)
            continue
        expected = lowest_mean(call["candidates"], arrays[call["losses"]])
        got = record[call["name"]]["value"]
        if not math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-15):
            problems.append(f"{what} returned {got:g}; the candidate with the lowest mean loss over the folds "
                            f"(each row is a candidate) is {expected:g}. Return the candidate itself, not its "
                            "position.")
        if record[call["name"]].get("input_modified"):
            problems.append(f"{what} changed the table it was given")
    return CheckResult.all_or_nothing(grade_id, points, problems,
                                      "PASSED: the candidate with the lowest mean validation loss is chosen.")


CHECKS = {"folds_partition": check_folds_partition, "folds_stratified": check_folds_stratified,
          "loop": check_loop, "choose": check_choose}


# ----- the decision ----------------------------------------------------------------------------

def parse_decision(source: str | None, name: str = DECISION_NAME) -> float:
    """The number assigned to ``name`` in the decision cell, read without running anything.

    Raises ValueError with a message for the learner when it is not a plain number.
    """
    if source is None:
        raise ValueError("the decision cell is missing from the notebook")
    try:
        tree = ast.parse("\n".join("" if line.lstrip().startswith(("%", "!")) else line
                                   for line in source.splitlines()))
    except SyntaxError as exc:
        raise ValueError(f"the decision cell is not valid Python: {exc.msg} (line {exc.lineno})") from None
    values = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            try:
                values.append(ast.literal_eval(node.value))
            except ValueError:
                raise ValueError(f"write {name} as a plain number, e.g. `{name} = 0.001`: the grader reads it "
                                 "without running your code") from None
    if not values:
        raise ValueError(f"the decision cell does not assign {name}")
    value = values[-1]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number, not {value!r}")
    return float(value)


def accepted(candidates: list[float], losses: np.ndarray) -> dict[float, tuple[float, float]]:
    """The candidates cross-validation cannot tell from the best: within one standard error of it.

    For each candidate the per-fold differences to the best candidate (same folds, same
    initial weights) give a mean and a standard error (``ddof=1``); a candidate whose
    mean difference is at most one standard error is accepted, as a different but valid
    fold assignment could have ranked it first. Returns ``{candidate: (mean, se)}`` of
    the accepted ones.
    """
    losses = np.asarray(losses, dtype=np.float64)
    best = int(np.argmin(losses.mean(axis=1)))
    out = {}
    for i, c in enumerate(candidates):
        d = losses[i] - losses[best]
        mean, se = float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))
        if mean <= se:
            out[float(c)] = (mean, se)
    return out


def check_decision(chosen: float, candidates: list[float], losses: np.ndarray, grade_id: str,
                   points: float) -> CheckResult:
    """Full points when ``chosen`` is a candidate that the grader's cross-validation cannot tell from the best."""
    losses = np.asarray(losses, dtype=np.float64)
    match = [c for c in candidates if math.isclose(chosen, c, rel_tol=1e-9, abs_tol=1e-15)]
    if not match:
        return CheckResult.zero(grade_id, points, f"{DECISION_NAME} = {chosen:g} is not one of the candidates "
                                f"{list(candidates)}.")
    means = losses.mean(axis=1)
    table = ", ".join(f"λ={c:g}: {m:.3f}" for c, m in zip(candidates, means, strict=True))
    ok = accepted(candidates, losses)
    best = float(candidates[int(np.argmin(means))])
    if float(match[0]) in ok:
        return CheckResult(grade_id, points, points, f"PASSED: λ = {chosen:g} agrees with the grader's "
                           f"{losses.shape[1]}-fold cross-validation on the training images (mean validation "
                           f"loss {table}).")
    i = list(candidates).index(match[0])
    d = losses[i] - losses[int(np.argmin(means))]
    return CheckResult.zero(grade_id, points, f"the grader's {losses.shape[1]}-fold cross-validation on the "
                            f"training images prefers λ = {best:g} (mean validation loss {table}); λ = {chosen:g} "
                            f"is worse by {d.mean():.3f} ± {d.std(ddof=1) / np.sqrt(len(d)):.3f} (paired, ± one "
                            "standard error), more than noise. The grade compares with cross-validation on the "
                            "training images only: the validation and test images play no part in it.")
