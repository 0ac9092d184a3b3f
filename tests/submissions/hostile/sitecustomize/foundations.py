"""Hostile fixture `sitecustomize` (forging results): ships a sitecustomize.py that patches numpy's
comparisons at interpreter start-up.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def chain_deriv_2(chain, x):
    raise NotImplementedError
