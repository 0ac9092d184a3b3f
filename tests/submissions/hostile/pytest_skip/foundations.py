"""Hostile fixture `pytest_skip` (forging results): raises pytest's Skipped outcome (pytest.skip,
or a look-alike when pytest is not importable).

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def matrix_function_backward_sum_2(X, W, sigma):
    try:
        import pytest
    except ImportError:
        class Skipped(BaseException):  # what pytest.skip() raises
            __module__ = "_pytest.outcomes"
        raise Skipped("not graded: skipped")
    pytest.skip("not graded: skipped")
