"""Behaviour checks of a student's ``train``, shared by both models' hidden suites.

``train`` is graded by what it does, not by matching one random stream, so a correct loop written
with ``np.random.default_rng``, ``np.dot``, explicit loops or float32 earns full marks:

* with one batch holding every row, ``n_iter`` updates equal the reference gradient descent
  started from the same weights (``init_weights`` is stubbed to return them);
* mini-batches have ``batch_size`` rows, the last one of a pass may be shorter, and the next
  pass starts with ``batch_size`` rows again; X and y rows stay paired; every pass covers every
  row once; passes are reshuffled; the caller's arrays are left alone — all watched through the
  arguments of the student's calls to ``forward`` (traced by the worker);
* on the lesson's data the loss falls and the test MSE reaches a documented level;
* the two return flags give what the handout says in all four combinations.

The reference ``forward`` and ``loss_gradients`` are in place while ``train`` is graded
(grading.yml ``requires``), so a gradient bug is charged to ``loss_gradients`` only.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

import numpy as np

from autograder.compare import StudentFailure
from solutions.nn_from_scratch import data


@dataclass(frozen=True)
class Model:
    """What differs between the two models' ``train``."""

    name: str  # module name
    ref: ModuleType  # the reference module
    start_weights: Callable[[int], dict[str, np.ndarray]]  # fixed weights for d features
    extra_kwargs: dict[str, Any]  # e.g. hidden_size for the network
    lesson_iters: int  # iterations of the lesson-data case (kept small: it runs per submission)
    lesson_mse: float  # the test MSE the student's train must reach (documented in the handout)


def synthetic(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose first column is the row number and whose target is 3 * row + 1 (to pair them)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[:, 0] = np.arange(n, dtype=float)
    y = (3.0 * X[:, :1] + 1.0).copy()
    return X, y


@functools.cache
def lesson_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return data.load_lesson_split()


def _call_text(model: Model, n: int, **kw: Any) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in kw.items())
    return f"{model.name}.train(X with {n} rows, y, {args})"


def _batches(reply: dict, call: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (X_batch, y_batch) pairs the student's train passed to forward, checked for form."""
    trace = reply.get("trace", {}).get("forward", {"calls": 0, "args": []})
    if not trace["calls"]:
        raise StudentFailure(f"{call} never called forward(X_batch, y_batch, weights). train must "
                             "run every mini-batch through forward and loss_gradients.")
    out = []
    for args in trace["args"]:
        if len(args) < 2 or args[0].ndim != 2 or args[1].ndim != 2 or args[0].shape[0] != args[1].shape[0]:
            raise StudentFailure(f"{call} called forward with arguments that are not an (n, d) batch "
                                 "of X and the matching (n, 1) batch of y.")
        out.append((args[0], args[1]))
    return out


def traced_run(student_module, model: Model, n: int, batch_size: int, n_iter: int, seed: int = 5):
    X, y = synthetic(n, 3, seed=11)
    call = _call_text(model, n, n_iter=n_iter, batch_size=batch_size)
    reply = student_module.train.detailed(
        [X, y], dict(n_iter=n_iter, learning_rate=1e-4, batch_size=batch_size, return_losses=True,
                     return_weights=True, seed=seed, **model.extra_kwargs),
        trace={"forward": n_iter + 5}, stub={"init_weights": model.start_weights(3)})
    return X, y, call, _batches(reply, call)


def check_full_batch(student_module, check, model: Model) -> None:
    X, y = synthetic(8, 3, seed=7)
    X[:, 0] /= 8.0  # keep the steps small
    y = 3.0 * X[:, :1] + 1.0
    lr, n_iter = 0.01, 6
    call = _call_text(model, 8, n_iter=n_iter, learning_rate=lr, batch_size=8)
    got = student_module.train.detailed(
        [X, y], dict(n_iter=n_iter, learning_rate=lr, batch_size=8, return_losses=True,
                     return_weights=True, seed=1, **model.extra_kwargs),
        stub={"init_weights": model.start_weights(3)})["value"]
    weights = model.start_weights(3)
    losses = []
    for _ in range(n_iter):
        info, loss = model.ref.forward(X, y, weights)
        losses.append(float(loss))
        grads = model.ref.loss_gradients(info, weights)
        for key in weights:
            weights[key] = weights[key] - lr * grads[key]
    if type(got) not in (tuple, list) or len(got) != 2:
        raise StudentFailure(f"{call} with return_losses=True and return_weights=True should return "
                             "(losses, weights), a tuple of 2 items.")
    check.dict(got[1], weights, call=call, what="the trained weights")
    check.tuple(got[0], tuple(losses), call=call, what="the list of losses", kinds=["scalar"] * n_iter)


def expected_sizes(n: int, batch_size: int, n_iter: int) -> list[int]:
    sizes, start = [], 0
    for _ in range(n_iter):
        if start >= n:
            start = 0
        sizes.append(min(batch_size, n - start))
        start += batch_size
    return sizes


def check_batch_sizes(student_module, model: Model) -> None:
    n, batch_size, n_iter = 10, 4, 7
    _, _, call, batches = traced_run(student_module, model, n, batch_size, n_iter)
    got = [b[0].shape[0] for b in batches]
    want = expected_sizes(n, batch_size, n_iter)
    if got != want:
        raise StudentFailure(
            f"{call} used batches of {', '.join(map(str, got))} rows; expected "
            f"{', '.join(map(str, want))}. Each pass over the data uses batch_size rows at a time "
            "and one shorter last batch; the next pass starts again with batch_size rows.")


def check_rows_paired(student_module, model: Model) -> None:
    _, _, call, batches = traced_run(student_module, model, 10, 4, 7)
    for i, (xb, yb) in enumerate(batches):
        if not np.allclose(yb[:, 0], 3.0 * xb[:, 0] + 1.0, rtol=1e-5, atol=1e-5):
            raise StudentFailure(f"{call}: in batch {i + 1} the rows of y no longer match the rows of X. "
                                 "Shuffle X and y with the same permutation.")


def _epochs(batches: list, n: int) -> list[list[int]]:
    ids = [int(round(v)) for xb, _ in batches for v in xb[:, 0]]
    return [ids[i:i + n] for i in range(0, len(ids) - n + 1, n)]


def check_epochs_cover_rows(student_module, model: Model) -> None:
    n = 10
    _, _, call, batches = traced_run(student_module, model, n, 5, 6)
    for k, epoch in enumerate(_epochs(batches, n)):
        if sorted(epoch) != list(range(n)):
            missing = sorted(set(range(n)) - set(epoch))
            raise StudentFailure(f"{call}: pass {k + 1} over the data did not use every row exactly once "
                                 f"(rows never used: {missing or 'none'}; some rows used twice).")


def check_reshuffled(student_module, model: Model) -> None:
    n = 10
    _, _, call, batches = traced_run(student_module, model, n, 5, 6)
    epochs = _epochs(batches, n)
    if len(epochs) < 3 or all(e == epochs[0] for e in epochs):
        raise StudentFailure(f"{call} used the rows in the same order in every pass: shuffle the data "
                             "again (a new permutation) each time a pass is used up.")
    if epochs[0] == list(range(n)):
        raise StudentFailure(f"{call} used the rows in their original order in the first pass: shuffle "
                             "the data before the first batch.")


def check_inputs_untouched(student_module, model: Model) -> None:
    X, y = synthetic(10, 3, seed=3)
    reply = student_module.train.detailed(
        [X, y], dict(n_iter=7, learning_rate=1e-4, batch_size=4, return_losses=True, return_weights=True,
                     seed=2, **model.extra_kwargs), return_inputs=True)
    after = reply.get("inputs_after", [None, None])
    for name, before, now in (("X", X, after[0]), ("y", y, after[1])):
        if type(now) is not np.ndarray or now.shape != before.shape or not np.array_equal(now, before):
            raise StudentFailure(f"{model.name}.train changed the caller's {name} (shuffle a copy: "
                                 f"{name}[perm] makes a new array; in-place shuffles do not).")


def check_lesson_data(student_module, check, model: Model, properties: list | None = None) -> None:
    """`properties` (the item's ``user_properties``) gets ``("series", (("yours", losses),
    ("reference", losses)))`` as soon as the student's losses are read, for the feedback plot."""
    X_train, X_test, y_train, y_test = lesson_split()
    kw = dict(n_iter=model.lesson_iters, learning_rate=0.001, batch_size=23)
    call = _call_text(model, len(X_train), **kw) + " on the lesson's training data"
    got = student_module.train(X_train, y_train, return_losses=True, return_weights=True, seed=42,
                               **kw, **model.extra_kwargs)
    if type(got) not in (tuple, list) or len(got) != 2 or type(got[1]) is not dict:
        raise StudentFailure(f"{call} should return (losses, weights).")
    losses, weights = got
    expected_keys = model.start_weights(13)
    check.dict(weights, expected_keys, call=call, what="the trained weights", rtol=0.0, atol=np.inf)
    if type(losses) not in (list, tuple) or len(losses) != model.lesson_iters:
        raise StudentFailure(f"{call} should return one loss per iteration ({model.lesson_iters}), "
                             f"got {len(losses) if type(losses) in (list, tuple) else type(losses).__name__}.")
    values = np.array([float(v) for v in losses if np.ndim(v) == 0], dtype=float)
    if properties is not None and values.size == len(losses):
        properties.append(("series", (("yours", tuple(values.tolist())), ("reference", reference_losses(model)))))
    if values.size != len(losses) or not np.isfinite(values).all():
        raise StudentFailure(f"{call}: the losses must all be finite numbers.")
    k = max(1, len(values) // 10)
    if not values[-k:].mean() < values[:k].mean():
        raise StudentFailure(f"{call}: the loss did not fall (mean of the first {k} losses "
                             f"{values[:k].mean():.4g}, of the last {k} {values[-k:].mean():.4g}).")
    mse = float(np.mean((model.ref.predict(X_test, weights) - y_test) ** 2))
    if not mse <= model.lesson_mse:
        raise StudentFailure(f"{call}: the trained model's test MSE is {mse:.4g}; it should reach "
                             f"{model.lesson_mse:g} or less (the reference reaches about "
                             f"{reference_mse(model):.3g}).")


@functools.cache
def _reference_mse(name: str, ref: ModuleType, iters: int, extra: tuple) -> float:
    X_train, X_test, y_train, y_test = lesson_split()
    w = ref.train(X_train, y_train, n_iter=iters, learning_rate=0.001, batch_size=23,
                  return_weights=True, seed=42, **dict(extra))
    return float(np.mean((ref.predict(X_test, w) - y_test) ** 2))


@functools.cache
def _reference_losses(name: str, ref: ModuleType, iters: int, extra: tuple) -> tuple[float, ...]:
    X_train, X_test, y_train, y_test = lesson_split()
    losses = ref.train(X_train, y_train, n_iter=iters, learning_rate=0.001, batch_size=23,
                       return_losses=True, seed=42, **dict(extra))
    return tuple(float(v) for v in losses)


def reference_losses(model: Model) -> tuple[float, ...]:
    """The reference's losses of the lesson-data case (same data, settings and seed)."""
    return _reference_losses(model.name, model.ref, model.lesson_iters, tuple(sorted(model.extra_kwargs.items())))


def reference_mse(model: Model) -> float:
    return _reference_mse(model.name, model.ref, model.lesson_iters, tuple(sorted(model.extra_kwargs.items())))


def check_return_flags(student_module, model: Model) -> None:
    X, y = synthetic(6, 3, seed=9)
    base = dict(n_iter=2, learning_rate=1e-4, batch_size=4, seed=0, **model.extra_kwargs)
    keys = sorted(model.start_weights(3))
    for losses_flag, weights_flag in ((False, False), (True, False), (False, True), (True, True)):
        call = (f"{model.name}.train(..., return_losses={losses_flag}, return_weights={weights_flag})")
        got = student_module.train(X, y, return_losses=losses_flag, return_weights=weights_flag, **base)
        if not losses_flag and not weights_flag:
            ok, want = got is None, "None"
        elif losses_flag and not weights_flag:
            ok, want = type(got) is list and len(got) == 2, "the list of 2 losses"
        elif weights_flag and not losses_flag:
            ok, want = type(got) is dict and sorted(got) == keys, f"the weights dict ({', '.join(keys)})"
        else:
            ok = type(got) in (tuple, list) and len(got) == 2 and type(got[0]) is list \
                and type(got[1]) is dict
            want = "(losses, weights)"
        if not ok:
            raise StudentFailure(f"{call} should return {want}; it returned "
                                 f"{'None' if got is None else 'a ' + type(got).__name__}.")
