"""otter test file for foundations.multiple_inputs_add_backward: the hidden cases of autograder/suites/test_foundations.py.

Written by bench/otter/make_tests.py; each case runs one hidden test through bench/otter/peer.py.
"""
import pathlib
import sys

import autograder
from otter.test_files import test_case

sys.path.insert(0, str(pathlib.Path(autograder.__file__).resolve().parents[1] / "bench" / "otter"))
from peer import run_case  # noqa: E402

OK_FORMAT = False

name = 'foundations.multiple_inputs_add_backward'
points = 2.0


@test_case(name='test_multiple_inputs_add_backward[sigmoid]', points=1.0, hidden=False)
def case_0(env):
    run_case(env, 'test_foundations', 'test_multiple_inputs_add_backward', 0)


@test_case(name='test_multiple_inputs_add_backward[square]', points=1.0, hidden=False)
def case_1(env):
    run_case(env, 'test_foundations', 'test_multiple_inputs_add_backward', 1)
