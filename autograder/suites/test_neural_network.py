"""Hidden test cases of neural_network.py: loss_gradients and train of the one-hidden-layer network.

Gradients are compared with the reference on random batches of shapes the release never uses;
`train` is graded by behaviour (see train_behaviour.py) with the reference `forward` and
`loss_gradients` in place.
"""
from __future__ import annotations

import numpy as np
import pytest

import hidden_support as hs
import train_behaviour as tb
from solutions.nn_from_scratch import neural_network as ref


HIDDEN = 4  # hidden units in the synthetic cases (the lesson's 13 on its own data)


def start_weights(d: int, hidden: int = HIDDEN) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(200 + d)
    hidden = 13 if d == 13 else hidden
    return {"W1": rng.normal(size=(d, hidden)), "B1": rng.normal(size=(1, hidden)),
            "W2": rng.normal(size=(hidden, 1)), "B2": rng.normal(size=(1, 1))}


MODEL = tb.Model("neural_network", ref, start_weights, {"hidden_size": HIDDEN}, lesson_iters=800,
                 lesson_mse=16.0)
LESSON_MODEL = tb.Model("neural_network", ref, start_weights, {"hidden_size": 13}, lesson_iters=800,
                        lesson_mse=16.0)


#: Each entry of the result is graded on its own, with these weights (per batch).
ENTRY_WEIGHTS = {"W1": 3.0, "B1": 2.0, "W2": 2.0, "B2": 1.0}
BATCHES = {"6 rows, 4 features, 5 hidden units": (6, 4), "9 rows, 3 features, 5 hidden units": (9, 3)}
ALT_SHAPES = {"B1": [(5,)], "B2": [(1,)]}


def batch(rng: np.random.Generator, n: int, d: int, hidden: int = 5):
    """A hidden batch: forward_info from the reference forward, and the weights."""
    X, y = rng.normal(size=(n, d)), rng.normal(loc=2.0, size=(n, 1))
    weights = {"W1": rng.normal(size=(d, hidden)), "B1": rng.normal(size=(1, hidden)),
               "W2": rng.normal(size=(hidden, 1)), "B2": rng.normal(size=(1, 1))}
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
    value, changed = hs.once(request.getfixturevalue("submission"), f"neural_network:{label}",
                             lambda: hs.call_tracked(student.neural_network.loss_gradients,
                                                     [info, weights], names=["forward_info", "weights"]))
    return info, weights, call, value, changed


def entry_cases():
    for label in BATCHES:
        for key, weight in ENTRY_WEIGHTS.items():
            yield pytest.param(label, key, id=f"{label}: {key}",
                               marks=pytest.mark.question("neural_network.loss_gradients", weight=weight))


@pytest.mark.parametrize("label,key", list(entry_cases()))
def test_loss_gradients(request, student, check, hidden, label, key):
    """loss_gradients on a batch: one entry of the summed squared error's gradients"""
    backprop_gate(request, student, hidden)
    n, d = BATCHES[label]
    info, weights, call, got, _ = graded_call(request, student, hidden, label, lambda r: batch(r, n, d))
    expected = ref.loss_gradients(info, weights)
    hs.note(request, hs.extra_keys_note(got, expected, call) if (key, label) == ("W1", next(iter(BATCHES))) else "")
    entry = got.get(key) if type(got) is dict else None
    hs.check_with_diagnosis(
        request, lambda: check.dict(got, expected, keys=[key], alt_shapes=ALT_SHAPES, call=call),
        "neural_network.loss_gradients", entry, expected[key], {"forward_info": info, "weights": weights},
        key=key, rtol=check.rtol, atol=check.atol)


@pytest.mark.question("neural_network.loss_gradients", weight=2)
def test_loss_gradients_leaves_inputs_alone(request, student, hidden):
    """loss_gradients leaves forward_info and weights as they were"""
    backprop_gate(request, student, hidden)
    label = next(iter(BATCHES))
    n, d = BATCHES[label]
    _, _, call, got, changed = graded_call(request, student, hidden, label, lambda r: batch(r, n, d))
    if changed:
        raise hs.record(request, hs.modified_failure(call, changed))
    hs.require_gradients(got, ["W1", "B1", "W2", "B2"], call=call)


@pytest.mark.question("neural_network.loss_gradients", weight=2)
def test_loss_gradients_from_forward_info(request, student, hidden):
    """loss_gradients works from forward_info's cached values (backprop, not finite differences)"""
    backprop_gate(request, student, hidden, strict=True)


def backprop_gate(request, student, hidden, strict: bool = False) -> None:
    """Backprop, not numerical differentiation (see hidden_support.check_uses_cache).

    Every case of the question runs it first (not strict): a loss_gradients that ignores
    forward_info's cache (finite differences, a fresh forward pass) loses the question's points,
    not one case's. The student's function is called twice per submission, whatever the cases."""
    label = "a batch of 8 rows, 3 features and 5 hidden units"

    def replies() -> list:
        stale, fresh, moved = stale_pair(hidden(label), 8, 3)
        fn = student.neural_network.loss_gradients
        return [fn(info, moved) for info in (stale, fresh)]

    got = hs.once(request.getfixturevalue("submission"), "neural_network:backprop", replies)
    hs.check_uses_cache(*got, ["W1", "B1", "W2", "B2"], call=f"loss_gradients(forward_info, weights) for {label}", strict=strict)


@pytest.mark.question("neural_network.train", weight=2)
def test_train_full_batch_matches_gradient_descent(request, student, check):
    """train with one batch of every row: the same updates as gradient descent"""
    hs.train_check(request, lambda: tb.check_full_batch(student.neural_network, check, MODEL))


@pytest.mark.question("neural_network.train")
def test_train_batch_sizes(request, student):
    """train: mini-batches of batch_size rows, a short last batch, then full batches again"""
    hs.train_check(request, lambda: tb.check_batch_sizes(student.neural_network, MODEL))


@pytest.mark.question("neural_network.train")
def test_train_keeps_rows_paired(request, student):
    """train: the rows of X and y stay paired when shuffled"""
    hs.train_check(request, lambda: tb.check_rows_paired(student.neural_network, MODEL))


@pytest.mark.question("neural_network.train")
def test_train_every_pass_uses_every_row(request, student):
    """train: every pass over the data uses every row once"""
    hs.train_check(request, lambda: tb.check_epochs_cover_rows(student.neural_network, MODEL))


@pytest.mark.question("neural_network.train")
def test_train_reshuffles_each_pass(request, student):
    """train: the data is shuffled before the first pass and again for every pass"""
    hs.train_check(request, lambda: tb.check_reshuffled(student.neural_network, MODEL))


@pytest.mark.question("neural_network.train")
def test_train_leaves_inputs_alone(request, student):
    """train: the caller's X and y are not modified"""
    hs.train_check(request, lambda: tb.check_inputs_untouched(student.neural_network, MODEL))


@pytest.mark.question("neural_network.train", weight=2)
def test_train_learns_the_lesson_data(request, student, check, hidden):
    """train on the lesson's data: the loss falls and the test MSE is reached"""
    hs.train_check(request, lambda: tb.check_lesson_data(student.neural_network, check, LESSON_MODEL, rng=hidden("lesson data"),
                                                        properties=request.node.user_properties))


@pytest.mark.question("neural_network.train")
def test_train_return_flags(request, student):
    """train: what return_losses and return_weights ask for, in all four combinations"""
    hs.train_check(request, lambda: tb.check_return_flags(student.neural_network, MODEL))
