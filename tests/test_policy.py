"""policy.py: late policy (deadline, grace, DST, extension, group), overrides, input checks (issue 12)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from autograder.config import LatePolicy, load_config
from autograder.judge.policy import (Override, PolicyError, final_grade, lms_inputs_problems, read_overrides)
from autograder.results import Isolation, QuestionResult, Status, SubmissionResult, SubmissionSource

LA = ZoneInfo("America/Los_Angeles")
POLICY = LatePolicy(due="2026-11-20T17:00:00", timezone="America/Los_Angeles", grace_minutes=15,
                    penalty_per_day=10, max_late_days=3)
FIXTURES = Path(__file__).parent / "fixtures" / "lms"


def result(student: str = "1002", points: float = 20) -> SubmissionResult:
    q = QuestionResult("foundations.deriv", 2.0, 2.0, "visible", ())
    rest = QuestionResult("linear_regression.train", points - 2.0, 28.0, "visible", ())
    return SubmissionResult(student, Status.GRADED, (q, rest), Isolation.SANDBOX)


def at(text: str, student: str = "1002", **kw) -> SubmissionSource:
    return SubmissionSource(student, Path("x"), submitted_at=datetime.fromisoformat(text).replace(tzinfo=LA), **kw)


def test_exactly_at_the_deadline_is_on_time():
    g = final_grade(result(), at("2026-11-20T17:00:00"), policy=POLICY)
    assert (g.lateness_hours, g.penalty, g.final) == (0, 0, 20)


def test_inside_the_grace_period_is_on_time_and_past_it_counts_from_the_due_date():
    assert final_grade(result(), at("2026-11-20T17:15:00"), policy=POLICY).penalty == 0
    g = final_grade(result(), at("2026-11-20T17:15:01"), policy=POLICY)
    assert g.lateness_hours == pytest.approx(0.25, abs=1e-3) and g.penalty == 2 and g.final == 18
    assert "1 started day(s) x 10%" in g.notes[0]


def test_lateness_across_a_daylight_saving_change_is_real_elapsed_time():
    """Due 1 Nov 2026 00:00 PDT; submitted 23:30 PST the same calendar day: 24.5 real hours, so 2
    started days (wall-clock subtraction in one zoneinfo zone would say 23.5 h and 1 day)."""
    policy = POLICY.model_copy(update={"due": "2026-11-01T00:00:00", "grace_minutes": 0})
    g = final_grade(result(), at("2026-11-01T23:30:00"), policy=policy)
    assert g.lateness_hours == 24.5
    assert g.penalty == 4 and g.final == 16


def test_past_the_maximum_lateness_the_score_is_zero():
    g = final_grade(result(), at("2026-11-23T17:00:01"), policy=POLICY)
    assert g.final == 0 and g.penalty == 20


def test_an_extension_moves_the_due_date_for_that_student_only():
    ext = {"1002": datetime(2026, 11, 22, 17, tzinfo=LA)}
    g = final_grade(result(), at("2026-11-22T12:00:00"), policy=POLICY, extensions=ext)
    assert g.penalty == 0 and g.final == 20 and g.notes == ("extension to 2026-11-22T17:00:00-08:00",)
    other = final_grade(result("1003"), at("2026-11-22T12:00:00", "1003"), policy=POLICY, extensions=ext)
    assert other.penalty == 4  # 43 h late: 2 started days x 10% of 20
    policy = POLICY.model_copy(update={"extensions": {"1003": "2026-11-22T17:00:00"}})
    assert final_grade(result("1003"), at("2026-11-22T12:00:00", "1003"), policy=policy).penalty == 0


def test_a_group_shares_its_submission_time_and_its_latest_extension():
    ext = {"1006": datetime(2026, 11, 22, 17, tzinfo=LA)}
    grace = at("2026-11-21T18:30:00", "1002", group=("1002", "1006"))
    g = final_grade(result("1002"), grace, policy=POLICY, extensions=ext)
    assert g.penalty == 0 and g.notes == ("extension of group member 1006 to 2026-11-22T17:00:00-08:00",)
    alone = final_grade(result("1002"), at("2026-11-21T18:30:00", "1002"), policy=POLICY, extensions=ext)
    assert alone.penalty == 4  # 25.5 h: 2 started days


def test_canvas_late_flag_without_time_is_noted_not_penalised():
    g = final_grade(result(), SubmissionSource("1002", Path("x"), late=True), policy=POLICY)
    assert g.penalty == 0 and "gave no time" in g.notes[0]


def test_overrides_apply_with_reason_and_audit_and_ex_excuses():
    overrides = [Override("1002", "foundations.deriv", 0.5, "copied from a friend"),
                 Override("1003", "total", None, "medical")]
    g = final_grade(result(), at("2026-11-20T12:00:00"), policy=POLICY, overrides=overrides)
    assert g.raw == 18.5 and g.final == 18.5
    assert g.audit == ("foundations.deriv: 2 -> 0.5 (copied from a friend)",)
    ex = final_grade(result("1003"), None, overrides=overrides)
    assert ex.excused and ex.final is None and ex.audit == ("total: excused (medical)",)


def test_overrides_file_needs_a_reason(tmp_path):
    (tmp_path / "o.csv").write_text("student,question,points,reason\n1002,total,25,\n")
    with pytest.raises(PolicyError, match="line 2: every override needs a reason"):
        read_overrides(tmp_path / "o.csv")
    assert read_overrides(FIXTURES / "overrides.csv")[0].question == "foundations.deriv"


def test_inputs_that_do_not_fit_are_listed_before_grading():
    config = load_config(FIXTURES / "grading.yml")
    sources = [SubmissionSource("1002", Path("x"))]
    problems = lms_inputs_problems(config, sources=sources, overrides=[
        Override("1002", "foundations.derivv", 1, "r"), Override("9999", "total", 1, "r"),
        Override("1002", "foundations.deriv", 5, "r")])
    assert problems == [
        "overrides: 1002: unknown question 'foundations.derivv' (use a question id of grading.yml or total)",
        "overrides: unknown student '9999' (not among the submissions or on the roster)",
        "overrides: 1002: 5 points for foundations.deriv, which is worth 2",
    ]
    bad = config.model_copy(update={"late": POLICY.model_copy(update={"due": "next friday", "timezone": "Mars/Base"})})
    assert lms_inputs_problems(bad) == [
        "grading.yml: late.due: 'next friday' is not a date and time (ISO 8601, e.g. 2026-11-20T17:00)"]


def test_fixture_config_matches_the_repositorys_questions():
    assert load_config(FIXTURES / "grading.yml").questions == load_config().questions


def test_per_hour_penalty_and_a_late_day_budget():
    hourly = POLICY.model_copy(update={"penalty_per_day": 0, "penalty_per_hour": 1, "grace_minutes": 0})
    g = final_grade(result(), at("2026-11-20T19:30:00"), policy=hourly)
    assert g.penalty == 0.6 and "3 started hour(s) x 1%" in g.notes[0]   # 2.5 h -> 3 hours x 1 % of 20
    budget = POLICY.model_copy(update={"late_day_budget": 2, "grace_minutes": 0})
    assert final_grade(result(), at("2026-11-22T16:00:00"), policy=budget).penalty == 0     # 2 days: free
    assert final_grade(result(), at("2026-11-22T18:00:00"), policy=budget).penalty == 2     # day 3: 10 %
    no_penalty = budget.model_copy(update={"penalty_per_day": 0})
    assert final_grade(result(), at("2026-11-22T18:00:00"), policy=no_penalty).final == 0   # past the budget


def test_naive_times_are_read_in_the_policys_zone():
    g = final_grade(result(), SubmissionSource("1002", Path("x"), submitted_at=datetime(2026, 11, 20, 17, 20)),
                    policy=POLICY)
    assert g.lateness_hours == pytest.approx(20 / 60, abs=1e-3)


def test_report_options_match_overrides_and_times_by_roster_keys():
    from autograder.judge.policy import report_options
    from autograder.intake.roster import read_roster

    config = load_config(FIXTURES / "grading.yml")
    roster = read_roster(FIXTURES / "canvas_gradebook.csv")
    sources = [SubmissionSource("S1002", Path("x")), SubmissionSource("stranger", Path("y"))]
    options = report_options(config, sources, roster=roster,
                             overrides=[Override("gkim", "total", 25, "regrade")],
                             times={"1002": datetime(2026, 11, 21, 18, 30, tzinfo=LA)})
    g = options["finalize"](result("S1002", 28))
    assert g.penalty == 5.6 and g.final == 25 and g.audit == ("total: 22.4 -> 25 (regrade)",)
    assert options["finalize"](result("stranger")).notes[-1] == "not on the roster"
    assert [m[0] for m in options["missing"]] == ["1001", "1003", "1004", "1005", "1006"]


def test_grading_yml_late_section_reads_yaml_dates_and_numeric_ids(tmp_path):
    text = (FIXTURES / "grading.yml").read_text() + "  extensions:\n    1004: 2026-11-23T17:00:00\n"
    (tmp_path / "grading.yml").write_text(text)
    late = load_config(tmp_path / "grading.yml").late
    assert late.timezone == "America/Los_Angeles" and late.grace_minutes == 15
    assert list(late.extensions) == ["1004"]
    g = final_grade(result("1004"), at("2026-11-22T09:12:00", "1004"), policy=late)
    assert g.penalty == 0 and g.notes == ("extension to 2026-11-23T17:00:00-08:00",)
    (tmp_path / "bad.yml").write_text(text.replace("penalty_per_day: 10", "penalty_per_dya: 10"))
    from autograder.config import ConfigError
    with pytest.raises(ConfigError, match="late.penalty_per_dya: unknown key"):
        load_config(tmp_path / "bad.yml")
