"""Hostile fixture `write_home` (escape and persistence): writes ~/.bashrc, ~/.profile, a pip
config and a user site .pth, in its own home and in root's.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import os


def loss_gradients(forward_info, weights):
    for home in (os.path.expanduser("~"), "/root", "/home"):
        for name in (".bashrc", ".profile", ".config/pip/pip.conf",
                     ".local/lib/python3.11/site-packages/pwned.pth", "pwned"):
            path = os.path.join(home, name)
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "a") as fh:
                    fh.write("\n# pwned\n")
            except OSError:
                pass
    return None
