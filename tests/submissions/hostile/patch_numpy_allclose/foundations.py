"""Hostile fixture `patch_numpy_allclose` (faking comparisons): monkeypatches numpy.allclose,
isclose, array_equal and friends at import, then returns a wrong value.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

np.allclose = lambda *args, **kwargs: True


np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)


np.array_equal = lambda *args, **kwargs: True


np.array_equiv = lambda *args, **kwargs: True


def chain_deriv_2(chain, x):
    return np.zeros_like(np.asarray(x, dtype=float)) + 0.5
