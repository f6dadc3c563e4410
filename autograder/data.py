"""The course's data sets, splits and preprocessing: the single source of truth.

Chapters, exercises and the grader all load data through this module, so a
learner's split and scaling are exactly the grader's. Every CSV file is checked
against its recorded SHA-256 before it is read: an altered file would silently
change every number in the book and every grade.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.preprocessing import StandardScaler

SPLIT_SEED = 2024
"""Seed of every train/validation split; fixed so grades never depend on luck."""

_REPO_DATA = Path(__file__).resolve().parent.parent / "data"
# In a clone: the repository's data/. A pip-installed course package carries a copy (autograder/datasets).
DATA_DIR = Path(
    os.environ.get("COURSE_DATA_DIR", _REPO_DATA if _REPO_DATA.is_dir() else Path(__file__).parent / "datasets")
)


class DataFileError(RuntimeError):
    """A course data file is missing or differs from the one the course was built on."""


@dataclass(frozen=True)
class DatasetSpec:
    """Where a data set lives and how its target is read."""

    file: str
    sha256: str
    target: str
    task: str  # "binary" or "regression"
    val_fraction: float
    positive_label: str | None = None


DATASETS: dict[str, DatasetSpec] = {
    "sonar": DatasetSpec(
        file="sonar.csv",
        sha256="8c9310340b96bbe8164101ec44c00a8243704ed9c5cd5dae877f06f48c403397",
        target="label",
        task="binary",
        val_fraction=0.3,
        positive_label="M",
    ),
    "wine_red": DatasetSpec(
        file="wine_red.csv",
        sha256="66b4329c9010d71bcf7a051c0fffcf89b5bbe92271071a0dc00eb86b38a4aa25",
        target="quality",
        task="regression",
        val_fraction=0.25,
    ),
    "concrete": DatasetSpec(
        file="concrete.csv",
        sha256="b3baf7f7b0d0c6e661898b5b98da362a7ab0711c060da6abb6770b42a1ee551b",
        target="strength_mpa",
        task="regression",
        val_fraction=0.25,
    ),
}


@dataclass(frozen=True)
class Split:
    """Train and validation arrays, ready for ``model.fit``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    feature_names: tuple[str, ...]

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def data_path(name: str) -> Path:
    """Path of a data set's CSV file, after checking it is the expected file."""
    spec = _spec(name)
    path = DATA_DIR / spec.file
    if not path.is_file():
        raise DataFileError(
            f"data file {path} is missing (expected sha256 {spec.sha256}); "
            "restore it with `git checkout -- data/`."
        )
    actual = _sha256(path)
    if actual != spec.sha256:
        raise DataFileError(
            f"data file {path} has sha256 {actual}, but the course expects {spec.sha256}; "
            "it was altered: restore it with `git checkout -- data/`."
        )
    return path


def _spec(name: str) -> DatasetSpec:
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise KeyError(f"unknown data set {name!r}; the course has: {known}") from None


@cache
def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(data_path(name))


def load_frame(name: str) -> pd.DataFrame:
    """The raw table, as on disk (a copy, so callers may modify it)."""
    return _read(name).copy()


def load_xy(name: str) -> tuple[pd.DataFrame, pd.Series]:
    """Inputs and target; a binary target is encoded as 0/1 (1 = positive class)."""
    spec = _spec(name)
    frame = load_frame(name)
    y = frame.pop(spec.target)
    if spec.task == "binary":
        y = (y == spec.positive_label).astype("int64")
    return frame, y


def _standardize(x_train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Fit on the training rows only, so no validation statistics leak in."""
    scaler = StandardScaler().fit(x_train)
    return [scaler.transform(a) for a in (x_train, *others)]


def _as_split(x_tr, y_tr, x_va, y_va, names, standardize: bool) -> Split:
    if standardize:
        x_tr, x_va = _standardize(x_tr, x_va)
    f32 = np.float32
    return Split(
        x_train=np.asarray(x_tr, dtype=f32),
        y_train=np.asarray(y_tr, dtype=f32),
        x_val=np.asarray(x_va, dtype=f32),
        y_val=np.asarray(y_va, dtype=f32),
        feature_names=tuple(names),
    )


def load_split(
    name: str,
    *,
    standardize: bool = True,
    val_fraction: float | None = None,
    seed: int = SPLIT_SEED,
) -> Split:
    """The course's train/validation split of a data set.

    Classification splits are stratified so both parts keep the class balance.
    ``standardize=False`` keeps raw units (the Batch Normalization chapter needs them).
    """
    spec = _spec(name)
    x, y = load_xy(name)
    x_tr, x_va, y_tr, y_va = train_test_split(
        x.to_numpy(),
        y.to_numpy(),
        test_size=val_fraction if val_fraction is not None else spec.val_fraction,
        random_state=seed,
        stratify=y.to_numpy() if spec.task == "binary" else None,
    )
    return _as_split(x_tr, y_tr, x_va, y_va, x.columns, standardize)


def cv_splits(
    name: str, *, n_splits: int = 10, standardize: bool = True, seed: int = SPLIT_SEED
) -> Iterator[Split]:
    """K-fold splits of the whole data set, scaled inside each fold.

    Scaling inside the fold (not once on all rows) is what keeps a
    cross-validation estimate honest.
    """
    spec = _spec(name)
    x, y = load_xy(name)
    xa, ya = x.to_numpy(), y.to_numpy()
    if spec.task == "binary":
        folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed).split(xa, ya)
    else:
        folds = KFold(n_splits=n_splits, shuffle=True, random_state=seed).split(xa)
    for train_idx, val_idx in folds:
        yield _as_split(xa[train_idx], ya[train_idx], xa[val_idx], ya[val_idx], x.columns, standardize)


def load_digits_split(*, val_fraction: float = 0.25, seed: int = SPLIT_SEED) -> Split:
    """scikit-learn's bundled 8x8 digits (no download), pixels scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = digits.data / 16.0
    x_tr, x_va, y_tr, y_va = train_test_split(
        x, digits.target, test_size=val_fraction, random_state=seed, stratify=digits.target
    )
    names = [f"pixel_{r}_{c}" for r in range(8) for c in range(8)]
    return _as_split(x_tr, y_tr, x_va, y_va, names, standardize=False)


@dataclass(frozen=True)
class HeldOutSplit(Split):
    """A train/validation split plus a test set that no choice may look at.

    ``y_train`` holds the labels a learner trains on (possibly noisy);
    ``y_train_clean`` the true ones, kept only to count the flipped labels.
    """

    x_test: np.ndarray
    y_test: np.ndarray
    y_train_clean: np.ndarray

    @property
    def n_flipped(self) -> int:
        return int(np.sum(self.y_train != self.y_train_clean))


def load_small_digits(
    *, n_train: int = 200, label_noise: float = 0.2, test_fraction: float = 0.3, seed: int = SPLIT_SEED
) -> HeldOutSplit:
    """A deliberately overfittable task: few training digits, some of them mislabelled.

    The full digits data set is too easy to show regularization at work: a wide
    network trained on its 1,347 training images does well with or without it
    (chapter 4). This variant keeps only ``n_train`` training images (stratified,
    so every class has the same share) and gives a fraction ``label_noise`` of them
    a wrong label, drawn uniformly from the other nine classes, as noisy real-world
    annotation would. Only training labels are corrupted: the validation and test
    labels stay true, so they measure what was learned, not what was memorized.
    The defaults were fixed once by a pilot on the unregularized network alone
    (Regularization lab chapter): with true labels, a 256-256 MLP trained for 100
    epochs barely overfits 100, 200 or 400 images; with 20 % flipped labels its
    validation loss climbs well above its minimum at every size, and 200 images
    keep the lab fast. Splits and noise depend only on ``seed``.

    Of the 1,797 images, ``test_fraction`` (stratified) form the test set, to be
    used once at the end of a study; ``n_train`` of the rest are for training,
    and all remaining images are the validation set.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = digits.data / 16.0
    y = digits.target
    x_rest, x_te, y_rest, y_te = train_test_split(x, y, test_size=test_fraction, random_state=seed, stratify=y)
    x_tr, x_va, y_tr, y_va = train_test_split(
        x_rest, y_rest, train_size=n_train, random_state=seed, stratify=y_rest
    )
    rng = np.random.default_rng(seed)
    noisy = y_tr.copy()
    flip = rng.choice(n_train, size=round(label_noise * n_train), replace=False)
    noisy[flip] = (y_tr[flip] + rng.integers(1, 10, size=len(flip))) % 10  # always a different class
    names = [f"pixel_{r}_{c}" for r in range(8) for c in range(8)]
    base = _as_split(x_tr, noisy, x_va, y_va, names, standardize=False)
    f32 = np.float32
    return HeldOutSplit(
        x_train=base.x_train,
        y_train=base.y_train,
        x_val=base.x_val,
        y_val=base.y_val,
        feature_names=base.feature_names,
        x_test=np.asarray(x_te, dtype=f32),
        y_test=np.asarray(y_te, dtype=f32),
        y_train_clean=np.asarray(y_tr, dtype=f32),
    )
