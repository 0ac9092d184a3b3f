"""The execute step: hidden suites run in the grader, outcomes classified, prerequisites injected.

A tiny suite and grading.yml are written to a temporary folder so each rule is visible in one
place; the student code runs in the sandbox at the strongest level this machine offers.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from autograder.config import load_config
from autograder.run.execute import grade_chunk, import_failure, prerequisites, reference_source
from autograder.results import LoadedSubmission, Outcome
from autograder.run.sandbox import CallFailed, InProcessSlot, Slot, detect_isolation

SUITE = '''
import numpy as np
import pytest
from autograder.judge.compare import StudentFailure


@pytest.mark.question("mod.double")
def test_double(student, check):
    """double(3.0) is 6"""
    check.scalar(student.mod.double(3.0), 6.0, call="double(3.0)")


@pytest.mark.question("mod.double", weight=3)
def test_double_array(student, check):
    """double on an array"""
    check.array(student.mod.double(np.arange(3.0)), np.array([0.0, 2.0, 4.0]), call="double([0, 1, 2])")


@pytest.mark.question("mod.triple")
def test_grader_bug(student):
    """a hidden test with a bug of its own"""
    student.mod.triple(1.0)
    assert 1 == 2, "secret expected value 42"


@pytest.mark.question("mod.triple")
def test_behaviour(student):
    """a behaviour check that fails in the student's words"""
    if student.mod.triple(1.0) != 3.0:
        raise StudentFailure("triple(1.0) should be 3")
'''

CONFIG = '''
assignment: demo
modules: [mod, other]
questions:
  mod.double: {points: 4, timeout: 1}
  mod.triple: {points: 2}
'''


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("execute")
    suites = root / "suites"
    suites.mkdir()
    (suites / "pytest.ini").write_text((Path(__file__).parents[1] / "autograder/suites/pytest.ini").read_text())
    (suites / "conftest.py").write_text((Path(__file__).parents[1] / "autograder/suites/conftest.py").read_text())
    (suites / "test_mod.py").write_text(SUITE)
    (root / "grading.yml").write_text(CONFIG)
    return suites, load_config(root / "grading.yml")


def submission(tmp_path: Path, name: str, source: str | None) -> LoadedSubmission:
    folder = tmp_path / name
    folder.mkdir()
    if source is not None:
        (folder / "mod.py").write_text(textwrap.dedent(source))
    return LoadedSubmission(name, folder, ("mod",) if source is not None else ())


def run(setup, subs, slot=None):
    suites, config = setup
    level, _ = detect_isolation()
    done = {}
    own = slot is None
    slot = slot or Slot(level, config.limits.model_dump())
    try:
        grade_chunk(subs, config, slot, lambda r, out, dropped: done.__setitem__(r.loaded.student, (r, out)),
                    suites_dir=suites)
    finally:
        if own:
            slot.close()
    return done


def outcomes(run_result):
    return [(c.question, c.outcome, c.weight) for c in run_result.cases]


def test_outcomes_are_classified(setup, tmp_path):
    good = submission(tmp_path, "good", "def double(x):\n    return 2 * x\ndef triple(x):\n    return 3 * x\n")
    wrong = submission(tmp_path, "wrong", "def double(x):\n    return [2 * x]\ndef triple(x):\n    return x\n")
    done = run(setup, [good, wrong])
    g, w = done["good"][0], done["wrong"][0]
    assert outcomes(g) == [("mod.double", Outcome.PASSED, 1.0), ("mod.double", Outcome.PASSED, 3.0),
                           ("mod.triple", Outcome.ERROR, 1.0), ("mod.triple", Outcome.PASSED, 1.0)]
    bug = g.cases[2]
    assert "not your fault" in bug.message and "42" not in bug.message and "42" in bug.detail
    assert [c.outcome for c in w.cases] == [Outcome.FAILED, Outcome.FAILED, Outcome.ERROR, Outcome.FAILED]
    assert w.cases[0].message == "double(3.0) returned a list; expected a single number (a float)."
    assert "a list, not a numpy array" in w.cases[1].message
    assert w.cases[3].message == "triple(1.0) should be 3"


def test_student_failures_of_every_kind_are_failures_not_errors(setup, tmp_path):
    stub = submission(tmp_path, "stub", "def double(x):\n    raise NotImplementedError\n")
    crash = submission(tmp_path, "crash", "import os\ndef double(x):\n    os._exit(1)\n")
    loop = submission(tmp_path, "loop", "def double(x):\n    while True:\n        pass\n")
    broken = submission(tmp_path, "broken", "def double(x)\n    return x\n")
    missing = submission(tmp_path, "missing", None)
    done = run(setup, [stub, crash, loop, broken, missing])
    first = {name: r.cases[0] for name, (r, _) in done.items()}
    assert "not implemented yet" in first["stub"].message
    assert "ended the Python process" in first["crash"].message and "exit code 1" in first["crash"].message
    assert first["loop"].timed_out and "ran out of time" in first["loop"].message
    assert "could not be loaded" in first["broken"].message and "SyntaxError" in first["broken"].message
    assert "mod.py was not found" in first["missing"].message
    for name, (r, _) in done.items():
        assert all(c.outcome is not Outcome.PASSED for c in r.cases if c.question == "mod.double"), name
    # triple is missing from these modules: a student's failure, never a grader error
    assert done["stub"][0].cases[3].outcome is Outcome.FAILED
    assert "has no function triple()" in done["stub"][0].cases[3].message


def test_the_floor_slot_gives_the_same_outcomes(setup, tmp_path):
    good = submission(tmp_path, "good", "def double(x):\n    return 2 * x\ndef triple(x):\n    return 3 * x\n")
    wrong = submission(tmp_path, "wrong", "def double(x):\n    return [2 * x]\ndef triple(x):\n    return x\n")
    isolated = run(setup, [good, wrong])
    floor = run(setup, [good, wrong], slot=InProcessSlot())
    for name in ("good", "wrong"):
        assert [(c.question, c.outcome, c.message) for c in floor[name][0].cases] == \
               [(c.question, c.outcome, c.message) for c in isolated[name][0].cases]


def test_prerequisites_carry_the_reference_source_and_its_helpers():
    config = load_config()
    deps = prerequisites(config, "linear_regression.train")
    assert set(deps) == {"forward", "loss_gradients"}
    assert "def forward(" in deps["forward"] and "def _check_X_y(" in deps["forward"]
    assert prerequisites(config, "foundations.deriv") == {}
    assert reference_source("foundations.deriv").lstrip().startswith("def deriv(")


def test_an_import_failure_names_the_module_and_the_reason():
    exc = import_failure("neural_network", CallFailed("exception", "No module named 'torch'",
                                                      type="ModuleNotFoundError", where="neural_network.py, line 3"))
    assert exc.message == ("neural_network.py could not be loaded, so this case could not run: importing it "
                           "raised ModuleNotFoundError: No module named 'torch' (neural_network.py, line 3)")
    assert import_failure("m", CallFailed("timeout", "x")).kind == "timeout"


def test_only_a_grader_error_gets_a_formatted_traceback(setup, tmp_path, monkeypatch):
    import _pytest.reports
    formatted = []
    real = _pytest.reports._format_failed_longrepr

    def spy(item, call, excinfo):
        formatted.append(item.originalname)
        return real(item, call, excinfo)

    monkeypatch.setattr(_pytest.reports, "_format_failed_longrepr", spy)
    wrong = submission(tmp_path, "wrong", "def double(x):\n    return [2 * x]\ndef triple(x):\n    return x\n")
    done = run(setup, [wrong], slot=InProcessSlot())
    assert [c.outcome for c in done["wrong"][0].cases] == [Outcome.FAILED, Outcome.FAILED, Outcome.ERROR,
                                                           Outcome.FAILED]
    assert formatted == ["test_grader_bug"]  # three student failures, no traceback text built for them
    assert "42" in done["wrong"][0].cases[2].detail
