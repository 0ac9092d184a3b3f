"""otter test file for foundations.deriv: the hidden cases of autograder/suites/test_foundations.py.

Written by bench/otter/make_tests.py; each case runs one hidden test through bench/otter/peer.py.
"""
import pathlib
import sys

import autograder
from otter.test_files import test_case

sys.path.insert(0, str(pathlib.Path(autograder.__file__).resolve().parents[1] / "bench" / "otter"))
from peer import run_case  # noqa: E402

OK_FORMAT = False

name = 'foundations.deriv'
points = 2.0


@test_case(name='test_deriv_of_square_at_a_number', points=0.6666666666666666, hidden=False)
def case_0(env):
    run_case(env, 'test_foundations', 'test_deriv_of_square_at_a_number', None)


@test_case(name='test_deriv_of_sigmoid_on_an_array', points=0.6666666666666666, hidden=False)
def case_1(env):
    run_case(env, 'test_foundations', 'test_deriv_of_sigmoid_on_an_array', None)


@test_case(name='test_deriv_with_another_step', points=0.6666666666666666, hidden=False)
def case_2(env):
    run_case(env, 'test_foundations', 'test_deriv_with_another_step', None)
