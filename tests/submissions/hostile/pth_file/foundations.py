"""Hostile fixture `pth_file` (forging results): ships a .pth file whose import line runs code at
interpreter start-up.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def matrix_function_backward_1(X, W, sigma):
    raise NotImplementedError
