"""The hidden suites themselves: what the handout promises about them, and their inputs."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SUITES = ROOT / "autograder" / "suites"
HANDOUT = (ROOT / "assignments" / "nn_from_scratch" / "README.md").read_text()


def suite(name: str):
    sys.path.insert(0, str(SUITES))  # the suites import their shared train_behaviour module
    try:
        spec = importlib.util.spec_from_file_location(f"hidden_{name}", SUITES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(SUITES))


@pytest.mark.parametrize("name,label", [("test_linear_regression", "linear regression"),
                                        ("test_neural_network", "network")])
def test_the_handout_states_the_lesson_data_thresholds_the_suites_use(name, label):
    model = suite(name).MODEL
    expected = f"{model.lesson_mse:g}\n({label}, {model.lesson_iters} iterations)" if label == "linear regression" \
        else f"{model.lesson_mse:g} ({label}, {model.lesson_iters} iterations)"
    assert expected in HANDOUT


def test_the_reference_reaches_the_thresholds_with_a_margin():
    tb = suite("train_behaviour")
    for name in ("test_linear_regression", "test_neural_network"):
        module = suite(name)
        model = getattr(module, "LESSON_MODEL", module.MODEL)
        assert tb.reference_mse(model) < 0.92 * model.lesson_mse, name


def test_hidden_inputs_are_not_the_public_ones():
    hidden = suite("test_foundations").hidden_inputs()
    public = "\n".join(p.read_text() for p in (ROOT / "assignments/nn_from_scratch/tests").glob("*.py"))
    assert "20261129" not in public
    for array in hidden.values():
        assert f"{array.flat[0]:.6f}" not in public and np.all(np.abs(array) > 0)
