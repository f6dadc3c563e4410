"""The NumPy dropout checks: full marks for correct code, one precise reason per mistake."""

import numpy as np
import pytest

from autograder.checks import dropout_numpy
from autograder.sandbox.channel import decode, encode, validate
from autograder.sandbox.runner import run_calls
from autograder.tasks import EX4


def inverted(x, rate, training, rng):
    if not 0 <= rate < 1:
        raise ValueError("rate must be in [0, 1)")
    if not training:
        return x
    return (x * (rng.random(x.shape) >= rate) / (1 - rate)).astype(x.dtype)


def vanilla(x, rate, training, rng):  # scales at test time instead: the classic confusion
    if not 0 <= rate < 1:
        raise ValueError("bad rate")
    return x * (rng.random(x.shape) >= rate) if training else x * (1 - rate)


def keep_prob_confused(x, rate, training, rng):  # treats rate as the keep probability
    if not 0 <= rate < 1:
        raise ValueError("bad rate")
    return x * (rng.random(x.shape) < rate) / rate if training and rate > 0 else x


def global_rng(x, rate, training, rng):
    if not 0 <= rate < 1:
        raise ValueError("bad rate")
    return (x * (np.random.random(x.shape) >= rate) / (1 - rate)).astype(x.dtype) if training else x


def upcasts(x, rate, training, rng):
    if not 0 <= rate < 1:
        raise ValueError("bad rate")
    return x * (rng.random(x.shape) >= rate) / (1 - rate) * np.float64(1) if training else x.astype(np.float64)


def in_place(x, rate, training, rng):
    if not 0 <= rate < 1:
        raise ValueError("bad rate")
    if training:
        x *= (rng.random(x.shape) >= rate) / (1 - rate)
    return x


def no_validation(x, rate, training, rng):
    return (x * (rng.random(x.shape) >= rate) / (1 - rate)).astype(x.dtype) if training else x


def assert_error(x, rate, training, rng):
    assert 0 <= rate < 1
    return inverted(x, rate, training, rng)


def scores(fn):
    calls, arrays = dropout_numpy.plan()
    raw, outputs = run_calls(fn, calls, arrays)
    return {r.grade_id: r for r in EX4.grade_record(dropout_numpy.record_from_run(raw, outputs))}


def test_reference_gets_every_point():
    results = scores(inverted)
    assert all(r.passed for r in results.values()), [r.message for r in results.values()]
    assert sum(r.points for r in results.values()) == 6


@pytest.mark.parametrize(
    ("fn", "failing", "fragment"),
    [
        (vanilla, {"ex4_inference_identity", "ex4_survivor_scaling", "ex4_mean_preserved"}, "equal the input"),
        (keep_prob_confused, {"ex4_zero_fraction", "ex4_survivor_scaling"}, "DROPPING"),
        (global_rng, {"ex4_zero_fraction"}, "from the `rng` argument"),
        (upcasts, {"ex4_shape_dtype"}, "came back as float64"),
        (in_place, {"ex4_shape_dtype"}, "in place"),
        (no_validation, {"ex4_bad_rate"}, "must raise ValueError"),
        (assert_error, {"ex4_bad_rate"}, "raised AssertionError"),
    ],
)
def test_each_mistake_loses_exactly_its_points(fn, failing, fragment):
    results = scores(fn)
    lost = {g for g, r in results.items() if not r.passed}
    assert lost == failing, {g: results[g].message for g in lost}
    assert any(fragment in results[g].message for g in failing)


def test_record_survives_the_trip_through_the_channel():
    calls, arrays = dropout_numpy.plan()
    raw, outputs = run_calls(inverted, calls, arrays)
    meta, back = decode(encode({"status": "ok", "calls": raw}, outputs), max_bytes=32 * 1024**2)
    validate(meta, EX4.artifact_schema)
    assert [r.points for r in EX4.grade_record(dropout_numpy.record_from_run(meta["calls"], back))] == [1] * 6


def test_a_call_left_out_of_the_record_fails_its_checks():
    calls, arrays = dropout_numpy.plan()
    raw, outputs = run_calls(inverted, calls, arrays)
    del raw["ones_train"], outputs["ones_train"]
    results = {r.grade_id: r for r in EX4.grade_record(dropout_numpy.record_from_run(raw, outputs))}
    assert not results["ex4_zero_fraction"].passed and "no result was recorded" in results["ex4_zero_fraction"].message


def test_a_function_that_raises_everywhere_scores_zero_without_crashing():
    def broken(x, rate, training, rng):
        raise TypeError("oops")

    results = scores(broken)
    assert sum(r.points for r in results.values()) == 0
    assert "TypeError: oops" in results["ex4_inference_identity"].message
