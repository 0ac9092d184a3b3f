"""Step 5, *score*: case outcomes + grading.yml -> one `SubmissionResult`.

Each question of grading.yml gets one `QuestionResult`, in file order. Its points are shared by
its cases in proportion to their weights: ``points = max_points * passed weight / total weight``
(rounded to 6 decimals). The submission's status is, in this order of precedence:

* ``error``   -- a case is a grader error (or the grader configuration is broken): a TA looks;
* ``timeout`` -- the student's code ran out of time in a case;
* ``invalid`` -- the submission had no gradable module at all;
* ``graded``  -- otherwise (wrong answers are grades, not errors).
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace
from typing import Sequence

from autograder.config import GradingConfig
from autograder.results import (
    CaseResult,
    Isolation,
    LoadedSubmission,
    Outcome,
    QuestionResult,
    Status,
    SubmissionResult,
)

NO_CASE_MESSAGE = "no hidden test ran for this question (grader configuration problem)"


def _missing_module_case(qid: str, module: str) -> CaseResult:
    return CaseResult(
        question=qid,
        name="module present",
        outcome=Outcome.FAILED,
        message=f"{module}.py was not found in your submission, so this question scores 0.",
    )


def _checked_weight(case: CaseResult) -> CaseResult:
    weight = case.weight
    if isinstance(weight, (int, float)) and not isinstance(weight, bool) and math.isfinite(weight) and weight > 0:
        return case
    return replace(
        case,
        outcome=Outcome.ERROR,
        message="the grader had a problem with this check (grader configuration problem)",
        weight=1.0,
        detail=f"invalid weight {weight!r} (must be a finite number > 0)",
    )


def score(
    loaded: LoadedSubmission | None,
    student: str,
    cases: Sequence[CaseResult],
    config: GradingConfig,
    *,
    isolation: Isolation,
    notes: Sequence[str] = (),
    output: str = "",
    seconds: float = 0.0,
) -> SubmissionResult:
    """Score one submission.

    Args:
        loaded: the loaded submission, or None if it could not be loaded at all.
        student: the student id.
        cases: every case result of every question, in suite order.
        config: grading.yml.
        isolation: the isolation level the student's code ran under.
        notes: submission-level notes from later steps (appended after the load step's notes).
        output: what the student's code printed (cut to ``limits.output_kb`` here if longer).
        seconds: wall-clock time spent grading it.

    A question without any case gets a FAILED case when its module is missing from the
    submission (nothing could run), else an ERROR case: hidden tests should have run. A case
    for a question that grading.yml does not know makes the status ERROR with a note.
    """
    by_question: dict[str, list[CaseResult]] = defaultdict(list)
    all_notes = list(loaded.notes if loaded is not None else ())
    all_notes.extend(notes)
    orphans = []
    for case in cases:
        if case.question in config.questions:
            by_question[case.question].append(_checked_weight(case))
        else:
            orphans.append(case)
    for case in orphans:
        all_notes.append(
            f"grader configuration problem: hidden test {case.name!r} belongs to question {case.question!r}, "
            f"which grading.yml does not define; it was not scored"
        )

    present = set(loaded.modules) if loaded is not None else set()
    questions = []
    for qid, question in config.questions.items():
        qcases = by_question.get(qid)
        if not qcases:
            module = qid.split(".", 1)[0]
            if module not in present:
                qcases = [_missing_module_case(qid, module)]
            else:
                qcases = [CaseResult(question=qid, name="hidden tests", outcome=Outcome.ERROR, message=NO_CASE_MESSAGE)]
        total = math.fsum(c.weight for c in qcases)
        passed = math.fsum(c.weight for c in qcases if c.outcome is Outcome.PASSED)
        points = round(question.points * passed / total, 6)
        questions.append(QuestionResult(
            id=qid, points=points, max_points=question.points, visibility=question.visibility, cases=tuple(qcases),
        ))

    limit = config.limits.output_kb * 1024
    encoded = output.encode("utf-8", "replace")
    if len(encoded) > limit:
        output = encoded[:limit].decode("utf-8", "ignore")
        all_notes.append(f"your code printed more than {config.limits.output_kb} KB; only the start is shown")

    if orphans or any(q.has_error for q in questions):
        status = Status.ERROR
    elif any(c.timed_out for q in questions for c in q.cases):
        status = Status.TIMEOUT
    elif not present:
        status = Status.INVALID
    else:
        status = Status.GRADED
    return SubmissionResult(
        student=student,
        status=status,
        questions=tuple(questions),
        isolation=isolation,
        notes=tuple(all_notes),
        output=output,
        seconds=seconds,
        suspicious=tuple(loaded.suspicious) if loaded is not None else (),
    )
