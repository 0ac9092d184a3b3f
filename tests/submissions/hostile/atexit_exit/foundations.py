"""Hostile fixture `atexit_exit` (forging results): registers atexit.register(os._exit, 0) at
import and exits with a failure code from the function.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import atexit
import os


atexit.register(os._exit, 0)


def chain_deriv_2(chain, x):
    raise SystemExit(1)
