"""Hostile fixture `broadcastable_shape` (faking comparisons): returns a (1, k) row that broadcasts
against the expected (n, k) gradient.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def matrix_function_backward_sum_2(X, W, sigma):
    _check_matmul(X, W)
    N = np.dot(X, W)
    dLdN = deriv(sigma, N)
    return np.dot(np.transpose(X), dLdN).mean(axis=0, keepdims=True)
