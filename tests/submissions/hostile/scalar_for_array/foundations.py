"""Hostile fixture `scalar_for_array` (faking comparisons): returns one number (the sum of the
gradient) where an array is expected, which np.allclose broadcasts.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def matrix_function_backward_sum_1(X, W, sigma):
    _check_matmul(X, W)
    N = np.dot(X, W)
    dLdN = deriv(sigma, N)
    return float(np.sum(np.dot(dLdN, np.transpose(W))))
