"""Hostile fixture `kill_all` (denial of service): kill(-1, SIGKILL): every process it is allowed
to signal (which spares the caller), then itself.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import os
import signal


def chain_deriv_2(chain, x):
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:  # nothing it may signal (in the jail: its init is the zygote)
        pass
    os.kill(os.getpid(), signal.SIGKILL)
