"""A neural network with one hidden sigmoid layer, trained by mini-batch gradient descent.

Lesson §1.4 ("Improved model: Neural Network"). The model is

    M1 = X @ W1,  N1 = M1 + B1,  O1 = σ(N1),  M2 = O1 @ W2,  P = M2 + B2

with σ the logistic sigmoid. Shapes: ``n`` rows in a batch, ``d`` features, ``h`` hidden units
(13 by default). ``X`` is ``(n, d)``, the target ``y`` is ``(n, 1)``; the weights are a dict
``{'W1': (d, h), 'B1': (1, h), 'W2': (h, 1), 'B2': (1, 1)}``, float64.

Loss and gradient convention (the same as in ``linear_regression``):

* ``forward`` reports the batch's **mean** squared error as a Python float;
* ``loss_gradients`` returns the gradients of the batch's **summed** squared error, starting
  from ``∂L/∂P = -2 (y - P)``. The lesson's network drops the factor 2 (``-(y - P)``), which
  halves its effective learning rate; this reference keeps it, so both models share one loss.

Fixes to the lesson's code (see the README for their effect on the figures): the hidden-bias
gradient is summed over the rows once, giving one value per hidden unit (the lesson sums it a
second time, collapsing all ``h`` values into one number that every unit then shares); ``train``
keeps ``batch_size`` for every epoch, uses the ``X`` it is given (the lesson reads a global
``X_train``), takes the seed as an argument and honours all four combinations of its flags.
"""
from __future__ import annotations

from typing import Dict, List, Tuple, Union

import numpy as np

Weights = Dict[str, np.ndarray]
"""``{'W1': (d, h), 'B1': (1, h), 'W2': (h, 1), 'B2': (1, 1)}``, float64."""

ForwardInfo = Dict[str, np.ndarray]
"""The values of the forward pass: ``'X'`` (n, d), ``'M1'``, ``'N1'``, ``'O1'`` (n, h),
``'M2'``, ``'P'``, ``'y'`` (n, 1)."""


def _check_X_y(X: np.ndarray, y: np.ndarray) -> None:
    """Raise ValueError unless ``X`` is ``(n, d)`` and ``y`` is ``(n, 1)``."""
    X_shape, y_shape = np.shape(X), np.shape(y)
    if len(X_shape) != 2 or y_shape != (X_shape[0], 1):
        raise ValueError(
            f"X {X_shape} and y {y_shape} do not fit: X must be (n, d) and y must be (n, 1)"
        )


def _check_weights(X: np.ndarray, weights: Weights) -> None:
    """Raise ValueError unless the four weights fit each other and ``X`` (n, d)."""
    X_shape = np.shape(X)
    W1, B1 = np.shape(weights["W1"]), np.shape(weights["B1"])
    W2, B2 = np.shape(weights["W2"]), np.shape(weights["B2"])
    if len(X_shape) != 2 or len(W1) != 2 or X_shape[1] != W1[0]:
        raise ValueError(f"X {X_shape} and W1 {W1} cannot be multiplied: W1 must be (d, h)")
    hidden = W1[1]
    if B1 != (1, hidden):
        raise ValueError(f"B1 has shape {B1}; with W1 {W1} it must be (1, {hidden})")
    if W2 != (hidden, 1):
        raise ValueError(f"W1 {W1} and W2 {W2} do not fit: W2 must be ({hidden}, 1)")
    if B2 != (1, 1):
        raise ValueError(f"B2 has shape {B2}; it must be (1, 1)")


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function ``σ(x) = 1 / (1 + e^(-x))``, element by element (lesson §1.4).

    Its derivative is ``σ'(x) = σ(x) (1 - σ(x))``.

    Args:
        x: an array of any shape, float.

    Returns:
        Same shape as ``x``, values in (0, 1).
    """
    return 1.0 / (1.0 + np.exp(-x))


def init_weights(input_size: int, hidden_size: int = 13) -> Weights:
    """Draw starting weights from the standard normal distribution (lesson §1.4).

    Drawn in the order ``W1``, ``B1``, ``W2``, ``B2`` with ``np.random.randn`` (numpy's global
    generator, as in the lesson, so ``np.random.seed`` makes the draw reproducible).

    Args:
        input_size: the number of features ``d``, a positive int.
        hidden_size: the number of hidden units ``h``, a positive int.

    Returns:
        ``{'W1': (d, h), 'B1': (1, h), 'W2': (h, 1), 'B2': (1, 1)}``, float64.

    Raises:
        ValueError: if a size is not a positive integer.
    """
    for name, size in (("input_size", input_size), ("hidden_size", hidden_size)):
        if int(size) != size or size < 1:
            raise ValueError(f"{name} must be a positive integer, got {size!r}")
    d, h = int(input_size), int(hidden_size)
    return {
        "W1": np.random.randn(d, h),
        "B1": np.random.randn(1, h),
        "W2": np.random.randn(h, 1),
        "B2": np.random.randn(1, 1),
    }


def forward(X: np.ndarray, y: np.ndarray, weights: Weights) -> Tuple[ForwardInfo, float]:
    """Forward pass through both layers, and the batch's mean squared error (lesson §1.4).

    ``M1 = X @ W1``, ``N1 = M1 + B1``, ``O1 = σ(N1)``, ``M2 = O1 @ W2``, ``P = M2 + B2``,
    loss ``= mean((y - P)²)``.

    Args:
        X: shape ``(n, d)``, float: the batch's features.
        y: shape ``(n, 1)``, float: the batch's targets.
        weights: ``{'W1': (d, h), 'B1': (1, h), 'W2': (h, 1), 'B2': (1, 1)}``.

    Returns:
        ``(forward_info, loss)``: ``forward_info`` holds ``'X'`` (n, d), ``'M1'``, ``'N1'``,
        ``'O1'`` (n, h), ``'M2'``, ``'P'`` and ``'y'`` (n, 1); ``loss`` is the batch's **mean**
        squared error, a Python float, in squared units of ``y``.

    Raises:
        ValueError: if ``X``, ``y`` and the weights have shapes that do not fit together.
    """
    _check_X_y(X, y)
    _check_weights(X, weights)
    M1 = np.dot(X, weights["W1"])
    N1 = M1 + weights["B1"]
    O1 = sigmoid(N1)
    M2 = np.dot(O1, weights["W2"])
    P = M2 + weights["B2"]
    loss = float(np.mean(np.power(y - P, 2)))
    forward_info = {"X": X, "M1": M1, "N1": N1, "O1": O1, "M2": M2, "P": P, "y": y}
    return forward_info, loss


def loss_gradients(forward_info: ForwardInfo, weights: Weights) -> Weights:
    """Backward pass: gradients of the batch's **summed** squared error (lesson §1.4).

    With ``L = Σ (y - P)²`` over the batch, from the output back:

    * ``∂L/∂P = -2 (y - P)`` (n, 1) (the lesson uses ``-(y - P)``; see the module docstring);
      ``∂L/∂M2 = ∂L/∂P`` since ``P = M2 + B2``;
    * ``∂L/∂B2 = Σ_rows ∂L/∂P``, shape (1, 1);
    * ``∂L/∂W2 = O1ᵀ @ ∂L/∂M2``, shape (h, 1);
    * ``∂L/∂O1 = ∂L/∂M2 @ W2ᵀ`` (n, h); ``∂L/∂N1 = ∂L/∂O1 * σ(N1)(1 - σ(N1))`` elementwise;
    * ``∂L/∂B1 = Σ_rows ∂L/∂N1``, shape (1, h): one value per hidden unit, summed over the
      rows once (the lesson sums again over the units, which is wrong);
    * ``∂L/∂W1 = Xᵀ @ ∂L/∂N1`` (since ``N1 = M1 + B1``, ``∂L/∂M1 = ∂L/∂N1``), shape (d, h).

    These are ``n`` times the gradients of the mean loss that ``forward`` reports.

    Args:
        forward_info: from ``forward``: ``'X'`` (n, d), ``'M1'``, ``'N1'``, ``'O1'`` (n, h),
            ``'M2'``, ``'P'``, ``'y'`` (n, 1).
        weights: ``{'W1': (d, h), 'B1': (1, h), 'W2': (h, 1), 'B2': (1, 1)}``.

    Returns:
        ``{'W1': (d, h), 'B1': (1, h), 'W2': (h, 1), 'B2': (1, 1)}``, float64, keyed like
        ``weights`` (graders also accept ``(1,)`` for ``B2``).

    Raises:
        KeyError: if ``forward_info`` or ``weights`` lacks one of the keys above.
    """
    # BEGIN SOLUTION
    # HINT: go backwards from dL/dP = -2 (y - P); each bias gradient sums over the rows only
    # HINT: (axis=0, keepdims=True), so B1's gradient keeps one value per hidden unit.
    X, y, P = forward_info["X"], forward_info["y"], forward_info["P"]
    M1, N1, O1, M2 = forward_info["M1"], forward_info["N1"], forward_info["O1"], forward_info["M2"]
    dLdP = -2.0 * (y - P)
    dLdM2 = dLdP * np.ones_like(M2)
    dLdB2 = (dLdP * np.ones_like(weights["B2"])).sum(axis=0, keepdims=True)
    dLdW2 = np.dot(np.transpose(O1), dLdM2)
    dLdO1 = np.dot(dLdM2, np.transpose(weights["W2"]))
    dO1dN1 = sigmoid(N1) * (1.0 - sigmoid(N1))
    dLdN1 = dLdO1 * dO1dN1
    dLdB1 = (dLdN1 * np.ones_like(weights["B1"])).sum(axis=0, keepdims=True)
    dLdM1 = dLdN1 * np.ones_like(M1)
    dLdW1 = np.dot(np.transpose(X), dLdM1)
    return {"W1": dLdW1, "B1": dLdB1, "W2": dLdW2, "B2": dLdB2}
    # END SOLUTION


def train(
    X: np.ndarray,
    y: np.ndarray,
    n_iter: int = 1000,
    learning_rate: float = 0.01,
    batch_size: int = 100,
    return_losses: bool = False,
    return_weights: bool = False,
    seed: int = 42,
    hidden_size: int = 13,
) -> Union[None, List[float], Weights, Tuple[List[float], Weights]]:
    """Fit the network by mini-batch gradient descent (lesson §1.4).

    1. Seed numpy's global generator with ``seed`` (``np.random.seed``), then draw the starting
       weights with this module's ``init_weights`` for the ``d`` columns of the ``X`` passed in
       and ``hidden_size`` hidden units.
    2. Shuffle the rows with ``np.random.permutation(n)``, one permutation for ``X`` and ``y``.
    3. ``n_iter`` times: take the next ``batch_size`` consecutive rows of the shuffled data (the
       last batch of a pass may be shorter; the next pass uses ``batch_size`` again); when every
       row has been used, shuffle the shuffled data again with a new permutation and start from
       its first row; run ``forward`` then ``loss_gradients`` on the batch; update every weight
       ``w -= learning_rate * ∂L/∂w``.

    The gradients are those of the batch's **summed** squared error; the recorded losses are
    the batch **mean** squared errors reported by ``forward``. The caller's ``X`` and ``y`` are
    not modified. The lesson trains with ``n_iter=10000, learning_rate=0.001, batch_size=23``.

    Args:
        X: shape ``(n, d)``, float: standardised features.
        y: shape ``(n, 1)``, float: targets.
        n_iter: the number of updates (mini-batches), an int >= 0.
        learning_rate: the step size, a float.
        batch_size: rows per mini-batch, an int >= 1.
        return_losses: also return the loss of every iteration.
        return_weights: also return the trained weights.
        seed: the seed of numpy's global generator, set at the start (``np.random.seed``).
        hidden_size: the number of hidden units ``h``, a positive int.

    Returns:
        ``(losses, weights)`` if both flags are set; ``losses`` alone if only ``return_losses``;
        ``weights`` alone if only ``return_weights``; ``None`` if neither. ``losses`` is a list
        of ``n_iter`` Python floats (the batch mean squared error before each update);
        ``weights`` is ``{'W1': (d, h), 'B1': (1, h), 'W2': (h, 1), 'B2': (1, 1)}``, float64.

    Raises:
        ValueError: if ``X`` is not ``(n, d)`` with ``y`` ``(n, 1)``, if ``n`` is 0, or if
            ``n_iter``, ``batch_size`` or ``hidden_size`` is out of range.
    """
    _check_X_y(X, y)
    if np.shape(X)[0] == 0:
        raise ValueError(f"X {np.shape(X)} has no rows to train on")
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    if int(n_iter) != n_iter or n_iter < 0:
        raise ValueError(f"n_iter must be an integer >= 0, got {n_iter!r}")
    # BEGIN SOLUTION
    # HINT: the same loop as linear_regression.train; size the weights from the X you are given.
    weights = init_weights(X.shape[1], hidden_size=hidden_size)
    np.random.seed(seed)
    n_rows = X.shape[0]
    order = np.random.permutation(n_rows)
    X_shuffled, y_shuffled = X[order], y[order]
    losses: List[float] = []
    start = 0
    for _ in range(int(n_iter)):
        if start >= n_rows:
            order = np.random.permutation(n_rows)
            X_shuffled, y_shuffled = X_shuffled[order], y_shuffled[order]
            start = 0
        stop = start + int(batch_size)
        X_batch, y_batch = X_shuffled[start:stop], y_shuffled[start:stop]
        start = stop
        forward_info, loss = forward(X_batch, y_batch, weights)
        losses.append(float(loss))
        gradients = loss_gradients(forward_info, weights)
        for key in weights:
            weights[key] -= learning_rate * gradients[key]
    if return_losses and return_weights:
        return losses, weights
    if return_losses:
        return losses
    if return_weights:
        return weights
    return None
    # END SOLUTION


def predict(X: np.ndarray, weights: Weights) -> np.ndarray:
    """Predictions of a trained network: the forward pass without a target (lesson §1.4).

    Args:
        X: shape ``(n, d)``, float: standardised features.
        weights: ``{'W1': (d, h), 'B1': (1, h), 'W2': (h, 1), 'B2': (1, 1)}``.

    Returns:
        ``P``, shape ``(n, 1)``, float64, in the units of the targets.

    Raises:
        ValueError: if ``X`` and the weights have shapes that do not fit together.
    """
    _check_weights(X, weights)
    O1 = sigmoid(np.dot(X, weights["W1"]) + weights["B1"])
    return np.dot(O1, weights["W2"]) + weights["B2"]
