"""Hidden test cases of linear_regression.py: loss_gradients and train.

Gradients are compared with the reference on random batches of shapes the release never uses;
`train` is graded by behaviour (see train_behaviour.py) with the reference `forward` and
`loss_gradients` in place.
"""
from __future__ import annotations

import numpy as np
import pytest

import train_behaviour as tb
from solutions.nn_from_scratch import linear_regression as ref


def start_weights(d: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(100 + d)
    return {"W": rng.normal(size=(d, 1)), "B": rng.normal(size=(1, 1))}


MODEL = tb.Model("linear_regression", ref, start_weights, {}, lesson_iters=200, lesson_mse=27.0)


def batch(n: int, d: int, seed: int):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, d)), rng.normal(loc=2.0, size=(n, 1))
    weights = {"W": rng.normal(size=(d, 1)), "B": rng.normal(size=(1, 1))}
    return ref.forward(X, y, weights)[0], weights


@pytest.mark.question("linear_regression.loss_gradients")
@pytest.mark.parametrize("n,d,seed", [(7, 3, 31), (12, 5, 32)],
                         ids=["7 rows, 3 features", "12 rows, 5 features"])
def test_loss_gradients(student, check, n, d, seed):
    """loss_gradients on a batch: dL/dW and dL/dB of the summed squared error"""
    info, weights = batch(n, d, seed)
    got = student.linear_regression.loss_gradients(info, weights)
    check.dict(got, ref.loss_gradients(info, weights), alt_shapes={"B": [(1,)]},
               call=f"loss_gradients(forward_info, weights) for a batch of {n} rows and {d} features")


@pytest.mark.question("linear_regression.train", weight=2)
def test_train_full_batch_matches_gradient_descent(student, check):
    """train with one batch of every row: the same updates as gradient descent"""
    tb.check_full_batch(student.linear_regression, check, MODEL)


@pytest.mark.question("linear_regression.train")
def test_train_batch_sizes(student):
    """train: mini-batches of batch_size rows, a short last batch, then full batches again"""
    tb.check_batch_sizes(student.linear_regression, MODEL)


@pytest.mark.question("linear_regression.train")
def test_train_keeps_rows_paired(student):
    """train: the rows of X and y stay paired when shuffled"""
    tb.check_rows_paired(student.linear_regression, MODEL)


@pytest.mark.question("linear_regression.train")
def test_train_every_pass_uses_every_row(student):
    """train: every pass over the data uses every row once"""
    tb.check_epochs_cover_rows(student.linear_regression, MODEL)


@pytest.mark.question("linear_regression.train")
def test_train_reshuffles_each_pass(student):
    """train: the data is shuffled before the first pass and again for every pass"""
    tb.check_reshuffled(student.linear_regression, MODEL)


@pytest.mark.question("linear_regression.train")
def test_train_leaves_inputs_alone(student):
    """train: the caller's X and y are not modified"""
    tb.check_inputs_untouched(student.linear_regression, MODEL)


@pytest.mark.question("linear_regression.train", weight=2)
def test_train_learns_the_lesson_data(student, check, request):
    """train on the lesson's data: the loss falls and the test MSE is reached"""
    tb.check_lesson_data(student.linear_regression, check, MODEL, request.node.user_properties)


@pytest.mark.question("linear_regression.train")
def test_train_return_flags(student):
    """train: what return_losses and return_weights ask for, in all four combinations"""
    tb.check_return_flags(student.linear_regression, MODEL)
