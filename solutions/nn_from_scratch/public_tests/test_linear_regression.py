"""Public checks of linear_regression.py: loss_gradients and train.

Expected gradients are n times the slope of the given forward's mean loss, measured offline by
nudging each weight and written here as numbers; train is checked by watching its calls to
forward and loss_gradients on small data sets (with pretend gradients standing in, _models.py).
"""
from __future__ import annotations

import numpy as np
from _models import (check_batches, check_inputs_unchanged, check_loss_gradients,
                     check_one_full_batch_step, check_return_flags)
from _support import question, student

NAME = "linear_regression"
STAND_INS = ("linear_regression.loss_gradients",)  # the train checks compute gradients with their own stand-in
BIAS_SHAPES = {"B": [(1,)]}  # the lesson's (1,) bias gradient is accepted as well as (1, 1)


@question("linear_regression.loss_gradients")
def test_loss_gradients_batch_of_four():
    """A batch of 4 rows, 3 features: the gradients of the summed squared error by W (3, 1) and B (1, 1)."""
    lr = student(NAME)
    X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [-2.0, 1.0, 0.0], [0.3, 0.6, -0.9]])
    y = np.array([[1.0], [-2.0], [0.5], [3.0]])
    weights = {"W": np.array([[0.2], [-0.4], [0.7]]), "B": np.array([[0.1]])}
    expected = {
        "W": np.array([[9.424], [-7.877000000000001], [8.728]]),
        "B": np.array([[-3.92]]),
    }
    check_loss_gradients(lr, X, y, weights, NAME, BIAS_SHAPES, expected)


@question("linear_regression.loss_gradients")
def test_loss_gradients_single_row():
    """A batch of one row, 2 features."""
    lr = student(NAME)
    X = np.array([[1.5, -0.5]])
    y = np.array([[2.0]])
    weights = {"W": np.array([[0.3], [0.8]]), "B": np.array([[-1.0]])}
    expected = {
        "W": np.array([[-8.850000000000001], [2.95]]),
        "B": np.array([[-5.9]]),
    }
    check_loss_gradients(lr, X, y, weights, NAME, BIAS_SHAPES, expected)


@question("linear_regression.train", stands_in_for=STAND_INS)
def test_train_batches_cover_every_row_once_per_pass():
    """Batches of 4, 4, 2, 4, 4, 2, 4 rows; each pass takes all 10 rows once, reshuffled; X and y stay paired."""
    check_batches(student(NAME), NAME)


@question("linear_regression.train", stands_in_for=STAND_INS)
def test_train_one_full_batch_step():
    """One full-batch step: W and B move by -learning_rate times their gradients, from the seeded init_weights."""
    lr = student(NAME)
    check_one_full_batch_step(lr, NAME, init=lambda: lr.init_weights(3))


@question("linear_regression.train", stands_in_for=STAND_INS)
def test_train_return_flags():
    """return_losses and return_weights give (losses, weights), losses, weights or None."""
    check_return_flags(student(NAME), NAME, keys=("W", "B"))


@question("linear_regression.train", stands_in_for=STAND_INS)
def test_train_leaves_the_callers_data_alone():
    """train does not reorder or overwrite the X and y it is given."""
    check_inputs_unchanged(student(NAME), NAME)
