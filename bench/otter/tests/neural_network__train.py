"""otter test file for neural_network.train: the hidden cases of autograder/suites/test_neural_network.py.

Written by bench/otter/make_tests.py; each case runs one hidden test through bench/otter/peer.py.
"""
import pathlib
import sys

import autograder
from otter.test_files import test_case

sys.path.insert(0, str(pathlib.Path(autograder.__file__).resolve().parents[1] / "bench" / "otter"))
from peer import run_case  # noqa: E402

OK_FORMAT = False

name = 'neural_network.train'
points = 4.0


@test_case(name='test_train_full_batch_matches_gradient_descent', points=0.8, hidden=False)
def case_0(env):
    run_case(env, 'test_neural_network', 'test_train_full_batch_matches_gradient_descent', None)


@test_case(name='test_train_batch_sizes', points=0.4, hidden=False)
def case_1(env):
    run_case(env, 'test_neural_network', 'test_train_batch_sizes', None)


@test_case(name='test_train_keeps_rows_paired', points=0.4, hidden=False)
def case_2(env):
    run_case(env, 'test_neural_network', 'test_train_keeps_rows_paired', None)


@test_case(name='test_train_every_pass_uses_every_row', points=0.4, hidden=False)
def case_3(env):
    run_case(env, 'test_neural_network', 'test_train_every_pass_uses_every_row', None)


@test_case(name='test_train_reshuffles_each_pass', points=0.4, hidden=False)
def case_4(env):
    run_case(env, 'test_neural_network', 'test_train_reshuffles_each_pass', None)


@test_case(name='test_train_leaves_inputs_alone', points=0.4, hidden=False)
def case_5(env):
    run_case(env, 'test_neural_network', 'test_train_leaves_inputs_alone', None)


@test_case(name='test_train_learns_the_lesson_data', points=0.8, hidden=False)
def case_6(env):
    run_case(env, 'test_neural_network', 'test_train_learns_the_lesson_data', None)


@test_case(name='test_train_return_flags', points=0.4, hidden=False)
def case_7(env):
    run_case(env, 'test_neural_network', 'test_train_return_flags', None)
