"""Is data/ the lesson's table, and does data.py split and scale it exactly as scikit-learn does?"""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
from sklearn.model_selection import train_test_split as sk_train_test_split
from sklearn.preprocessing import StandardScaler

from solutions.nn_from_scratch import data as D

SHA256 = "d98212636026544fc9b9c0f372e5f819872e6fa6fa757ab025efdda22180f2d6"


def test_csv_is_the_documented_copy():
    assert hashlib.sha256(D.DATA_PATH.read_bytes()).hexdigest() == SHA256
    assert SHA256 in (D.DATA_PATH.parent / "README.md").read_text(encoding="utf-8")


def test_header_names_the_columns_in_feature_order():
    lines = D.DATA_PATH.read_text().splitlines()
    assert lines[0].split(",")[:2] == ["506", "13"]
    assert [name.strip('"') for name in lines[1].split(",")] == [*D.FEATURE_NAMES, "MEDV"]


def test_load_boston_shapes_and_known_rows():
    X, y = D.load_boston()
    assert X.shape == (506, 13) and y.shape == (506,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    np.testing.assert_array_equal(X[0], [0.00632, 18, 2.31, 0, 0.538, 6.575, 65.2, 4.09, 1, 296,
                                         15.3, 396.9, 4.98])
    assert y[0] == 24.0
    assert X[445, 0] == pytest.approx(10.6718)  # the value scikit-learn 0.20 corrected
    assert y.min() == 5.0 and y.max() == 50.0


def test_load_boston_refuses_a_table_of_the_wrong_width(tmp_path):
    path = tmp_path / "narrow.csv"
    path.write_text("2,2\na,b,c\n1,2,3\n4,5,6\n")
    with pytest.raises(ValueError, match=r"expected 14 columns.*\(2, 3\)"):
        D.load_boston(path)


# ---- against scikit-learn (a dev dependency: the proof must not be skipped) -----------------

@pytest.mark.parametrize("n, test_size, random_state", [
    (506, 0.3, 42), (10, 0.25, 0), (7, 0.5, 1), (100, 0.33, 123),
])
def test_split_picks_the_same_rows_in_the_same_order_as_scikit_learn(n, test_size, random_state):
    X = np.arange(n * 2).reshape(n, 2)
    y = np.arange(n)
    ours = D.train_test_split(X, y, test_size=test_size, random_state=random_state)
    theirs = sk_train_test_split(X, y, test_size=test_size, random_state=random_state)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_array_equal(mine, reference)


def test_standardize_equals_standard_scaler():
    X, _ = D.load_boston()
    mean, scale = D.fit_standardizer(X)
    scaler = StandardScaler().fit(X)
    # bitwise equal with numpy 2.4 / scikit-learn 1.9; allow an ulp for other builds
    np.testing.assert_allclose(mean, scaler.mean_, rtol=1e-15, atol=0)
    np.testing.assert_allclose(scale, scaler.scale_, rtol=1e-15, atol=0)
    np.testing.assert_allclose(D.standardize(X), scaler.transform(X), rtol=0, atol=1e-13)


def test_constant_columns_become_zero_as_with_standard_scaler():
    X = np.array([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]])
    np.testing.assert_allclose(D.standardize(X), StandardScaler().fit_transform(X), atol=1e-15)
    np.testing.assert_array_equal(D.standardize(X)[:, 1], 0.0)


def test_lesson_split_equals_the_lessons_scikit_learn_pipeline():
    X, y = D.load_boston()
    expected = sk_train_test_split(StandardScaler().fit_transform(X), y, test_size=0.3, random_state=42)
    X_train, X_test, y_train, y_test = D.load_lesson_split()
    assert X_train.shape == (354, 13) and X_test.shape == (152, 13)
    assert y_train.shape == (354, 1) and y_test.shape == (152, 1)
    np.testing.assert_allclose(X_train, expected[0], rtol=0, atol=1e-13)
    np.testing.assert_allclose(X_test, expected[1], rtol=0, atol=1e-13)
    np.testing.assert_array_equal(y_train[:, 0], expected[2])
    np.testing.assert_array_equal(y_test[:, 0], expected[3])


def test_leak_free_split_fits_the_scaling_on_training_rows_only():
    X, y = D.load_boston()
    X_train, X_test, y_train, y_test = D.load_lesson_split(leak_free=True)
    raw_train, raw_test, raw_y_train, raw_y_test = sk_train_test_split(X, y, test_size=0.3, random_state=42)
    scaler = StandardScaler().fit(raw_train)
    np.testing.assert_allclose(X_train, scaler.transform(raw_train), rtol=0, atol=1e-13)
    np.testing.assert_allclose(X_test, scaler.transform(raw_test), rtol=0, atol=1e-13)
    np.testing.assert_array_equal(y_train[:, 0], raw_y_train)  # the same rows as the default
    np.testing.assert_array_equal(y_test[:, 0], raw_y_test)
    np.testing.assert_allclose(X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X_train.std(axis=0), 1.0, rtol=1e-12)
    assert not np.allclose(X_train, D.load_lesson_split()[0])


# ---- bad inputs --------------------------------------------------------------------------------

def test_split_refuses_mismatched_rows_and_empty_parts():
    with pytest.raises(ValueError, match=r"X \(5, 2\) and y \(4,\)"):
        D.train_test_split(np.ones((5, 2)), np.ones(4))
    with pytest.raises(ValueError, match="leaves no rows"):
        D.train_test_split(np.ones((5, 2)), np.ones(5), test_size=1.0)
    with pytest.raises(ValueError, match="leaves no rows"):
        D.train_test_split(np.ones((1, 2)), np.ones(1), test_size=0.3)


def test_standardize_refuses_half_given_or_mismatched_statistics():
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match="both mean and scale"):
        D.standardize(X, mean=np.zeros(2))
    with pytest.raises(ValueError, match=r"X \(3, 2\) needs mean and scale of shape \(2,\)"):
        D.standardize(X, np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="2-D"):
        D.fit_standardizer(np.ones(4))
