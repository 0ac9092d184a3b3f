"""What the otter test files in ``tests/`` run: one case of our hidden suites, the otter way.

otter-grader (the benchmark's peer) grades one ``.py`` per submission by running it in a Jupyter
kernel and then calling each test case with the kernel's globals (``env``). The benchmark gives
it a bundle (see ``bench/run.py``) that defines ``SOURCES = {module name: source}`` for the
student's three modules. A case here does, inside otter's kernel and with no isolation (otter
has none), exactly what our grader does in its sandbox for the same case: import the student's
module afresh for the case (``autograder.run.sandbox.InProcessSlot``, the floor's slot), put
the reference versions of the question's ``requires`` and grading.yml's ``callables`` in place,
build the fixtures of ``autograder/suites/conftest.py`` (``student``, ``check``, ``question``,
``hidden``, ``submission`` and a ``request`` with ``node.user_properties`` and
``getfixturevalue``), and run the hidden test function with the case's parameters (a
``pytest.param``'s values and its own ``question`` mark, as in the table-driven suites): the same
hidden inputs, tolerances and checks. A case fails by raising, which is how otter's
exception-based tests fail.

So "same questions, same cases" holds by construction: ``make_tests.py`` writes one otter test
file per question of grading.yml and one ``@test_case`` per hidden case (parametrized cases
included), with the question's points shared by the cases' weights as our grader does.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from autograder.config import load_config
from autograder.results import LoadedSubmission
from autograder.run.execute import SUITES_DIR, Check, Student, callable_sources, prerequisites
from autograder.run.sandbox import InProcessSlot

ParameterSet = type(pytest.param(None))  # what pytest.param(...) makes

if str(SUITES_DIR) not in sys.path:  # the suites import their helper train_behaviour by name
    sys.path.insert(0, str(SUITES_DIR))


@functools.cache
def _config():
    return load_config()


_FOLDERS: dict[int, Path] = {}


def _folder(sources: dict[str, str]) -> Path:
    """The student's modules written once per kernel into a folder of their own."""
    key = id(sources)
    if key not in _FOLDERS:
        folder = Path(tempfile.mkdtemp(prefix="nn-otter-peer-"))
        for name, text in sources.items():
            (folder / f"{name}.py").write_text(text, encoding="utf-8", newline="")
        _FOLDERS[key] = folder
    return _FOLDERS[key]


def _marks(fn) -> dict[str, Any]:
    return {m.name: m for m in getattr(fn, "pytestmark", [])}


def _parameters(fn) -> list[tuple[dict[str, Any], dict[str, Any], str]]:
    """(parameter values, marks, id) of each case of a parametrized test, as pytest reads them:
    a case is a plain value, a tuple of values or a ``pytest.param(..., id=..., marks=...)``."""
    marks = _marks(fn)
    if "parametrize" not in marks:
        return [({}, {}, "")]
    names = [n.strip() for n in marks["parametrize"].args[0].split(",")]
    out = []
    for i, entry in enumerate(marks["parametrize"].args[1]):
        if isinstance(entry, ParameterSet):
            values, case_marks, case_id = entry.values, {m.name: m for m in entry.marks}, entry.id
        else:
            values, case_marks, case_id = (entry if len(names) > 1 else (entry,)), {}, None
        out.append((dict(zip(names, values)), case_marks, case_id if case_id is not None else str(i)))
    return out


def _question_mark(fn, case_marks: dict[str, Any]):
    """The case's ``@pytest.mark.question``: a ``pytest.param``'s own, else the function's (pytest's
    ``get_closest_marker`` order)."""
    return case_marks.get("question") or _marks(fn)["question"]


def cases(suite: str) -> list[tuple[str, str, int | None, str, float, str]]:
    """(suite, test name, parameter index or None, question, weight, case id) of every case in a suite file."""
    module = importlib.import_module(suite)
    out = []
    for name, fn in vars(module).items():
        if not (name.startswith("test_") and inspect.isfunction(fn)):
            continue
        parametrized = "parametrize" in _marks(fn)
        for i, (_, case_marks, case_id) in enumerate(_parameters(fn)):
            mark = _question_mark(fn, case_marks)
            out.append((suite, name, i if parametrized else None, str(mark.args[0]),
                        float(mark.kwargs.get("weight", 1.0)), case_id))
    return out


class _Runner:
    """What `autograder.run.execute.Student` calls: the slot, for one question."""

    def __init__(self, slot: InProcessSlot, question: str) -> None:
        self.slot, self.question = slot, question

    def call(self, question, module, fn, args, kwargs, *, return_inputs, trace, stub):
        timeout = _config().question(question).timeout
        return self.slot.call(fn, args, kwargs, deadline=time.monotonic() + timeout,
                              return_inputs=return_inputs, trace=trace, stub=stub)


class _Node:
    """What the suites read of ``request.node``: the case's user properties (notes, diagnoses)."""

    def __init__(self) -> None:
        self.user_properties: list[tuple[str, Any]] = []


class _Request:
    """What the suites read of pytest's ``request`` fixture: ``node`` and ``getfixturevalue``."""

    def __init__(self, fixtures: dict[str, Any]) -> None:
        self.node, self._fixtures = _Node(), fixtures

    def getfixturevalue(self, name: str) -> Any:
        return self._fixtures[name]


_SUBMISSIONS: dict[int, LoadedSubmission] = {}


def _submission(sources: dict[str, str]) -> LoadedSubmission:
    """One `LoadedSubmission` per kernel: the `submission` fixture (its folder's files seed the
    hidden inputs, and `hidden_support.once` keeps a call's reply per submission, as in the grader)."""
    key = id(sources)
    if key not in _SUBMISSIONS:
        _SUBMISSIONS[key] = LoadedSubmission("otter", _folder(sources), tuple(sorted(sources)))
    return _SUBMISSIONS[key]


def run_case(env: dict, suite: str, test: str, index: int | None = None) -> None:
    """Run one hidden case on the submission whose modules are ``env["SOURCES"]``; raise if it fails.

    The case's fixtures are built as autograder/suites/conftest.py builds them: ``student`` (here
    an `InProcessSlot` with the question's prerequisites and grading.yml's callables in place),
    ``check`` (the question's rtol/atol), ``question``, ``hidden`` (the submission's generator of
    hidden inputs), ``submission`` and ``request``; plus the case's parameters.
    """
    hs = importlib.import_module("hidden_support")
    fn = getattr(importlib.import_module(suite), test)
    values, case_marks, _ = _parameters(fn)[0 if index is None else index]
    question = str(_question_mark(fn, case_marks).args[0])
    config = _config()
    q = config.question(question)
    module = question.split(".")[0]
    submission = _submission(env["SOURCES"])
    slot = InProcessSlot(config.limits.model_dump())
    slot.stage(submission.directory)
    slot.begin_question(question, module, {**callable_sources(config), **prerequisites(config, question)},
                        time.monotonic() + q.timeout)
    try:
        fixtures: dict[str, Any] = {
            "student": Student(_Runner(slot, question), question), "check": Check(q.rtol, q.atol),
            "question": question, "submission": submission,
            "hidden": lambda label: hs.hidden_rng(submission, module, label)}
        fixtures["request"] = _Request(fixtures)
        wanted = inspect.signature(fn).parameters
        fn(**{k: v for k, v in {**fixtures, **values}.items() if k in wanted})
    finally:
        slot.finish()
