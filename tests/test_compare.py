"""compare.py: every layer's message, lying objects, and the tolerance rule of assert_allclose."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder.judge import compare
from autograder.judge.compare import (
    MAX_MESSAGE,
    StudentFailure,
    expect_array,
    expect_dict,
    expect_scalar,
    expect_tuple,
    extra_keys,
    extra_keys_note,
    relative_error,
)

TOL = dict(rtol=1e-6, atol=1e-9)
E23 = np.arange(6.0).reshape(2, 3)


def failure(check, *args, **kwargs) -> str:
    with pytest.raises(StudentFailure) as info:
        check(*args, **kwargs)
    assert str(info.value) == info.value.message
    return info.value.message


def array_failure(got, expected=E23, **kwargs) -> str:
    return failure(expect_array, got, expected, **{**TOL, "call": "f(x)", **kwargs})


# --- lying objects ------------------------------------------------------------------------------


class Untouchable:
    """Records any use of the object: a comparison must never call into it."""

    touched: list[str] = []

    def __getattribute__(self, name):
        Untouchable.touched.append(name)
        return object.__getattribute__(self, name)

    def __eq__(self, other):
        Untouchable.touched.append("__eq__")
        return True

    __hash__ = object.__hash__

    def __bool__(self):
        Untouchable.touched.append("__bool__")
        return True

    def __array__(self, dtype=None, copy=None):
        Untouchable.touched.append("__array__")
        return E23.copy()

    def __float__(self):
        Untouchable.touched.append("__float__")
        return 1.0

    def __len__(self):
        Untouchable.touched.append("__len__")
        return 2

    @property
    def __class__(self):  # fools isinstance(), not type()
        return np.ndarray


class LyingArray(np.ndarray):
    """An ndarray subclass whose ufuncs and comparisons always say "equal"."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return True

    def __eq__(self, other):
        return True


def test_object_with_lying_dunders_fails_and_is_never_touched():
    liar = Untouchable()
    assert isinstance(liar, np.ndarray)  # the trick works on isinstance ...
    Untouchable.touched.clear()
    message = array_failure(liar)
    assert message.startswith("f(x) returned an object of type ")
    assert message.endswith("Untouchable, not a numpy array (expected shape (2, 3)).")
    for check in (expect_scalar, expect_dict, expect_tuple):
        expected = {"W": E23} if check is expect_dict else (E23,) if check is expect_tuple else 1.0
        failure(check, liar, expected, **TOL, call="f(x)")
    assert Untouchable.touched == []  # ... but compare only ever looked at type()


def test_ndarray_subclass_with_lying_ufuncs_fails():
    liar = np.zeros((2, 3)).view(LyingArray)
    assert np.allclose(liar, E23)  # the pitfall of security notes §2.11
    message = array_failure(liar)
    assert message.startswith("f(x) returned an ndarray subclass (")
    assert message.endswith("test_compare.LyingArray), not a numpy array (expected shape (2, 3)) "
                            "(use np.asarray(...) to return a plain numpy.ndarray).")


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_numpy_matrix_is_a_subclass_and_fails():
    assert "returned a numpy.matrix, not a numpy array" in array_failure(np.matrix(E23))


# --- layer by layer -----------------------------------------------------------------------------


def test_none_reminds_of_return():
    assert array_failure(None) == "f(x) returned None — did you forget `return`?"
    assert failure(expect_scalar, None, 1.0, **TOL, call="g(2)") == "g(2) returned None — did you forget `return`?"


@pytest.mark.parametrize(
    ("got", "noun"),
    [([[0.0, 1, 2], [3, 4, 5]], "a list"), (((0.0, 1, 2), (3, 4, 5)), "a tuple"), (0.5, "a Python float"),
     (np.float64(0.5), "a numpy scalar (numpy.float64)"), ("[[0, 1, 2]]", "a string")],
)
def test_not_an_ndarray(got, noun):
    message = array_failure(got)
    assert message.startswith(f"f(x) returned {noun}, not a numpy array (expected shape (2, 3))")


def test_list_gets_a_hint():
    assert array_failure([1.0]).endswith("(use np.array(...) to make one).")


def test_broadcastable_wrong_shape_fails_naming_both_shapes():
    expected = np.ones((2, 2))
    assert np.allclose(np.ones((2, 1)), expected)  # numpy would broadcast
    message = array_failure(np.ones((2, 1)), expected)
    assert message.startswith("f(x) returned an array of shape (2, 1); expected shape (2, 2).")
    assert "broadcast" in message


def test_number_accepted_where_a_0d_array_is_expected():
    expect_array(2.5, np.array(2.5), **TOL, call="f()")
    expect_array(np.float32(2.5), np.array(2.5), **TOL, call="f()")
    assert array_failure(3.0, np.array(2.5)).startswith("f(x) returned 3.0; expected 2.5")
    assert array_failure([2.5], np.array(2.5)) == "f(x) returned a list; expected a single number (a float)."


def test_scalar_array_where_matrix_expected_fails_on_shape():
    assert array_failure(np.array(0.5)).startswith("f(x) returned a single number (shape ()); expected shape (2, 3).")


def test_transposed_result_gets_a_hint():
    message = array_failure(E23.T.copy())
    assert message == (
        "f(x) returned an array of shape (3, 2); expected shape (2, 3). "
        "It looks transposed: check the order of a matrix product or a missing .T."
    )


def test_alt_shapes_are_accepted_and_compared_after_reshape():
    bias = np.array([[0.25]])
    expect_array(np.array([0.25]), bias, **TOL, call="g()", alt_shapes=((1,),))
    message = array_failure(np.array([0.5]), bias, alt_shapes=((1,),))
    assert "Worst at index [0, 0]: got 0.5, expected 0.25" in message
    message = array_failure(np.array([0.25, 0.25]), bias, alt_shapes=((1,),))
    assert message.startswith("f(x) returned an array of shape (2,); expected shape (1, 1) (or (1,)).")


@pytest.mark.parametrize(
    ("dtype", "why"),
    [(bool, "booleans (True/False), not numbers"), (object, "Python objects"), (complex, "complex numbers"),
     ("U3", "text")],
)
def test_non_numeric_dtypes_fail(dtype, why):
    message = array_failure(E23.astype(dtype))
    assert message.startswith(f"f(x) returned an array of dtype {np.dtype(dtype)}, which holds {why}")


def test_integer_and_float32_arrays_are_numbers():
    expect_array(np.arange(6).reshape(2, 3), E23, **TOL, call="f(x)")
    expect_array(E23.astype(np.float32), E23, **TOL, call="f(x)")


def test_nan_and_inf_are_counted_and_located():
    got = E23.copy()
    got[0, 1] = np.nan
    got[1, 2] = np.inf
    assert array_failure(got) == (
        "f(x) returned an array with 2 non-finite values of 6 (1 NaN, 1 infinite), at [0, 1], [1, 2]. "
        "Look for a division by zero, an overflow in exp, or a log of a non-positive number."
    )


def test_nan_is_never_equal_and_inf_never_passes():
    nan = np.full((2, 2), np.nan)
    assert "4 non-finite values of 4 (4 NaN)" in array_failure(nan, nan.copy())
    assert np.allclose(np.inf, np.inf)  # numpy says equal
    inf = np.full((1,), np.inf)
    assert "1 non-finite value of 1 (1 infinite)" in array_failure(inf, inf.copy())
    # a NaN that reaches the value layer (in a hidden expected value) never compares equal either
    assert "1 of 1 element differs" in array_failure(np.array([1.0]), np.array([np.nan]))


def test_small_array_value_message_is_complete():
    got = E23.copy()
    got[0, 1] += 1e-3
    got[1, 2] -= 0.5
    assert array_failure(got, call="deriv(square, x)") == (
        "deriv(square, x): 2 of 6 elements differ from the expected values "
        "(allowed: |got - expected| <= atol + rtol * |expected| with rtol=1e-06, atol=1e-09).\n"
        "Worst at index [1, 2]: got 4.5, expected 5.0 (abs error 0.5, rel error 0.1).\n"
        "got:      [[0.   , 1.001, 2.   ],\n"
        "           [3.   , 4.   , 4.5  ]]\n"
        "expected: [[0., 1., 2.],\n"
        "           [3., 4., 5.]]"
    )


def test_large_array_message_is_a_summary_not_the_whole_array():
    rng = np.random.default_rng(0)
    expected = rng.normal(size=(10, 10))
    got = expected.copy()
    got[3, 4] += 1.0
    got[5:7] += 1e-3
    message = array_failure(got, expected)
    lines = message.splitlines()
    assert lines[0].startswith("f(x): 21 of 100 elements differ")
    assert lines[1].startswith("Worst at index [3, 4]: got ")
    assert lines[1].endswith("(abs error 1, rel error 4.66).")
    assert lines[2] == "Max abs error 1; first differing elements:"
    assert len(lines) == 4 + compare.ROWS_SHOWN + 1 and lines[-1] == "  ... and 16 more"
    assert "expected:" not in message


def test_enough_digits_to_see_a_tiny_difference():
    message = array_failure(np.array([1.0000001]), np.array([1.0]), rtol=0, atol=0)
    assert "got 1.0000001, expected 1.0" in message and "got:      [1.0000001]" in message


def test_tolerance_scales_with_expected_not_with_got():
    # |2 - 1| = 1 <= 0.5 * |got| would pass (np.allclose(expected, got) order); assert_allclose's rule fails it
    assert np.allclose(1.0, 2.0, rtol=0.5, atol=0)
    message = failure(expect_scalar, 2.0, 1.0, rtol=0.5, atol=0, call="h()")
    assert message == (
        "h() returned 2.0; expected 1.0 (abs error 1, rel error 1; allowed: "
        "|got - expected| <= atol + rtol * |expected| with rtol=0.5, atol=0)."
    )
    expect_scalar(1.5, 1.0, rtol=0.5, atol=0, call="h()")  # exactly at the tolerance passes


def test_tiny_gradients_do_not_pass_by_default_atol():
    expected = np.array([5e-9, -3e-9, 2e-9])
    zeros = np.zeros(3)
    assert np.allclose(zeros, expected)  # numpy's default atol=1e-8 swallows them
    message = array_failure(zeros, expected, rtol=1e-6, atol=1e-9)
    assert message.startswith("f(x): 3 of 3 elements differ")
    assert "rel error 1" in message


# --- scalars --------------------------------------------------------------------------------------


@pytest.mark.parametrize("got", [3, 3.0000001, np.float64(3.0), np.float32(3.0), np.int64(3), np.array(3.0)])
def test_scalar_forms_accepted(got):
    expect_scalar(got, 3.0, **TOL, call="s()")
    expect_scalar(got, np.array(3.0), **TOL, call="s()")


class LyingFloat(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


@pytest.mark.parametrize(
    ("got", "message"),
    [
        (True, "s() returned a boolean; expected a single number (a float)."),
        (np.bool_(True), "s() returned a boolean; expected a single number (a float)."),
        ("3.0", "s() returned a string; expected a single number (a float)."),
        ([3.0], "s() returned a list; expected a single number (a float)."),
        (np.array([3.0]), "s() returned an array of shape (1,); expected a single number "
                          "(a float, e.g. float(x) or x.item())."),
        (np.array(True), "s() returned an array of dtype bool, which holds booleans (True/False), not numbers; "
                         "expected numbers (a float array)."),
        (float("nan"), "s() returned nan; expected a finite number (3.0)."),
        (float("-inf"), "s() returned -inf; expected a finite number (3.0)."),
        (10**400, "s() returned an integer too large to be a float; expected 3.0."),
    ],
)
def test_scalar_failures(got, message):
    assert failure(expect_scalar, got, 3.0, **TOL, call="s()") == message


def test_float_subclass_is_not_trusted():
    assert failure(expect_scalar, LyingFloat(3.0), 3.0, **TOL, call="s()").startswith(
        "s() returned an object of type ")


# --- dicts and tuples -------------------------------------------------------------------------------


def test_dict_keys_missing_are_named_and_extra_keys_are_not_graded():
    expected = {"W": E23, "B": np.ones((1, 3))}
    message = failure(expect_dict, {"W": E23, "b": 1, "extra": 2}, expected, **TOL, call="loss_gradients(fi, w)")
    assert message == (
        "loss_gradients(fi, w) returned a dict without 'B' (it must hold 'W', 'B'; it holds 'W', 'b', 'extra')."
    )
    # every required entry right, debug keys beside them: full marks, and a note names the extras
    got = {"W": E23, "B": np.ones((1, 3)), "dLdP": np.zeros(3), "dLdN": 1.0}
    expect_dict(got, expected, **TOL, call="g()")
    assert extra_keys(got, expected) == ["dLdP", "dLdN"]
    assert extra_keys_note(got, expected, "g()") == (
        "Note: g() returned extra keys ('dLdP', 'dLdN') besides 'W', 'B'; they are ignored, not graded.")
    assert extra_keys_note({"W": E23, "B": 1}, expected, "g()") == ""


def test_dict_reports_every_wrong_entry_at_once():
    expected = {"W1": E23, "B1": np.ones((1, 3)), "W2": E23, "B2": np.ones((1, 1))}
    got = {"W1": E23 * 2, "B1": np.ones((1, 3)) * 6, "W2": E23, "B2": np.ones((1, 1))}
    with pytest.raises(StudentFailure) as info:
        expect_dict(got, expected, **TOL, call="g()")
    assert info.value.failed_keys == ("W1", "B1")
    assert info.value.message.startswith("2 of the 4 entries checked are wrong:\n- g(): the entry 'W1': 5 of 6")
    assert "\n- g(): the entry 'B1': 3 of 3 elements differ" in info.value.message
    # one key at a time (one hidden case per entry): only that entry decides
    expect_dict(got, expected, **TOL, call="g()", keys=["W2"])
    assert failure(expect_dict, got, expected, **TOL, call="g()", keys=["B1"]).startswith(
        "g(): the entry 'B1': 3 of 3 elements differ")


def test_dict_entries_checked_with_alt_shapes():
    expected = {"W": E23, "B": np.array([[0.5]])}
    expect_dict({"B": np.array([0.5]), "W": E23}, expected, **TOL, call="g()", alt_shapes={"B": ((1,),)})
    message = failure(expect_dict, {"W": E23, "B": np.array([0.5])}, expected, **TOL, call="g()")
    assert message == ("g(): the entry 'B' is an array of shape (1,); expected shape (1, 1). "
                       "It has the right number of elements in the wrong arrangement.")
    message = failure(expect_dict, {"W": E23 + 1, "B": np.array([[0.5]])}, expected, **TOL, call="g()")
    assert message.startswith("g(): the entry 'W': 6 of 6 elements differ")
    assert failure(expect_dict, {"W": None, "B": 1}, expected, **TOL, call="g()") == (
        "2 of the 2 entries checked are wrong:\n- g(): the entry 'W' is None.\n"
        "- g(): the entry 'B' is a Python int, not a numpy array (expected shape (1, 1)).")


def test_dict_with_non_string_key_and_non_dict():
    assert failure(expect_dict, {1: E23}, {"W": E23}, **TOL, call="g()") == (
        "g() returned a dict with a key that is not a string (a Python int).")
    assert failure(expect_dict, [("W", E23)], {"W": E23}, **TOL, call="g()") == "g() returned a list, not a dict."


def test_dict_subclass_is_read_through_the_real_storage():
    class LyingDict(dict):
        def __getitem__(self, key):
            return E23

        def keys(self):
            return ["W"]

    got = LyingDict(W=np.zeros((2, 3)))
    assert failure(expect_dict, got, {"W": E23}, **TOL, call="g()").startswith("g(): the entry 'W': 5 of 6")


def test_tuple_items_are_checked_in_order():
    expected = (E23, np.ones(3), 2.0)
    expect_tuple([E23, np.ones(3), 2], expected, **TOL, call="t()")
    assert failure(expect_tuple, (E23, np.ones(2), 2.0), expected, **TOL, call="t()") == (
        "t(): item 1 of the result is an array of shape (2,); expected shape (3,).")
    assert failure(expect_tuple, (E23, np.ones(3), 2.5), expected, **TOL, call="t()", names=("dx", "dy", "loss")
                   ).startswith("t(): loss of the result is 2.5; expected 2.0")
    assert failure(expect_tuple, (E23,), expected, **TOL, call="t()") == (
        "t() returned a tuple of 1 item; expected 3 items.")
    assert failure(expect_tuple, E23, expected, **TOL, call="t()") == (
        "t() returned a numpy array of shape (2, 3); expected a tuple of 3 items.")


def test_tuple_structure_is_checked_before_values():
    expected = (np.ones(3), np.ones(3))
    out = np.zeros(3)
    message = failure(expect_tuple, (out, (np.ones(3), np.ones(3))), expected, **TOL, call="t()",
                      names=("dsdx", "dsdy"))
    assert message == ("t() returned a tuple shaped (an array (3,), a tuple of 2 items (an array (3,), an array "
                       "(3,))); expected a flat tuple (dsdx: an array (3,), dsdy: an array (3,)). Return exactly "
                       "these 2 items, with nothing nested inside.")
    message = failure(expect_tuple, ((out, 1.0), np.ones(3)), expected, **TOL, call="t()")
    assert message.startswith("t() returned a tuple shaped (a tuple of 2 items (an array (3,), a number), an array (3,))")
    # a list of numbers where an array belongs is not a structure problem: it gets the array message
    assert failure(expect_tuple, ([1.0, 1.0, 1.0], np.ones(3)), expected, **TOL, call="t()").startswith(
        "t(): item 0 of the result is a list, not a numpy array")


def test_tuple_kinds_override():
    expect_tuple((np.array(2.0),), (2.0,), **TOL, call="t()", kinds=("scalar",))
    assert failure(expect_tuple, (2.0,), (np.array([2.0]),), **TOL, call="t()", kinds=("array",)).startswith(
        "t(): item 0 of the result is a Python float, not a numpy array")


# --- grader-side mistakes are not student failures ---------------------------------------------------


def test_bad_expected_value_is_a_grader_error():
    with pytest.raises(ValueError, match="expected must be a numpy.ndarray, got list"):
        expect_array(E23, [1.0], **TOL, call="f()")
    with pytest.raises(ValueError, match="expected must be finite"):
        expect_scalar(1.0, float("nan"), **TOL, call="f()")
    with pytest.raises(ValueError, match="tolerances must be >= 0"):
        expect_array(E23, E23, rtol=-1, atol=0, call="f()")
    assert not issubclass(ValueError, StudentFailure)


def test_long_messages_are_cut():
    message = failure(expect_dict, {"k" * 5000: 1}, {"W": E23}, **TOL, call="g" * 3000 + "()")
    assert len(message) <= MAX_MESSAGE and message.endswith("... (message cut)")


def test_student_failure_is_an_assertion_error():
    assert issubclass(StudentFailure, AssertionError)


def test_relative_error():
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert relative_error(1.0, 3.0) == pytest.approx(0.5)
    assert relative_error(0.0, 0.0) == 0.0


def test_module_imports_only_stdlib_and_numpy():
    tree = ast.parse(Path(compare.__file__).read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports: the file is copied into the student release"
            roots.add(node.module.split(".")[0])
    assert roots - set(sys.stdlib_module_names) == {"numpy"}
