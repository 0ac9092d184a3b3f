"""Hostile fixture `conftest_py` (forging results): ships a conftest.py whose hooks turn every
failure into a pass.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def deriv(func, input_, diff=0.001):
    raise NotImplementedError
