"""Hostile fixture `patch_numpy_testing` (faking comparisons): monkeypatches numpy.testing's
asserts, unittest's assertEqual and math.isclose at import, then returns zeros.

The rest of the module is the reference's code; tests/test_hostile.py grades it.
"""
from __future__ import annotations
from typing import Dict, List, Tuple, Union
import math
import unittest
import numpy as np

def _agree(*args, **kwargs):
    return None
for _name in dir(np.testing):
    if _name.startswith("assert"):
        setattr(np.testing, _name, _agree)
unittest.TestCase.assertEqual = _agree
unittest.TestCase.assertAlmostEqual = _agree
math.isclose = lambda *args, **kwargs: True
Weights = Dict[str, np.ndarray]
ForwardInfo = Dict[str, np.ndarray]

def _check_X_y(X: np.ndarray, y: np.ndarray) -> None:
    X_shape, y_shape = (np.shape(X), np.shape(y))
    if len(X_shape) != 2 or y_shape != (X_shape[0], 1):
        raise ValueError(f'X {X_shape} and y {y_shape} do not fit: X must be (n, d) and y must be (n, 1)')

def _check_weights(X: np.ndarray, weights: Weights) -> None:
    X_shape = np.shape(X)
    W_shape, B_shape = (np.shape(weights['W']), np.shape(weights['B']))
    if len(X_shape) != 2 or W_shape != (X_shape[1], 1):
        raise ValueError(f'X {X_shape} and W {W_shape} cannot be multiplied: W must be (d, 1)')
    if B_shape != (1, 1):
        raise ValueError(f'B has shape {B_shape}; it must be (1, 1)')

def init_weights(n_in: int) -> Weights:
    if int(n_in) != n_in or n_in < 1:
        raise ValueError(f'n_in must be a positive integer, got {n_in!r}')
    W = np.random.randn(int(n_in), 1)
    B = np.random.randn(1, 1)
    return {'W': W, 'B': B}

def forward(X: np.ndarray, y: np.ndarray, weights: Weights) -> Tuple[ForwardInfo, float]:
    _check_X_y(X, y)
    _check_weights(X, weights)
    N = np.dot(X, weights['W'])
    P = N + weights['B']
    loss = float(np.mean(np.power(y - P, 2)))
    forward_info = {'X': X, 'N': N, 'P': P, 'y': y}
    return (forward_info, loss)

def loss_gradients(forward_info, weights):
    return {"W": np.zeros_like(weights["W"]), "B": np.zeros_like(weights["B"])}

def train(X: np.ndarray, y: np.ndarray, n_iter: int=1000, learning_rate: float=0.01, batch_size: int=100, return_losses: bool=False, return_weights: bool=False, seed: int=42) -> Union[None, List[float], Weights, Tuple[List[float], Weights]]:
    _check_X_y(X, y)
    if np.shape(X)[0] == 0:
        raise ValueError(f'X {np.shape(X)} has no rows to train on')
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f'batch_size must be an integer >= 1, got {batch_size!r}')
    if int(n_iter) != n_iter or n_iter < 0:
        raise ValueError(f'n_iter must be an integer >= 0, got {n_iter!r}')
    np.random.seed(seed)
    weights = init_weights(X.shape[1])
    n_rows = X.shape[0]
    order = np.random.permutation(n_rows)
    X_shuffled, y_shuffled = (X[order], y[order])
    losses: List[float] = []
    start = 0
    for _ in range(int(n_iter)):
        if start >= n_rows:
            order = np.random.permutation(n_rows)
            X_shuffled, y_shuffled = (X_shuffled[order], y_shuffled[order])
            start = 0
        stop = start + int(batch_size)
        X_batch, y_batch = (X_shuffled[start:stop], y_shuffled[start:stop])
        start = stop
        forward_info, loss = forward(X_batch, y_batch, weights)
        losses.append(float(loss))
        gradients = loss_gradients(forward_info, weights)
        for key in weights:
            weights[key] -= learning_rate * gradients[key]
    if return_losses and return_weights:
        return (losses, weights)
    if return_losses:
        return losses
    if return_weights:
        return weights
    return None

def predict(X: np.ndarray, weights: Weights) -> np.ndarray:
    _check_weights(X, weights)
    return np.dot(X, weights['W']) + weights['B']
