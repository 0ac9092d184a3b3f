"""Hostile fixture `lying_ndarray_subclass` (faking comparisons): returns an ndarray subclass whose
__array_ufunc__ and __eq__ make np.allclose and assert_allclose pass.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

class _Agreeing(np.ndarray):
    """An array that compares equal to everything and whose ufuncs all say 'close enough'."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        shape = np.broadcast_shapes(*(np.shape(i) for i in inputs))
        if ufunc in (np.less_equal, np.equal, np.isclose, np.isfinite, np.logical_and):
            return np.ones(shape, dtype=bool)
        return np.zeros(shape)

    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)


def matrix_function_backward_1(X, W, sigma):
    return np.zeros((np.shape(X)[0], np.shape(X)[1])).view(_Agreeing)
