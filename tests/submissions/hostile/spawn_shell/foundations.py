"""Hostile fixture `spawn_shell` (escape and persistence): runs shell commands through /bin/sh and
leaves a detached shell sleeping in the background.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import subprocess


def chain_deriv_3(chain, x):
    try:
        done = subprocess.run(["/bin/sh", "-c", "id; ls /; echo shell ran"], capture_output=True, timeout=1)
        print(done.stdout.decode(errors="replace"))
        subprocess.Popen(["/bin/sh", "-c", "sleep 300"], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        print("no shell:", exc)
    return None
