"""Hostile fixture `write_results_json` (forging results): writes results.json, gradebook.csv,
feedback.md and summary.json claiming full marks into every folder it can find (its own, the
grader's, an out/ beside them).

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import json
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


def _owned_folders():
    """The grader's existing folders, less the world-writable ones and anything below them (/tmp and
    the like are write_tmp's business)."""
    out = []
    for folder in _grader_folders():
        try:
            if not os.path.isdir(folder) or any(os.stat(p).st_mode & 0o002 for p in _and_parents(folder)):
                continue
        except OSError:
            continue
        out.append(folder)
    return out


def _and_parents(folder):
    while True:
        yield folder
        if folder in ("/", ""):
            return
        folder = os.path.dirname(folder)


def matrix_function_backward_1(X, W, sigma):
    full = {"score": 30.0, "tests": [{"name": "everything", "score": 30.0, "max_score": 30.0,
                                      "status": "passed", "output": "All tests passed!"}]}
    forged = {"results.json": json.dumps(full), "summary.json": json.dumps(full),
              "gradebook.csv": "student,total,possible,status\nwrite_results_json,30,30,graded\n",
              "feedback.md": "# Feedback: 30 / 30 points\n"}
    for folder in _owned_folders() + ["/autograder/results"]:
        for where in (folder, os.path.join(folder, "out"), os.path.join(folder, "write_results_json")):
            for name, text in forged.items():
                try:
                    with open(os.path.join(where, name), "w") as fh:
                        fh.write(text)
                except OSError:
                    pass
    return None
