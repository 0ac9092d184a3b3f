"""What the otter test files in ``tests/`` run: one case of our hidden suites, the otter way.

otter-grader (the benchmark's peer) grades one ``.py`` per submission by running it in a Jupyter
kernel and then calling each test case with the kernel's globals (``env``). The benchmark gives
it a bundle (see ``bench/run.py``) that defines ``SOURCES = {module name: source}`` for the
student's three modules. A case here does, inside otter's kernel and with no isolation (otter
has none), exactly what our grader does in its sandbox for the same case: import the student's
module afresh for the case (``autograder.run.sandbox.InProcessSlot``, the floor's slot), put
the reference versions of the question's ``requires`` in place, and run the hidden test
function of ``autograder/suites/`` with the same inputs, tolerances and checks. A case fails by
raising, which is how otter's exception-based tests fail.

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

from autograder.config import load_config
from autograder.run.execute import SUITES_DIR, Check, Student, prerequisites
from autograder.run.sandbox import InProcessSlot

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
            (folder / f"{name}.py").write_text(text, encoding="utf-8")
        _FOLDERS[key] = folder
    return _FOLDERS[key]


def _marks(fn) -> dict[str, Any]:
    return {m.name: m for m in getattr(fn, "pytestmark", [])}


def cases(suite: str) -> list[tuple[str, str, int | None, str, float]]:
    """(suite, test name, parameter index or None, question, weight) of every case in a suite file."""
    module = importlib.import_module(suite)
    out = []
    for name, fn in vars(module).items():
        if not (name.startswith("test_") and inspect.isfunction(fn)):
            continue
        marks = _marks(fn)
        question = marks["question"].args[0]
        weight = float(marks["question"].kwargs.get("weight", 1.0))
        if "parametrize" in marks:
            for i in range(len(marks["parametrize"].args[1])):
                out.append((suite, name, i, question, weight))
        else:
            out.append((suite, name, None, question, weight))
    return out


class _Runner:
    """What `autograder.run.execute.Student` calls: the slot, for one question."""

    def __init__(self, slot: InProcessSlot, question: str) -> None:
        self.slot, self.question = slot, question

    def call(self, question, module, fn, args, kwargs, *, return_inputs, trace, stub):
        timeout = _config().question(question).timeout
        return self.slot.call(fn, args, kwargs, deadline=time.monotonic() + timeout,
                              return_inputs=return_inputs, trace=trace, stub=stub)


def run_case(env: dict, suite: str, test: str, index: int | None = None) -> None:
    """Run one hidden case on the submission whose modules are ``env["SOURCES"]``; raise if it fails."""
    fn = getattr(importlib.import_module(suite), test)
    marks = _marks(fn)
    question = marks["question"].args[0]
    params: dict[str, Any] = {}
    if index is not None:
        names = [n.strip() for n in marks["parametrize"].args[0].split(",")]
        values = marks["parametrize"].args[1][index]
        params = dict(zip(names, values if len(names) > 1 else (values,)))
    config = _config()
    q = config.question(question)
    module = question.split(".")[0]
    slot = InProcessSlot(config.limits.model_dump())
    slot.stage(_folder(env["SOURCES"]))
    slot.begin_question(question, module, prerequisites(config, question), time.monotonic() + q.timeout)
    try:
        wanted = inspect.signature(fn).parameters
        fixtures = {"student": Student(_Runner(slot, question), question), "check": Check(q.rtol, q.atol),
                    "question": question}
        fn(**{k: v for k, v in {**fixtures, **params}.items() if k in wanted})
    finally:
        slot.finish()
