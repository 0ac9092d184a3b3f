"""Hostile fixture `memfd_hog` (denial of service): memfd_create files (40 x 16 MiB) beside a 300 MiB array: RAM that
the address-space limit does not count, held by one process (refused by seccomp since issue 10;
the slot's cgroup caps what is left).

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

def chain_deriv_2(chain: Chain, x: np.ndarray) -> np.ndarray:
    _check_chain(chain, 2)
    f1, f2 = chain
    inner = f1(x)
    return deriv(f2, inner) * deriv(f1, x)

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

def matrix_function_backward_sum_1(X, W, sigma):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    held = []
    for _ in range(40):
        fd = libc.memfd_create(b"hog", 0)
        if fd < 0:
            break
        os.ftruncate(fd, 16 << 20)
        os.pwrite(fd, b"x" * (16 << 20), 0)
        held.append(fd)
    try:
        big = np.ones(300 << 17)
    except MemoryError:
        big = None
    print("MEMFD_HOG_HELD", len(held))

def matrix_function_backward_sum_2(X: np.ndarray, W: np.ndarray, sigma: ArrayFunction) -> np.ndarray:
    _check_matmul(X, W)
    N = np.dot(X, W)
    S = sigma(N)
    dLdN = np.ones_like(S) * deriv(sigma, N)
    return np.dot(np.transpose(X), dLdN)
