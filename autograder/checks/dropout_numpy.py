"""Checks for a learner's inverted-dropout function ``dropout_forward(x, rate, training, rng)``.

Grading is split in two so that no check runs in the same process as learner code:
the grader plans the calls (:func:`plan`: inputs, rates, seeds), the sandbox's
runner makes them and sends back only the raw outputs or each call's exception
(:func:`autograder.sandbox.runner.run_calls`), and the ``check_*`` functions
here are pure functions of that record, run outside the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.checks.result import CheckResult

PROBE_SEED = 8675309
BAD_RATES = (1.0, -0.1, 1.5)


def probe_inputs() -> dict[str, tuple[np.ndarray, float, bool, int]]:
    """The grader's inputs: name -> (x, rate, training, rng seed)."""
    rng = np.random.default_rng(PROBE_SEED)
    normal = rng.normal(size=(64, 32))
    shifted = rng.normal(loc=2.0, size=(300, 400))
    return {
        "inference": (normal, 0.5, False, 1),
        "ones_train": (np.ones((200, 500)), 0.3, True, 2),
        "shifted_train": (shifted, 0.5, True, 3),
        "shifted_train_again": (shifted, 0.5, True, 3),
        "rate_zero_train": (normal, 0.0, True, 4),
        "float32_train": (rng.normal(size=(7, 3, 5)).astype(np.float32), 0.25, True, 5),
        "float32_infer": (rng.normal(size=(7, 3, 5)).astype(np.float32), 0.25, False, 6),
        **{f"bad_rate_{r}": (normal, r, True, 7) for r in BAD_RATES},
    }


def plan() -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """The calls the grader makes, as data for the runner: ``(calls, input arrays by name)``."""
    calls, arrays = [], {}
    for name, (x, rate, training, seed) in probe_inputs().items():
        calls.append({"name": name, "input": name, "rate": rate, "training": training, "seed": seed})
        arrays[name] = x
    return calls, arrays


CALL_SCHEMA = {"input_modified?": bool, "returned_type?": str, "raised?": str, "raised_mro?": [str], "message?": str}


def record_from_run(calls: dict[str, dict[str, Any]], outputs: dict[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    """The checks' record from the runner's raw results: outputs, or the exception each call raised.

    A call the runner did not report counts as failed. Whether an exception is a
    ``ValueError`` is read from its class hierarchy's names, so a subclass counts.
    """
    record: dict[str, dict[str, Any]] = {}
    for name in probe_inputs():
        raw = calls.get(name)
        if raw is None or ("raised" not in raw and name not in outputs):
            record[name] = {"error": "no result was recorded for this call", "error_type": "Missing",
                            "is_value_error": False}
        elif "raised" in raw:
            record[name] = {"error": f"{raw['raised']}: {raw.get('message', '')}", "error_type": raw["raised"],
                            "is_value_error": "ValueError" in raw.get("raised_mro", [])}
        else:
            record[name] = {"input_modified": bool(raw.get("input_modified")), "out": outputs[name]}
            if "returned_type" in raw:
                record[name]["returned_type"] = raw["returned_type"]
    return record


# ----- pure checks on a probe record ----------------------------------------------------------


def _failed(rec: dict[str, Any], what: str) -> str | None:
    if "error" in rec:
        return f"{what} raised {rec['error']}"
    return None


def check_inference_identity(rec: dict, grade_id: str, points: float) -> CheckResult:
    x = probe_inputs()["inference"][0]
    r = rec["inference"]
    problems = [p for p in [_failed(r, "dropout_forward(x, 0.5, training=False, rng)")] if p]
    if not problems and not (r["out"].shape == x.shape and np.array_equal(r["out"], x)):
        problems.append("with training=False the output must equal the input exactly (inverted dropout "
                        "does all its scaling at training time).")
    return CheckResult.all_or_nothing(grade_id, points, problems, "OK: identity at inference.")


def check_zero_fraction(rec: dict, grade_id: str, points: float) -> CheckResult:
    r = rec["ones_train"]
    problems = [p for p in [_failed(r, "dropout_forward(ones, 0.3, training=True, rng)")] if p]
    if not problems:
        frac = float(np.mean(r["out"] == 0))
        if abs(frac - 0.3) > 0.01:
            problems.append(f"with rate=0.3 about 30% of the outputs should be zero; {100 * frac:.1f}% are "
                            "(rate is the probability of DROPPING a unit).")
        again = rec["shifted_train"], rec["shifted_train_again"]
        if all("out" in a for a in again) and not np.array_equal(again[0]["out"], again[1]["out"]):
            problems.append("two calls with generators of the same seed gave different masks: draw the mask "
                            "from the `rng` argument, not from np.random.")
    return CheckResult.all_or_nothing(grade_id, points, problems, "OK: the right fraction is dropped.")


def check_survivor_scaling(rec: dict, grade_id: str, points: float) -> CheckResult:
    problems = []
    for name, rate in (("ones_train", 0.3), ("shifted_train", 0.5)):
        x = probe_inputs()[name][0]
        r = rec[name]
        err = _failed(r, f"dropout_forward(x, {rate}, training=True, rng)")
        if err:
            problems.append(err)
            continue
        kept = r["out"] != 0
        if not kept.any() or not np.allclose(r["out"][kept], x[kept] / (1 - rate), rtol=1e-5):
            problems.append(f"with rate={rate} the surviving units must be multiplied by 1/(1-rate) = "
                            f"{1 / (1 - rate):g}.")
            break
    return CheckResult.all_or_nothing(grade_id, points, problems, "OK: survivors are scaled by 1/(1-rate).")


def check_mean_preserved(rec: dict, grade_id: str, points: float) -> CheckResult:
    problems = []
    for name in ("ones_train", "shifted_train"):
        x = probe_inputs()[name][0]
        r = rec[name]
        err = _failed(r, f"the {name.replace('_', ' ')} call")
        if err:
            problems.append(err)
            continue
        got, want = float(np.mean(r["out"])), float(np.mean(x))
        if abs(got - want) > 0.03 * abs(want):
            problems.append(f"the mean activation should be preserved in expectation: mean input {want:.3f}, "
                            f"mean output {got:.3f}.")
    r0 = rec["rate_zero_train"]
    if "out" in r0 and not np.allclose(r0["out"], probe_inputs()["rate_zero_train"][0]):
        problems.append("with rate=0 nothing is dropped, so the output must equal the input.")
    elif "error" in r0:
        problems.append(f"rate=0 (a valid rate) raised {r0['error']}")
    return CheckResult.all_or_nothing(grade_id, points, problems, "OK: the expected activation is preserved.")


def check_shape_dtype(rec: dict, grade_id: str, points: float) -> CheckResult:
    problems = []
    for name in ("float32_train", "float32_infer", "shifted_train"):
        x = probe_inputs()[name][0]
        r = rec[name]
        err = _failed(r, f"a call on a {x.dtype} array of shape {x.shape}")
        if err:
            problems.append(err)
            continue
        out = r["out"]
        if out.shape != x.shape:
            problems.append(f"input shape {x.shape} came back as {out.shape}.")
        if out.dtype != x.dtype:
            problems.append(f"input dtype {x.dtype} came back as {out.dtype}: keep the input's dtype.")
        if r.get("returned_type"):
            problems.append(f"return a NumPy array, not a {r['returned_type']}.")
        if r.get("input_modified"):
            problems.append("the function modified its input array in place; return a new array instead.")
    return CheckResult.all_or_nothing(grade_id, points, sorted(set(problems)), "OK: shape and dtype are kept.")


def check_bad_rate(rec: dict, grade_id: str, points: float) -> CheckResult:
    problems = []
    for rate in BAD_RATES:
        r = rec[f"bad_rate_{rate}"]
        if "error" not in r:
            problems.append(f"rate={rate} is outside [0, 1) and must raise ValueError; it returned normally.")
        elif not r.get("is_value_error"):
            problems.append(f"rate={rate} raised {r['error_type']}; raise ValueError with a clear message.")
    return CheckResult.all_or_nothing(grade_id, points, problems, "OK: invalid rates raise ValueError.")


CHECKS: dict[str, Callable[[dict, str, float], CheckResult]] = {
    "inference_identity": check_inference_identity,
    "zero_fraction": check_zero_fraction,
    "survivor_scaling": check_survivor_scaling,
    "mean_preserved": check_mean_preserved,
    "shape_dtype": check_shape_dtype,
    "bad_rate": check_bad_rate,
}
