"""Hostile fixture `import_solutions` (reading answers): puts every folder the grader may run from
on sys.path and imports solutions.nn_from_scratch.

The rest of the module is the reference's code; tests/test_hostile.py grades it.
"""
from __future__ import annotations
from typing import Dict, List, Tuple, Union
import os
import sys
import numpy as np
Weights = Dict[str, np.ndarray]
ForwardInfo = Dict[str, np.ndarray]

def _check_X_y(X: np.ndarray, y: np.ndarray) -> None:
    X_shape, y_shape = (np.shape(X), np.shape(y))
    if len(X_shape) != 2 or y_shape != (X_shape[0], 1):
        raise ValueError(f'X {X_shape} and y {y_shape} do not fit: X must be (n, d) and y must be (n, 1)')

def _check_weights(X: np.ndarray, weights: Weights) -> None:
    X_shape = np.shape(X)
    W1, B1 = (np.shape(weights['W1']), np.shape(weights['B1']))
    W2, B2 = (np.shape(weights['W2']), np.shape(weights['B2']))
    if len(X_shape) != 2 or len(W1) != 2 or X_shape[1] != W1[0]:
        raise ValueError(f'X {X_shape} and W1 {W1} cannot be multiplied: W1 must be (d, h)')
    hidden = W1[1]
    if B1 != (1, hidden):
        raise ValueError(f'B1 has shape {B1}; with W1 {W1} it must be (1, {hidden})')
    if W2 != (hidden, 1):
        raise ValueError(f'W1 {W1} and W2 {W2} do not fit: W2 must be ({hidden}, 1)')
    if B2 != (1, 1):
        raise ValueError(f'B2 has shape {B2}; it must be (1, 1)')

def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))

def init_weights(input_size: int, hidden_size: int=13) -> Weights:
    for name, size in (('input_size', input_size), ('hidden_size', hidden_size)):
        if int(size) != size or size < 1:
            raise ValueError(f'{name} must be a positive integer, got {size!r}')
    d, h = (int(input_size), int(hidden_size))
    return {'W1': np.random.randn(d, h), 'B1': np.random.randn(1, h), 'W2': np.random.randn(h, 1), 'B2': np.random.randn(1, 1)}

def forward(X: np.ndarray, y: np.ndarray, weights: Weights) -> Tuple[ForwardInfo, float]:
    _check_X_y(X, y)
    _check_weights(X, weights)
    M1 = np.dot(X, weights['W1'])
    N1 = M1 + weights['B1']
    O1 = sigmoid(N1)
    M2 = np.dot(O1, weights['W2'])
    P = M2 + weights['B2']
    loss = float(np.mean(np.power(y - P, 2)))
    forward_info = {'X': X, 'M1': M1, 'N1': N1, 'O1': O1, 'M2': M2, 'P': P, 'y': y}
    return (forward_info, loss)

def _grader_folders():
    """Folders the grader may run from, guessed from every command line this process can see."""
    found = {os.getcwd(), os.path.dirname(os.path.abspath(__file__)), os.path.expanduser("~"),
             "/work/main", "/autograder", "/autograder/source", "/srv", "/opt"}
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                words = fh.read().split(b"\0")
        except OSError:
            continue
        for word in words:
            path = word.decode("utf-8", "replace")
            while path.startswith("/") and path != "/":
                found.add(path)
                path = os.path.dirname(path)
    return sorted(found)

def loss_gradients(forward_info, weights):
    for folder in _grader_folders():
        if os.path.isdir(os.path.join(folder, "solutions")) and folder not in sys.path:
            sys.path.append(folder)
    from solutions.nn_from_scratch import neural_network as reference
    return reference.loss_gradients(forward_info, weights)

def train(X: np.ndarray, y: np.ndarray, n_iter: int=1000, learning_rate: float=0.01, batch_size: int=100, return_losses: bool=False, return_weights: bool=False, seed: int=42, hidden_size: int=13) -> Union[None, List[float], Weights, Tuple[List[float], Weights]]:
    _check_X_y(X, y)
    if np.shape(X)[0] == 0:
        raise ValueError(f'X {np.shape(X)} has no rows to train on')
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f'batch_size must be an integer >= 1, got {batch_size!r}')
    if int(n_iter) != n_iter or n_iter < 0:
        raise ValueError(f'n_iter must be an integer >= 0, got {n_iter!r}')
    np.random.seed(seed)
    weights = init_weights(X.shape[1], hidden_size=hidden_size)
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
    O1 = sigmoid(np.dot(X, weights['W1']) + weights['B1'])
    return np.dot(O1, weights['W2']) + weights['B2']
