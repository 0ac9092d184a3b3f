"""Hostile fixture `setsid_escapee` (denial of service): double-forks a setsid() grandchild that
ignores SIGTERM/SIGHUP and keeps printing and writing for a minute.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import os
import signal
import time


def matrix_function_backward_sum_2(X, W, sigma):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            for _ in range(600):
                try:
                    os.write(1, b"ESCAPEE still running\n")
                    with open(os.path.join(os.path.expanduser("~"), "escapee-was-here"), "a") as fh:
                        fh.write("x")
                except OSError:
                    pass
                time.sleep(0.1)
        os._exit(0)
    time.sleep(0.1)
    return None
