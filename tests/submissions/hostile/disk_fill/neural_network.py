"""Hostile fixture `disk_fill` (denial of service): writes 1 MB files into its scratch space until
the disk is full.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import os


def loss_gradients(forward_info, weights):
    block = b"\0" * (1 << 20)
    n = 0
    while True:
        with open(os.path.join(os.getcwd(), f"fill-{n}"), "wb") as fh:
            fh.write(block)
        n += 1
