"""An ordinary mistake: deriv uses a forward difference instead of a central one.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def deriv(func, input_, diff=0.001):
    return (func(input_ + diff) - func(input_)) / diff
