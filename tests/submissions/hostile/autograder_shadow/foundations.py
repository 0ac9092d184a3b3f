"""Hostile fixture `autograder_shadow` (forging results): ships autograder.py and an autograder/
package named like the grader's own package.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def multiple_inputs_add_backward(x, y, sigma):
    raise NotImplementedError
