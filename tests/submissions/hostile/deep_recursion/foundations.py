"""Hostile fixture `deep_recursion` (denial of service): lifts the recursion limit and makes repr()
recurse through 200,000 nested lists until the C stack overflows (a segmentation fault).

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import sys


def chain_deriv_3(chain, x):
    sys.setrecursionlimit(10 ** 8)
    nested = []
    for _ in range(200_000):
        nested = [nested]
    return repr(nested)
