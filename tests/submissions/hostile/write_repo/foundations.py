"""Hostile fixture `write_repo` (escape and persistence): rewrites grading.yml, the reference
solution and the hidden suites' conftest.py wherever it finds them.

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


def chain_deriv_2(chain, x):
    edits = {"grading.yml": "\n# pwned\n", "solutions/nn_from_scratch/foundations.py": "\n# pwned\n",
             "autograder/suites/conftest.py": "\n# pwned\n", "autograder/suites/pwned.py": "# pwned\n",
             "pwned.txt": "pwned\n"}
    for folder in _owned_folders():
        for name, text in edits.items():
            try:
                with open(os.path.join(folder, name), "a") as fh:
                    fh.write(text)
            except OSError:
                pass
    return None
