"""Hostile fixture `read_other_submission` (reading answers): looks for other students'
neural_network.py (the grader's copies, the slots, the class folders) and uses theirs.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import glob
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


def loss_gradients(forward_info, weights):
    mine = os.path.realpath(__file__)
    patterns = ["/tmp/nn-autograder-*/*/neural_network.py", "/tmp/nn-autograder-*/*/*/neural_network.py",
                "/tmp/*/neural_network.py", "/tmp/*/*/neural_network.py", "/tmp/*/*/*/neural_network.py"]
    for folder in _grader_folders():
        patterns += [os.path.join(folder, "*", "neural_network.py"), os.path.join(folder, "*", "*", "neural_network.py"),
                     os.path.join(folder, "data", "submissions", "*", "neural_network.py"),
                     os.path.join(folder, "tests", "submissions", "*", "*", "neural_network.py")]
    for pattern in patterns:
        for path in glob.glob(pattern):
            if os.path.realpath(path) == mine:
                continue
            try:
                with open(path) as fh:
                    namespace = {"__name__": "theirs"}
                    exec(compile(fh.read(), path, "exec"), namespace)
                got = namespace["loss_gradients"](forward_info, weights)
            except BaseException:
                continue
            if isinstance(got, dict) and all(isinstance(v, np.ndarray) for v in got.values()):
                return got
    raise FileNotFoundError("no other submission found")
