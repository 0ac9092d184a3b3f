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


@test_case(name='test_deriv[square, at a number]', points=0.5, hidden=False)
def case_0(env):
    run_case(env, 'test_foundations', 'test_deriv', 0)


@test_case(name='test_deriv[sigmoid, on an array]', points=0.5, hidden=False)
def case_1(env):
    run_case(env, 'test_foundations', 'test_deriv', 1)


@test_case(name='test_deriv[sigmoid, on a 2x3 array with diff=0.1]', points=0.5, hidden=False)
def case_2(env):
    run_case(env, 'test_foundations', 'test_deriv', 2)


@test_case(name="test_deriv[sigmoid, at the lesson's integer inputs np.array(3) and np.array(4)]", points=0.5, hidden=False)
def case_3(env):
    run_case(env, 'test_foundations', 'test_deriv', 3)
