"""Hostile fixture `lying_eq_object` (faking comparisons): returns an object whose __eq__,
__bool__, __float__, __array__ and __len__ all agree with anything.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

class _Agreeable:
    """Equal to everything, truthy, and a float or an array of whatever is asked."""
    shape = ()
    dtype = np.dtype(float)

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __bool__(self):
        return True

    def __float__(self):
        return 0.0

    def __len__(self):
        return 0

    def __array__(self, dtype=None, copy=None):
        return np.zeros(())

    def __abs__(self):
        return 0.0

    def __sub__(self, other):
        return 0.0
    __rsub__ = __sub__


def deriv(func, input_, diff=0.001):
    return _Agreeable()
