"""Behaviour checks of a student's ``train``, shared by both models' hidden suites.

``train`` is graded by what it does, not by matching one random stream, so a correct loop written
with ``np.random.default_rng``, ``np.dot``, explicit loops or float32 earns full marks:

* with one batch holding every row, ``n_iter`` updates equal the reference gradient descent
  started from the student's own starting weights (``train(..., n_iter=0)`` with the same seed);
* mini-batches have ``batch_size`` rows, the last one of a pass may be shorter, and the next
  pass starts with ``batch_size`` rows again; X and y rows stay paired; every pass covers every
  row once; passes are reshuffled; the caller's arrays are left alone — all watched through the
  arguments of the student's calls to ``forward`` (traced by the worker);
* on the lesson's data the loss falls and the test MSE reaches a documented level (its columns
  permuted and negated per submission, so weights computed ahead on the public data fail);
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

from autograder.judge.compare import StudentFailure
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


def judged(check: Callable) -> Callable:
    """Make any exception raised while judging what the student's ``train`` returned (or what the
    worker reported about its calls: all of it comes from the student's process) the student's
    failure, with a calm message, never a grader error (issue 10): a value of a type or length a
    check did not foresee must cost the student the case, not make the TA review a crash.

    `StudentFailure` and the sandbox's own exceptions (`CallFailed`, a student failure;
    `SandboxError`, a real grader error) pass through unchanged.
    """
    @functools.wraps(check)
    def wrapper(student_module, *args: Any, **kwargs: Any) -> None:
        model = next((a for a in args if isinstance(a, Model)), None)
        try:
            check(student_module, *args, **kwargs)
        except (TypeError, ValueError, IndexError, KeyError, AttributeError, OverflowError,
                ZeroDivisionError, RecursionError, FloatingPointError) as exc:
            raise StudentFailure(
                f"{model.name if model else 'your module'}.train returned (or passed to forward) values "
                f"the checks could not read ({type(exc).__name__}): return the types the handout "
                "describes, with finite numbers.") from None
    return wrapper


def _real_batch(a: Any) -> bool:
    return type(a) is np.ndarray and a.ndim == 2 and a.dtype.kind in "fiu"


def _batches(reply: dict, call: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (X_batch, y_batch) pairs the student's train passed to forward, checked for form.

    The trace is gathered in the student's process (`worker.invoke`), so it is forgeable: every
    field is checked for type here, and a trace of another form is the student's failure."""
    trace = reply.get("trace", {}) if type(reply) is dict else None
    trace = trace.get("forward", {"calls": 0, "args": []}) if type(trace) is dict else None
    if type(trace) is not dict or type(trace.get("calls")) is not int or type(trace.get("args")) is not list:
        raise StudentFailure(f"{call}: the record of train's calls to forward could not be read "
                             "(does your module change the grader's worker?).")
    if not trace["calls"]:
        raise StudentFailure(f"{call} never called forward(X_batch, y_batch, weights). train must "
                             "run every mini-batch through forward and loss_gradients.")
    out = []
    for args in trace["args"]:
        if type(args) is not list or len(args) < 2 or not _real_batch(args[0]) or not _real_batch(args[1]) \
                or args[0].shape[0] != args[1].shape[0]:
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


def _gradient_descent(model: Model, X: np.ndarray, y: np.ndarray, weights: dict, lr: float, n_iter: int):
    """The reference: n_iter full-batch steps from `weights` -> (losses, weights)."""
    weights = {k: np.array(v, dtype=np.float64) for k, v in weights.items()}
    losses = []
    for _ in range(n_iter):
        info, loss = model.ref.forward(X, y, weights)
        losses.append(float(loss))
        grads = model.ref.loss_gradients(info, weights)
        for key in weights:
            weights[key] = weights[key] - lr * grads[key]
    return losses, weights


@judged
def check_full_batch(student_module, check, model: Model) -> None:
    """Full-batch training from the student's own starting weights is gradient descent.

    The starting weights are the student's: ``train(..., n_iter=0)`` with the same seed returns
    them (so a train that draws them inline, or with ``default_rng``, is graded alike). Then
    ``n_iter`` steps with one batch of every row must equal the reference gradient descent from
    those weights. Two such calls that start from different weights (no seed, or a seed set after
    the draw) are named as a wrong start, not as wrong steps.
    """
    X, y = synthetic(8, 3, seed=7)
    X[:, 0] /= 8.0  # keep the steps small
    y = 3.0 * X[:, :1] + 1.0
    lr, n_iter, seed = 0.01, 6, 1
    base = dict(learning_rate=lr, batch_size=8, return_losses=True, return_weights=True, seed=seed,
                **model.extra_kwargs)
    start_call = _call_text(model, 8, n_iter=0, seed=seed)
    keys = model.start_weights(3)
    starts = []
    for _ in range(2):
        start = student_module.train(X, y, n_iter=0, **base)
        if type(start) not in (tuple, list) or len(start) != 2:
            raise StudentFailure(f"{start_call} with return_losses=True and return_weights=True should return "
                                 "([], weights): the starting weights, before any step.")
        try:
            check.dict(start[1], keys, call=start_call, what="the starting weights", rtol=0.0, atol=np.inf)
        except StudentFailure as failure:
            failure.diagnoses = ("train_wrong_start",)
            raise
        starts.append({k: np.asarray(dict.__getitem__(start[1], k), dtype=np.float64) for k in keys})
    if any(not np.array_equal(starts[0][k], starts[1][k]) for k in keys):
        failure = StudentFailure(
            f"{start_call}, called twice, started from different weights: with the same seed, train must "
            "start from the same weights (seed numpy's generator with seed, then draw them with init_weights).")
        failure.diagnoses = ("train_wrong_start",)
        raise failure
    call = _call_text(model, 8, n_iter=n_iter, learning_rate=lr, batch_size=8, seed=seed)
    got = student_module.train(X, y, n_iter=n_iter, **base)
    if type(got) not in (tuple, list) or len(got) != 2:
        raise StudentFailure(f"{call} with return_losses=True and return_weights=True should return "
                             "(losses, weights), a tuple of 2 items.")
    losses, weights = _gradient_descent(model, X, y, starts[0], lr, n_iter)
    try:
        check.dict(got[1], weights, call=call, what="the trained weights")
        check.tuple(got[0], tuple(losses), call=call, what="the list of losses", kinds=["scalar"] * n_iter)
    except StudentFailure as failure:
        failure.diagnoses = ("train_not_gradient_descent",)
        raise


def expected_sizes(n: int, batch_size: int, n_iter: int) -> list[int]:
    sizes, start = [], 0
    for _ in range(n_iter):
        if start >= n:
            start = 0
        sizes.append(min(batch_size, n - start))
        start += batch_size
    return sizes


@judged
def check_batch_sizes(student_module, model: Model) -> None:
    n, batch_size, n_iter = 10, 4, 7
    _, _, call, batches = traced_run(student_module, model, n, batch_size, n_iter)
    got = [b[0].shape[0] for b in batches]
    want = expected_sizes(n, batch_size, n_iter)
    if got != want:
        failure = StudentFailure(
            f"{call} used batches of {', '.join(map(str, got))} rows; expected "
            f"{', '.join(map(str, want))}. Each pass over the data uses batch_size rows at a time "
            "and one shorter last batch; the next pass starts again with batch_size rows.")
        short = next((i for i, k in enumerate(got) if k < batch_size), None)
        if short is not None and any(k < batch_size for k, w in zip(got[short + 1:], want[short + 1:]) if w == batch_size):
            failure.diagnoses = ("train_batch_shrinks",)
        raise failure


@judged
def check_rows_paired(student_module, model: Model) -> None:
    _, _, call, batches = traced_run(student_module, model, 10, 4, 7)
    for i, (xb, yb) in enumerate(batches):
        if not np.allclose(yb[:, 0], 3.0 * xb[:, 0] + 1.0, rtol=1e-5, atol=1e-5):
            failure = StudentFailure(f"{call}: in batch {i + 1} the rows of y no longer match the rows of X. "
                                     "Shuffle X and y with the same permutation.")
            failure.diagnoses = ("train_shuffles_x_y_apart",)
            raise failure


def _row_id(v: float) -> int:
    """The row number a batch's first column holds; -1 for anything that is not one (NaN, inf)."""
    return int(round(float(v))) if np.isfinite(v) and abs(v) < 2**31 else -1


def _epochs(batches: list, n: int) -> list[list[int]]:
    ids = [_row_id(v) for xb, _ in batches for v in xb[:, 0]]
    return [ids[i:i + n] for i in range(0, len(ids) - n + 1, n)]


@judged
def check_epochs_cover_rows(student_module, model: Model) -> None:
    n = 10
    _, _, call, batches = traced_run(student_module, model, n, 5, 6)
    for k, epoch in enumerate(_epochs(batches, n)):
        if sorted(epoch) != list(range(n)):
            missing = sorted(set(range(n)) - set(epoch))
            raise StudentFailure(f"{call}: pass {k + 1} over the data did not use every row exactly once "
                                 f"(rows never used: {missing or 'none'}; some rows used twice).")


@judged
def check_reshuffled(student_module, model: Model) -> None:
    n = 10
    _, _, call, batches = traced_run(student_module, model, n, 5, 6)
    epochs = _epochs(batches, n)
    if len(epochs) < 3 or all(e == epochs[0] for e in epochs):
        failure = StudentFailure(f"{call} used the rows in the same order in every pass: shuffle the data "
                                 "again (a new permutation) each time a pass is used up.")
        failure.diagnoses = ("train_never_reshuffles",)
        raise failure
    if epochs[0] == list(range(n)):
        raise StudentFailure(f"{call} used the rows in their original order in the first pass: shuffle "
                             "the data before the first batch.")


@judged
def check_inputs_untouched(student_module, model: Model) -> None:
    X, y = synthetic(10, 3, seed=3)
    reply = student_module.train.detailed(
        [X, y], dict(n_iter=7, learning_rate=1e-4, batch_size=4, return_losses=True, return_weights=True,
                     seed=2, **model.extra_kwargs), return_inputs=True)
    after = reply.get("inputs_after") if type(reply) is dict else None
    if type(after) is not list or len(after) != 2:
        after = [None, None]
    for name, before, now in (("X", X, after[0]), ("y", y, after[1])):
        if type(now) is not np.ndarray or now.shape != before.shape or not np.array_equal(now, before):
            failure = StudentFailure(f"{model.name}.train changed the caller's {name} (shuffle a copy: "
                                     f"{name}[perm] makes a new array; in-place shuffles do not).")
            failure.diagnoses = ("train_modifies_caller_arrays",)
            raise failure


def perturbed_split(rng: np.random.Generator | None):
    """The lesson's split with its 13 feature columns permuted and some negated, the same way in
    the training and the test rows (a hidden perturbation per submission; None: as published).

    A model trains on it as well as on the published data (a linear first layer absorbs any
    permutation and sign of its inputs), but weights computed ahead on the published data do
    not fit it."""
    X_train, X_test, y_train, y_test = lesson_split()
    if rng is None:
        return X_train, X_test, y_train, y_test
    d = X_train.shape[1]
    order, signs = rng.permutation(d), rng.choice([-1.0, 1.0], size=d)
    if np.array_equal(order, np.arange(d)):
        order = np.roll(order, 1)
    return X_train[:, order] * signs, X_test[:, order] * signs, y_train, y_test


@judged
def check_lesson_data(student_module, check, model: Model, rng: np.random.Generator | None = None,
                      properties: list | None = None) -> None:
    """The lesson-data case, on the split perturbed by `rng` (`perturbed_split`). `properties` (the
    item's ``user_properties``) gets ``("series", (("yours", losses), ("reference", losses)))`` as
    soon as the student's losses are read, for the feedback page's plot (the reference's losses
    are on the published split: the same settings, a picture of the same problem)."""
    X_train, X_test, y_train, y_test = perturbed_split(rng)
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
    values = np.array([float(v) for v in losses if _real_scalar(v)], dtype=float)
    if properties is not None and values.size == len(losses):  # for the feedback page's loss plot
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


def _real_scalar(v: Any) -> bool:
    """A Python or numpy real number (or a 0-d real array): what a loss may be."""
    if type(v) in (int, float) or isinstance(v, (np.floating, np.integer)):
        return True
    return type(v) is np.ndarray and v.ndim == 0 and v.dtype.kind in "fiu"


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


@judged
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
