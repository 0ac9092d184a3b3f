"""Hostile fixture `huge_return` (denial of service): returns a 16 GiB array (a broadcast view of
one number, so it costs no memory to make).

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def matrix_function_backward_sum_1(X, W, sigma):
    return np.broadcast_to(np.float64(0.5), (1 << 31,))
