"""grading.yml: the schema, resolution against defaults, and errors that name the key."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder.config import DEFAULT_PATH, ConfigError, GradingConfig, QuestionConfig, load_config

MINIMAL = """\
assignment: demo
modules: [foundations, linear_regression]
defaults:
  rtol: 1.0e-6
  atol: 1.0e-9
  timeout: 10
  visibility: visible
limits:
  submission_timeout: 120
  memory_mb: 1024
  cpu_seconds: 60
  processes: 32
  file_size_mb: 16
  open_files: 64
  scratch_mb: 32
  output_kb: 64
questions:
  foundations.deriv:
    points: 2
  linear_regression.train:
    points: 4
    rtol: 1.0e-4
    timeout: 30
    visibility: after_due_date
    requires: [linear_regression.forward]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "grading.yml"
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return str(info.value)


def test_repository_grading_yml_loads_with_resolved_questions():
    config = load_config()
    assert DEFAULT_PATH.name == "grading.yml" and DEFAULT_PATH.parent.name == Path(__file__).parents[1].name
    assert config.assignment == "nn_from_scratch"
    assert config.modules == ["foundations", "linear_regression", "neural_network"]
    assert list(config.questions)[:2] == ["foundations.deriv", "foundations.chain_deriv_2"]
    assert config.total_points == sum(q.points for q in config.questions.values())
    assert config.callables == ("foundations.square", "foundations.sigmoid", "foundations.leaky_relu")
    assert config.notebook.mode == "definitions"
    train = config.question("linear_regression.train")
    assert (train.points, train.rtol, train.atol, train.timeout) == (4.0, 1e-4, 1e-6, 30.0)
    assert train.requires == ("linear_regression.forward", "linear_regression.loss_gradients")
    deriv = config.question("foundations.deriv")
    assert (deriv.rtol, deriv.atol, deriv.timeout, deriv.visibility, deriv.requires) == (
        1e-6, 1e-9, 10.0, "visible", ())
    assert config.limits.output_kb == 64 and config.limits.memory_mb == 1024


def test_unset_values_come_from_defaults_and_set_values_win(tmp_path):
    config = load_config(write(tmp_path, MINIMAL.replace("rtol: 1.0e-6", "rtol: 0.5")))
    assert config.question("foundations.deriv") == QuestionConfig(
        points=2, rtol=0.5, atol=1e-9, timeout=10, visibility="visible")
    train = config.question("linear_regression.train")
    assert (train.rtol, train.atol, train.timeout, train.visibility) == (1e-4, 1e-9, 30, "after_due_date")
    assert config.total_points == 6.0


def test_question_lookup_names_the_known_ids():
    config = load_config()
    with pytest.raises(KeyError, match="unknown question 'foundations.nope'.*foundations.deriv"):
        config.question("foundations.nope")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    points: 2\n", "    pointz: 2\n",
         "grading.yml: questions.foundations.deriv.pointz: unknown key"),
        ("    points: 2\n", "    points: 0\n",
         "grading.yml: questions.foundations.deriv.points: must be greater than 0 (got 0)"),
        ("    points: 2\n", "    points: -1\n",
         "grading.yml: questions.foundations.deriv.points: must be greater than 0 (got -1)"),
        ("  rtol: 1.0e-6\n", "  rtol: abc\n", "grading.yml: defaults.rtol: must be a number (got 'abc')"),
        ("  atol: 1.0e-9\n", "  atol: -1.0e-9\n", "grading.yml: defaults.atol: must be at least 0 (got -1e-09)"),
        ("  timeout: 10\n", "  timeout: 0\n", "grading.yml: defaults.timeout: must be greater than 0 (got 0)"),
        ("  visibility: visible\n", "  visibility: public\n",
         "grading.yml: defaults.visibility: must be one of 'visible', 'hidden', 'after_due_date' or "
         "'after_published' (got 'public')"),
        ("  memory_mb: 1024\n", "  memory_mb: 1.5\n", "grading.yml: limits.memory_mb: must be a whole number (got 1.5)"),
        ("  output_kb: 64\n", "  output_kb: 64\n  swap_mb: 4\n", "grading.yml: limits.swap_mb: unknown key"),
        ("assignment: demo\n", "assignment: demo\ncolour: blue\n", "grading.yml: colour: unknown key"),
        ("assignment: demo\n", "", "grading.yml: assignment: required key is missing"),
        ("    timeout: 30\n", "    timeout: 30\n    rtol: 1.0e-5\n",
         "grading.yml: line 24, column 5: not valid YAML: duplicate key 'rtol'"),
        ("  foundations.deriv:\n", "  foundation.deriv:\n",
         "grading.yml: questions.foundation.deriv: question id 'foundation.deriv' names module 'foundation', "
         "which is not in modules ['foundations', 'linear_regression']"),
        ("  foundations.deriv:\n", "  foundations-deriv:\n",
         "grading.yml: questions.foundations-deriv: question id 'foundations-deriv' must look like "
         "<module>.<function>"),
        ("[linear_regression.forward]", "[linear_regression.forward, forward]",
         "grading.yml: questions.linear_regression.train.requires[1]: entry 'forward' must look like "
         "<module>.<function>"),
        ("[linear_regression.forward]", "[linear_regression.train]",
         "grading.yml: questions.linear_regression.train.requires[0]: a question cannot require itself"),
        ("[linear_regression.forward]", "linear_regression.forward",
         "grading.yml: questions.linear_regression.train.requires: input should be a valid list "
         "(got 'linear_regression.forward')"),
        ("modules: [foundations, linear_regression]", "modules: [foundations, foundations]",
         "grading.yml: modules: a module is listed twice"),
    ],
)
def test_errors_name_the_file_and_the_dotted_key(tmp_path, monkeypatch, old, new, message):
    monkeypatch.chdir(tmp_path)
    assert old in MINIMAL
    lines = error_of(tmp_path, MINIMAL.replace(old, new, 1)).splitlines()
    assert any(line.startswith(message) for line in lines), lines


def test_every_problem_is_reported_at_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = MINIMAL.replace("    points: 2\n", "    pointz: 2\n").replace("  output_kb: 64\n", "  output_kb: 0\n")
    assert error_of(tmp_path, text).splitlines() == [
        "grading.yml: limits.output_kb: must be greater than 0 (got 0)",
        "grading.yml: questions.foundations.deriv.points: required key is missing",
        "grading.yml: questions.foundations.deriv.pointz: unknown key",
    ]


def test_file_level_errors(tmp_path):
    with pytest.raises(ConfigError, match="nope.yml: file not found"):
        load_config(tmp_path / "nope.yml")
    assert "not valid YAML" in error_of(tmp_path, "questions: [\n")
    assert "must be a mapping" in error_of(tmp_path, "- just\n- a list\n")
    assert "questions: must not be empty" in error_of(tmp_path, MINIMAL.split("questions:")[0] + "questions: {}\n")


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


def test_models_are_frozen_and_validate_when_built_in_code():
    config = load_config()
    with pytest.raises(Exception):
        config.assignment = "other"  # type: ignore[misc]
    with pytest.raises(ValueError, match="question id 'nope.f' names module 'nope'"):
        GradingConfig(
            assignment="x", modules=["foundations"],
            questions={"nope.f": QuestionConfig(points=1, rtol=0, atol=0, timeout=1, visibility="hidden")},
        )
