"""Hostile fixture `os_exit` (forging results): calls os._exit(0): the process ends at once, with
success.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import os


def chain_deriv_3(chain, x):
    os._exit(0)
