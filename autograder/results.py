"""Plain typed data that flows through a grading run.

Every step of the pipeline (locate -> load -> execute -> compare -> score -> report) passes
these frozen dataclasses on; none of them knows how it is rendered. `report.py` turns them into
`gradebook.csv`, Gradescope `results.json` and `feedback.md`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path


class Outcome(str, Enum):
    """How one hidden test case ended."""

    PASSED = "passed"
    #: The student's code gave a wrong, missing or unusable result. This is a grade, not an error.
    FAILED = "failed"
    #: The grader itself failed (a bug in a hidden test or in the engine): not the student's fault.
    ERROR = "error"


class Status(str, Enum):
    """The `status` column of the gradebook: how grading of one submission went."""

    GRADED = "graded"
    #: The student's code ran out of time in at least one call (those cases score 0).
    TIMEOUT = "timeout"
    #: The grader failed on at least one case: a TA should look (the student is not penalised silently).
    ERROR = "error"
    #: Not a submission: no gradable module was found in it.
    INVALID = "invalid"
    #: On the roster, but nothing was submitted (a gradebook row with 0; see roster.py).
    MISSING = "missing"


class Isolation(str, Enum):
    """How strongly student code was isolated from the grader (stated in every report)."""

    #: Unprivileged uid per slot + resource limits + bubblewrap namespaces and read-only mounts.
    SANDBOX = "sandbox"
    #: Unprivileged uid + resource limits, no namespaces (bubblewrap missing or not working).
    UID = "uid"
    #: A separate process with resource limits only (not root, e.g. macOS or a student laptop).
    PROCESS = "process"
    #: Imported into the grading process itself: only for benchmarks (the "floor"), never for grades.
    NONE = "none"


@dataclass(frozen=True)
class SubmissionSource:
    """A submission found on disk (the result of the *locate* step).

    Attributes:
        student: the student id, from the folder or zip name (``alice`` for ``alice.zip``).
        path: the folder, ``.zip``, ``.py`` or ``.ipynb`` that holds the student's work.
        name, submitted_at, late, email, group, notes: what an LMS export says about it
            (see `autograder.intake.lms`); empty for a plain folder.
    """

    student: str
    path: Path
    #: The student's name as the LMS gives it ("" when the export has none).
    name: str = ""
    #: When the LMS says the submission was made (timezone-aware), or None when it does not say.
    submitted_at: datetime | None = None
    #: The LMS marked the submission late (Canvas's ``_LATE`` in its file names).
    late: bool = False
    #: The student's e-mail address, when the LMS gives it.
    email: str = ""
    #: Every student id of a group submission (this one included); () for a single student.
    group: tuple[str, ...] = ()
    #: Messages about how the submission was taken from the LMS export (resubmissions, renames).
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadedSubmission:
    """A submission copied into a fresh folder the grader owns (the result of the *load* step).

    Attributes:
        student: the student id.
        directory: a fresh folder holding only the gradable modules (``foundations.py``, ...).
        modules: the module names found, e.g. ``("foundations", "linear_regression")``.
        notes: messages for the student and the TA about the files themselves (a module that
            is missing, a notebook converted, files ignored such as ``conftest.py``).
        suspicious: names of ignored files that could be an attempt to tamper with grading.
    """

    student: str
    directory: Path
    modules: tuple[str, ...]
    notes: tuple[str, ...] = ()
    suspicious: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseResult:
    """One hidden test case of one question, as the student will see it.

    Attributes:
        question: the question id, ``<module>.<function>`` (``"foundations.deriv"``).
        name: a short human name for the case (the first line of the test's docstring).
        outcome: passed, failed (a grade) or error (a grader failure).
        message: for a failure, what was called, what was expected and what came back; for
            an error, a generic apology. Never hidden test code or hidden expected values
            beyond what the message chooses to show.
        weight: the case's share of the question's points, relative to its siblings.
        timed_out: True when the case failed because the student's code ran out of time.
        detail: for the TA only (never shown to the student): what went wrong inside the
            grader when `outcome` is ERROR.
        diagnoses: ids of the mistake signatures (`autograder.judge.diagnose.SIGNATURES`) the wrong
            result matched, e.g. ``("averaged_not_summed",)``; empty when none matched.
        series: named number series the case recorded for the reports, e.g. a ``train``
            case's ``(("yours", losses), ("reference", losses))``: one float per iteration
            (NaN where the student's value was not finite). Plain data; empty for most cases.
    """

    question: str
    name: str
    outcome: Outcome
    message: str = ""
    weight: float = 1.0
    timed_out: bool = False
    detail: str = ""
    diagnoses: tuple[str, ...] = ()
    series: tuple[tuple[str, tuple[float, ...]], ...] = ()


@dataclass(frozen=True)
class QuestionResult:
    """The score of one question: its cases and the points they earn.

    Attributes:
        id: the question id.
        points: points earned, ``max_points * passed weight / total weight``.
        max_points: points possible, from ``grading.yml``.
        visibility: Gradescope visibility of this question's entry.
        cases: the question's case results, in suite order.
    """

    id: str
    points: float
    max_points: float
    visibility: str
    cases: tuple[CaseResult, ...]

    @property
    def passed(self) -> bool:
        return bool(self.cases) and all(c.outcome is Outcome.PASSED for c in self.cases)

    @property
    def has_error(self) -> bool:
        return any(c.outcome is Outcome.ERROR for c in self.cases)


@dataclass(frozen=True)
class SubmissionResult:
    """Everything the reports need about one graded submission.

    Attributes:
        student: the student id (one gradebook row each).
        status: see `Status`.
        questions: one entry per question of ``grading.yml``, in its order.
        isolation: the isolation level the student's code ran under.
        notes: submission-level messages (missing module, ignored files, output cut, ...).
        output: what the student's code printed, capped by ``limits.output_kb``.
        seconds: wall-clock time spent grading it.
    """

    student: str
    status: Status
    questions: tuple[QuestionResult, ...]
    isolation: Isolation
    notes: tuple[str, ...] = ()
    output: str = ""
    seconds: float = 0.0
    suspicious: tuple[str, ...] = field(default=())

    @property
    def total(self) -> float:
        return round(sum(q.points for q in self.questions), 6)

    @property
    def possible(self) -> float:
        return round(sum(q.max_points for q in self.questions), 6)
