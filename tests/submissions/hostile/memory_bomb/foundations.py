"""Hostile fixture `memory_bomb` (denial of service): allocates and touches 64 MiB arrays until
memory runs out.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def matrix_function_backward_1(X, W, sigma):
    hoard = []
    while True:
        hoard.append(np.ones(8 << 20))
