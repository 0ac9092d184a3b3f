"""`autograder validate`: grading.yml, the hidden suites and solutions/ checked against each other."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from autograder.authoring import validate
from autograder.config import load_config

ROOT = Path(__file__).resolve().parents[1]


def config_with(tmp_path: Path, change) -> object:
    data = yaml.safe_load((ROOT / "grading.yml").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "grading.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_config(path)


def test_the_repository_is_consistent():
    assert validate.problems(load_config(), public_checks=False) == []


def test_a_question_without_hidden_cases(tmp_path):
    config = config_with(tmp_path, lambda d: d["questions"].update(
        {"foundations.chain_length_2": {"points": 1}}))
    assert validate.suite_problems(config) == [
        "grading.yml: question foundations.chain_length_2 has no hidden test case "
        "(@pytest.mark.question('foundations.chain_length_2') in autograder/suites/)"]


def test_a_hidden_case_of_an_unknown_question(tmp_path):
    config = config_with(tmp_path, lambda d: d["questions"].pop("foundations.chain_deriv_3"))
    found = validate.suite_problems(config)
    assert found and all("a hidden case of question 'foundations.chain_deriv_3', which grading.yml does "
                         "not have" in p for p in found)
    assert found[0].startswith("autograder/suites/test_foundations.py:")


def test_requires_and_callables_must_name_reference_functions(tmp_path):
    def change(d):
        d["questions"]["foundations.chain_deriv_2"]["requires"] = ["foundations.derive"]
        d["callables"] = d["callables"] + ["foundations.tanh"]
    config = config_with(tmp_path, change)
    assert validate.reference_problems(config) == [
        "grading.yml: questions.foundations.chain_deriv_2.requires names foundations.derive, which the "
        "reference does not define",
        "grading.yml: callables names foundations.tanh, which the reference does not define"]


def test_a_callable_passed_by_name_must_be_declared(tmp_path):
    config = config_with(tmp_path, lambda d: d.update(callables=["foundations.square", "foundations.sigmoid"]))
    found = validate.suite_problems(config)
    assert found and all("passes 'leaky_relu' by name, but grading.yml's callables does not declare it" in p
                         for p in found)


def test_the_command_line(tmp_path):
    config = config_with(tmp_path, lambda d: d["questions"].update(
        {"foundations.chain_length_2": {"points": 1}}))
    del config
    result = subprocess.run([sys.executable, "-m", "autograder", "validate", "--config", str(tmp_path / "grading.yml")],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "question foundations.chain_length_2 has no hidden test case" in result.stderr
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", "data/submissions/ada_nwosu",
                             "--out", str(tmp_path / "out"), "--config", str(tmp_path / "grading.yml")],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "has no hidden test case" in result.stderr
    assert not (tmp_path / "out").exists(), "grade ran student code before validating"


def test_public_checks_that_fail_on_the_reference_are_reported(tmp_path):
    """A reference whose deriv is wrong fails its own public checks: validate says which."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "solutions", repo / "solutions")
    shutil.copytree(ROOT / "autograder", repo / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "grading.yml", repo / "grading.yml")
    (repo / "data").mkdir()
    shutil.copy(ROOT / "data" / "boston_house_prices.csv", repo / "data")
    path = repo / "solutions" / "nn_from_scratch" / "foundations.py"
    text = path.read_text(encoding="utf-8")
    wrong = text.replace("(func(input_ + diff) - func(input_ - diff)) / (2 * diff)", "(func(input_ + diff) - func(input_)) / diff")
    assert wrong != text
    path.write_text(wrong, encoding="utf-8")
    found = validate.public_check_problems(load_config(repo / "grading.yml"), repo)
    assert found and found[0].startswith("public checks on the reference: FAILED") and "foundations.deriv" in found[0]


def test_grade_called_as_a_library_function_validates_first(tmp_path):
    """`grade()` (not only the command line) refuses a grading.yml that disagrees with the suites,
    before it looks at a submission or writes anything."""
    from autograder.config import ConfigError
    from autograder.grade import grade

    config = config_with(tmp_path, lambda d: d["questions"].update({"foundations.chain_length_2": {"points": 1}}))
    with pytest.raises(ConfigError) as raised:
        grade([ROOT / "data" / "submissions"], tmp_path / "out", jobs=1, progress=False, config=config)
    assert str(raised.value) == (
        "grading.yml, the hidden suites and solutions/ disagree, so nothing was graded: grading.yml: question "
        "foundations.chain_length_2 has no hidden test case (@pytest.mark.question('foundations.chain_length_2') "
        "in autograder/suites/)")
    assert not (tmp_path / "out").exists()


def test_a_question_without_a_public_check_is_named_with_where_to_add_one(tmp_path):
    """The README's "Adding a question" without a public check: validate (and release) said only
    "check.py exited 1: " and the last 500 characters of check.py's report, cut mid-name."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "solutions", repo / "solutions")
    shutil.copytree(ROOT / "autograder", repo / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "data").mkdir()
    shutil.copy(ROOT / "data" / "boston_house_prices.csv", repo / "data")
    with open(repo / "solutions" / "nn_from_scratch" / "foundations.py", "a", encoding="utf-8") as f:
        f.write('\n\ndef multiple_inputs_subtract_backward(x, y, sigma):\n'
                '    """Partial derivatives of ``s = σ(x - y)`` by ``x`` and by ``y``."""\n'
                '    # BEGIN SOLUTION\n    dsda = deriv(sigma, x - y)\n    return dsda, -dsda\n    # END SOLUTION\n')
    text = (ROOT / "grading.yml").read_text(encoding="utf-8")
    entry = "  foundations.multiple_inputs_subtract_backward:\n    points: 1\n    requires: [foundations.deriv]\n"
    (repo / "grading.yml").write_text(text.replace("  linear_regression.loss_gradients:\n",
                                                   entry + "  linear_regression.loss_gradients:\n", 1))
    found = validate.public_check_problems(load_config(repo / "grading.yml"), repo)
    assert found == ["public checks on the reference: foundations.multiple_inputs_subtract_backward has no public "
                     "check: add a test marked @question(\"foundations.multiple_inputs_subtract_backward\") to "
                     "solutions/nn_from_scratch/public_tests/test_foundations.py"]
