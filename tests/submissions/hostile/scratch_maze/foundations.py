"""Hostile fixture `scratch_maze` (escape and persistence): leaves in its scratch space a folder
tree 1,500 levels deep (deeper than recursion goes) and folders of mode 000 holding a file, to
outlive the clean-up into the next question or submission (or to break it).

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import os


def multiple_inputs_add_backward(x, y, sigma):
    home = os.getcwd()
    for _ in range(1500):
        os.mkdir("d")
        os.chdir("d")
    os.chdir(home)
    os.makedirs("locked/inner", exist_ok=True)
    with open("locked/inner/note", "w") as fh:
        fh.write("left for the next submission")
    os.chmod("locked/inner", 0)
    os.chmod("locked", 0)
    return None
