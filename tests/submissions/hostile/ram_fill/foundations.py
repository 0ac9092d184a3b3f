"""Hostile fixture `ram_fill` (denial of service): writes outside its scratch space where a jail's
memory-backed folders could be (/, /var, /run, /dev/shm) and leaves an 8 MiB SysV shared-memory
segment behind (a small sample of an unbounded fill).

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import ctypes
import os


def chain_deriv_3(chain, x):
    block = b"\0" * (1 << 20)
    for folder in ("/", "/var", "/run", "/dev/shm", "/dev"):
        for n in range(3):
            try:
                with open(os.path.join(folder, f"pwned-ram-{n}"), "wb") as fh:
                    fh.write(block)
                print("wrote 1 MiB into", folder)
            except OSError:
                break
    libc = ctypes.CDLL(None)
    libc.shmat.restype = ctypes.c_void_p
    shmid = libc.shmget(0x6e6e, 8 << 20, 0o1600)
    address = libc.shmat(shmid, None, 0)
    if address not in (None, ctypes.c_void_p(-1).value):
        ctypes.memset(address, 1, 8 << 20)
        libc.shmdt(ctypes.c_void_p(address))
    return None
