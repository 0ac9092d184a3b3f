"""Hostile fixture `gc_scan` (reading answers): scans gc.get_objects() for dicts holding expected
values.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import gc


def chain_deriv_3(chain, x):
    for obj in gc.get_objects():
        if isinstance(obj, dict):
            for key in ("expected", "want", "answer", "reference"):
                try:
                    value = obj.get(key)
                except Exception:
                    continue
                if isinstance(value, (float, np.ndarray)):
                    return value
    return None
