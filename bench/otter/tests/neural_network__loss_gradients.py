"""otter test file for neural_network.loss_gradients: the hidden cases of autograder/suites/test_neural_network.py.

Written by bench/otter/make_tests.py; each case runs one hidden test through bench/otter/peer.py.
"""
import pathlib
import sys

import autograder
from otter.test_files import test_case

sys.path.insert(0, str(pathlib.Path(autograder.__file__).resolve().parents[1] / "bench" / "otter"))
from peer import run_case  # noqa: E402

OK_FORMAT = False

name = 'neural_network.loss_gradients'
points = 4.0


@test_case(name='test_loss_gradients[6 rows, 4 features, 5 hidden units: W1]', points=0.6, hidden=False)
def case_0(env):
    run_case(env, 'test_neural_network', 'test_loss_gradients', 0)


@test_case(name='test_loss_gradients[6 rows, 4 features, 5 hidden units: B1]', points=0.4, hidden=False)
def case_1(env):
    run_case(env, 'test_neural_network', 'test_loss_gradients', 1)


@test_case(name='test_loss_gradients[6 rows, 4 features, 5 hidden units: W2]', points=0.4, hidden=False)
def case_2(env):
    run_case(env, 'test_neural_network', 'test_loss_gradients', 2)


@test_case(name='test_loss_gradients[6 rows, 4 features, 5 hidden units: B2]', points=0.2, hidden=False)
def case_3(env):
    run_case(env, 'test_neural_network', 'test_loss_gradients', 3)


@test_case(name='test_loss_gradients[9 rows, 3 features, 5 hidden units: W1]', points=0.6, hidden=False)
def case_4(env):
    run_case(env, 'test_neural_network', 'test_loss_gradients', 4)


@test_case(name='test_loss_gradients[9 rows, 3 features, 5 hidden units: B1]', points=0.4, hidden=False)
def case_5(env):
    run_case(env, 'test_neural_network', 'test_loss_gradients', 5)


@test_case(name='test_loss_gradients[9 rows, 3 features, 5 hidden units: W2]', points=0.4, hidden=False)
def case_6(env):
    run_case(env, 'test_neural_network', 'test_loss_gradients', 6)


@test_case(name='test_loss_gradients[9 rows, 3 features, 5 hidden units: B2]', points=0.2, hidden=False)
def case_7(env):
    run_case(env, 'test_neural_network', 'test_loss_gradients', 7)


@test_case(name='test_loss_gradients_leaves_inputs_alone', points=0.4, hidden=False)
def case_8(env):
    run_case(env, 'test_neural_network', 'test_loss_gradients_leaves_inputs_alone', None)


@test_case(name='test_loss_gradients_from_forward_info', points=0.4, hidden=False)
def case_9(env):
    run_case(env, 'test_neural_network', 'test_loss_gradients_from_forward_info', None)
