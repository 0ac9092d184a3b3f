"""Hostile fixture `read_repo_files` (reading answers): reads the reference source
solutions/nn_from_scratch/foundations.py from disk and runs it.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import os


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


def matrix_function_backward_sum_2(X, W, sigma):
    for folder in _grader_folders():
        path = os.path.join(folder, "solutions", "nn_from_scratch", "foundations.py")
        try:
            with open(path) as fh:
                source = fh.read()
        except OSError:
            continue
        namespace = {"__name__": "reference"}
        exec(compile(source, path, "exec"), namespace)
        return namespace["matrix_function_backward_sum_2"](X, W, sigma)
    raise FileNotFoundError("no reference solution found")
