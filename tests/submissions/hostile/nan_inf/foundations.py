"""Hostile fixture `nan_inf` (faking comparisons): returns an array full of NaN and infinities
(which equal_nan or allclose(inf, inf) accept).

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def matrix_function_backward_1(X, W, sigma):
    out = np.full(np.shape(X), np.nan)
    out.flat[::2] = np.inf
    return out
