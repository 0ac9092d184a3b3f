"""Hostile fixture `stdout_flood` (denial of service): prints 20 MB at once, and leaves a child
printing as fast as it can until it is killed.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import os


def deriv(func, input_, diff=0.001):
    chunk = b"FLOOD " * 200_000
    if os.fork() == 0:
        while True:
            os.write(1, chunk)
    for _ in range(20):
        os.write(1, chunk)
    return None
