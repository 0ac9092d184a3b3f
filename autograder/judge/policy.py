"""Late policy and TA overrides: pure functions from a graded `SubmissionResult` (plus what the LMS
said about the submission) to a `FinalGrade`. Nothing here grades or renders; the report applies
them when it writes, so every regrade (or a re-render of stored results) keeps them.

Order: question overrides replace a question's points -> raw score -> late penalty -> a ``total``
override replaces the final score (``EX`` excuses the student).

Lateness is real elapsed time: both times are converted to UTC before subtracting (two aware times
in the same `zoneinfo` zone subtract as wall clocks in Python, which would be an hour off across a
daylight-saving change).
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from autograder.config import LatePolicy
from autograder.results import SubmissionResult, SubmissionSource

EXCUSED = "EX"


class PolicyError(ValueError):
    """A late policy, extension, times or overrides file that cannot be used (the message says where)."""


@dataclass(frozen=True)
class Override:
    """One row of overrides.csv: `points` for `question` (a question id or ``total``), or excused."""

    student: str
    question: str
    points: float | None  # None: excused (EX)
    reason: str


@dataclass(frozen=True)
class FinalGrade:
    """What the gradebook and the LMS get for one student.

    Attributes:
        raw: points after question overrides, before the late penalty.
        lateness_hours: real hours past the (extended) due date, 0 when on time or unknown.
        penalty: points taken for lateness (>= 0).
        final: the score to upload (points), or None when excused.
        excused: the student is excused (``EX``).
        due: the due date that applied (ISO 8601), "" without a late policy.
        audit: every override applied, ``"question: old -> new (reason)"``.
        notes: one line per decision (late, extension, no time known, override), for the feedback.
        name: the student's name, when known.
    """

    raw: float
    lateness_hours: float
    penalty: float
    final: float | None
    excused: bool = False
    due: str = ""
    audit: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: The student's name (from the roster, else the LMS), for the gradebook.
    name: str = ""


def _zone(policy: LatePolicy) -> ZoneInfo:
    try:
        return ZoneInfo(policy.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PolicyError(f"late.timezone: unknown time zone {policy.timezone!r} (use an IANA name such as "
                          f"America/Los_Angeles)") from None


def parse_due(text: str | datetime, policy: LatePolicy, where: str = "late.due") -> datetime:
    """A due date: ISO 8601; without an offset it is read in the policy's time zone (zoneinfo).

    Raises:
        PolicyError: not a date and time, or an unknown time zone.
    """
    try:
        when = text if isinstance(text, datetime) else datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise PolicyError(f"{where}: {text!r} is not a date and time (ISO 8601, e.g. 2026-11-20T17:00)") from None
    return when if when.tzinfo else when.replace(tzinfo=_zone(policy))


def due_for(student: str, policy: LatePolicy, extensions: dict[str, datetime],
            group: tuple[str, ...] = ()) -> tuple[datetime, str]:
    """The due date that applies to `student` and a note when it is an extension. A group
    submission gets the latest due date of any of its members."""
    base = parse_due(policy.due, policy)
    best, note = base, ""
    for member in (student, *group):
        own = extensions.get(member)
        if own is None and member in policy.extensions:
            own = parse_due(policy.extensions[member], policy, f"late.extensions.{member}")
        if own is not None and own > best:
            best = own
            note = (f"extension to {best.isoformat()}" if member == student
                    else f"extension of group member {member} to {best.isoformat()}")
    return best, note


def late_penalty(raw: float, submitted: datetime, due: datetime, policy: LatePolicy) -> tuple[float, float, str]:
    """The late penalty of a submission made at `submitted` for a `due` date.

    Args:
        raw: the raw score (points).
        submitted, due: aware datetimes (a naive `submitted` is read in the policy's time zone).
        policy: grading.yml's ``late:``.

    Returns:
        ``(lateness_hours, penalty_points, note)``: lateness in real hours past `due` (0 when on
        time, including within the grace period), the points taken (``raw`` at most) and a
        sentence for the feedback ("" when on time).
    """
    if submitted.tzinfo is None:
        submitted = submitted.replace(tzinfo=_zone(policy))
    late = submitted.astimezone(timezone.utc) - due.astimezone(timezone.utc)
    if late <= timedelta(minutes=policy.grace_minutes):
        return 0.0, 0.0, ""
    hours = late.total_seconds() / 3600
    days = math.ceil(hours / 24 - 1e-9)
    if policy.max_late_days is not None and hours > policy.max_late_days * 24:
        return hours, raw, f"{hours:.1f} h late, more than the {policy.max_late_days:g} days accepted: score 0"
    if policy.late_day_budget and days <= policy.late_day_budget:
        return hours, 0.0, f"{hours:.1f} h late: {days} late day(s) of the {policy.late_day_budget} allowed, no penalty"
    charged_days = days - policy.late_day_budget
    if policy.penalty_per_hour:
        charged_hours = math.ceil(hours - 24 * policy.late_day_budget - 1e-9)
        percent = min(100.0, charged_hours * policy.penalty_per_hour)
        unit = f"{charged_hours} started hour(s) x {policy.penalty_per_hour:g}%"
    elif policy.penalty_per_day:
        percent = min(100.0, charged_days * policy.penalty_per_day)
        unit = f"{charged_days} started day(s) x {policy.penalty_per_day:g}%"
    else:  # a budget and no penalty: past the budget nothing is accepted
        return hours, raw, f"{hours:.1f} h late, past the {policy.late_day_budget} late days allowed: score 0"
    penalty = round(raw * percent / 100, 6)
    return hours, penalty, f"{hours:.1f} h late: {unit} = {percent:g}% of {raw:g} points, -{penalty:g}"


def final_grade(result: SubmissionResult, source: SubmissionSource | None = None, *,
                policy: LatePolicy | None = None, extensions: dict[str, datetime] | None = None,
                times: dict[str, datetime] | None = None,
                overrides: list[Override] | tuple[Override, ...] = ()) -> FinalGrade:
    """Apply overrides and the late policy to one graded submission.

    Args:
        result: the graded submission (its points per question).
        source: what the LMS said about it (time, LATE flag, group), or None.
        policy: grading.yml's ``late:``; None: no penalty.
        extensions: student id -> their due date (from ``--extensions``), beside grading.yml's.
        times: student id -> submission time (from ``--times``), used before the LMS's time.
        overrides: the rows of overrides.csv for this student.

    Returns:
        The `FinalGrade`; points are rounded to 6 decimals.
    """
    student = result.student
    mine = [o for o in overrides if o.student == student]
    points = {q.id: q.points for q in result.questions}
    audit, notes = [], []
    for o in mine:
        if o.question in points and o.points is not None:
            audit.append(f"{o.question}: {points[o.question]:g} -> {o.points:g} ({o.reason})")
            notes.append(f"override of {o.question}: {o.points:g} points ({o.reason})")
            points[o.question] = o.points
    raw = round(sum(points.values()), 6)
    hours = penalty = 0.0
    due_text = ""
    if policy is not None:
        due, extension = due_for(student, policy, extensions or {}, source.group if source else ())
        due_text = due.isoformat()
        if extension:
            notes.append(extension)
        when = (times or {}).get(student) or (source.submitted_at if source else None)
        if when is None and source and source.group:
            when = next(((times or {}).get(m) for m in source.group if (times or {}).get(m)), None)
        if when is not None:
            hours, penalty, note = late_penalty(raw, when, due, policy)
            if note:
                notes.append(note)
        elif source is not None and source.late:
            notes.append("the LMS marked this submission late but gave no time: no penalty applied "
                         "(give --times to apply the late policy)")
    final: float | None = round(max(0.0, raw - penalty), 6)
    excused = False
    for o in mine:
        if o.question == "total":
            if o.points is None:
                excused, final = True, None
                audit.append(f"total: excused ({o.reason})")
                notes.append(f"excused ({o.reason})")
            else:
                audit.append(f"total: {final if final is not None else EXCUSED} -> {o.points:g} ({o.reason})")
                notes.append(f"override of the total: {o.points:g} points ({o.reason})")
                final, excused = o.points, False
    return FinalGrade(raw, round(hours, 3), round(penalty, 6), final, excused, due_text, tuple(audit), tuple(notes),
                      name=source.name if source else "")


# --- the TA's files -------------------------------------------------------------------------------------


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PolicyError(f"{path}: cannot be read: {exc}") from None
    return [{(k or "").strip().lower(): (v or "").strip() for k, v in row.items()} for row in rows]


def read_overrides(path: Path) -> list[Override]:
    """overrides.csv: columns ``student,question,points,reason`` (question: an id or ``total``;
    points: a number, or ``EX`` to excuse).

    Raises:
        PolicyError: a missing column, an empty reason, or points that are not a number (line given).
    """
    out = []
    rows = _rows(path)
    if rows and not {"student", "question", "points", "reason"} <= set(rows[0]):
        raise PolicyError(f"{path}: needs the columns student,question,points,reason")
    for line, row in enumerate(rows, start=2):
        if not row.get("student"):
            continue
        text = row.get("points", "")
        if text.upper() == EXCUSED:
            points = None
        else:
            try:
                points = float(text)
            except ValueError:
                raise PolicyError(f"{path} line {line}: points {text!r} is not a number or EX") from None
            if not math.isfinite(points) or points < 0:
                raise PolicyError(f"{path} line {line}: points must be a number >= 0")
        if not row.get("reason"):
            raise PolicyError(f"{path} line {line}: every override needs a reason (the student sees it)")
        out.append(Override(row["student"], row.get("question", ""), points, row["reason"]))
    return out


def read_times(path: Path, column: str = "submitted_at") -> dict[str, datetime]:
    """A ``student,<column>`` CSV (``--times`` with ``submitted_at``; ``--extensions`` with ``due``)
    -> student id -> time (naive times stay naive: the late policy reads them in its time zone).

    Raises:
        PolicyError: a missing column or a value that is not a time.
    """
    from autograder.intake.lms import parse_time

    out = {}
    rows = _rows(path)
    if rows and not {"student", column} <= set(rows[0]):
        raise PolicyError(f"{path}: needs the columns student,{column}")
    for line, row in enumerate(rows, start=2):
        if not row.get("student"):
            continue
        try:
            when = parse_time(row.get(column))
        except ValueError as exc:
            raise PolicyError(f"{path} line {line}: {exc}") from None
        if when is not None:
            out[row["student"]] = when
    return out


def localize(times: dict[str, datetime], policy: LatePolicy | None) -> dict[str, datetime]:
    """Naive times read in the policy's zone (UTC without a policy)."""
    zone = _zone(policy) if policy else timezone.utc
    return {k: v if v.tzinfo else v.replace(tzinfo=zone) for k, v in times.items()}


def lms_inputs_problems(config, *, sources=None, overrides=(), roster=None, extensions=None, times=None) -> list[str]:
    """Check grading.yml's late policy, overrides, roster, extensions and times against each other and
    against the submissions found, before any student code runs. (``autograder validate`` checks
    grading.yml against the hidden suites and the solutions; call both.)

    Args:
        config: the `GradingConfig`.
        sources: the `SubmissionSource`s found (None: students are checked against the roster only).
        overrides: `Override` rows. roster: a `roster.Roster` or None.
        extensions, times: student id -> datetime, from ``--extensions`` and ``--times``.

    Returns:
        One line per problem, naming the file or key; [] when everything fits.
    """
    problems: list[str] = []
    policy = config.late
    if policy is not None:
        try:
            parse_due(policy.due, policy)
            for student, text in policy.extensions.items():
                parse_due(text, policy, f"late.extensions.{student}")
        except PolicyError as exc:
            problems.append(f"grading.yml: {exc}")
        if policy.penalty_per_day and policy.penalty_per_hour:
            problems.append("grading.yml: late: give penalty_per_day or penalty_per_hour, not both")
    elif extensions or times:
        problems.append("--extensions/--times given, but grading.yml has no late: policy (due date)")
    known: set[str] = set()
    if sources is not None:
        for s in sources:
            known |= {s.student, *s.group}
            if s.email:
                known.add(s.email.lower())
    if roster is not None:
        for e in roster.students:
            known |= {e.id, e.sis_id, e.login.lower(), e.email.lower()} - {""}
    check_students = sources is not None or roster is not None

    def unknown(student: str) -> bool:
        return check_students and student not in known and student.lower() not in known

    for o in overrides:
        if o.question != "total" and o.question not in config.questions:
            problems.append(f"overrides: {o.student}: unknown question {o.question!r} (use a question id of "
                            f"grading.yml or total)")
        elif o.question != "total" and o.points is not None and o.points > config.questions[o.question].points:
            problems.append(f"overrides: {o.student}: {o.points:g} points for {o.question}, which is worth "
                            f"{config.questions[o.question].points:g}")
        elif o.question != "total" and o.points is None:
            problems.append(f"overrides: {o.student}: EX excuses a whole assignment: use question total")
        if unknown(o.student):
            problems.append(f"overrides: unknown student {o.student!r} (not among the submissions or on the roster)")
    for what, table in (("--extensions", extensions or {}), ("late.extensions", policy.extensions if policy else {})):
        for student in table:
            if unknown(student):
                problems.append(f"{what}: unknown student {student!r}")
    return problems


def report_options(config, sources, *, roster=None, overrides=(), extensions=None, times=None) -> dict:
    """The `report.ReportWriter` keyword arguments that apply the late policy, the overrides and the
    roster to a run's results: ``finalize(result) -> FinalGrade`` and ``missing`` (id, name) pairs.

    Overrides, extensions and times may name a student by the submission's id or, with a roster,
    by its roster id, SIS id, login or e-mail. A submission the roster does not know is flagged
    ("not on the roster").

    Args:
        config: the `GradingConfig` (its ``late`` policy). sources: the run's `SubmissionSource`s.
        roster: a `roster.Roster` or None. overrides: `Override` rows.
        extensions, times: student key -> aware datetime (see `localize`).

    Returns:
        ``{"finalize": ..., "missing": [...]}``.
    """
    from dataclasses import replace

    by_student = {s.student: s for s in sources}
    matched = {s.student: roster.match(s) for s in sources} if roster is not None else {}
    alias: dict[str, str] = {}
    for student, entry in matched.items():
        if entry is not None:
            for key in (entry.id, entry.sis_id, entry.login.lower(), entry.email.lower()):
                if key:
                    alias.setdefault(key, student)

    def own(key: str) -> str:
        return key if key in by_student else alias.get(key, alias.get(key.lower(), key))

    overrides = [replace(o, student=own(o.student)) for o in overrides]
    extensions = {own(k): v for k, v in (extensions or {}).items()}
    times = {own(k): v for k, v in (times or {}).items()}

    def finalize(result: SubmissionResult) -> FinalGrade:
        grade = final_grade(result, by_student.get(result.student), policy=config.late, extensions=extensions,
                            times=times, overrides=overrides)
        entry = matched.get(result.student)
        if roster is not None and entry is None:
            grade = replace(grade, notes=(*grade.notes, "not on the roster"))
        elif entry is not None and entry.name:
            grade = replace(grade, name=entry.name)
        return grade

    missing = []
    if roster is not None:
        found = {e.id for e in matched.values() if e is not None}
        missing = [(e.id, e.name) for e in roster.students if e.id not in found]
    return {"finalize": finalize, "missing": missing}
