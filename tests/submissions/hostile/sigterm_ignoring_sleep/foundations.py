"""Hostile fixture `sigterm_ignoring_sleep` (denial of service): ignores SIGTERM, SIGINT, SIGHUP
and SIGALRM, cancels alarms, then sleeps for an hour.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import signal
import time


def multiple_inputs_add_backward(x, y, sigma):
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(sig, signal.SIG_IGN)
    signal.alarm(0)
    time.sleep(3600)
