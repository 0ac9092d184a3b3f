"""Hostile fixture `pytest_shadow` (forging results): ships pytest.py, whose main() reports that
everything passed.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def chain_deriv_3(chain, x):
    raise NotImplementedError
