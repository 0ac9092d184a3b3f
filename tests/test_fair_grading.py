"""Fair grades on real code (issue 13), end to end: tests/submissions/mistakes/ (the reference
with one change each, built by tests/make_mistakes.py) graded in one batch with two correct
submissions: the points each one earns, what its feedback names, and the signature counts in
summary.json."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MISTAKES = ROOT / "tests" / "submissions" / "mistakes"

#: student -> (question, points, text its feedback must show)
EXPECTED = {
    "extra_debug_keys": ("linear_regression.loss_gradients", 4.0,
                         "returned extra keys ('dLdP', 'dLdN') besides 'W', 'B'; they are ignored, not graded."),
    "minus_equals_on_forward_info": ("linear_regression.loss_gradients", 3.6, "changed its input forward_info['P']"),
    "numerical_loss_gradients": ("neural_network.loss_gradients", 0.0, "ignores forward_info's cached values"),
    "train_inline_start": ("linear_regression.train", 4.0, ""),
    "train_public_weights": ("linear_regression.train", 3.2, "the trained model's test MSE is"),
    "train_shuffles_x_y_apart": ("linear_regression.train", 2.0, "index both with the same permutation"),
    "train_unseeded_start": ("neural_network.train", 3.2, "called twice, started from different weights"),
    "train_steps_uphill_twice": ("neural_network.train", 3.2, "did not take the steps of gradient descent"),
    "nested_tuple": ("foundations.multiple_inputs_add_backward", 0.0,
                     "returned a tuple shaped (an array (3,), a tuple of 2 items"),
    "deriv_integer_dtype": ("foundations.deriv", 1.5, "deriv(sigmoid, np.array(3)) returned 0"),
    "chain_f3_at_f1": ("foundations.chain_deriv_3", 0.0, "Hint: a derivative is taken at the wrong point"),
}

DIAGNOSES = {
    "foundations.chain_deriv_3": {"derivative_at_wrong_point": 1},
    "foundations.deriv": {"integer_truncation": 1},
    "linear_regression.loss_gradients": {"inputs_modified": 1},
    "linear_regression.train": {"train_not_gradient_descent": 1, "train_shuffles_x_y_apart": 1},
    "neural_network.train": {"train_not_gradient_descent": 1, "train_wrong_start": 1},
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fair")
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(MISTAKES), str(ROOT / "data/submissions/ada_nwosu"),
                    str(ROOT / "data/submissions/elena_petrova"), "--out", str(out), "-q"],
                   check=True, cwd=ROOT, capture_output=True, timeout=600)
    return out


@pytest.mark.slow
def test_each_mistake_costs_what_it_should_and_is_named(graded: Path):
    rows = {r["student"]: r for r in csv.DictReader((graded / "gradebook.csv").open())}
    assert set(rows) == set(EXPECTED) | {"ada_nwosu", "elena_petrova"}
    assert {r["status"] for r in rows.values()} == {"graded"}
    for student, (question, points, text) in EXPECTED.items():
        assert float(rows[student][question]) == pytest.approx(points), student
        assert text in (graded / student / "feedback.md").read_text(), student
    for student in ("ada_nwosu", "elena_petrova"):
        assert rows[student]["total"] == "30"
        assert "Hint:" not in (graded / student / "feedback.md").read_text()


@pytest.mark.slow
def test_summary_counts_the_signatures_per_question(graded: Path):
    assert json.loads((graded / "summary.json").read_text())["diagnoses"] == DIAGNOSES
