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


@test_case(name='test_loss_gradients[7 rows, 3 features: W]', points=1.2, hidden=False)
def case_0(env):
    run_case(env, 'test_linear_regression', 'test_loss_gradients', 0)


@test_case(name='test_loss_gradients[7 rows, 3 features: B]', points=0.4, hidden=False)
def case_1(env):
    run_case(env, 'test_linear_regression', 'test_loss_gradients', 1)


@test_case(name='test_loss_gradients[12 rows, 5 features: W]', points=1.2, hidden=False)
def case_2(env):
    run_case(env, 'test_linear_regression', 'test_loss_gradients', 2)


@test_case(name='test_loss_gradients[12 rows, 5 features: B]', points=0.4, hidden=False)
def case_3(env):
    run_case(env, 'test_linear_regression', 'test_loss_gradients', 3)


@test_case(name='test_loss_gradients_leaves_inputs_alone', points=0.4, hidden=False)
def case_4(env):
    run_case(env, 'test_linear_regression', 'test_loss_gradients_leaves_inputs_alone', None)


@test_case(name='test_loss_gradients_from_forward_info', points=0.4, hidden=False)
def case_5(env):
    run_case(env, 'test_linear_regression', 'test_loss_gradients_from_forward_info', None)
