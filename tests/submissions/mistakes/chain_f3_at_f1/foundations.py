"""Foundations: functions, numerical derivatives, the chain rule, backward passes of matrix functions.

Lesson §1.2 ("Foundations"). Every function takes and returns numpy arrays (or numbers, which
numpy treats as 0-d arrays) of float64 unless its docstring says otherwise.

Conventions:

* ``deriv`` is the only source of derivatives of the elementwise functions (``sigma``, the links
  of a chain): every backward function calls it through this module's global name ``deriv``, so
  that a grader can put a reference ``deriv`` in place.
* A function of matrices followed by a sum returns a Python ``float``; a backward function returns
  an array with the shape of the input it differentiates by.
* Bad shapes raise ``ValueError`` with a message that names the shapes involved.
"""
from __future__ import annotations

from typing import Callable, List, Tuple

import numpy as np

ArrayFunction = Callable[[np.ndarray], np.ndarray]
"""A function from an array to an array of the same shape, applied element by element."""

Chain = List[ArrayFunction]
"""Functions applied one after another: ``[f1, f2]`` stands for ``f2(f1(x))``."""


def _check_chain(chain: Chain, length: int) -> None:
    """Raise ValueError unless ``chain`` holds exactly ``length`` functions."""
    if len(chain) != length:
        raise ValueError(f"this function needs a chain of {length} functions, got {len(chain)}")


def _check_matmul(X: np.ndarray, W: np.ndarray) -> None:
    """Raise ValueError unless ``X @ W`` is a product of two 2-D arrays with matching sizes."""
    X_shape, W_shape = np.shape(X), np.shape(W)
    if len(X_shape) != 2 or len(W_shape) != 2 or X_shape[1] != W_shape[0]:
        raise ValueError(
            f"X {X_shape} and W {W_shape} cannot be multiplied: both must be 2-D and "
            "X must have as many columns as W has rows"
        )


def square(x: np.ndarray) -> np.ndarray:
    """Square every element: ``f(x) = x²`` (lesson §1.2.1, functions).

    Args:
        x: a number or an array of any shape, float.

    Returns:
        An array (a numpy scalar for a number) of the same shape as ``x``.
    """
    return np.power(x, 2)


def leaky_relu(x: np.ndarray) -> np.ndarray:
    """Leaky ReLU with slope 0.2 below zero: ``x`` if ``x >= 0`` else ``0.2 x`` (lesson §1.2.1).

    Args:
        x: a number or an array of any shape, float.

    Returns:
        An array (a numpy scalar for a number) of the same shape as ``x``.
    """
    return np.maximum(0.2 * x, x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function ``σ(x) = 1 / (1 + e^(-x))``, element by element (lesson §1.2.4).

    Args:
        x: a number or an array of any shape, float.

    Returns:
        An array (a numpy scalar for a number) of the same shape as ``x``, values in (0, 1).
    """
    return 1.0 / (1.0 + np.exp(-x))


def deriv(func: ArrayFunction, input_: np.ndarray, diff: float = 0.001) -> np.ndarray:
    """Estimate ``func'`` at every element of ``input_`` by a central difference (lesson §1.2.2).

    ``f'(a) ≈ (f(a + Δ) - f(a - Δ)) / (2Δ)`` with ``Δ = diff``. The error is of order ``Δ²``:
    ``deriv(square, 2)`` gives 3.9999999999995595 (4 up to rounding).

    Args:
        func: an elementwise function (``ArrayFunction``).
        input_: a number or an array of any shape, float: the points.
        diff: the step ``Δ``, a positive float.

    Returns:
        Same shape as ``input_`` (a numpy float for a number): the slope of ``func`` at each point.
    """
    # BEGIN SOLUTION
    # HINT: evaluate func a step `diff` above and a step below input_; the slope is the rise over 2 * diff.
    return (func(input_ + diff) - func(input_ - diff)) / (2 * diff)
    # END SOLUTION


def chain_length_2(chain: Chain, x: np.ndarray) -> np.ndarray:
    """Apply a chain of two functions: ``f2(f1(x))`` (lesson §1.2.3, nested functions).

    Args:
        chain: ``[f1, f2]``, two elementwise functions.
        x: a number or an array of any shape, float.

    Returns:
        Same shape as ``x``.

    Raises:
        ValueError: if ``chain`` does not hold exactly two functions.
    """
    _check_chain(chain, 2)
    f1, f2 = chain
    return f2(f1(x))


def chain_deriv_2(chain: Chain, x: np.ndarray) -> np.ndarray:
    """Derivative of ``f2(f1(x))`` by the chain rule (lesson §1.2.4, the chain rule).

    ``(f2 ∘ f1)'(x) = f2'(f1(x)) · f1'(x)``, each factor estimated with ``deriv``.
    For ``[square, sigmoid]`` at 2 this is 0.0706508353807067.

    Args:
        chain: ``[f1, f2]``, two elementwise functions.
        x: a number or an array of any shape, float.

    Returns:
        Same shape as ``x``: the derivative at each element.

    Raises:
        ValueError: if ``chain`` does not hold exactly two functions.
    """
    _check_chain(chain, 2)
    # BEGIN SOLUTION
    # HINT: evaluate f2's slope at f1(x), not at x; multiply it by f1's slope at x (use deriv for both).
    f1, f2 = chain
    inner = f1(x)
    return deriv(f2, inner) * deriv(f1, x)
    # END SOLUTION


def chain_length_3(chain: Chain, x: np.ndarray) -> np.ndarray:
    """Apply a chain of three functions: ``f3(f2(f1(x)))`` (lesson §1.2.5, a longer example).

    Args:
        chain: ``[f1, f2, f3]``, three elementwise functions.
        x: a number or an array of any shape, float.

    Returns:
        Same shape as ``x``.

    Raises:
        ValueError: if ``chain`` does not hold exactly three functions.
    """
    _check_chain(chain, 3)
    f1, f2, f3 = chain
    return f3(f2(f1(x)))


def chain_deriv_3(chain: Chain, x: np.ndarray) -> np.ndarray:
    """Derivative of ``f3(f2(f1(x)))`` by the chain rule (lesson §1.2.5, a longer example).

    ``f3'(f2(f1(x))) · f2'(f1(x)) · f1'(x)``, each factor estimated with ``deriv``.
    For ``[leaky_relu, square, sigmoid]`` at -4 this is -0.07233643296206184.

    Args:
        chain: ``[f1, f2, f3]``, three elementwise functions.
        x: a number or an array of any shape, float.

    Returns:
        Same shape as ``x``: the derivative at each element.

    Raises:
        ValueError: if ``chain`` does not hold exactly three functions.
    """
    _check_chain(chain, 3)
    # BEGIN SOLUTION
    # HINT: compute the forward values f1(x) and f2(f1(x)) first; each slope is taken at its own input.
    f1, f2, f3 = chain
    u1 = f1(x)
    u2 = f2(u1)
    return deriv(f3, u1) * deriv(f2, u1) * deriv(f1, x)
    # END SOLUTION


def multiple_inputs_add(x: np.ndarray, y: np.ndarray, sigma: ArrayFunction) -> np.ndarray:
    """Add two inputs, then apply ``sigma``: ``s = σ(x + y)`` (lesson §1.2.6, multiple inputs).

    ``multiple_inputs_add(3, 4, sigmoid)`` is 0.9990889488055994.

    Args:
        x, y: numbers or arrays of one shape, float.
        sigma: an elementwise function.

    Returns:
        Same shape as ``x``.

    Raises:
        ValueError: if ``x`` and ``y`` have different shapes.
    """
    if np.shape(x) != np.shape(y):
        raise ValueError(f"x {np.shape(x)} and y {np.shape(y)} must have the same shape")
    return sigma(x + y)


def multiple_inputs_add_backward(
    x: np.ndarray, y: np.ndarray, sigma: ArrayFunction
) -> Tuple[np.ndarray, np.ndarray]:
    """Partial derivatives of ``s = σ(x + y)`` by ``x`` and by ``y`` (lesson §1.2.6).

    With ``a = x + y``: ``∂s/∂x = σ'(a) · ∂a/∂x = σ'(a)`` and likewise ``∂s/∂y = σ'(a)``, since
    ``∂a/∂x = ∂a/∂y = 1``; ``σ'`` is estimated with ``deriv``. For ``(3, 4, sigmoid)`` both are
    0.0009102213310852036.

    Args:
        x, y: numbers or arrays of one shape, float.
        sigma: an elementwise function.

    Returns:
        ``(dsdx, dsdy)``, each of the shape of ``x``.

    Raises:
        ValueError: if ``x`` and ``y`` have different shapes.
    """
    if np.shape(x) != np.shape(y):
        raise ValueError(f"x {np.shape(x)} and y {np.shape(y)} must have the same shape")
    # BEGIN SOLUTION
    # HINT: the sum passes its incoming slope unchanged to each of its inputs.
    total = x + y
    dsda = deriv(sigma, total)
    dadx = np.ones_like(dsda)
    dady = np.ones_like(dsda)
    return dsda * dadx, dsda * dady
    # END SOLUTION


def matrix_forward_extra(X: np.ndarray, W: np.ndarray, sigma: ArrayFunction) -> np.ndarray:
    """Multiply, then apply ``sigma``: ``S = σ(X @ W)`` (lesson §1.2.7, multiple vector inputs).

    Args:
        X: shape ``(n, d)``, float: ``n`` observations (rows) of ``d`` features.
        W: shape ``(d, k)``, float.
        sigma: an elementwise function.

    Returns:
        ``S``, shape ``(n, k)``.

    Raises:
        ValueError: if ``X`` or ``W`` is not 2-D or their inner sizes differ.
    """
    _check_matmul(X, W)
    return sigma(np.dot(X, W))


def matrix_function_backward_1(X: np.ndarray, W: np.ndarray, sigma: ArrayFunction) -> np.ndarray:
    """Gradient of ``S = σ(X @ W)`` with respect to ``X`` (lesson §1.2.7).

    With ``N = X @ W``: ``∂S/∂X = σ'(N) @ Wᵀ``, where ``σ'(N)`` is estimated with ``deriv``. The
    lesson's case is one row ``X`` of shape ``(1, d)`` and ``W`` of shape ``(d, 1)``, where ``S``
    is a single number and this is exactly its gradient. For other shapes ``S`` has several
    elements, and the same formula gives the gradient of their sum.

    Args:
        X: shape ``(n, d)``, float (``n = 1`` in the lesson).
        W: shape ``(d, k)``, float (``k = 1`` in the lesson).
        sigma: an elementwise function.

    Returns:
        Shape ``(n, d)``, the shape of ``X``.

    Raises:
        ValueError: if ``X`` or ``W`` is not 2-D or their inner sizes differ.
    """
    _check_matmul(X, W)
    # BEGIN SOLUTION
    # HINT: run the forward pass to get N, take sigma's slope at N with deriv, then bring it back through the product with W.
    N = np.dot(X, W)
    dSdN = deriv(sigma, N)
    dNdX = np.transpose(W)
    return np.dot(dSdN, dNdX)
    # END SOLUTION


def matrix_function_forward_sum(X: np.ndarray, W: np.ndarray, sigma: ArrayFunction) -> float:
    """Multiply, apply ``sigma``, sum: ``L = Σ σ(X @ W)`` (lesson §1.2.8, matrix multiplication).

    For the lesson's example (``np.random.seed(190204)``, ``X = randn(3, 3)``, ``W = randn(3, 2)``,
    ``sigma = sigmoid``) this is 2.3754951014116954.

    Args:
        X: shape ``(n, d)``, float.
        W: shape ``(d, k)``, float.
        sigma: an elementwise function.

    Returns:
        ``L``, a Python float.

    Raises:
        ValueError: if ``X`` or ``W`` is not 2-D or their inner sizes differ.
    """
    _check_matmul(X, W)
    S = sigma(np.dot(X, W))
    return float(np.sum(S))


def matrix_function_backward_sum_1(
    X: np.ndarray, W: np.ndarray, sigma: ArrayFunction
) -> np.ndarray:
    """Gradient of ``L = Σ σ(X @ W)`` with respect to ``X`` (lesson §1.2.8).

    With ``N = X @ W`` and ``S = σ(N)``: ``∂L/∂S`` is all ones, ``∂L/∂N = ∂L/∂S * σ'(N)``
    (elementwise, ``σ'`` estimated with ``deriv``), and ``∂L/∂X = ∂L/∂N @ Wᵀ``.

    Args:
        X: shape ``(n, d)``, float.
        W: shape ``(d, k)``, float.
        sigma: an elementwise function.

    Returns:
        ``dLdX``, shape ``(n, d)``, the shape of ``X``.

    Raises:
        ValueError: if ``X`` or ``W`` is not 2-D or their inner sizes differ.
    """
    _check_matmul(X, W)
    # BEGIN SOLUTION
    # HINT: dL/dS is a matrix of ones shaped like S; multiply it elementwise by sigma's slope at N, then by W transposed.
    N = np.dot(X, W)
    S = sigma(N)
    dLdS = np.ones_like(S)
    dSdN = deriv(sigma, N)
    dLdN = dLdS * dSdN
    return np.dot(dLdN, np.transpose(W))
    # END SOLUTION


def matrix_function_backward_sum_2(
    X: np.ndarray, W: np.ndarray, sigma: ArrayFunction
) -> np.ndarray:
    """Gradient of ``L = Σ σ(X @ W)`` with respect to ``W`` (lesson §1.2.8, derived but not coded).

    With ``N = X @ W`` and ``S = σ(N)``: ``∂L/∂W = Xᵀ @ (∂L/∂S * σ'(N))``; ``Xᵀ`` stands on the
    left, ``σ'`` is estimated with ``deriv``.

    Args:
        X: shape ``(n, d)``, float.
        W: shape ``(d, k)``, float.
        sigma: an elementwise function.

    Returns:
        ``dLdW``, shape ``(d, k)``, the shape of ``W``.

    Raises:
        ValueError: if ``X`` or ``W`` is not 2-D or their inner sizes differ.
    """
    _check_matmul(X, W)
    # BEGIN SOLUTION
    # HINT: the same dL/dN as for dL/dX; this time X transposed multiplies it from the left.
    N = np.dot(X, W)
    S = sigma(N)
    dLdN = np.ones_like(S) * deriv(sigma, N)
    return np.dot(np.transpose(X), dLdN)
    # END SOLUTION
