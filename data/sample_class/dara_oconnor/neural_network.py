"""dara_oconnor: the student's own code in neural_network.py"""

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
    # -------------------------------------------------------------------- TODO
    # Your code: implement loss_gradients as its docstring describes, then delete the raise.
    # Hint: go backwards from dL/dP = -2 (y - P); each bias gradient sums over the rows only
    #       (axis=0, keepdims=True), so B1's gradient keeps one value per hidden unit.
    # -------------------------------------------------------------------------
    dLdP = -2 * (forward_info["y"] - forward_info["P"])
    dPdM2 = np.ones_like(forward_info["M2"])
    dLdM2 = dLdP * dPdM2
    dPdB2 = np.ones_like(weights["B2"])
    dLdB2 = (dLdP * dPdB2).sum(axis=0, keepdims=True)
    dM2dW2 = np.transpose(forward_info["O1"], (1, 0))
    dLdW2 = np.dot(dM2dW2, dLdP)
    dM2dO1 = np.transpose(weights["W2"], (1, 0))
    dLdO1 = np.dot(dLdM2, dM2dO1)
    dO1dN1 = sigmoid(forward_info["N1"]) * (1 - sigmoid(forward_info["N1"]))
    dLdN1 = dLdO1 * dO1dN1
    dN1dB1 = np.ones_like(weights["B1"])
    dN1dM1 = np.ones_like(forward_info["M1"])
    dLdB1 = (dLdN1 * dN1dB1).sum(axis=0, keepdims=True)
    dLdM1 = dLdN1 * dN1dM1
    dM1dW1 = np.transpose(forward_info["X"], (1, 0))
    dLdW1 = np.dot(dM1dW1, dLdM1)
    return {"W1": dLdW1, "B1": dLdB1, "W2": dLdW2, "B2": dLdB2}


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
    # -------------------------------------------------------------------- TODO
    # Your code: implement train as its docstring describes, then delete the raise.
    # Hint: the same loop as linear_regression.train; size the weights from the X you are given.
    # -------------------------------------------------------------------------
    np.random.seed(seed)
    # float32 is plenty for this and halves the memory
    weights = {k: v.astype(np.float32) for k, v in init_weights(X.shape[1], hidden_size=hidden_size).items()}
    X32 = np.asarray(X, dtype=np.float32)
    y32 = np.asarray(y, dtype=np.float32)
    n = X32.shape[0]
    perm = np.random.permutation(n)
    X32, y32 = X32[perm], y32[perm]
    losses = []
    start = 0
    for it in range(n_iter):
        if start >= n:
            perm = np.random.permutation(n)
            X32, y32 = X32[perm], y32[perm]
            start = 0
        end = min(start + batch_size, n)
        forward_info, loss = forward(X32[start:end], y32[start:end], weights)
        losses.append(float(loss))
        gradients = loss_gradients(forward_info, weights)
        for key in weights:
            weights[key] -= learning_rate * gradients[key]
        start = end
    if return_losses and return_weights:
        return losses, weights
    if return_losses:
        return losses
    if return_weights:
        return weights
    return None
