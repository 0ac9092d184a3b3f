"""Hostile fixture `fd_exhaustion` (denial of service): opens files until none can be opened, and
keeps them open.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import os


_HELD = []


def chain_deriv_2(chain, x):
    while True:
        _HELD.append(open(os.devnull))
