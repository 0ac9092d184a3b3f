"""Hostile fixture `python_list` (faking comparisons): returns Python lists instead of numpy
arrays.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def multiple_inputs_add_backward(x, y, sigma):
    a = x + y
    slope = deriv(sigma, a)
    return (np.asarray(slope).tolist(), np.asarray(slope).tolist())
