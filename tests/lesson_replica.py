"""A replica of the lesson's training pipeline, bugs included: a test fixture, not a solution.

The lesson (09.1, §1.3–1.4) prints a table of test-set figures for its two models. This module
redoes its pipeline step by step, in this repository's own code, so that the tests can show that
the data, the split and the training settings here are the lesson's, and measure what each fix of
``solutions/`` changes. It keeps every behaviour of the lesson's code that can move a number:

* data: ``StandardScaler().fit_transform`` on all 506 rows, then
  ``train_test_split(test_size=0.3, random_state=42)`` (scikit-learn, as the lesson);
* ``train`` calls ``np.random.seed(42)`` itself, then ``init_weights``, then permutes the rows
  with the global generator, and reshuffles the already shuffled rows when they run out;
* bug "shrink": when the next batch would run past the end of the rows, ``batch_size`` is cut to
  the rows that are left **and stays cut** for the rest of training (23 → 9 → 3 on 354 rows);
* bug "double sum": the network's hidden-bias gradient is summed over the rows and then again
  over the hidden units, one number that every unit's bias then moves by;
* convention "no 2": the network starts its backward pass from ``-(y - P)`` (linear regression
  uses ``-2 (y - P)``);
* the network's ``train`` sizes its weights from a module-global ``X_train``, not its argument;
* both ``train``s define the loss list only if ``return_losses`` and return ``(losses, weights)``
  whenever ``return_weights``: ``return_weights`` alone raises ``UnboundLocalError``,
  ``return_losses`` alone returns ``None``.

Each of the first three can be switched off (``shrink_batch``, ``double_sum_bias``,
``drop_two``) to measure its effect; the defaults are the lesson as written.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, Optional, Tuple

import numpy as np

DATA_PATH = Path(__file__).resolve().parents[1] / "data" / "boston_house_prices.csv"

# The network's train reads this global, as the lesson's does; load_lesson_data sets it.
X_train: Optional[np.ndarray] = None


def load_lesson_data(path: Path = DATA_PATH) -> Tuple[np.ndarray, ...]:
    """The lesson's data preparation with scikit-learn; also sets the global ``X_train``."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    global X_train
    table = np.loadtxt(path, delimiter=",", skiprows=2)
    features, target = table[:, :-1], table[:, -1]
    features = StandardScaler().fit_transform(features)
    x_tr, x_te, y_tr, y_te = train_test_split(features, target, test_size=0.3, random_state=42)
    X_train = x_tr
    return x_tr, x_te, y_tr.reshape(-1, 1), y_te.reshape(-1, 1)


# ---- linear regression, as in lesson §1.3 -------------------------------------------------

def linear_init_weights(n_in: int) -> Dict[str, np.ndarray]:
    return {"W": np.random.randn(n_in, 1), "B": np.random.randn(1, 1)}


def linear_forward(X, y, weights):
    N = X @ weights["W"]
    P = N + weights["B"]
    return {"X": X, "N": N, "P": P, "y": y}, np.mean((y - P) ** 2)


def linear_loss_gradients(info, weights):
    dLdP = -2 * (info["y"] - info["P"])
    dLdW = info["X"].T @ (dLdP * np.ones_like(info["N"]))
    dLdB = (dLdP * np.ones_like(weights["B"])).sum(axis=0)  # shape (1,), as in the lesson
    return {"W": dLdW, "B": dLdB}


def linear_predict(X, weights):
    return X @ weights["W"] + weights["B"]


# ---- the network, as in lesson §1.4 ---------------------------------------------------------

def _sigmoid(x):
    return 1 / (1 + np.exp(-1.0 * x))


def network_init_weights(input_size: int, hidden_size: int) -> Dict[str, np.ndarray]:
    return {
        "W1": np.random.randn(input_size, hidden_size),
        "B1": np.random.randn(1, hidden_size),
        "W2": np.random.randn(hidden_size, 1),
        "B2": np.random.randn(1, 1),
    }


def network_forward(X, y, weights):
    M1 = X @ weights["W1"]
    N1 = M1 + weights["B1"]
    O1 = _sigmoid(N1)
    M2 = O1 @ weights["W2"]
    P = M2 + weights["B2"]
    info = {"X": X, "M1": M1, "N1": N1, "O1": O1, "M2": M2, "P": P, "y": y}
    return info, np.mean((y - P) ** 2)


def make_network_loss_gradients(double_sum_bias: bool = True, drop_two: bool = True) -> Callable:
    """The lesson's network backward pass; each flag keeps one of its departures."""

    def network_loss_gradients(info, weights):
        dLdP = -(info["y"] - info["P"]) if drop_two else -2 * (info["y"] - info["P"])
        dLdB2 = (dLdP * np.ones_like(weights["B2"])).sum(axis=0)       # (1,)
        dLdW2 = info["O1"].T @ dLdP
        dLdO1 = dLdP @ weights["W2"].T
        dLdN1 = dLdO1 * _sigmoid(info["N1"]) * (1 - _sigmoid(info["N1"]))
        dLdB1 = (dLdN1 * np.ones_like(weights["B1"])).sum(axis=0)      # (h,)
        dLdW1 = info["X"].T @ dLdN1
        return {
            "W2": dLdW2,
            "B2": dLdB2.sum(axis=0),                                    # a 0-d array
            "W1": dLdW1,
            # the lesson sums a second time: all h values collapse into one
            "B1": dLdB1.sum(axis=0) if double_sum_bias else dLdB1,
        }

    return network_loss_gradients


def network_predict(X, weights):
    O1 = _sigmoid(X @ weights["W1"] + weights["B1"])
    return O1 @ weights["W2"] + weights["B2"]


# ---- the lesson's train loop ----------------------------------------------------------------

def _descend(X, y, weights, forward, loss_gradients, n_iter, learning_rate, batch_size,
             return_losses, return_weights, shrink_batch):
    """The loop both of the lesson's train functions share, after seeding and initialising."""
    start = 0
    perm = np.random.permutation(X.shape[0])
    X, y = X[perm], y[perm]
    if return_losses:
        losses = []
    for _ in range(n_iter):
        if start >= X.shape[0]:
            perm = np.random.permutation(X.shape[0])
            X, y = X[perm], y[perm]
            start = 0
        if shrink_batch and start + batch_size > X.shape[0]:
            batch_size = X.shape[0] - start  # the lesson's bug: cut for the rest of training
        # (without the cut, slicing alone makes only the last batch of a pass short)
        X_batch, y_batch = X[start:start + batch_size], y[start:start + batch_size]
        start += batch_size
        info, loss = forward(X_batch, y_batch, weights)
        if return_losses:
            losses.append(loss)
        grads = loss_gradients(info, weights)
        for key in weights.keys():
            weights[key] -= learning_rate * grads[key]
    if return_weights:
        return losses, weights  # UnboundLocalError when return_losses is False, as in the lesson
    return None


def linear_train(X, y, n_iter=1000, learning_rate=0.01, batch_size=100,
                 return_losses=False, return_weights=False, *, shrink_batch=True):
    """The lesson's linear-regression ``train`` (seed 42 inside)."""
    np.random.seed(42)
    weights = linear_init_weights(X.shape[1])
    return _descend(X, y, weights, linear_forward, linear_loss_gradients, n_iter,
                    learning_rate, batch_size, return_losses, return_weights, shrink_batch)


def network_train(X, y, n_iter=1000, learning_rate=0.01, batch_size=100,
                  return_losses=False, return_weights=False, hidden_size=13, *,
                  shrink_batch=True, double_sum_bias=True, drop_two=True):
    """The lesson's network ``train`` (seed 42 inside; sizes its weights from global X_train)."""
    np.random.seed(42)
    weights = network_init_weights(X_train.shape[1], hidden_size=hidden_size)
    grads = make_network_loss_gradients(double_sum_bias=double_sum_bias, drop_two=drop_two)
    return _descend(X, y, weights, network_forward, grads, n_iter,
                    learning_rate, batch_size, return_losses, return_weights, shrink_batch)


LESSON_SETTINGS = dict(n_iter=10000, learning_rate=0.001, batch_size=23)
"""The call-site settings of both of the lesson's trainings (not the functions' defaults)."""


def figures(predict, weights, X_test, y_test) -> Tuple[float, float]:
    """(MSE, R²) on the test rows, computed with scikit-learn as in the lesson."""
    from sklearn.metrics import mean_squared_error, r2_score

    y_pred = predict(X_test, weights)
    return float(mean_squared_error(y_test, y_pred)), float(r2_score(y_test, y_pred))

