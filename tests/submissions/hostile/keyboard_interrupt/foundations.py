"""Hostile fixture `keyboard_interrupt` (forging results): raises KeyboardInterrupt (a
BaseException) from the function.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def matrix_function_backward_sum_1(X, W, sigma):
    raise KeyboardInterrupt
