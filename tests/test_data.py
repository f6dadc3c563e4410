"""The single source of truth for data: checksums, shapes, splits, preprocessing."""

import shutil

import numpy as np
import pytest

from autograder import data


@pytest.mark.parametrize(
    ("name", "rows", "n_features"), [("sonar", 208, 60), ("wine_red", 1599, 11), ("concrete", 1030, 8)]
)
def test_frames_have_documented_shape_and_tidy_headers(name, rows, n_features):
    frame = data.load_frame(name)
    assert frame.shape == (rows, n_features + 1)
    assert all(c == c.lower() and " " not in c for c in frame.columns)
    assert not frame.isna().any().any()


def test_sonar_target_is_binary_with_published_class_counts():
    _, y = data.load_xy("sonar")
    assert sorted(y.unique()) == [0, 1]
    assert int(y.sum()) == 111  # mines (M); 97 rocks


def test_split_is_deterministic_and_standardized_on_training_rows_only():
    a, b = data.load_split("wine_red"), data.load_split("wine_red")
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_val, b.y_val)
    np.testing.assert_allclose(a.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(a.x_train.std(axis=0), 1, atol=1e-3)
    assert abs(a.x_val.mean()) > 1e-4  # validation rows are scaled with training statistics
    assert a.x_train.dtype == np.float32 and a.x_train.shape == (1199, 11)


def test_unstandardized_split_keeps_raw_units():
    s = data.load_split("concrete", standardize=False)
    assert s.x_train.max() > 500  # kg per cubic metre, not z-scores
    assert s.feature_names[0] == "cement"


def test_stratified_split_keeps_class_balance():
    s = data.load_split("sonar")
    assert abs(s.y_train.mean() - s.y_val.mean()) < 0.03


def test_cv_splits_cover_every_row_once():
    folds = list(data.cv_splits("sonar", n_splits=10))
    assert len(folds) == 10
    assert sum(len(f.y_val) for f in folds) == 208


def test_digits_load_offline():
    s = data.load_digits_split()
    assert s.x_train.shape == (1347, 64) and s.x_train.min() >= 0 and s.x_train.max() <= 1


def test_altered_file_names_file_and_expected_checksum(tmp_path, monkeypatch):
    shutil.copytree(data.DATA_DIR, tmp_path, dirs_exist_ok=True)
    with (tmp_path / "sonar.csv").open("a") as fh:
        fh.write("\n")
    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    data._read.cache_clear()
    with pytest.raises(data.DataFileError) as err:
        data.load_frame("sonar")
    assert "sonar.csv" in str(err.value) and data.DATASETS["sonar"].sha256 in str(err.value)
    data._read.cache_clear()


def test_missing_file_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    data._read.cache_clear()
    with pytest.raises(data.DataFileError, match="concrete.csv is missing"):
        data.load_frame("concrete")
    data._read.cache_clear()


def test_small_digits_overfitting_task():
    from autograder.data import load_small_digits

    task = load_small_digits()
    assert (len(task.y_train), len(task.y_val), len(task.y_test)) == (200, 1057, 540)
    assert np.bincount(task.y_train_clean.astype(int)).tolist() == [20] * 10  # stratified
    assert task.n_flipped == 40  # 20 % of the training labels, each to a different class
    again = load_small_digits()
    assert np.array_equal(task.y_train, again.y_train) and np.array_equal(task.x_val, again.x_val)
    clean = load_small_digits(label_noise=0.0)
    assert clean.n_flipped == 0 and np.array_equal(clean.x_train, task.x_train)
    assert np.array_equal(clean.y_train_clean, task.y_train_clean)
