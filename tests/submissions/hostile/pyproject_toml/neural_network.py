"""Hostile fixture `pyproject_toml` (forging results): ships a pyproject.toml with pytest options
that skip everything.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def loss_gradients(forward_info, weights):
    raise NotImplementedError
