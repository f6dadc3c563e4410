"""The grader's training run is deterministic and is the same code path the learner calls."""

import math
from dataclasses import replace

from autograder.recipe import final_score, fit_from_json
from autograder.tasks import EX1, EX2

SHORT = replace(EX1.recipe, epochs=3)


def test_same_config_same_history_bit_for_bit():
    model_json = EX1.baseline_model().to_json()
    assert fit_from_json(model_json, SHORT) == fit_from_json(model_json, SHORT)


def test_seed_changes_the_run():
    model_json = EX1.baseline_model().to_json()
    assert fit_from_json(model_json, SHORT) != fit_from_json(model_json, SHORT.with_seed(1))


def test_initial_weights_come_from_the_grader_seed_not_the_learners_model():
    a, b = EX1.baseline_model(), EX1.baseline_model()  # built with different random weights
    assert fit_from_json(a.to_json(), SHORT) == fit_from_json(b.to_json(), SHORT)


def test_diverged_training_scores_infinity():
    history = {"val_loss": [3.0, float("nan"), float("nan"), float("inf"), float("nan"), float("nan")]}
    assert math.isinf(final_score(history, EX2.recipe))


def test_score_averages_the_last_epochs():
    history = {"val_loss": [9.0, 1.0, 2.0, 3.0, 4.0, 5.0]}
    assert final_score(history, EX1.recipe) == 3.0
