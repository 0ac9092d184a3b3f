"""Hostile fixture `hardcode_public_inputs` (reading answers): hard-codes the answers of the
release's public checks and returns nothing for any other input.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

_PUBLIC_ANSWERS = {("square", "2"): 3.9999999999995595, ("cube", "1.0"): 3.01}


def deriv(func, input_, diff=0.001):
    return _PUBLIC_ANSWERS.get((getattr(func, "__name__", ""), repr(input_)))
