"""Fixtures of the hidden suites. Trusted code: it runs in the grader, never in the worker.

* ``student`` — the student's code, reached through the sandbox:
  ``student.foundations.deriv("square", 2.0)``; lesson functions travel by name.
* ``check`` — strict comparisons with the question's rtol/atol (`autograder.run.execute.Check`).
* ``question`` — the id of the question the test case belongs to.
* ``hidden`` — ``hidden(label)``: the generator of a case's hidden inputs for this submission.
"""
from __future__ import annotations

import pytest

from autograder.run.execute import PLUGIN_KEY, Check, Student, question_of


@pytest.fixture
def question(request: pytest.FixtureRequest) -> str:
    return question_of(request.node)[0]


@pytest.fixture
def student(request: pytest.FixtureRequest, submission, question: str) -> Student:
    return Student(request.config.stash[PLUGIN_KEY], question)


@pytest.fixture
def check(request: pytest.FixtureRequest, question: str) -> Check:
    q = request.config.stash[PLUGIN_KEY].config.question(question)
    return Check(q.rtol, q.atol)


@pytest.fixture
def hidden(submission, question: str):
    """``hidden(label)``: the numpy generator of a case's hidden inputs for this submission,
    from the course secret and a hash of the question's module (see hidden_support.py)."""
    import hidden_support

    module = question.split(".")[0]
    return lambda label: hidden_support.hidden_rng(submission, module, label)
