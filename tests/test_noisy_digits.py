"""The shared overfitting task's statistics: paired gains, their signs and their standard errors."""

import math

import pandas as pd
import pytest

from autograder import noisy_digits


def runs(rows):
    return pd.DataFrame([{"config": c, "seed": s, "accuracy": a, "cross-entropy": ce} for c, s, a, ce in rows])


def test_paired_gains_are_means_of_per_seed_differences_with_their_standard_error():
    frame = runs([("none", 0, 0.80, 0.70), ("none", 1, 0.70, 0.90), ("none", 2, 0.75, 0.80),
                  ("reg", 0, 0.85, 0.60), ("reg", 1, 0.78, 0.70), ("reg", 2, 0.81, 0.75)])
    row = noisy_digits.paired_gains(frame, baseline="none").loc["reg"]
    acc_diffs = [0.05, 0.08, 0.06]
    mean = sum(acc_diffs) / 3
    se = math.sqrt(sum((d - mean) ** 2 for d in acc_diffs) / 2) / math.sqrt(3)  # ddof=1
    assert row["accuracy gain"] == pytest.approx(mean) and row["± s.e."] == pytest.approx(se)
    # a gain in cross-entropy is a decrease: baseline minus configuration
    assert row["CE gain"] == pytest.approx((0.10 + 0.20 + 0.05) / 3)
    assert row["accuracy"] == pytest.approx((0.85 + 0.78 + 0.81) / 3)


def test_the_pairing_is_by_seed_not_by_row_order():
    frame = runs([("none", 1, 0.70, 0.9), ("none", 0, 0.80, 0.7), ("reg", 0, 0.81, 0.7), ("reg", 1, 0.71, 0.9)])
    row = noisy_digits.paired_gains(frame, baseline="none").loc["reg"]
    assert row["accuracy gain"] == pytest.approx(0.01) and row["± s.e."] == pytest.approx(0.0, abs=1e-12)
