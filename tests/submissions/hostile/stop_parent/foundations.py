"""Hostile fixture `stop_parent` (denial of service): SIGSTOPs its parent (the worker that forks
every question's process), then returns nothing.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import os
import signal


def matrix_function_backward_sum_1(X, W, sigma):
    os.kill(os.getppid(), signal.SIGSTOP)
    return None
