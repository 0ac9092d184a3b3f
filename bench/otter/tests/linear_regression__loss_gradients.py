"""otter test file for linear_regression.loss_gradients: the hidden cases of autograder/suites/test_linear_regression.py.

Written by bench/otter/make_tests.py; each case runs one hidden test through bench/otter/peer.py.
"""
import pathlib
import sys

import autograder
from otter.test_files import test_case

sys.path.insert(0, str(pathlib.Path(autograder.__file__).resolve().parents[1] / "bench" / "otter"))
from peer import run_case  # noqa: E402

OK_FORMAT = False

name = 'linear_regression.loss_gradients'
points = 4.0


@test_case(name='test_loss_gradients[0]', points=2.0, hidden=False)
def case_0(env):
    run_case(env, 'test_linear_regression', 'test_loss_gradients', 0)


@test_case(name='test_loss_gradients[1]', points=2.0, hidden=False)
def case_1(env):
    run_case(env, 'test_linear_regression', 'test_loss_gradients', 1)
