"""Public checks of neural_network.py: loss_gradients and train.

Expected gradients are n times the slope of the given forward's mean loss, measured offline by
nudging each weight and written here as numbers; train is checked by watching its calls to
forward and loss_gradients on small data sets (with pretend gradients standing in, _models.py).
"""
from __future__ import annotations

import numpy as np
from _models import (check_batches, check_inputs_unchanged, check_loss_gradients,
                     check_one_full_batch_step, check_return_flags)
from _support import question, student

NAME = "neural_network"
STAND_INS = ("neural_network.loss_gradients",)  # the train checks compute gradients with their own stand-in
BIAS_SHAPES = {"B2": [(1,)]}  # the lesson's (1,) output-bias gradient is accepted as well as (1, 1)


@question("neural_network.loss_gradients")
def test_loss_gradients_batch_of_five():
    """A batch of 5 rows, 3 features, 4 hidden units: gradients by W1 (3, 4), B1 (1, 4), W2 (4, 1), B2 (1, 1)."""
    nn = student(NAME)
    X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [-2.0, 1.0, 0.0], [0.3, 0.6, -0.9], [1.0, 1.0, 1.0]])
    y = np.array([[1.0], [-2.0], [0.5], [3.0], [0.0]])
    weights = {
        "W1": np.array([[0.2, -0.4, 0.7, 0.1], [-0.3, 0.5, 0.05, -0.6], [0.9, -0.2, 0.3, 0.4]]),
        "B1": np.array([[0.1, -0.1, 0.2, 0.0]]),
        "W2": np.array([[0.5], [-1.2], [0.8], [0.3]]),
        "B2": np.array([[0.25]]),
    }
    expected = {
        "W1": np.array([[1.3639615133173544, -3.021353594800648, 1.5923815566946766, 0.8241202823587512], [-0.1901269059039788, 0.5041702195956168, -0.5061149660049794, -0.10890447006802084], [0.39308888633255246, -1.3956088370424913, 0.9601463539519562, 0.2982640302998403]]),
        "B1": np.array([[0.1384406628776052, -0.2543759857121954, -0.16281220270270383, 0.10213563539429565]]),
        "W2": np.array([[2.091363121526918], [-1.1973078631404381], [2.5356955013485187], [1.4399473125528583]]),
        "B2": np.array([[0.8192533578105436]]),
    }
    check_loss_gradients(nn, X, y, weights, NAME, BIAS_SHAPES, expected)


@question("neural_network.loss_gradients")
def test_loss_gradients_single_row():
    """A batch of one row, 2 features, 3 hidden units: B1's gradient keeps one value per hidden unit."""
    nn = student(NAME)
    X = np.array([[1.5, -0.5]])
    y = np.array([[2.0]])
    weights = {
        "W1": np.array([[0.3, -0.8, 0.5], [1.1, 0.4, -0.2]]),
        "B1": np.array([[-0.5, 0.2, 0.0]]),
        "W2": np.array([[1.0], [-0.7], [0.4]]),
        "B2": np.array([[0.0]]),
    }
    expected = {
        "W1": np.array([[-1.0483777696645789, 0.5706267336602263, -0.3845040412827265], [0.3494592565548596, -0.19020891122007544, 0.12816801376090883]]),
        "B1": np.array([[-0.6989185131097192, 0.3804178224401509, -0.25633602752181767]]),
        "W2": np.array([[-1.0824931257858685], [-0.7071392409533831], [-2.140179518371132]]),
        "B2": np.array([[-3.0549242015737876]]),
    }
    check_loss_gradients(nn, X, y, weights, NAME, BIAS_SHAPES, expected)


@question("neural_network.train", stands_in_for=STAND_INS)
def test_train_batches_cover_every_row_once_per_pass():
    """Batches of 4, 4, 2, 4, 4, 2, 4 rows; each pass takes all 10 rows once, reshuffled; X and y stay paired."""
    check_batches(student(NAME), NAME, hidden_size=3)


@question("neural_network.train", stands_in_for=STAND_INS)
def test_train_one_full_batch_step():
    """One full-batch step with hidden_size=4: every weight moves by -learning_rate times its gradient."""
    nn = student(NAME)
    check_one_full_batch_step(nn, NAME, init=lambda: nn.init_weights(3, hidden_size=4), hidden_size=4)


@question("neural_network.train", stands_in_for=STAND_INS)
def test_train_return_flags():
    """return_losses and return_weights give (losses, weights), losses, weights or None."""
    check_return_flags(student(NAME), NAME, keys=("W1", "B1", "W2", "B2"), hidden_size=3)


@question("neural_network.train", stands_in_for=STAND_INS)
def test_train_leaves_the_callers_data_alone():
    """train does not reorder or overwrite the X and y it is given."""
    check_inputs_unchanged(student(NAME), NAME, hidden_size=3)
