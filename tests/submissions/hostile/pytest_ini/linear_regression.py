"""Hostile fixture `pytest_ini` (forging results): ships a pytest.ini whose addopts deselect the
hidden tests.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def loss_gradients(forward_info, weights):
    raise NotImplementedError
