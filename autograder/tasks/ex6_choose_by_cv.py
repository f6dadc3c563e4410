"""Exercise 6: choose the L2 strength by 5-fold cross-validation on the training images.

The task is the course's deliberately overfittable one (``load_small_digits``:
200 training digits, a fifth of them mislabelled), the network the lab's wide
MLP. The regularization lab fixed λ = 10⁻³ in advance and found no gain; here the
learner lets cross-validation choose among the decades from 0 to 0.1.
"""

from __future__ import annotations

from autograder.tasks.base import Part
from autograder.tasks.choice_task import ChoiceTask

REFERENCE = '''
from sklearn.model_selection import StratifiedKFold


def make_folds(y, k, seed):
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros((len(y), 1)), y))


def cross_validate(fit_and_score, candidates, folds):
    losses = np.zeros((len(candidates), len(folds)))
    for i, candidate in enumerate(candidates):
        for j, (train_idx, val_idx) in enumerate(folds):
            losses[i, j] = fit_and_score(candidate, train_idx, val_idx)
    return losses


def choose(candidates, losses):
    return candidates[int(np.argmin(np.mean(losses, axis=1)))]
'''


def _variant(old: str, new: str) -> str:
    assert old in REFERENCE, old
    return REFERENCE.replace(old, new)


MISTAKES = (
    # Plain k-fold: a valid partition, but a class's share varies from fold to fold.
    ("unstratified", _variant("from sklearn.model_selection import StratifiedKFold",
                              "from sklearn.model_selection import KFold as StratifiedKFold")),
    # No seed: the folds change on every call, so nobody can reproduce the table.
    ("unseeded_folds", _variant("random_state=seed", "random_state=None")),
    # Trains on the validation rows too.
    ("trains_on_everything", _variant("fit_and_score(candidate, train_idx, val_idx)",
                                      "fit_and_score(candidate, np.concatenate([train_idx, val_idx]), val_idx)")),
    # Folds as rows, candidates as columns.
    ("transposed_table", _variant("    return losses\n", "    return losses.T\n")),
    # The luckiest single fold instead of the mean.
    ("best_single_fold", _variant("np.argmin(np.mean(losses, axis=1))", "np.argmin(np.min(losses, axis=1))")),
    # The position of the best candidate, not the candidate.
    ("index_not_value", _variant("return candidates[int(np.argmin(np.mean(losses, axis=1)))]",
                                 "return int(np.argmin(np.mean(losses, axis=1)))")),
)

TASK = ChoiceTask(
    name="ex6_choose_by_cv",
    title="Choose the L2 strength by cross-validation",
    solution_cell="ex6_cv_code",
    decision_cell="ex6_decision_value",
    part_list=(
        Part("ex6_folds_partition", 1, check="folds_partition"),
        Part("ex6_folds_stratified", 1, check="folds_stratified"),
        Part("ex6_cv_loop", 1, check="loop"),
        Part("ex6_choose", 1, check="choose"),
        Part("ex6_decision", 2, check="decision"),
    ),
    candidates=(0.0, 1e-4, 1e-3, 1e-2, 1e-1),
    k=5,
    cv_seed=0,
    hidden=(256, 256),
    passes=100,
    batch_size=32,
    learning_rate=1e-3,
    fit_seed=1234,
    mistakes=MISTAKES,
)
