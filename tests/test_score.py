"""score.py: weighted points per question, status precedence, configuration problems."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder.config import GradingConfig, Limits, QuestionConfig
from autograder.results import CaseResult, Isolation, LoadedSubmission, Outcome, Status
from autograder.judge.score import NO_CASE_MESSAGE, score

CONFIG = GradingConfig(
    assignment="demo",
    modules=["foundations", "linear_regression"],
    limits=Limits(output_kb=1),
    questions={
        "foundations.deriv": QuestionConfig(points=2, rtol=1e-6, atol=1e-9, timeout=10, visibility="visible"),
        "foundations.chain_deriv_2": QuestionConfig(points=3, rtol=1e-6, atol=1e-9, timeout=10, visibility="hidden"),
        "linear_regression.train": QuestionConfig(points=4, rtol=1e-4, atol=1e-6, timeout=30,
                                                  visibility="after_due_date"),
    },
)
BOTH = LoadedSubmission("alice", Path("/tmp/x"), ("foundations", "linear_regression"),
                        notes=("a load note",), suspicious=("conftest.py",))


def case(q: str, outcome: Outcome = Outcome.PASSED, weight: float = 1.0, timed_out: bool = False, name="c"):
    return CaseResult(question=q, name=name, outcome=outcome, message="" if outcome is Outcome.PASSED else "m",
                      weight=weight, timed_out=timed_out)


def all_passing() -> list[CaseResult]:
    return [case("foundations.deriv"), case("foundations.deriv"), case("foundations.chain_deriv_2"),
            case("linear_regression.train")]


def test_full_marks_in_config_order():
    result = score(BOTH, "alice", all_passing(), CONFIG, isolation=Isolation.SANDBOX, seconds=1.5)
    assert [q.id for q in result.questions] == list(CONFIG.questions)
    assert [(q.points, q.max_points, q.visibility) for q in result.questions] == [
        (2.0, 2.0, "visible"), (3.0, 3.0, "hidden"), (4.0, 4.0, "after_due_date")]
    assert (result.total, result.possible, result.status) == (9.0, 9.0, Status.GRADED)
    assert result.isolation is Isolation.SANDBOX and result.seconds == 1.5
    assert result.notes == ("a load note",) and result.suspicious == ("conftest.py",)
    assert result.student == "alice"


def test_points_are_shared_by_weight_and_rounded():
    cases = [case("foundations.chain_deriv_2"), case("foundations.chain_deriv_2", Outcome.FAILED),
             case("foundations.chain_deriv_2", Outcome.FAILED),
             case("linear_regression.train", weight=3), case("linear_regression.train", Outcome.FAILED, weight=1),
             case("foundations.deriv", Outcome.FAILED)]
    result = score(BOTH, "alice", cases, CONFIG, isolation=Isolation.UID)
    assert [q.points for q in result.questions] == [0.0, 1.0, 3.0]
    cases[1:3] = [case("foundations.chain_deriv_2", Outcome.FAILED, weight=2)]
    thirds = score(BOTH, "alice", cases, CONFIG, isolation=Isolation.UID).questions[1].points
    assert thirds == 1.0
    sevenths = score(BOTH, "a", [case("foundations.deriv", weight=1), case("foundations.deriv", Outcome.FAILED, weight=6)]
                     + all_passing()[2:], CONFIG, isolation=Isolation.UID).questions[0].points
    assert sevenths == 0.285714
    assert result.status is Status.GRADED


def test_failures_are_grades_not_errors():
    cases = [case(c.question, Outcome.FAILED) for c in all_passing()]
    result = score(BOTH, "alice", cases, CONFIG, isolation=Isolation.SANDBOX)
    assert result.total == 0.0 and result.status is Status.GRADED


def test_error_beats_timeout_beats_invalid():
    timeout = [*all_passing(), case("foundations.deriv", Outcome.FAILED, timed_out=True)]
    assert score(BOTH, "a", timeout, CONFIG, isolation=Isolation.SANDBOX).status is Status.TIMEOUT
    error = [*timeout, case("linear_regression.train", Outcome.ERROR)]
    result = score(BOTH, "a", error, CONFIG, isolation=Isolation.SANDBOX)
    assert result.status is Status.ERROR
    assert result.questions[2].has_error and result.questions[2].points == 2.0


def test_question_without_cases_is_a_grader_error():
    result = score(BOTH, "alice", all_passing()[:2], CONFIG, isolation=Isolation.SANDBOX)
    chain = result.questions[1]
    assert [(c.name, c.outcome, c.message) for c in chain.cases] == [("hidden tests", Outcome.ERROR, NO_CASE_MESSAGE)]
    assert chain.points == 0.0 and result.status is Status.ERROR


def test_question_of_a_missing_module_without_cases_is_failed_not_an_error():
    loaded = LoadedSubmission("bob", Path("/tmp/x"), ("foundations",))
    result = score(loaded, "bob", all_passing()[:3], CONFIG, isolation=Isolation.SANDBOX)
    train = result.questions[2]
    assert [(c.outcome, c.message) for c in train.cases] == [
        (Outcome.FAILED, "linear_regression.py was not found in your submission, so this question scores 0.")]
    assert result.status is Status.GRADED and result.total == 5.0


@pytest.mark.parametrize("loaded", [None, LoadedSubmission("eve", Path("/tmp/x"), (), notes=("eve.zip is corrupt",))])
def test_no_gradable_module_is_invalid(loaded):
    result = score(loaded, "eve", [], CONFIG, isolation=Isolation.PROCESS)
    assert result.status is Status.INVALID
    assert result.total == 0.0 and result.possible == 9.0
    assert all(c.outcome is Outcome.FAILED for q in result.questions for c in q.cases)
    assert result.notes == (loaded.notes if loaded else ())


def test_invalid_submission_with_failed_cases_from_execute_is_still_invalid():
    cases = [case(c.question, Outcome.FAILED) for c in all_passing()]
    loaded = LoadedSubmission("eve", Path("/tmp/x"), ())
    assert score(loaded, "eve", cases, CONFIG, isolation=Isolation.SANDBOX).status is Status.INVALID


def test_case_of_an_unknown_question_is_an_error_with_a_note():
    cases = [*all_passing(), case("foundations.nope", name="secret test")]
    result = score(BOTH, "alice", cases, CONFIG, isolation=Isolation.SANDBOX, notes=("later note",))
    assert result.status is Status.ERROR
    assert result.total == 9.0
    assert result.notes == (
        "a load note", "later note",
        "grader configuration problem: hidden test 'secret test' belongs to question 'foundations.nope', "
        "which grading.yml does not define; it was not scored",
    )


@pytest.mark.parametrize("weight", [0, -1, float("nan"), float("inf")])
def test_invalid_weight_is_a_grader_error(weight):
    cases = [*all_passing(), case("foundations.deriv", weight=weight)]
    result = score(BOTH, "alice", cases, CONFIG, isolation=Isolation.SANDBOX)
    assert result.status is Status.ERROR
    bad = result.questions[0].cases[-1]
    assert bad.outcome is Outcome.ERROR and bad.detail == f"invalid weight {weight!r} (must be a finite number > 0)"
    assert bad.message == "the grader had a problem with this check (grader configuration problem)"
    assert result.questions[0].points == round(2 * 2 / 3, 6)


def test_long_output_is_cut_to_the_limit_with_a_note():
    result = score(BOTH, "alice", all_passing(), CONFIG, isolation=Isolation.SANDBOX, output="é" * 1000)
    assert len(result.output.encode()) <= 1024 and result.output == "é" * 512
    assert result.notes[-1] == "your code printed more than 1 KB; only the start is shown"
    short = score(BOTH, "alice", all_passing(), CONFIG, isolation=Isolation.SANDBOX, output="hello\n")
    assert short.output == "hello\n" and short.notes == ("a load note",)
