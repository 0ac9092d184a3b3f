"""Hidden test cases of foundations.py: derivatives, the chain rule, matrix backward passes.

Inputs are drawn from a seed the release does not contain, so a submission cannot hard-code the
public checks' answers. Expected values come from the reference in `solutions/`, computed here,
in the grader; a question whose function calls `deriv` is graded with the reference `deriv` in
place (grading.yml ``requires``), so a wrong `deriv` costs its own points only.
"""
from __future__ import annotations

import functools

import numpy as np
import pytest

from solutions.nn_from_scratch import foundations as ref

LESSON = {"square": ref.square, "sigmoid": ref.sigmoid, "leaky_relu": ref.leaky_relu}


@functools.cache
def hidden_inputs() -> dict[str, np.ndarray]:
    """Inputs the release never shows (away from leaky_relu's kink at 0)."""
    rng = np.random.default_rng(20261129)

    def away_from_zero(shape):
        x = rng.uniform(0.3, 2.5, size=shape)
        return x * rng.choice([-1.0, 1.0], size=shape)

    return {
        "v3": away_from_zero(3),
        "m23": away_from_zero((2, 3)),
        "X14": rng.normal(size=(1, 4)),
        "W41": rng.normal(size=(4, 1)),
        "X34": rng.normal(size=(3, 4)),
        "X43": rng.normal(size=(4, 3)),
        "W32": rng.normal(size=(3, 2)),
        "X25": rng.normal(size=(2, 5)),
        "W53": rng.normal(size=(5, 3)),
    }


def fns(names):
    return [LESSON[n] for n in names] if isinstance(names, list) else LESSON[names]


def show(value) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}"
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    return repr(value) if not isinstance(value, str) else value


# -- deriv ----------------------------------------------------------------------------------------
@pytest.mark.question("foundations.deriv")
def test_deriv_of_square_at_a_number(student, check):
    """deriv(square, 1.7): the central difference at one point"""
    check.scalar(student.foundations.deriv("square", 1.7), ref.deriv(ref.square, 1.7),
                 call="deriv(square, 1.7)")


@pytest.mark.question("foundations.deriv")
def test_deriv_of_sigmoid_on_an_array(student, check):
    """deriv(sigmoid, x) for an array x: one slope per element"""
    x = hidden_inputs()["v3"]
    check.array(student.foundations.deriv("sigmoid", x), ref.deriv(ref.sigmoid, x),
                call=f"deriv(sigmoid, {show(x)})")


@pytest.mark.question("foundations.deriv")
def test_deriv_with_another_step(student, check):
    """deriv(sigmoid, x, diff=0.1) on a 2-D array: the step size is used"""
    x = hidden_inputs()["m23"]
    check.array(student.foundations.deriv("sigmoid", x, diff=0.1),
                ref.deriv(ref.sigmoid, x, diff=0.1), call=f"deriv(sigmoid, {show(x)}, diff=0.1)")


# -- the chain rule -------------------------------------------------------------------------------
@pytest.mark.question("foundations.chain_deriv_2")
@pytest.mark.parametrize("chain,where", [(["sigmoid", "square"], "v3"), (["leaky_relu", "sigmoid"], -0.7)],
                         ids=["sigmoid then square, on an array", "leaky_relu then sigmoid, at a number"])
def test_chain_deriv_2(student, check, chain, where):
    """chain_deriv_2: the derivative of f2(f1(x))"""
    x = hidden_inputs()[where] if isinstance(where, str) else where
    got = student.foundations.chain_deriv_2(chain, x)
    expected = ref.chain_deriv_2(fns(chain), x)
    check.value(got, expected, call=f"chain_deriv_2({show(chain)}, {show(x)})")


@pytest.mark.question("foundations.chain_deriv_3")
@pytest.mark.parametrize("chain,where", [(["sigmoid", "leaky_relu", "square"], "v3"),
                                         (["square", "sigmoid", "leaky_relu"], 1.1)],
                         ids=["sigmoid, leaky_relu, square, on an array", "square, sigmoid, leaky_relu, at a number"])
def test_chain_deriv_3(student, check, chain, where):
    """chain_deriv_3: the derivative of f3(f2(f1(x)))"""
    x = hidden_inputs()[where] if isinstance(where, str) else where
    got = student.foundations.chain_deriv_3(chain, x)
    expected = ref.chain_deriv_3(fns(chain), x)
    check.value(got, expected, call=f"chain_deriv_3({show(chain)}, {show(x)})")


# -- several inputs -------------------------------------------------------------------------------
@pytest.mark.question("foundations.multiple_inputs_add_backward")
@pytest.mark.parametrize("sigma", ["sigmoid", "square"], ids=["sigmoid", "square"])
def test_multiple_inputs_add_backward(student, check, sigma):
    """multiple_inputs_add_backward: both partial derivatives of sigma(x + y)"""
    x, y = hidden_inputs()["v3"], hidden_inputs()["v3"][::-1].copy()
    got = student.foundations.multiple_inputs_add_backward(x, y, sigma)
    check.tuple(got, ref.multiple_inputs_add_backward(x, y, fns(sigma)), names=("dsdx", "dsdy"),
                call=f"multiple_inputs_add_backward(x, y, {sigma}) with x, y of shape {x.shape}")


# -- matrix functions -----------------------------------------------------------------------------
@pytest.mark.question("foundations.matrix_function_backward_1")
@pytest.mark.parametrize("xw", [("X14", "W41"), ("X34", "W41")], ids=["one row", "three rows"])
def test_matrix_function_backward_1(student, check, xw):
    """matrix_function_backward_1: dS/dX of sigmoid(X @ W)"""
    X, W = (hidden_inputs()[k] for k in xw)
    got = student.foundations.matrix_function_backward_1(X, W, "sigmoid")
    check.array(got, ref.matrix_function_backward_1(X, W, ref.sigmoid),
                call=f"matrix_function_backward_1(X {X.shape}, W {W.shape}, sigmoid)")


@pytest.mark.question("foundations.matrix_function_backward_sum_1")
@pytest.mark.parametrize("xw,sigma", [(("X43", "W32"), "sigmoid"), (("X25", "W53"), "square")],
                         ids=["X 4x3, W 3x2, sigmoid", "X 2x5, W 5x3, square"])
def test_matrix_function_backward_sum_1(student, check, xw, sigma):
    """matrix_function_backward_sum_1: dL/dX of L = sum(sigma(X @ W))"""
    X, W = (hidden_inputs()[k] for k in xw)
    got = student.foundations.matrix_function_backward_sum_1(X, W, sigma)
    check.array(got, ref.matrix_function_backward_sum_1(X, W, fns(sigma)),
                call=f"matrix_function_backward_sum_1(X {X.shape}, W {W.shape}, {sigma})")


@pytest.mark.question("foundations.matrix_function_backward_sum_2")
@pytest.mark.parametrize("xw,sigma", [(("X43", "W32"), "sigmoid"), (("X25", "W53"), "square")],
                         ids=["X 4x3, W 3x2, sigmoid", "X 2x5, W 5x3, square"])
def test_matrix_function_backward_sum_2(student, check, xw, sigma):
    """matrix_function_backward_sum_2: dL/dW of L = sum(sigma(X @ W))"""
    X, W = (hidden_inputs()[k] for k in xw)
    got = student.foundations.matrix_function_backward_sum_2(X, W, sigma)
    check.array(got, ref.matrix_function_backward_sum_2(X, W, fns(sigma)),
                call=f"matrix_function_backward_sum_2(X {X.shape}, W {W.shape}, {sigma})")
