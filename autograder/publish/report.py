"""Step 7, *report*: render `SubmissionResult`s; no grading decision is made here.

A grading run renders from the grade store (`store.py`): `write_submission` writes, for one
submission, into its safe folder (`store.safe_folder`; the gradebook keeps the id itself):

* ``OUT/<folder>/results.json`` -- Gradescope's results schema, built with otter-grader's
  ``GradingResults`` (one test file per question) and then completed with our own names,
  statuses, messages and per-question visibility from grading.yml, and the provenance;
* ``OUT/<folder>/feedback.md`` -- what passed, what failed and why, the notes, what the
  student's code printed, and when and with which versions it was graded;

and `write_class_files` the class-level files from the gradebook rows: ``OUT/gradebook.csv``
(one row per submission), ``OUT/summary.json`` and two plots in ``OUT/plots/``. Every file is
written atomically (a temporary file, then a rename). `ReportWriter` does the same for results
held in memory.

Student-controlled text (printed output, exception messages inside failure messages, file
names inside notes) is sanitised: ANSI escapes and control characters are removed, it is quoted
in code fences longer than any backtick run it contains, or escaped when it must stay inline,
so it cannot add headings, links, HTML or a fake score line to a report.
"""
from __future__ import annotations

import csv
import functools
import html
import io
import json
import math
import os
import re
import statistics
import tempfile
import warnings
from pathlib import Path
from typing import Any, Iterable, Sequence

from autograder.config import GradingConfig
from autograder.results import Isolation, Outcome, QuestionResult, Status, SubmissionResult

#: Names the report itself uses in OUT/; no student folder may take them (`store.safe_folder` adds
#: the store's own files; ``report`` holds the class report).
RESERVED_NAMES = frozenset({"plots", "gradebook.csv", "summary.json", "report"})
#: Longest single failure message shown (characters).
MAX_MESSAGE_CHARS = 4000

ISOLATION_TEXT = {
    Isolation.SANDBOX: "sandbox (an unprivileged user with resource limits, inside a bubblewrap jail: "
                       "no network, read-only files)",
    Isolation.UID: "unprivileged user with resource limits (no namespace jail: bubblewrap was not available)",
    Isolation.PROCESS: "separate process with resource limits only (not an unprivileged user)",
    Isolation.NONE: "none: imported into the grading process (benchmark only, not a valid grade)",
}
STATUS_TEXT = {
    Status.GRADED: "graded",
    Status.TIMEOUT: "graded; your code ran out of time in at least one check",
    Status.ERROR: "the grader had a problem with part of this submission; a TA will review it",
    Status.INVALID: "no gradable file was found in this submission",
    Status.MISSING: "nothing was submitted",
}

# --- sanitising student-controlled text -----------------------------------------------------------

_ANSI = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"   # OSC ... BEL/ST (hyperlinks, titles)
    r"|\x1b\[[0-?]*[ -/]*[@-~]"             # CSI (colours, cursor moves)
    r"|\x1b[@-Z\\-_]"                        # other two-byte escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"                # 8-bit CSI
)
#: Characters that can start inline markdown structure ("(" and "!" need a "[", which is escaped).
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]#|~<>])")


def clean(text: str) -> str:
    """Remove ANSI escapes and invisible characters: controls (but newline and tab), format
    characters such as bidi overrides, separators other than the space; lone surrogates become U+FFFD."""
    if text.replace("\n", "").replace("\t", "").isprintable():  # nothing to remove (escapes, \r and
        return text                                              # surrogates are not printable)
    text = _ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch if ch.isprintable() or ch in "\n\t" else ("\ufffd" if "\ud800" <= ch <= "\udfff" else "")
        for ch in text
    )


def inline(text: str) -> str:
    """Student-controlled text made safe for one line of markdown: no structure, no HTML."""
    text = " ".join(clean(text).split())
    text = _MARKDOWN_INLINE.sub(r"\\\1", text)
    text = text.replace("&", "&amp;").replace("\\<", "&lt;").replace("\\>", "&gt;")
    if re.match(r"^[-+*=>]", text):
        text = "\\" + text
    elif re.match(r"^\d+[.)](\s|$)", text):  # an ordered-list marker: escape its "." or ")" (a
        digits = len(text) - len(text.lstrip("0123456789"))  # backslash before a digit would show)
        text = text[:digits] + "\\" + text[digits:]
    return text


def fenced(text: str, info: str = "text") -> str:
    """A code block that `text` cannot close: the fence is longer than any backtick run in it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip(chr(10))}\n{fence}"


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + f"\n... ({len(text) - limit} more characters cut)"


def _num(x: float) -> str:
    """Points as text: no trailing zeros, at most 6 decimals (2, 1.5, 0.333333)."""
    text = f"{round(float(x), 6):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --- otter-grader (imported lazily: it costs about a second) ---------------------------------------


@functools.cache
def _otter() -> dict[str, Any]:
    with warnings.catch_warnings():  # otter's dependencies warn about their own deprecations on import
        warnings.simplefilter("ignore", DeprecationWarning)
        from otter.run.run_autograder.autograder_config import AutograderConfig
        from otter.test_files import GradingResults, TestCase, TestCaseResult
        from otter.test_files.exception_test import ExceptionTestFile

    return {
        "AutograderConfig": AutograderConfig, "GradingResults": GradingResults, "TestCase": TestCase,
        "TestCaseResult": TestCaseResult, "ExceptionTestFile": ExceptionTestFile,
    }


@functools.cache
def _otter_config() -> Any:
    """The options of otter's results.json: built once (~1 ms each time)."""
    return _otter()["AutograderConfig"]({"show_hidden": True, "force_public_test_summary": False,
                                         "show_stdout": False})


def _case_mark(outcome: Outcome) -> str:
    return {Outcome.PASSED: "✅", Outcome.FAILED: "❌", Outcome.ERROR: "⚠️"}[outcome]


def _question_mark(q: QuestionResult) -> str:
    return "⚠️" if q.has_error else "✅" if q.passed else "❌"


def _question_title(q: QuestionResult, config: GradingConfig) -> str:
    title = config.questions[q.id].title if q.id in config.questions else ""
    return f"{q.id}: {title}" if title else q.id


def _question_heading(q: QuestionResult, config: GradingConfig) -> str:
    """The question id as code (ids are identifiers from grading.yml), then its title, escaped."""
    title = config.questions[q.id].title if q.id in config.questions else ""
    return f"`{q.id}`" + (f" {inline(title)}" if title else "")


def _passed_count(q: QuestionResult) -> str:
    n = len(q.cases)
    k = sum(c.outcome is Outcome.PASSED for c in q.cases)
    return f"{k} of {n} check{'s' if n != 1 else ''} passed"


def _question_text(q: QuestionResult) -> str:
    """Plain-text output of one question for Gradescope (shown in a <pre> block)."""
    lines = [f"{_passed_count(q)}: {_num(q.points)} / {_num(q.max_points)} points."]
    if q.has_error:
        lines.append("The grader had a problem with this question (not your fault); a TA will review it.")
    for c in q.cases:
        lines.append(f"{_case_mark(c.outcome)} {clean(c.name)}")
        if c.outcome is not Outcome.PASSED and c.message:
            lines.extend("    " + line for line in _cap(clean(c.message), MAX_MESSAGE_CHARS).splitlines())
    return "\n".join(lines)


def _header_text(result: SubmissionResult, output_limit: int) -> str:
    lines = [
        f"Score: {_num(result.total)} / {_num(result.possible)}",
        f"Status: {STATUS_TEXT[result.status]}",
        f"Isolation: {ISOLATION_TEXT[result.isolation]}",
    ]
    if result.notes:
        lines.append("Notes:")
        lines.extend(f"- {' '.join(clean(n).split())}" for n in result.notes)
    if result.output:
        lines.append("What your code printed:")
        lines.append(_cap(clean(result.output), output_limit))
    return "\n".join(lines)


def gradescope_results(result: SubmissionResult, config: GradingConfig, provenance: Any = None) -> dict[str, Any]:
    """The Gradescope ``results.json`` object of one submission, built with otter's GradingResults.

    `provenance` (a `store.Provenance`, optional) adds ``extra_data.provenance``: when it was
    graded and short hashes of each question's suite, config, reference and engine."""
    otter = _otter()
    test_files = []
    for q in result.questions:
        total_weight = math.fsum(c.weight for c in q.cases) or 1.0
        cases, outcomes = [], []
        for c in q.cases:
            case = otter["TestCase"](
                name=clean(c.name), body=None, hidden=q.visibility != "visible",
                points=q.max_points * c.weight / total_weight, success_message=None, failure_message=None,
            )
            cases.append(case)
            outcomes.append(otter["TestCaseResult"](
                test_case=case, message=clean(c.message) or None, passed=c.outcome is Outcome.PASSED))
        test_file = otter["ExceptionTestFile"](name=q.id, path="", test_cases=cases, all_or_nothing=False)
        test_file.test_case_results = outcomes
        test_file.update_score(q.points)  # our rounding is the grade
        test_files.append(test_file)
    grading = otter["GradingResults"](test_files)
    grading.set_output(_header_text(result, config.limits.output_kb * 1024))
    # show_hidden + no forced summary: one entry per question, no "Public Tests" entry (visibility set below)
    data = grading.to_gradescope_dict(_otter_config())

    entries = {entry["name"]: entry for entry in data["tests"]}
    if list(entries) != [q.id for q in result.questions]:
        raise RuntimeError(f"otter produced tests {list(entries)}, expected one per question")
    for q in result.questions:
        entries[q.id].update({
            "name": _question_title(q, config),
            "score": q.points,
            "max_score": q.max_points,
            "status": "passed" if q.passed else "failed",
            "output": _question_text(q),
            "output_format": "text",
            "visibility": q.visibility,
            "extra_data": {"question": q.id, "grader_error": q.has_error,
                           "timed_out": any(c.timed_out for c in q.cases),
                           # stored by Gradescope, never shown to students: for the TA
                           "grader_details": [f"{c.name}: {c.detail}" for c in q.cases if c.detail]},
        })
    data.update({
        "score": result.total,
        "execution_time": round(result.seconds, 3),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "stdout_visibility": "hidden",
        "extra_data": {
            "isolation": result.isolation.value,
            "status": result.status.value,
            "suspicious": list(result.suspicious),
        },
    })
    if provenance is not None:
        data["extra_data"]["provenance"] = provenance.as_dict()
    return data


# --- feedback.md ------------------------------------------------------------------------------------


#: Words of a load-step note that explain a zero (a file missing, unreadable, ambiguous or broken).
_ZERO_CAUSE_WORDS = ("was not found", "nothing was graded", "is ambiguous", "not one of the expected",
                     "Error:", "could not be", "score 0")


def zero_cause(result: SubmissionResult) -> str:
    """Why a submission scored 0, in one line, for the top of its feedback and its gradebook notes.

    Args:
        result: a graded submission.

    Returns:
        "" when the total is above 0 (or nothing was possible); else the notes that explain the
        zero (a missing or unreadable file, a syntax error), or the most frequent first line of
        the failed cases' messages (an import that failed, every check wrong).
    """
    if result.total > 0 or result.possible <= 0:
        return ""
    causes = [n for n in result.notes if any(w in n for w in _ZERO_CAUSE_WORDS)]
    if causes:
        return "; ".join(causes[:3]) + (f" (and {len(causes) - 3} more)" if len(causes) > 3 else "")
    firsts: dict[str, int] = {}
    for q in result.questions:
        for c in q.cases:
            if c.outcome is not Outcome.PASSED and c.message.strip():
                line = clean(c.message).strip().splitlines()[0][:200]
                firsts[line] = firsts.get(line, 0) + 1
    if not firsts:
        return ""
    line, count = max(firsts.items(), key=lambda kv: kv[1])
    if len(firsts) == 1:
        return line
    return f"no check passed ({sum(firsts.values())} failed); most often ({count}): {line}"


def feedback_markdown(result: SubmissionResult, config: GradingConfig, provenance: Any = None,
                      final: Any = None) -> str:
    """The student's feedback page. With `provenance` (a `store.Provenance`) it ends with when and
    with which versions of the hidden tests, grading.yml and reference it was graded; `final` (a
    `policy.FinalGrade`) adds the late policy and the TA's overrides, each with its reason."""
    out = [
        f"# Feedback for {inline(result.student)}: {_num(result.total)} / {_num(result.possible)} points",
        "",
        f"- Status: {STATUS_TEXT[result.status]}",
        f"- Isolation: {ISOLATION_TEXT[result.isolation]}",
        "",
    ]
    cause = zero_cause(result)
    if cause:
        out[-1:-1] = [f"- **Why the score is 0:** {inline(cause)}"]
    if final is not None:
        shown_final = "excused" if final.excused else f"{_num(final.final)} / {_num(result.possible)} points"
        out += ["## Final score", "", f"- Final score: {shown_final}"]
        out += [f"- {inline(n)}" for n in final.notes]
        out.append("")
    out.append("## Questions")
    shown: set[str] = set()
    for q in result.questions:
        suffix = " (grader problem, a TA will review it)" if q.has_error else ""
        out += ["", f"### {_question_mark(q)} {_question_heading(q, config)}: "
                    f"{_num(q.points)} / {_num(q.max_points)} points{suffix}", ""]
        line = _passed_count(q) + "."
        if q.visibility != "visible":
            line += f" (On Gradescope this question is shown: {q.visibility.replace('_', ' ')}.)"
        out.append(line)
        for c in q.cases:
            if c.outcome is Outcome.PASSED and not c.message:  # a passed case may carry a note
                continue
            timed = " (ran out of time)" if c.timed_out else ""
            if c.message in shown and "was not found" in c.message:  # once, not once per question
                first = clean(c.message).strip().splitlines()[0] if clean(c.message).strip() else ""
                shown_first = f"`{first[:120]}`" if "`" not in first else inline(first[:120])
                out += ["", f"{_case_mark(c.outcome)} **{inline(c.name)}**{timed}: as above ({shown_first})"]
                continue
            shown.add(c.message)
            out += ["", f"{_case_mark(c.outcome)} **{inline(c.name)}**{timed}"]
            if c.message:
                out += ["", fenced(_cap(clean(c.message), MAX_MESSAGE_CHARS))]
    if result.notes:
        out += ["", "## Notes", ""]
        out += [f"- {inline(note)}" for note in result.notes]
    out += ["", "## What your code printed", ""]
    printed = clean(result.output)
    if printed.strip():
        out.append(fenced(_cap(printed, config.limits.output_kb * 1024)))
    else:
        out.append("Nothing.")
    if provenance is not None:
        out += ["", "## How this was graded", "",
                f"Graded {provenance.graded_at} (UTC); your files: `{provenance.content}`. "
                "Short hashes of what graded each question:", ""]
        out += [f"- `{qid}`: tests `{p['suite']}`, grading.yml `{p['config']}`, reference `{p['reference']}`, "
                f"engine `{p['engine']}`, graded {p['graded_at']}" for qid, p in provenance.questions.items()]
    return "\n".join(out) + "\n"


# --- the writer -------------------------------------------------------------------------------------


def diagnosis_counts(results: Iterable[SubmissionResult],
                     into: dict[str, dict[str, int]] | None = None) -> dict[str, dict[str, int]]:
    """Per question id, how many submissions showed each mistake signature (`CaseResult.diagnoses`).

    A submission counts once per signature and question, however many of its cases showed it.
    Adds to `into` when given (and returns it): summary.json's ``diagnoses``.
    """
    counts = {} if into is None else into
    for result in results:
        for q in result.questions:
            for sig in sorted({d for c in q.cases for d in c.diagnoses}):
                counts.setdefault(q.id, {})
                counts[q.id][sig] = counts[q.id].get(sig, 0) + 1
    return {q: dict(sorted(c.items())) for q, c in sorted(counts.items())} if into is None else counts


def _one_line_notes(result: SubmissionResult) -> str:
    """The gradebook's ``notes`` cell: why a zero, every note (file-name fix-ups, LMS flags) and every
    suspicious file, on one line."""
    parts = []
    cause = zero_cause(result)
    if cause:
        parts.append(f"0 because: {cause}")
    parts += [n for n in result.notes if n not in cause]
    parts += [f"suspicious file: {name}" for name in result.suspicious]
    return " | ".join(" ".join(clean(p).split()) for p in parts)


def row_annotation(result: SubmissionResult, final: Any = None) -> tuple[str, tuple[str, ...]]:
    """A gradebook row's extra cells for one result: its ``notes`` cell (`_one_line_notes`, then
    the notes of `final`), and with `final` (a `policy.FinalGrade`) the cells ``raw``,
    ``lateness_hours``, ``late_penalty``, ``final``, ``overrides``, ``name``."""
    notes = " | ".join(p for p in (_one_line_notes(result), *(final.notes if final else ())) if p)
    cells = () if final is None else (
        _num(final.raw), _num(final.lateness_hours), _num(final.penalty),
        "EX" if final.excused else _num(final.final), "; ".join(final.audit), final.name)
    return notes, cells


#: The gradebook's columns after ``notes`` when a late policy, overrides or a roster apply.
FINAL_COLUMNS = ("raw", "lateness_hours", "late_penalty", "final", "overrides", "name")


def _atomic_write(path: Path, text: str | bytes) -> None:
    """Write `path` whole or not at all: a temporary file in the same folder, then a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if isinstance(text, bytes):
            with os.fdopen(fd, "wb") as f:
                f.write(text)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _csv_cell(text: str) -> str:
    """Keep a spreadsheet from reading a student id as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_submission(out: Path, folder: str, result: SubmissionResult, config: GradingConfig,
                     provenance: Any = None, final: Any = None) -> None:
    """Write ``out/<folder>/results.json`` and ``feedback.md`` of one submission, each atomically.

    Args:
        out: the report folder. folder: the submission's folder name (`store.safe_folder`).
        result: its scored result. config: grading.yml. provenance: a `store.Provenance` or None.
        final: its `policy.FinalGrade` (late policy, overrides) or None.
    """
    if folder in ("", ".", "..") or "/" in folder or "\\" in folder or "\0" in folder or folder.startswith("."):
        raise ValueError(f"{folder!r} cannot be a folder name in {out}")
    path = Path(out) / folder
    path.mkdir(exist_ok=True)
    # one line: json's C encoder (indent= takes the pure-Python one, ~5 ms a file; a points-only
    # change rewrites every student's file)
    _atomic_write(path / "results.json", json.dumps(gradescope_results(result, config, provenance),
                                                    ensure_ascii=False) + "\n")
    _atomic_write(path / "feedback.md", feedback_markdown(result, config, provenance, final))


def write_class_files(out: Path, config: GradingConfig, rows: list, *, complete: bool = True,
                      extra: dict[str, Any] | None = None, plots: bool = True,
                      annotations: dict[str, tuple[str, tuple[str, ...]]] | None = None,
                      final_columns: bool = False, missing: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """Write ``gradebook.csv``, ``summary.json`` and the plots from gradebook rows, each atomically.

    Args:
        out: the report folder. config: grading.yml.
        rows: `store.StoredRow`s, sorted by student. A pending row has no points; its status
            column says ``pending``. A row kept from an earlier run says ``not in this run``.
        complete: False while some row is still to grade (``summary.json``'s ``complete``).
        extra: more keys for summary.json (e.g. ``look_alike_ids``).
        plots: also draw the plots (a run's start skips them).
        annotations: {student: `row_annotation(...)`}: the ``notes`` cell and, with
            `final_columns`, the `FINAL_COLUMNS` cells of each row.
        final_columns: add the `FINAL_COLUMNS` (a late policy, overrides or a roster applies).
        missing: (id, name) of roster students with no submission: a row each with status
            ``missing`` and 0, left out of the means and plots (counted apart).

    Returns:
        The summary written. Means, medians and pass rates count the rows that have points.
    """
    from ..store.grades import StoredRow

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    have = {r.student for r in rows}
    absent = [StoredRow(student, "", Status.MISSING.value, Status.MISSING.value, {}, {}, 0.0, config.total_points, "")
              for student, name in missing if student not in have]
    annotations = dict(annotations or {})
    for (student, name) in missing:
        if student not in have:
            annotations[student] = (f"no submission from {name or student} (on the roster)",
                                    ("0", "0", "0", "0", "", name) if final_columns else ())
    gradebook = sorted([*rows, *absent], key=lambda r: r.student)
    _write_gradebook(out, config, gradebook, annotations, final_columns)
    summary = _summary(config, rows, complete)
    summary["status_counts"][Status.MISSING.value] = len(absent)
    summary.update(extra or {})
    _atomic_write(out / "summary.json", json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    if plots:
        _write_plots(out, config, [r for r in rows if r.total is not None], summary)
    return summary


class ReportWriter:
    """Renders results one by one into `out`, then the class files (see the module docstring).

    A grading run renders from the grade store instead (`grade.py`); this writer is for results
    held in memory. Adding a student twice replaces its files and row. Use as a context manager:
    the class-level files are written on exit, even after an error.
    """

    def __init__(self, out: Path, config: GradingConfig, *, finalize: Any = None,
                 missing: Sequence[tuple[str, str]] = ()) -> None:
        """`finalize(result) -> policy.FinalGrade` adds the `FINAL_COLUMNS` (and the final score to
        the feedback); `missing` is (id, name) of roster students who submitted nothing: each gets
        a row with status ``missing`` and 0."""
        self.out = Path(out)
        self.config = config
        self.finalize = finalize
        self.missing = tuple(missing)
        self._annotations: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._rows: dict[str, Any] = {}
        self._folders: dict[str, str] = {}
        self._closed = False
        self.out.mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> ReportWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def add(self, result: SubmissionResult, provenance: Any = None) -> str:
        """Write the submission's results.json and feedback.md now; remember its gradebook row.

        Returns the folder it was written to: a safe, unique name made from the student id
        (`store.safe_folder`); the gradebook keeps the id itself.
        """
        from ..store.grades import StoredRow, safe_folder

        if self._closed:
            raise RuntimeError("ReportWriter is closed")
        student = result.student
        if student not in self._folders:
            self._folders[student] = safe_folder(student, self._folders.values())
        folder = self._folders[student]
        final = self.finalize(result) if self.finalize is not None else None
        write_submission(self.out, folder, result, self.config, provenance, final)
        self._annotations[student] = row_annotation(result, final)
        self._rows[student] = StoredRow(
            student, folder, "done", result.status.value, {q.id: q.points for q in result.questions},
            {q.id: q.passed for q in result.questions}, result.total, result.possible, result.isolation.value)
        return folder

    def close(self) -> None:
        """Write gradebook.csv, summary.json and the plots (once)."""
        if self._closed:
            return
        self._closed = True
        write_class_files(self.out, self.config, [self._rows[k] for k in sorted(self._rows)],
                          annotations=self._annotations, final_columns=self.finalize is not None,
                          missing=self.missing)


def _write_gradebook(out: Path, config: GradingConfig, rows: list,
                     annotations: dict[str, tuple[str, tuple[str, ...]]], final_columns: bool) -> None:
    qids = list(config.questions)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["student", *qids, "total", "possible", "status", "isolation", "notes",
                     *(FINAL_COLUMNS if final_columns else ())])
    for r in rows:
        notes, cells = annotations.get(r.student, ("", ()))
        cells = tuple(cells) + ("",) * (len(FINAL_COLUMNS) - len(cells)) if final_columns else ()
        tail = [_csv_cell(notes), *(_csv_cell(c) for c in cells)]
        if r.total is None:
            writer.writerow([_csv_cell(r.student), *("" for _ in qids), "", "", r.status, r.isolation, *tail])
            continue
        writer.writerow([
            _csv_cell(r.student), *("" if r.points.get(q) is None else _num(r.points[q]) for q in qids),
            _num(r.total), _num(r.possible), r.status, r.isolation, *tail,
        ])
    _atomic_write(out / "gradebook.csv", text.getvalue())


def _summary(config: GradingConfig, rows: list, complete: bool) -> dict[str, Any]:
    from ..store.grades import NOT_IN_THIS_RUN, PENDING

    graded = [r for r in rows if r.total is not None]
    totals = [r.total for r in graded]
    questions = {}
    for qid, question in config.questions.items():
        points = [r.points.get(qid) or 0.0 for r in graded]
        questions[qid] = {
            "max_points": question.points,
            "mean_points": round(statistics.fmean(points), 6) if graded else None,
            "pass_rate": round(sum(bool(r.passed.get(qid)) for r in graded) / len(graded), 6) if graded else None,
        }
    kept = [r for r in graded if r.status == NOT_IN_THIS_RUN]
    return {
        "assignment": config.assignment,
        "complete": complete,
        "submissions": len(rows),
        "possible": config.total_points,
        "status_counts": {s.value: sum(r.status == s.value for r in rows) for s in Status},
        "pending": sum(r.status == PENDING for r in rows),
        "not_in_this_run": len(kept),
        "isolation_counts": {i.value: sum(r.isolation == i.value for r in graded) for i in Isolation},
        "total": {
            "mean": round(statistics.fmean(totals), 6) if graded else None,
            "median": round(statistics.median(totals), 6) if graded else None,
            "min": min(totals, default=None),
            "max": max(totals, default=None),
        },
        "questions": questions,
        "diagnoses": {},
    }


def _save_figure(fig: Any, path: Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    _atomic_write(path, buffer.getvalue())


def _write_plots(out: Path, config: GradingConfig, rows: list, summary: dict[str, Any]) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # Agg, no pyplot global state
    from matplotlib.figure import Figure

    plots = out / "plots"
    plots.mkdir(exist_ok=True)
    possible = config.total_points

    fig = Figure(figsize=(7, 4), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    from .html_report import draw_score_histogram  # full marks a bar of its own
    draw_score_histogram(ax, [r.total for r in rows], possible)
    ax.set_title(f"{config.assignment}: score distribution (n={len(rows)})")
    if not rows:
        ax.text(0.5, 0.5, "no submissions", transform=ax.transAxes, ha="center", va="center")
    _save_figure(fig, plots / "score_distribution.png")

    qids = list(config.questions)
    rates = [summary["questions"][q]["pass_rate"] or 0.0 for q in qids]
    fig = Figure(figsize=(9, 0.4 * len(qids) + 1.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    bars = ax.barh(qids[::-1], rates[::-1], color="#55a868")
    ax.bar_label(bars, labels=[f"{r:.0%}" for r in rates[::-1]], padding=3)
    ax.set(xlim=(0, 1.15), xlabel="share of submissions with full marks on the question")
    fig.suptitle(f"{config.assignment}: pass rate per question (n={len(rows)})")
    _save_figure(fig, plots / "question_pass_rates.png")
