"""Hostile fixture `numpy_shadow` (forging results): ships numpy.py, whose allclose and testing
always agree.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def deriv(func, input_, diff=0.001):
    raise NotImplementedError
