"""Numerical slopes for the public checks, independent of the code you write.

`numerical_gradient` nudges one element at a time up and down and measures how a
number-valued function responds. It is slow (two calls per element) but needs no calculus, so
the checks can compare your gradients with it on small inputs.
"""
from __future__ import annotations

from typing import Callable

import numpy as np


def numerical_gradient(
    measure: Callable[[np.ndarray], float], point: np.ndarray, step: float = 1e-5
) -> np.ndarray:
    """The slope of ``measure`` with respect to every element of ``point``.

    Args:
        measure: a function of one array (shaped like ``point``) that returns a number.
        point: where to take the slope; it is not modified.
        step: how far each element is nudged each way.

    Returns:
        A float array shaped like ``point``.
    """
    probe = np.array(point, dtype=np.float64)  # a copy we are free to nudge
    slopes = np.zeros_like(probe)
    for index in np.ndindex(probe.shape):
        centre = probe[index]
        probe[index] = centre + step
        above = float(measure(probe))
        probe[index] = centre - step
        below = float(measure(probe))
        probe[index] = centre
        slopes[index] = (above - below) / (step + step)
    return slopes


def nudged_weights(
    measure: Callable[[dict], float], weights: dict, step: float = 1e-5
) -> dict:
    """`numerical_gradient` for each entry of a dict of weight arrays (the others held fixed)."""
    slopes = {}
    for name in weights:

        def with_entry(value: np.ndarray, name: str = name) -> float:
            trial = {k: (value if k == name else np.array(v, dtype=np.float64)) for k, v in weights.items()}
            return measure(trial)

        slopes[name] = numerical_gradient(with_entry, weights[name], step)
    return slopes
