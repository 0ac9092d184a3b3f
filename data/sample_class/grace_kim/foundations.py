"""grace_kim: the student's own code in foundations.py (the rest is the reference's)"""

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
    # -------------------------------------------------------------------- TODO
    # Your code: implement deriv as its docstring describes, then delete the raise.
    # Hint: evaluate func a step `diff` above and a step below input_; the slope is the rise over 2 * diff.
    # -------------------------------------------------------------------------
    # central difference: one step up, one step down
    above = func(input_ + diff)
    below = func(input_ - diff)
    return (above - below) / (2.0 * diff)


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
    # -------------------------------------------------------------------- TODO
    # Your code: implement chain_deriv_2 as its docstring describes, then delete the raise.
    # Hint: evaluate f2's slope at f1(x), not at x; multiply it by f1's slope at x (use deriv for both).
    # -------------------------------------------------------------------------
    f1, f2 = chain
    f1_of_x = f1(x)
    df1dx = deriv(f1, x)
    df2du = deriv(f2, f1_of_x)
    return df1dx * df2du


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
    # -------------------------------------------------------------------- TODO
    # Your code: implement chain_deriv_3 as its docstring describes, then delete the raise.
    # Hint: compute the forward values f1(x) and f2(f1(x)) first; each slope is taken at its own input.
    # -------------------------------------------------------------------------
    f1, f2, f3 = chain
    f1_of_x = f1(x)
    f2_of_x = f2(f1_of_x)
    df3du = deriv(f3, f2_of_x)
    df2du = deriv(f2, f1_of_x)
    df1dx = deriv(f1, x)
    return df1dx * df2du * df3du


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
    # -------------------------------------------------------------------- TODO
    # Your code: implement multiple_inputs_add_backward as its docstring describes, then delete the raise.
    # Hint: the sum passes its incoming slope unchanged to each of its inputs.
    # -------------------------------------------------------------------------
    a = x + y
    dsda = deriv(sigma, a)
    dadx, dady = 1, 1
    return dsda * dadx, dsda * dady


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
    # -------------------------------------------------------------------- TODO
    # Your code: implement matrix_function_backward_1 as its docstring describes, then delete the raise.
    # Hint: run the forward pass to get N, take sigma's slope at N with deriv, then bring it back through the product with W.
    # -------------------------------------------------------------------------
    N = np.dot(X, W)
    dSdN = deriv(sigma, N)
    dNdX = np.transpose(W, (1, 0))
    return np.dot(dSdN, dNdX)


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
    # -------------------------------------------------------------------- TODO
    # Your code: implement matrix_function_backward_sum_1 as its docstring describes, then delete the raise.
    # Hint: dL/dS is a matrix of ones shaped like S; multiply it elementwise by sigma's slope at N, then by W transposed.
    # -------------------------------------------------------------------------
    N = np.dot(X, W)
    S = sigma(N)
    dLdS = np.ones_like(S)
    dSdN = deriv(sigma, N)
    dLdN = dLdS * dSdN
    dNdX = np.transpose(W, (1, 0))
    return np.dot(dLdN, dNdX)


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
    # -------------------------------------------------------------------- TODO
    # Your code: implement matrix_function_backward_sum_2 as its docstring describes, then delete the raise.
    # Hint: the same dL/dN as for dL/dX; this time X transposed multiplies it from the left.
    # -------------------------------------------------------------------------
    N = np.dot(X, W)
    S = sigma(N)
    dLdS = np.ones_like(S)
    dSdN = deriv(sigma, N)
    dLdN = dLdS * dSdN
    dLdW = np.dot(np.transpose(dLdN), X)
    return dLdW
