"""Shared public checks of the two models (linear_regression and neural_network).

The gradients your ``loss_gradients`` must return are those of the batch's SUMMED squared
error. ``forward`` (given) reports the MEAN squared error, so the expected gradients here are
``n`` times the slope of ``forward``'s loss, measured by nudging each weight.

The checks of ``train`` watch the calls it makes to ``forward`` and ``loss_gradients`` (so call
them by those names, once per mini-batch). While they watch, a stand-in computes the gradients
by nudging, so a mistake in your ``loss_gradients`` does not make ``train`` fail too.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from _compare import StudentFailure, expect_array, expect_dict, expect_scalar
from _support import call, replaced

GRADIENT_TOLERANCE = dict(rtol=1e-6, atol=1e-6)


def stand_in_gradients(forward_info: dict, weights: dict) -> dict:
    """Stands in for ``loss_gradients`` while ``train`` is checked: fixed pretend gradients (0.25
    for the first weight, 0.5 for the next, ...), so train's own steps are checked apart from
    your gradients. Not the gradients of anything: it cannot stand in for your loss_gradients."""
    return {key: np.full(np.shape(value), 0.25 * (number + 1)) for number, (key, value) in enumerate(weights.items())}


def check_loss_gradients(module: Any, X: np.ndarray, y: np.ndarray, weights: dict, name: str,
                         alt_shapes: dict, expected: dict) -> None:
    """loss_gradients(forward_info, weights) equals `expected`: n times the slope of the mean loss,
    measured offline by nudging each weight and written into the check as numbers."""
    info, _ = module.forward(X, y, weights)
    described = {k: np.shape(v) for k, v in weights.items()}
    description = f"{name}.loss_gradients(forward(X {X.shape}, y {y.shape}, weights {described}))"
    copies = {k: v.copy() for k, v in weights.items()}
    got = call(description, module.loss_gradients, {k: np.copy(v) for k, v in info.items()}, copies)
    try:
        expect_dict(got, expected, **GRADIENT_TOLERANCE, call=description, alt_shapes=alt_shapes)
    except StudentFailure as failure:
        rows = X.shape[0]
        if rows > 1 and _looks_divided(got, expected, rows):
            raise StudentFailure(
                failure.message + f"\nEvery value is {rows} times too small, the batch size: these look like "
                "gradients of the MEAN squared error. This assignment wants those of the SUMMED "
                "squared error (start from dL/dP = -2 (y - P), without dividing by n)."
            ) from None
        raise


def _looks_divided(got: Any, expected: dict, rows: int) -> bool:
    if type(got) is not dict or set(got) != set(expected):
        return False
    try:
        return all(
            np.allclose(np.reshape(np.asarray(got[k], dtype=float), np.shape(expected[k])) * rows,
                        expected[k], rtol=1e-4, atol=1e-8)
            for k in expected
        )
    except (TypeError, ValueError):
        return False


class Watcher:
    """Stands in for ``forward`` and ``loss_gradients`` while ``train`` runs, and records the calls."""

    def __init__(self, module: Any) -> None:
        self.given_forward = module.forward
        self.gradients = stand_in_gradients
        self.batches: list[tuple[np.ndarray, np.ndarray]] = []  # copies of (X_batch, y_batch)
        self.first_weights: dict | None = None
        self.losses: list[float] = []
        self.paired: list[bool] = []  # loss_gradients got the forward_info of the latest forward
        self._latest = None

    def forward(self, X: np.ndarray, y: np.ndarray, weights: dict):
        self.batches.append((np.array(X, copy=True), np.array(y, copy=True)))
        if self.first_weights is None:
            self.first_weights = {k: np.array(v, copy=True) for k, v in weights.items()}
        info, loss = self.given_forward(X, y, weights)
        self.losses.append(loss)
        self._latest = info
        return info, loss

    def loss_gradients(self, forward_info: dict, weights: dict) -> dict:
        self.paired.append(forward_info is self._latest)
        return self.gradients(forward_info, weights)

    def run(self, module: Any, description: str, *args: Any, **kwargs: Any) -> Any:
        with replaced(module, forward=self.forward, loss_gradients=self.loss_gradients):
            return call(description, module.train, *args, **kwargs)


def row_ids_data(rows: int, features: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows; y holds each row's number, so the checks can tell which rows a batch took."""
    grid = np.arange(rows * features, dtype=np.float64).reshape(rows, features)
    X = np.sin(grid) + 0.1 * grid / (rows * features)
    y = np.arange(rows, dtype=np.float64).reshape(rows, 1)
    return X, y


def check_batches(module: Any, name: str, **extra: Any) -> None:
    """10 rows, batch_size=4, n_iter=7: batches of 4, 4, 2, then 4, 4, 2, 4; every pass takes
    every row once; X and y rows stay together; forward then loss_gradients for each batch."""
    X, y = row_ids_data(10, 3)
    watcher = Watcher(module)
    description = f"{name}.train(X (10, 3), y (10, 1), n_iter=7, learning_rate=0.001, batch_size=4)"
    watcher.run(module, description, X.copy(), y.copy(), n_iter=7, learning_rate=0.001, batch_size=4, **extra)
    sizes = [len(batch_y) for _, batch_y in watcher.batches]
    if sizes != [4, 4, 2, 4, 4, 2, 4]:
        raise StudentFailure(
            f"{description} called forward with batches of {sizes} rows; expected [4, 4, 2, 4, 4, 2, 4]: "
            "consecutive batches of batch_size rows, a shorter last batch when the rows run out, then "
            "a new pass that uses batch_size again (one forward call per iteration)."
        )
    if len(watcher.paired) != 7 or not all(watcher.paired):
        raise StudentFailure(
            f"{description} called loss_gradients {len(watcher.paired)} times; expected once per "
            "batch (7), right after forward and with the forward_info that forward returned."
        )
    passes = [[], []]
    for number, (batch_X, batch_y) in enumerate(watcher.batches[:6]):
        ids = [int(round(v)) for v in batch_y.ravel()]
        if any(i < 0 or i >= 10 for i in ids) or not np.array_equal(batch_X, X[ids]):
            raise StudentFailure(
                f"{description}: batch {number + 1} pairs X rows with the wrong y rows; shuffle X and y "
                "with one and the same permutation."
            )
        passes[number // 3].extend(ids)
    for number, ids in enumerate(passes):
        if sorted(ids) != list(range(10)):
            raise StudentFailure(
                f"{description}: pass {number + 1} over the data used the rows {ids}; expected every one "
                "of the 10 rows exactly once per pass."
            )
    if passes[0] == passes[1]:
        raise StudentFailure(
            f"{description}: the second pass took the rows in the same order as the first ({passes[0]}); "
            "shuffle again at the start of every pass."
        )


def check_one_full_batch_step(module: Any, name: str, init: Callable[[], dict], **extra: Any) -> None:
    """n_iter=1 with the whole data set as one batch: one step w - learning_rate * dL/dw from the
    weights init_weights draws right after seeding numpy with seed."""
    X, y = row_ids_data(6, 3)
    y = np.cos(y)
    rate, seed = 0.01, 3
    np.random.seed(3)  # what train must do with seed=3 before it draws the starting weights
    start = init()
    watcher = Watcher(module)
    description = (f"{name}.train(X (6, 3), y (6, 1), n_iter=1, learning_rate={rate}, batch_size=6, "
                   f"return_weights=True, seed={seed}"
                   + "".join(f", {k}={v!r}" for k, v in extra.items()) + ")")
    got = watcher.run(module, description, X.copy(), y.copy(), n_iter=1, learning_rate=rate, batch_size=6,
                      return_weights=True, seed=seed, **extra)
    if watcher.first_weights is None:
        raise StudentFailure(f"{description} never called forward.")
    expect_dict(watcher.first_weights, start, rtol=0, atol=0,
                call=f"{description}: the weights of the first forward call",
                what="the starting weights (init_weights right after seeding numpy with seed)")
    info, _ = watcher.given_forward(X, y, start)
    step = watcher.gradients(info, start)
    expected = {key: start[key] - rate * step[key] for key in start}
    expect_dict(got, expected, rtol=1e-6, atol=1e-9, call=description)


def check_return_flags(module: Any, name: str, keys: tuple[str, ...], **extra: Any) -> None:
    """return_losses / return_weights: (losses, weights), losses, weights, or None; losses are the
    n_iter batch losses forward reported."""
    X, y = row_ids_data(8, 2)
    y = np.cos(y)
    for losses_flag, weights_flag in ((True, True), (True, False), (False, True), (False, False)):
        watcher = Watcher(module)
        description = (f"{name}.train(X (8, 2), y (8, 1), n_iter=3, batch_size=4, "
                       f"return_losses={losses_flag}, return_weights={weights_flag})")
        got = watcher.run(module, description, X.copy(), y.copy(), n_iter=3, batch_size=4, learning_rate=0.001,
                          return_losses=losses_flag, return_weights=weights_flag, **extra)
        if not (losses_flag or weights_flag):
            if got is not None:
                raise StudentFailure(f"{description} returned {type(got).__name__}; expected None.")
            continue
        if losses_flag and weights_flag:
            if type(got) is not tuple or len(got) != 2:
                raise StudentFailure(f"{description} returned {type(got).__name__}; expected a tuple (losses, weights).")
            losses, weights = got
        elif losses_flag:
            losses, weights = got, None
        else:
            losses, weights = None, got
        if losses is not None:
            if type(losses) is not list or len(losses) != 3:
                raise StudentFailure(f"{description}: losses should be a list of 3 numbers (one per iteration), got {type(losses).__name__}"
                                     + (f" of length {len(losses)}" if hasattr(losses, '__len__') else "") + ".")
            for number, (loss, reported) in enumerate(zip(losses, watcher.losses)):
                expect_scalar(loss, reported, rtol=1e-12, atol=0, call=description,
                              what=f"losses[{number}] (the loss forward reported for batch {number + 1})")
        if weights is not None:
            if type(weights) is not dict or sorted(weights) != sorted(keys):
                raise StudentFailure(f"{description}: weights should be a dict with keys {list(keys)}.")


def check_inputs_unchanged(module: Any, name: str, **extra: Any) -> None:
    """train does not modify the X and y it is given."""
    X, y = row_ids_data(7, 2)
    X_before, y_before = X.copy(), y.copy()
    description = f"{name}.train(X (7, 2), y (7, 1), n_iter=5, batch_size=3)"
    Watcher(module).run(module, description, X, y, n_iter=5, batch_size=3, learning_rate=0.001, **extra)
    if not (np.array_equal(X, X_before) and np.array_equal(y, y_before)):
        raise StudentFailure(
            f"{description} changed the caller's X or y (their rows were reordered or overwritten); "
            "shuffle copies, e.g. X[perm], instead."
        )
