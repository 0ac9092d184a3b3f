"""Hostile fixture `sys_exit` (forging results): calls sys.exit(0) instead of returning (a zero
exit code).

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import sys


def chain_deriv_2(chain, x):
    sys.exit(0)
