"""Hidden test cases of neural_network.py: loss_gradients and train of the one-hidden-layer network.

Gradients are compared with the reference on random batches of shapes the release never uses;
`train` is graded by behaviour (see train_behaviour.py) with the reference `forward` and
`loss_gradients` in place.
"""
from __future__ import annotations

import numpy as np
import pytest

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


def batch(n: int, d: int, seed: int, hidden: int = 5):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, d)), rng.normal(loc=2.0, size=(n, 1))
    weights = {"W1": rng.normal(size=(d, hidden)), "B1": rng.normal(size=(1, hidden)),
               "W2": rng.normal(size=(hidden, 1)), "B2": rng.normal(size=(1, 1))}
    return ref.forward(X, y, weights)[0], weights


@pytest.mark.question("neural_network.loss_gradients")
@pytest.mark.parametrize("n,d,seed", [(6, 4, 41), (9, 3, 42)],
                         ids=["6 rows, 4 features", "9 rows, 3 features"])
def test_loss_gradients(student, check, n, d, seed):
    """loss_gradients on a batch: dL/dW1, dL/dB1, dL/dW2, dL/dB2 of the summed squared error"""
    info, weights = batch(n, d, seed)
    got = student.neural_network.loss_gradients(info, weights)
    check.dict(got, ref.loss_gradients(info, weights), alt_shapes={"B1": [(5,)], "B2": [(1,)]},
               call=f"loss_gradients(forward_info, weights) for a batch of {n} rows, {d} features, 5 hidden units")


@pytest.mark.question("neural_network.train", weight=2)
def test_train_full_batch_matches_gradient_descent(student, check):
    """train with one batch of every row: the same updates as gradient descent"""
    tb.check_full_batch(student.neural_network, check, MODEL)


@pytest.mark.question("neural_network.train")
def test_train_batch_sizes(student):
    """train: mini-batches of batch_size rows, a short last batch, then full batches again"""
    tb.check_batch_sizes(student.neural_network, MODEL)


@pytest.mark.question("neural_network.train")
def test_train_keeps_rows_paired(student):
    """train: the rows of X and y stay paired when shuffled"""
    tb.check_rows_paired(student.neural_network, MODEL)


@pytest.mark.question("neural_network.train")
def test_train_every_pass_uses_every_row(student):
    """train: every pass over the data uses every row once"""
    tb.check_epochs_cover_rows(student.neural_network, MODEL)


@pytest.mark.question("neural_network.train")
def test_train_reshuffles_each_pass(student):
    """train: the data is shuffled before the first pass and again for every pass"""
    tb.check_reshuffled(student.neural_network, MODEL)


@pytest.mark.question("neural_network.train")
def test_train_leaves_inputs_alone(student):
    """train: the caller's X and y are not modified"""
    tb.check_inputs_untouched(student.neural_network, MODEL)


@pytest.mark.question("neural_network.train", weight=2)
def test_train_learns_the_lesson_data(student, check, request):
    """train on the lesson's data: the loss falls and the test MSE is reached"""
    tb.check_lesson_data(student.neural_network, check, LESSON_MODEL, request.node.user_properties)


@pytest.mark.question("neural_network.train")
def test_train_return_flags(student):
    """train: what return_losses and return_weights ask for, in all four combinations"""
    tb.check_return_flags(student.neural_network, MODEL)
