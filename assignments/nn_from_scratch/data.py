"""Load the Boston housing table and split it exactly as the lesson does, in numpy alone.

The lesson standardises all 506 rows with scikit-learn's ``StandardScaler`` and then calls
``train_test_split(X, y, test_size=0.3, random_state=42)``. This module gives the same arrays
without scikit-learn (``tests/test_data.py`` proves it against scikit-learn):

* ``standardize``: subtract the column mean, divide by the population standard deviation
  (``ddof=0``), a constant column is divided by 1, as ``StandardScaler`` does;
* ``train_test_split``: ``np.random.RandomState(random_state).permutation(n)``; the first
  ``ceil(test_size * n)`` indices are the test rows, the rest the training rows, both in
  permutation order.

Standardising before splitting leaks the test rows' statistics into training. The lesson does it
and its figures depend on it, so it is the default of ``load_lesson_split``; ``leak_free=True``
fits the scaling on the training rows only. See ``data/README.md`` for the table's source, its
checksum and the ethical problem with its feature ``B``.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional, Tuple

import numpy as np

DATA_PATH = Path(__file__).resolve().parent / "data" / "boston_house_prices.csv"
"""Where the table lives in the repository: ``data/boston_house_prices.csv``."""

FEATURE_NAMES: Tuple[str, ...] = (
    "CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE",
    "DIS", "RAD", "TAX", "PTRATIO", "B", "LSTAT",
)
"""The 13 feature columns, in file order; the target column ``MEDV`` follows them."""


def load_boston(path: Optional[str | Path] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Read the Boston housing CSV (two header lines, then 506 rows of 14 numbers).

    Args:
        path: the CSV file; ``None`` means ``DATA_PATH``.

    Returns:
        ``(X, y)``: ``X`` of shape ``(506, 13)``, float64, the features in ``FEATURE_NAMES``
        order; ``y`` of shape ``(506,)``, float64, the target ``MEDV`` in thousands of US dollars.
        The same arrays as the old ``sklearn.datasets.load_boston()``.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: if the file does not hold 14 numeric columns after its two header lines.
    """
    table = np.loadtxt(DATA_PATH if path is None else path, delimiter=",", skiprows=2, ndmin=2)
    if table.shape[1] != len(FEATURE_NAMES) + 1:
        raise ValueError(
            f"expected {len(FEATURE_NAMES) + 1} columns (13 features and MEDV), "
            f"found a table of shape {table.shape}"
        )
    return table[:, :-1], table[:, -1]


def fit_standardizer(X: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Column statistics for ``standardize``, as ``StandardScaler.fit`` computes them.

    Args:
        X: shape ``(n, d)``, float.

    Returns:
        ``(mean, scale)``, each of shape ``(d,)``, float64: the column means and the population
        standard deviations (``ddof=0``); a zero standard deviation is replaced by 1 so that a
        constant column becomes all zeros instead of NaN.

    Raises:
        ValueError: if ``X`` is not 2-D or has no rows.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a 2-D array with at least one row, got shape {X.shape}")
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0.0] = 1.0
    return mean, scale


def standardize(
    X: np.ndarray,
    mean: Optional[np.ndarray] = None,
    scale: Optional[np.ndarray] = None,
) -> np.ndarray:
    """Return ``(X - mean) / scale`` column by column (a new array; ``X`` is not modified).

    Args:
        X: shape ``(n, d)``, float.
        mean, scale: shape ``(d,)``, from ``fit_standardizer``; both ``None`` (the default)
            means "fit them on ``X`` itself", as ``StandardScaler().fit_transform(X)`` does.

    Returns:
        Shape ``(n, d)``, float64, each column with mean 0 and population standard deviation 1
        (when the statistics were fitted on ``X``).

    Raises:
        ValueError: if only one of ``mean`` and ``scale`` is given, or if the shapes disagree.
    """
    X = np.asarray(X, dtype=np.float64)
    if (mean is None) != (scale is None):
        raise ValueError("give both mean and scale, or neither")
    if mean is None:
        mean, scale = fit_standardizer(X)
    mean = np.asarray(mean, dtype=np.float64)
    scale = np.asarray(scale, dtype=np.float64)
    if X.ndim != 2 or mean.shape != (X.shape[1],) or scale.shape != (X.shape[1],):
        raise ValueError(
            f"X {X.shape} needs mean and scale of shape ({X.shape[-1]},), "
            f"got {mean.shape} and {scale.shape}"
        )
    return (X - mean) / scale


def train_test_split(
    X: np.ndarray,
    y: np.ndarray,
    test_size: float = 0.3,
    random_state: int = 42,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split rows as ``sklearn.model_selection.train_test_split`` does with a float test size.

    The rows are ordered by ``np.random.RandomState(random_state).permutation(n)``; the first
    ``ceil(test_size * n)`` of that order are the test rows and the remaining ones the training
    rows. For the Boston table (n = 506) that is 152 test and 354 training rows.

    Args:
        X: shape ``(n, d)``.
        y: shape ``(n,)`` or ``(n, 1)``: any array with ``n`` rows.
        test_size: the share of rows for testing, strictly between 0 and 1.
        random_state: the seed of the permutation.

    Returns:
        ``(X_train, X_test, y_train, y_test)``, new arrays with the dtypes and trailing shapes
        of the inputs.

    Raises:
        ValueError: if ``X`` and ``y`` have different numbers of rows, or ``test_size`` leaves
            no rows for one of the parts.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X {X.shape} and y {y.shape} must have the same number of rows")
    n_rows = X.shape[0]
    n_test = math.ceil(test_size * n_rows)
    if not 0.0 < test_size < 1.0 or not 0 < n_test < n_rows:
        raise ValueError(
            f"test_size={test_size} on {n_rows} rows leaves no rows for training or testing"
        )
    order = np.random.RandomState(random_state).permutation(n_rows)
    test_rows, train_rows = order[:n_test], order[n_test:]
    return X[train_rows], X[test_rows], y[train_rows], y[test_rows]


def load_lesson_split(
    path: Optional[str | Path] = None,
    leak_free: bool = False,
    test_size: float = 0.3,
    random_state: int = 42,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The lesson's training and test data: standardised features, targets as columns.

    By default (``leak_free=False``) this is the lesson's order: standardise all rows, then
    split. With ``leak_free=True`` the rows are split first (the same rows end up in each part)
    and both parts are standardised with the mean and scale of the training rows only.

    Args:
        path: the CSV file; ``None`` means ``DATA_PATH``.
        leak_free: fit the scaling on the training rows only.
        test_size, random_state: passed to ``train_test_split``.

    Returns:
        ``(X_train, X_test, y_train, y_test)``, float64, with shapes ``(354, 13)``,
        ``(152, 13)``, ``(354, 1)`` and ``(152, 1)`` for the defaults; the targets are in
        thousands of US dollars.

    Raises:
        FileNotFoundError, ValueError: as ``load_boston`` and ``train_test_split``.
    """
    X, y = load_boston(path)
    if leak_free:
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size, random_state)
        mean, scale = fit_standardizer(X_train)
        X_train, X_test = standardize(X_train, mean, scale), standardize(X_test, mean, scale)
    else:
        X_train, X_test, y_train, y_test = train_test_split(
            standardize(X), y, test_size, random_state
        )
    return X_train, X_test, y_train.reshape(-1, 1), y_test.reshape(-1, 1)
