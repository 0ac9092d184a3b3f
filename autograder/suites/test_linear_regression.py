"""Hidden test cases of linear_regression.py: loss_gradients and train.

Gradients are compared with the reference on random batches of shapes the release never uses;
`train` is graded by behaviour (see train_behaviour.py) with the reference `forward` and
`loss_gradients` in place.
"""
from __future__ import annotations

import numpy as np
import pytest

import hidden_support as hs
import train_behaviour as tb
from solutions.nn_from_scratch import linear_regression as ref


def start_weights(d: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(100 + d)
    return {"W": rng.normal(size=(d, 1)), "B": rng.normal(size=(1, 1))}


MODEL = tb.Model("linear_regression", ref, start_weights, {}, lesson_iters=200, lesson_mse=27.0)


#: Each entry of the result is graded on its own, with these weights (per batch).
ENTRY_WEIGHTS = {"W": 3.0, "B": 1.0}
BATCHES = {"7 rows, 3 features": (7, 3), "12 rows, 5 features": (12, 5)}


def batch(rng: np.random.Generator, n: int, d: int):
    """A hidden batch: forward_info from the reference forward, and the weights."""
    X, y = rng.normal(size=(n, d)), rng.normal(loc=2.0, size=(n, 1))
    weights = {"W": rng.normal(size=(d, 1)), "B": rng.normal(size=(1, 1))}
    return ref.forward(X, y, weights)[0], weights


def stale_pair(rng: np.random.Generator, n: int, d: int):
    """One batch, its weights moved a little since forward ran: (stale forward_info, fresh
    forward_info of the moved weights, the moved weights)."""
    info, weights = batch(rng, n, d)
    moved = {k: v + rng.normal(scale=0.3, size=v.shape) for k, v in weights.items()}
    return info, ref.forward(info["X"], info["y"], moved)[0], moved


def graded_call(request, student, hidden, label: str, make) -> tuple:
    """The student's loss_gradients on the hidden batch `label` (called once per submission)."""
    info, weights = make(hidden(label))
    call = f"loss_gradients(forward_info, weights) for {label}"
    value, changed = hs.once(request.getfixturevalue("submission"), f"linear_regression:{label}",
                             lambda: hs.call_tracked(student.linear_regression.loss_gradients,
                                                     [info, weights], names=["forward_info", "weights"]))
    return info, weights, call, value, changed


def entry_cases():
    for label in BATCHES:
        for key, weight in ENTRY_WEIGHTS.items():
            yield pytest.param(label, key, id=f"{label}: {key}",
                               marks=pytest.mark.question("linear_regression.loss_gradients", weight=weight))


@pytest.mark.parametrize("label,key", list(entry_cases()))
def test_loss_gradients(request, student, check, hidden, label, key):
    """loss_gradients on a batch: one entry of the summed squared error's gradients"""
    backprop_gate(request, student, hidden)
    n, d = BATCHES[label]
    info, weights, call, got, _ = graded_call(request, student, hidden, label, lambda r: batch(r, n, d))
    expected = ref.loss_gradients(info, weights)
    hs.note(request, hs.extra_keys_note(got, expected, call) if (key, label) == ("W", next(iter(BATCHES))) else "")
    entry = got.get(key) if type(got) is dict else None
    hs.check_with_diagnosis(
        request, lambda: check.dict(got, expected, keys=[key], alt_shapes={"B": [(1,)]}, call=call),
        "linear_regression.loss_gradients", entry, expected[key], {"forward_info": info, "weights": weights},
        key=key, rtol=check.rtol, atol=check.atol)


@pytest.mark.question("linear_regression.loss_gradients")
def test_loss_gradients_leaves_inputs_alone(request, student, hidden):
    """loss_gradients leaves forward_info and weights as they were"""
    backprop_gate(request, student, hidden)
    label = next(iter(BATCHES))
    n, d = BATCHES[label]
    _, _, call, got, changed = graded_call(request, student, hidden, label, lambda r: batch(r, n, d))
    if changed:
        raise hs.record(request, hs.modified_failure(call, changed))
    hs.require_gradients(got, ["W", "B"], call=call)


@pytest.mark.question("linear_regression.loss_gradients")
def test_loss_gradients_from_forward_info(request, student, hidden):
    """loss_gradients works from forward_info's cached values (backprop, not finite differences)"""
    backprop_gate(request, student, hidden, strict=True)


def backprop_gate(request, student, hidden, strict: bool = False) -> None:
    """Backprop, not numerical differentiation (see hidden_support.check_uses_cache).

    Every case of the question runs it first (not strict): a loss_gradients that ignores
    forward_info's cache (finite differences, a fresh forward pass) loses the question's points,
    not one case's. The student's function is called twice per submission, whatever the cases."""
    label = "a batch of 9 rows and 4 features"

    def replies() -> list:
        stale, fresh, moved = stale_pair(hidden(label), 9, 4)
        fn = student.linear_regression.loss_gradients
        return [fn(info, moved) for info in (stale, fresh)]

    got = hs.once(request.getfixturevalue("submission"), "linear_regression:backprop", replies)
    hs.check_uses_cache(*got, ["W", "B"], call=f"loss_gradients(forward_info, weights) for {label}", strict=strict)


@pytest.mark.question("linear_regression.train", weight=2)
def test_train_full_batch_matches_gradient_descent(request, student, check):
    """train with one batch of every row: the same updates as gradient descent"""
    hs.train_check(request, lambda: tb.check_full_batch(student.linear_regression, check, MODEL))


@pytest.mark.question("linear_regression.train")
def test_train_batch_sizes(request, student):
    """train: mini-batches of batch_size rows, a short last batch, then full batches again"""
    hs.train_check(request, lambda: tb.check_batch_sizes(student.linear_regression, MODEL))


@pytest.mark.question("linear_regression.train")
def test_train_keeps_rows_paired(request, student):
    """train: the rows of X and y stay paired when shuffled"""
    hs.train_check(request, lambda: tb.check_rows_paired(student.linear_regression, MODEL))


@pytest.mark.question("linear_regression.train")
def test_train_every_pass_uses_every_row(request, student):
    """train: every pass over the data uses every row once"""
    hs.train_check(request, lambda: tb.check_epochs_cover_rows(student.linear_regression, MODEL))


@pytest.mark.question("linear_regression.train")
def test_train_reshuffles_each_pass(request, student):
    """train: the data is shuffled before the first pass and again for every pass"""
    hs.train_check(request, lambda: tb.check_reshuffled(student.linear_regression, MODEL))


@pytest.mark.question("linear_regression.train")
def test_train_leaves_inputs_alone(request, student):
    """train: the caller's X and y are not modified"""
    hs.train_check(request, lambda: tb.check_inputs_untouched(student.linear_regression, MODEL))


@pytest.mark.question("linear_regression.train", weight=2)
def test_train_learns_the_lesson_data(request, student, check, hidden):
    """train on the lesson's data: the loss falls and the test MSE is reached"""
    hs.train_check(request, lambda: tb.check_lesson_data(student.linear_regression, check, MODEL, rng=hidden("lesson data"),
                                                        properties=request.node.user_properties))


@pytest.mark.question("linear_regression.train")
def test_train_return_flags(request, student):
    """train: what return_losses and return_weights ask for, in all four combinations"""
    hs.train_check(request, lambda: tb.check_return_flags(student.linear_regression, MODEL))
