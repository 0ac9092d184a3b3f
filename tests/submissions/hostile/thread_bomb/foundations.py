"""Hostile fixture `thread_bomb` (denial of service): starts threads that spin in GIL-free numpy
loops until no more thread can start.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import threading


def _spin():
    a = np.ones(1 << 12)
    while True:
        np.sqrt(a, out=a)


def chain_deriv_3(chain, x):
    started = 0
    while True:
        try:
            threading.Thread(target=_spin, daemon=True).start()
        except RuntimeError:
            raise RuntimeError(f"no more threads after {started}") from None
        started += 1
