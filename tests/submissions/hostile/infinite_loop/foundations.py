"""Hostile fixture `infinite_loop` (denial of service): loops forever.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def chain_deriv_2(chain, x):
    while True:
        pass
