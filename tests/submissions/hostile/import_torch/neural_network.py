"""Hostile fixture `import_torch` (escape and persistence): imports torch, jax or autograd (also
from any site-packages it can find) instead of writing the backward pass.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import glob
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
        for site in glob.glob(os.path.join(folder, ".venv", "lib", "python*", "site-packages")):
            if site not in sys.path:
                sys.path.append(site)
    for extra in ("/usr/lib/python3/dist-packages", "/usr/local/lib/python3.11/dist-packages"):
        if extra not in sys.path:
            sys.path.append(extra)
    for name in ("torch", "jax", "autograd"):
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        raise RuntimeError(f"{name} could be imported")
    import torch  # noqa: F401  (the error names what was missing)
