"""Hostile fixture `write_tmp` (escape and persistence): writes into /tmp, /var/tmp, /dev/shm and
/run/lock, and plants symbolic links named like the grader's lock files.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import os


def matrix_function_backward_1(X, W, sigma):
    for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/run/nn-autograder"):
        try:
            with open(os.path.join(folder, "pwned-write-tmp"), "w") as fh:
                fh.write("pwned\n")
        except OSError:
            pass
        for uid in range(61000, 61050):  # a grader running as root would follow these
            try:
                os.symlink("/tmp/pwned-lock-victim", os.path.join(folder, f"nn-autograder-uid-{uid}.lock"))
            except OSError:
                pass
    return None
