"""Public checks of foundations.py: the values the lesson prints, and a few cases of our own.

Expected values come from the lesson, from calculus (the slope of x² is 2x, of σ is σ(1 - σ)),
or measured offline by nudging the inputs of the given forward functions (written here as numbers).
Tolerances: |got - expected| <= atol + rtol * |expected|, element by element.
"""
from __future__ import annotations

import numpy as np
from _compare import expect_array, expect_scalar, expect_tuple
from _support import call, question, student

LESSON = dict(rtol=1e-6, atol=1e-9)  # the lesson's printed values, as tight as the hidden checks
CALCULUS = dict(rtol=1e-6, atol=1e-7)  # a central difference with step 0.001 is this close


def cube(x):
    return x * x * x


def sigmoid_slope(x):
    s = 1.0 / (1.0 + np.exp(-x))
    return s * (1.0 - s)


POINTS = np.array([[-2.5, -0.75, 0.4], [1.25, 3.0, -4.0]])


# ---------------------------------------------------------------------------- deriv


@question("foundations.deriv")
def test_deriv_of_square_at_2_is_the_lessons_value():
    """deriv(square, 2) is 3.9999999999995595, as the lesson prints."""
    f = student("foundations")
    got = call("deriv(square, 2)", f.deriv, f.square, 2)
    expect_scalar(got, 3.9999999999995595, **LESSON, call="deriv(square, 2)")


@question("foundations.deriv")
def test_deriv_works_element_by_element_on_arrays():
    """deriv(sigmoid, 2x3 array) has the input's shape and the slope σ(1 - σ) at every element."""
    f = student("foundations")
    got = call("deriv(sigmoid, POINTS)", f.deriv, f.sigmoid, POINTS.copy())
    expect_array(got, sigmoid_slope(POINTS), **CALCULUS, call=f"deriv(sigmoid, {POINTS.tolist()})")


@question("foundations.deriv")
def test_deriv_uses_its_diff_argument_on_both_sides():
    """deriv(cube, 1.0, diff=0.1) is 3.01: a centred step of 0.1 measures 3x² + 0.1² for x³."""
    f = student("foundations")
    got = call("deriv(cube, 1.0, diff=0.1)", f.deriv, cube, 1.0, diff=0.1)
    expect_scalar(got, 3.01, rtol=1e-9, atol=1e-12, call="deriv(cube, 1.0, diff=0.1)")


# ---------------------------------------------------------------------------- chain_deriv_2


@question("foundations.chain_deriv_2")
def test_chain_deriv_2_of_square_then_sigmoid_at_2_is_the_lessons_value():
    """chain_deriv_2([square, sigmoid], 2) is 0.0706508353807067 (and the forward pass 0.9820137900379085)."""
    f = student("foundations")
    expect_scalar(f.chain_length_2([f.square, f.sigmoid], 2), 0.9820137900379085, **LESSON,
                  call="chain_length_2([square, sigmoid], 2) (given code)")
    got = call("chain_deriv_2([square, sigmoid], 2)", f.chain_deriv_2, [f.square, f.sigmoid], 2)
    expect_scalar(got, 0.0706508353807067, **LESSON, call="chain_deriv_2([square, sigmoid], 2)")


@question("foundations.chain_deriv_2")
def test_chain_deriv_2_of_sigmoid_then_square_on_an_array():
    """chain_deriv_2([sigmoid, square], 2x3 array) is 2 σ(x) σ'(x) at every element."""
    f = student("foundations")
    s = 1.0 / (1.0 + np.exp(-POINTS))
    expected = 2.0 * s * sigmoid_slope(POINTS)
    got = call("chain_deriv_2([sigmoid, square], POINTS)", f.chain_deriv_2, [f.sigmoid, f.square], POINTS.copy())
    expect_array(got, expected, **CALCULUS, call=f"chain_deriv_2([sigmoid, square], {POINTS.tolist()})")


# ---------------------------------------------------------------------------- chain_deriv_3


@question("foundations.chain_deriv_3")
def test_chain_deriv_3_of_leaky_relu_square_sigmoid_at_minus_4_is_the_lessons_value():
    """chain_deriv_3([leaky_relu, square, sigmoid], -4) is -0.07233643296206184 (forward 0.6547534606063192)."""
    f = student("foundations")
    chain = [f.leaky_relu, f.square, f.sigmoid]
    expect_scalar(f.chain_length_3(chain, -4), 0.6547534606063192, **LESSON,
                  call="chain_length_3([leaky_relu, square, sigmoid], -4) (given code)")
    got = call("chain_deriv_3([leaky_relu, square, sigmoid], -4)", f.chain_deriv_3, chain, -4)
    expect_scalar(got, -0.07233643296206184, **LESSON, call="chain_deriv_3([leaky_relu, square, sigmoid], -4)")


@question("foundations.chain_deriv_3")
def test_chain_deriv_3_of_square_sigmoid_cube_on_an_array():
    """chain_deriv_3([square, sigmoid, cube], 2x3 array) is 3 σ(x²)² σ'(x²) 2x at every element."""
    f = student("foundations")
    inner = POINTS**2
    s = 1.0 / (1.0 + np.exp(-inner))
    expected = 3.0 * s**2 * sigmoid_slope(inner) * 2.0 * POINTS
    got = call("chain_deriv_3([square, sigmoid, cube], POINTS)", f.chain_deriv_3, [f.square, f.sigmoid, cube], POINTS.copy())
    expect_array(got, expected, **CALCULUS, call=f"chain_deriv_3([square, sigmoid, cube], {POINTS.tolist()})")


# ---------------------------------------------------------------------------- multiple_inputs_add_backward


@question("foundations.multiple_inputs_add_backward")
def test_multiple_inputs_add_backward_at_3_and_4_is_the_lessons_value():
    """multiple_inputs_add_backward(np.array(3), np.array(4), sigmoid) is 0.0009102213310852036 twice."""
    f = student("foundations")
    description = "multiple_inputs_add_backward(np.array(3), np.array(4), sigmoid)"
    got = call(description, f.multiple_inputs_add_backward, np.array(3), np.array(4), f.sigmoid)
    value = 0.0009102213310852036
    expect_tuple(got, (value, value), **LESSON, call=description, names=("ds/dx", "ds/dy"))


@question("foundations.multiple_inputs_add_backward")
def test_multiple_inputs_add_backward_on_arrays_with_square():
    """For σ = square both partial derivatives of (x + y)² are 2 (x + y), with the inputs' shape."""
    f = student("foundations")
    x = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -0.5]])
    y = np.array([[1.5, 0.5, -2.5], [-1.0, 0.75, 4.0]])
    description = f"multiple_inputs_add_backward({x.tolist()}, {y.tolist()}, square)"
    got = call(description, f.multiple_inputs_add_backward, x.copy(), y.copy(), f.square)
    both = 2.0 * (x + y)
    expect_tuple(got, (both, both), rtol=1e-6, atol=1e-9, call=description, names=("ds/dx", "ds/dy"))


# ---------------------------------------------------------------------------- matrix_function_backward_1


@question("foundations.matrix_function_backward_1")
def test_matrix_function_backward_1_one_row_with_sigmoid():
    """One row X (1, 3), W (3, 1), sigmoid: the gradient by X is σ'(X W) times each weight."""
    f = student("foundations")
    X = np.array([[0.5, -1.0, 2.0]])
    W = np.array([[0.3], [0.2], [-0.4]])
    expected = sigmoid_slope(X @ W) * W.reshape(1, 3)
    description = f"matrix_function_backward_1({X.tolist()}, {W.tolist()}, sigmoid)"
    got = call(description, f.matrix_function_backward_1, X.copy(), W.copy(), f.sigmoid)
    expect_array(got, expected, **CALCULUS, call=description)


@question("foundations.matrix_function_backward_1")
def test_matrix_function_backward_1_matches_nudging_the_forward_pass():
    """X (1, 4), W (4, 1), square: the result equals the slope of matrix_forward_extra measured by nudging X."""
    f = student("foundations")
    X = np.array([[1.0, -0.5, 0.25, 2.0]])
    W = np.array([[0.5], [1.5], [-1.0], [0.75]])
    expected = np.array([[0.9999999999999176, 2.999999999999753, -1.9999999999998352, 1.4999999999998765]])  # slope of sum(S) by X, measured offline
    description = f"matrix_function_backward_1({X.tolist()}, {W.tolist()}, square)"
    got = call(description, f.matrix_function_backward_1, X.copy(), W.copy(), f.square)
    expect_array(got, expected, rtol=1e-6, atol=1e-8, call=description)


@question("foundations.matrix_function_backward_1")
def test_matrix_function_backward_1_several_rows():
    """X (2, 3), W (3, 1), sigmoid: one gradient row per row of X (the gradient of the sum of S)."""
    f = student("foundations")
    X = np.array([[0.2, -0.4, 1.0], [-1.5, 0.5, 0.3]])
    W = np.array([[1.0], [-2.0], [0.5]])
    expected = np.array([[0.14914645468339094, -0.2982929093667819, 0.07457322734169547], [0.07948533063927704, -0.15897066127855408, 0.03974266531963852]])  # slope of sum(S) by X, measured offline
    description = f"matrix_function_backward_1({X.tolist()}, {W.tolist()}, sigmoid)"
    got = call(description, f.matrix_function_backward_1, X.copy(), W.copy(), f.sigmoid)
    expect_array(got, expected, **CALCULUS, call=description)


# ---------------------------------------------------------------------------- matrix_function_backward_sum_1 / _2


def lesson_example(f):
    """The lesson's inputs (seed 190204, X 3x3, W 3x2), checked against what the lesson prints."""
    np.random.seed(190204)
    X = np.random.randn(3, 3)
    W = np.random.randn(3, 2)
    expect_array(X[0], np.array([-1.57752816, -0.6664228, 0.63910406]), rtol=0, atol=1e-8,
                 call="np.random.randn(3, 3) after np.random.seed(190204) (the lesson's X, first row)")
    expect_scalar(f.matrix_function_forward_sum(X, W, f.sigmoid), 2.3754951014116954, **LESSON,
                  call="matrix_function_forward_sum(X, W, sigmoid) on the lesson's example (given code)")
    return X, W


@question("foundations.matrix_function_backward_sum_1")
def test_matrix_function_backward_sum_1_on_the_lessons_example():
    """The lesson's example (seed 190204): dL/dX is the 3x3 matrix the lesson prints."""
    f = student("foundations")
    X, W = lesson_example(f)
    printed = np.array([
        [0.2488887, -0.37478057, 0.01121962],
        [0.12604152, -0.27807404, -0.13945837],
        [0.22992798, -0.36623443, -0.02252592],
    ])
    description = "matrix_function_backward_sum_1(X, W, sigmoid) on the lesson's example"
    got = call(description, f.matrix_function_backward_sum_1, X.copy(), W.copy(), f.sigmoid)
    expect_array(got, printed, rtol=1e-6, atol=1e-7, call=description)


@question("foundations.matrix_function_backward_sum_1")
def test_matrix_function_backward_sum_1_non_square_matches_nudging():
    """X (4, 3), W (3, 2), sigmoid: dL/dX (4, 3) equals the slope of matrix_function_forward_sum measured by nudging X."""
    f = student("foundations")
    X = np.array([[0.5, -1.0, 0.25], [1.5, 0.0, -0.5], [-2.0, 0.75, 1.0], [0.1, 0.2, 0.3]])
    W = np.array([[0.4, -0.6], [1.2, 0.3], [-0.8, 0.9]])
    expected = np.array([[-0.07368995446518922, 0.2858971913417635, 0.07495604396790256], [-0.019447886459578175, 0.2849806415252121, -0.01015055578140744], [0.04000147963630907, 0.29039726570596613, -0.10434479167219513], [-0.04733911130583301, 0.37352956385777736, 0.02102866578662655]])  # measured offline by nudging X
    description = f"matrix_function_backward_sum_1({X.tolist()}, {W.tolist()}, sigmoid)"
    got = call(description, f.matrix_function_backward_sum_1, X.copy(), W.copy(), f.sigmoid)
    expect_array(got, expected, **CALCULUS, call=description)


@question("foundations.matrix_function_backward_sum_2")
def test_matrix_function_backward_sum_2_on_the_lessons_example():
    """The lesson's example (seed 190204): dL/dW (3, 2) equals the slope measured by nudging W."""
    f = student("foundations")
    X, W = lesson_example(f)
    expected = np.array([[-0.7578356240813033, -0.8725815608603387], [-0.1868453869144956, -0.08533029798142053], [0.06786442058722199, -0.14142916814130368]])  # measured offline by nudging W
    description = "matrix_function_backward_sum_2(X, W, sigmoid) on the lesson's example"
    got = call(description, f.matrix_function_backward_sum_2, X.copy(), W.copy(), f.sigmoid)
    expect_array(got, expected, **CALCULUS, call=description)


@question("foundations.matrix_function_backward_sum_2")
def test_matrix_function_backward_sum_2_non_square_with_square():
    """X (5, 2), W (2, 3), square: dL/dW has W's shape (2, 3) and equals the slope measured by nudging W."""
    f = student("foundations")
    X = np.array([[0.5, -1.0], [1.5, 0.0], [-2.0, 0.75], [0.1, 0.2], [1.0, 1.0]])
    W = np.array([[0.4, -0.6, 0.2], [1.2, 0.3, -0.7]])
    expected = np.array([[3.6559999999997403, -9.59999999999963, 4.376000000000078], [5.461999999999483, 2.7374999999998586, -4.0354999999999634]])  # measured offline by nudging W
    description = f"matrix_function_backward_sum_2({X.tolist()}, {W.tolist()}, square)"
    got = call(description, f.matrix_function_backward_sum_2, X.copy(), W.copy(), f.square)
    expect_array(got, expected, rtol=1e-6, atol=1e-8, call=description)
