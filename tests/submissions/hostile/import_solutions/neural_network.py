"""Hostile fixture `import_solutions` (reading answers): puts every folder the grader may run from
on sys.path and imports solutions.nn_from_scratch.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

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
        if os.path.isdir(os.path.join(folder, "solutions")) and folder not in sys.path:
            sys.path.append(folder)
    from solutions.nn_from_scratch import neural_network as reference
    return reference.loss_gradients(forward_info, weights)
