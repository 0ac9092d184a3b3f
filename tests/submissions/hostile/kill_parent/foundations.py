"""Hostile fixture `kill_parent` (denial of service): SIGKILLs its parent process and every process
whose command line names pytest or the grader, then exits.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import os
import signal


def matrix_function_backward_sum_2(X, W, sigma):
    targets = [os.getppid()]
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmdline = fh.read()
        except OSError:
            continue
        if b"pytest" in cmdline or b"autograder" in cmdline or b"worker.py" in cmdline:
            targets.append(int(pid))
    for pid in targets:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    os._exit(3)
