"""Does the reference of lesson §1.2 (foundations.py) print the lesson's numbers and get gradients right?"""
from __future__ import annotations

import numpy as np
import pytest

from solutions.nn_from_scratch import foundations as F

REL = 1e-9  # the lesson's printed values; BLAS builds may differ in the last ulp


def cube(x):
    return x ** 3


def numerical_gradient(scalar_function, array, step=1e-6):
    """Central-difference gradient of ``scalar_function(array)`` by every element of ``array``."""
    grad = np.zeros_like(array, dtype=float)
    for index in np.ndindex(array.shape):
        up, down = array.copy(), array.copy()
        up[index] += step
        down[index] -= step
        grad[index] = (scalar_function(up) - scalar_function(down)) / (2 * step)
    return grad


# ---- the lesson's printed values ---------------------------------------------------------------

def test_deriv_of_square_at_2_is_the_lessons_value():
    # The lesson's text shows 3.999999999995595, a digit short: the computed value (any numpy) is this.
    assert F.deriv(F.square, 2) == pytest.approx(3.9999999999995595, rel=REL)


def test_chain_of_two_forward_and_backward():
    chain = [F.square, F.sigmoid]
    assert F.chain_length_2(chain, 2) == pytest.approx(0.9820137900379085, rel=REL)
    assert F.chain_deriv_2(chain, 2) == pytest.approx(0.0706508353807067, rel=REL)


def test_chain_of_three_forward_and_backward():
    chain = [F.leaky_relu, F.square, F.sigmoid]
    assert F.chain_length_3(chain, -4) == pytest.approx(0.6547534606063192, rel=REL)
    assert F.chain_deriv_3(chain, -4) == pytest.approx(-0.07233643296206184, rel=REL)


@pytest.mark.parametrize("x, y", [(3, 4), (np.array(3), np.array(4))])
def test_multiple_inputs_add_forward_and_backward(x, y):
    assert F.multiple_inputs_add(x, y, F.sigmoid) == pytest.approx(0.9990889488055994, rel=REL)
    dsdx, dsdy = F.multiple_inputs_add_backward(x, y, F.sigmoid)
    assert dsdx == pytest.approx(0.0009102213310852036, rel=REL)
    assert dsdy == pytest.approx(0.0009102213310852036, rel=REL)


@pytest.fixture
def lesson_matrices():
    """The lesson's §1.2.8 example: seed 190204, X 3×3, W 3×2."""
    np.random.seed(190204)
    X = np.random.randn(3, 3)
    W = np.random.randn(3, 2)
    return X, W


def test_seed_190204_example_draws_the_lessons_X(lesson_matrices):
    X, _ = lesson_matrices
    printed = [[-1.57752816, -0.6664228, 0.63910406],
               [-0.56152218, 0.73729959, -1.42307821],
               [-1.44348429, -0.39128029, 0.1539322]]
    np.testing.assert_allclose(X, printed, rtol=0, atol=1e-8)


def test_seed_190204_example_sum_and_its_gradient(lesson_matrices):
    X, W = lesson_matrices
    L = F.matrix_function_forward_sum(X, W, F.sigmoid)
    assert isinstance(L, float)
    assert L == pytest.approx(2.3754951014116954, rel=REL)
    printed_dLdX = [[0.2488887, -0.37478057, 0.01121962],
                    [0.12604152, -0.27807404, -0.13945837],
                    [0.22992798, -0.36623443, -0.02252592]]
    np.testing.assert_allclose(F.matrix_function_backward_sum_1(X, W, F.sigmoid), printed_dLdX,
                               rtol=0, atol=1e-7)


# ---- the elementary functions ----------------------------------------------------------------

def test_elementary_functions():
    x = np.array([-4.0, -0.5, 0.0, 2.0])
    np.testing.assert_array_equal(F.square(x), [16.0, 0.25, 0.0, 4.0])
    np.testing.assert_allclose(F.leaky_relu(x), [-0.8, -0.1, 0.0, 2.0], rtol=1e-15)
    np.testing.assert_allclose(F.sigmoid(np.array([0.0, np.log(3.0)])), [0.5, 0.75], rtol=1e-15)


def test_deriv_is_a_central_difference_with_the_given_step():
    # (1.1³ - 0.9³) / 0.2 = 3.01; a forward difference would give 3.31, a backward one 2.71
    assert F.deriv(cube, 1.0, diff=0.1) == pytest.approx(3.01, rel=1e-12)
    assert F.deriv(cube, 1.0) == pytest.approx(3.000001, rel=1e-9)  # default step 0.001


def test_deriv_works_element_by_element_on_arrays():
    x = np.array([[-1.0, 0.5, 2.0], [3.0, -2.5, 0.0]])
    result = F.deriv(F.sigmoid, x)
    assert result.shape == x.shape
    exact = F.sigmoid(x) * (1 - F.sigmoid(x))
    np.testing.assert_allclose(result, exact, rtol=1e-6)


# ---- gradients against finite differences of the forward functions -------------------------

@pytest.fixture
def rng():
    return np.random.default_rng(2024)


@pytest.mark.parametrize("chain", [[F.square, F.sigmoid], [np.tanh, F.square]])
def test_chain_deriv_2_matches_finite_differences_elementwise(chain, rng):
    x = rng.normal(size=(2, 3))
    expected = (F.chain_length_2(chain, x + 1e-6) - F.chain_length_2(chain, x - 1e-6)) / 2e-6
    np.testing.assert_allclose(F.chain_deriv_2(chain, x), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("chain", [[F.leaky_relu, F.square, F.sigmoid], [np.tanh, F.sigmoid, F.square]])
def test_chain_deriv_3_matches_finite_differences_elementwise(chain, rng):
    x = rng.normal(size=(3, 2)) + 0.5  # away from leaky_relu's kink at 0
    x[np.abs(x) < 0.01] = 0.3
    expected = (F.chain_length_3(chain, x + 1e-6) - F.chain_length_3(chain, x - 1e-6)) / 2e-6
    np.testing.assert_allclose(F.chain_deriv_3(chain, x), expected, rtol=1e-5, atol=1e-7)


def test_multiple_inputs_add_backward_matches_finite_differences(rng):
    x, y = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    dsdx, dsdy = F.multiple_inputs_add_backward(x, y, F.sigmoid)
    fd_x = (F.multiple_inputs_add(x + 1e-6, y, F.sigmoid)
            - F.multiple_inputs_add(x - 1e-6, y, F.sigmoid)) / 2e-6
    fd_y = (F.multiple_inputs_add(x, y + 1e-6, F.sigmoid)
            - F.multiple_inputs_add(x, y - 1e-6, F.sigmoid)) / 2e-6
    np.testing.assert_allclose(dsdx, fd_x, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(dsdy, fd_y, rtol=1e-5, atol=1e-8)


# X (4, 3) and W (3, 2): non-square, W with two columns, so a transposed or reordered
# product cannot pass by accident.
MATRIX_SHAPES = [((4, 3), (3, 2)), ((2, 5), (5, 3)), ((1, 3), (3, 1))]


@pytest.mark.parametrize("x_shape, w_shape", MATRIX_SHAPES)
@pytest.mark.parametrize("sigma", [F.sigmoid, F.square, np.tanh], ids=["sigmoid", "square", "tanh"])
def test_backward_sum_1_is_the_gradient_of_the_sum_by_X(x_shape, w_shape, sigma, rng):
    X, W = rng.normal(size=x_shape), rng.normal(size=w_shape)
    expected = numerical_gradient(lambda X_: F.matrix_function_forward_sum(X_, W, sigma), X)
    got = F.matrix_function_backward_sum_1(X, W, sigma)
    assert got.shape == X.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("x_shape, w_shape", MATRIX_SHAPES)
@pytest.mark.parametrize("sigma", [F.sigmoid, F.square, np.tanh], ids=["sigmoid", "square", "tanh"])
def test_backward_sum_2_is_the_gradient_of_the_sum_by_W(x_shape, w_shape, sigma, rng):
    X, W = rng.normal(size=x_shape), rng.normal(size=w_shape)
    expected = numerical_gradient(lambda W_: F.matrix_function_forward_sum(X, W_, sigma), W)
    got = F.matrix_function_backward_sum_2(X, W, sigma)
    assert got.shape == W.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("x_shape, w_shape", MATRIX_SHAPES)
def test_backward_1_is_the_gradient_of_the_forward_by_X(x_shape, w_shape, rng):
    """For one row and one column S is a number; otherwise the result is the gradient of S's sum."""
    X, W = rng.normal(size=x_shape), rng.normal(size=w_shape)
    expected = numerical_gradient(lambda X_: float(np.sum(F.matrix_forward_extra(X_, W, F.sigmoid))), X)
    got = F.matrix_function_backward_1(X, W, F.sigmoid)
    assert got.shape == X.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_matrix_forward_extra_values(rng):
    X, W = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))
    S = F.matrix_forward_extra(X, W, F.sigmoid)
    assert S.shape == (4, 2)
    np.testing.assert_allclose(S, 1 / (1 + np.exp(-(X @ W))), rtol=1e-14)


# ---- backward functions take sigma's slope from the module-global deriv (graders swap it) -------

@pytest.mark.parametrize("call", [
    lambda: F.chain_deriv_2([F.square, F.sigmoid], np.array([2.0])),
    lambda: F.chain_deriv_3([F.leaky_relu, F.square, F.sigmoid], np.array([-4.0])),
    lambda: F.multiple_inputs_add_backward(np.array([3.0]), np.array([4.0]), F.sigmoid),
    lambda: F.matrix_function_backward_1(np.ones((1, 3)), np.ones((3, 2)), F.sigmoid),
    lambda: F.matrix_function_backward_sum_1(np.ones((4, 3)), np.ones((3, 2)), F.sigmoid),
    lambda: F.matrix_function_backward_sum_2(np.ones((4, 3)), np.ones((3, 2)), F.sigmoid),
], ids=["chain2", "chain3", "add", "backward_1", "sum_1", "sum_2"])
def test_backward_functions_call_the_module_global_deriv(call, monkeypatch):
    calls = []

    def fake_deriv(func, input_, diff=0.001):
        calls.append(func)
        return np.zeros_like(np.asarray(input_, dtype=float))

    monkeypatch.setattr(F, "deriv", fake_deriv)
    result = call()
    assert calls, "the module-global deriv was not called"
    for part in result if isinstance(result, tuple) else (result,):
        np.testing.assert_array_equal(part, np.zeros_like(part))


# ---- bad inputs ----------------------------------------------------------------------------

@pytest.mark.parametrize("function", [
    F.matrix_forward_extra, F.matrix_function_backward_1, F.matrix_function_forward_sum,
    F.matrix_function_backward_sum_1, F.matrix_function_backward_sum_2,
])
def test_matrix_functions_name_both_shapes_when_they_cannot_multiply(function):
    with pytest.raises(ValueError, match=r"X \(5, 3\) and W \(4, 2\) cannot be multiplied"):
        function(np.ones((5, 3)), np.ones((4, 2)), F.sigmoid)
    with pytest.raises(ValueError, match=r"X \(3,\) and W \(3, 2\)"):
        function(np.ones(3), np.ones((3, 2)), F.sigmoid)


@pytest.mark.parametrize("function", [F.multiple_inputs_add, F.multiple_inputs_add_backward])
def test_multiple_inputs_need_equal_shapes(function):
    with pytest.raises(ValueError, match=r"x \(2,\) and y \(3,\)"):
        function(np.ones(2), np.ones(3), F.sigmoid)


@pytest.mark.parametrize("function, length", [
    (F.chain_length_2, 2), (F.chain_deriv_2, 2), (F.chain_length_3, 3), (F.chain_deriv_3, 3),
])
def test_chains_of_the_wrong_length_are_refused(function, length):
    with pytest.raises(ValueError, match=f"chain of {length} functions, got 1"):
        function([F.square], 2.0)
