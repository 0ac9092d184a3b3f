"""Hostile fixture `import_tests` (reading answers): imports the hidden suites (autograder.suites)
or the release's tests to reuse their reference.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import importlib
import os
import sys


def _grader_folders():
    """Folders the grader may run from, guessed from every command line this process can see."""
    found = {os.getcwd(), os.path.dirname(os.path.abspath(__file__)), os.path.expanduser("~"),
             "/work/main", "/autograder", "/autograder/source", "/srv", "/opt"}
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                words = fh.read().split(b"\0")
        except OSError:
            continue
        for word in words:
            path = word.decode("utf-8", "replace")
            while path.startswith("/") and path != "/":
                found.add(path)
                path = os.path.dirname(path)
    return sorted(found)


def loss_gradients(forward_info, weights):
    for folder in _grader_folders():
        for inner in ("", "autograder", "autograder/suites", "tests"):
            candidate = os.path.join(folder, inner)
            if os.path.isdir(candidate) and candidate not in sys.path:
                sys.path.append(candidate)
    for name in ("autograder.suites.test_linear_regression", "test_linear_regression", "tests.test_linear_regression"):
        try:
            hidden = importlib.import_module(name)
        except Exception:
            continue
        return hidden.ref.loss_gradients(forward_info, weights)
    import autograder  # noqa: F401  (the error names what was missing)
