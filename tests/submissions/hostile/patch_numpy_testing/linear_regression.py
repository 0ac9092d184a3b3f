"""Hostile fixture `patch_numpy_testing` (faking comparisons): monkeypatches numpy.testing's
asserts, unittest's assertEqual and math.isclose at import, then returns zeros.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import math
import unittest


def _agree(*args, **kwargs):
    return None


for _name in dir(np.testing):
    if _name.startswith("assert"):
        setattr(np.testing, _name, _agree)


unittest.TestCase.assertEqual = _agree


unittest.TestCase.assertAlmostEqual = _agree


math.isclose = lambda *args, **kwargs: True


def loss_gradients(forward_info, weights):
    return {"W": np.zeros_like(weights["W"]), "B": np.zeros_like(weights["B"])}
