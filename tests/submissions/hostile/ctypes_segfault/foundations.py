"""Hostile fixture `ctypes_segfault` (denial of service): reads address 0 through ctypes: a
segmentation fault.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import ctypes


def multiple_inputs_add_backward(x, y, sigma):
    return ctypes.string_at(8, 16)  # (address 0 would give an empty buffer)
