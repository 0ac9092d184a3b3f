"""Step 6, *report*: render `SubmissionResult`s; no grading decision is made here.

`ReportWriter` writes, for each submission as soon as it is added:

* ``OUT/<student>/results.json`` -- Gradescope's results schema, built with otter-grader's
  ``GradingResults`` (one test file per question) and then completed with our own names,
  statuses, messages and per-question visibility from grading.yml;
* ``OUT/<student>/feedback.md`` -- what passed, what failed and why, the notes, and what the
  student's code printed;

and on `ReportWriter.close` the class-level files: ``OUT/gradebook.csv`` (one row per
submission), ``OUT/summary.json`` and two plots in ``OUT/plots/``. Only a small gradebook row per
submission is kept in memory.

Student-controlled text (printed output, exception messages inside failure messages, file
names inside notes) is sanitised: ANSI escapes and control characters are removed, it is quoted
in code fences longer than any backtick run it contains, or escaped when it must stay inline,
so it cannot add headings, links, HTML or a fake score line to a report.
"""
from __future__ import annotations

import csv
import functools
import html
import json
import math
import os
import re
import statistics
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.config import GradingConfig
from autograder.results import Isolation, Outcome, QuestionResult, Status, SubmissionResult

#: Names the report itself uses in OUT/; no student folder may take them.
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
    if re.match(r"^([-+*=>]|\d+[.)])", text):
        text = "\\" + text
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


def gradescope_results(result: SubmissionResult, config: GradingConfig) -> dict[str, Any]:
    """The Gradescope ``results.json`` object of one submission, built with otter's GradingResults."""
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
    return data


# --- feedback.md ------------------------------------------------------------------------------------


def feedback_markdown(result: SubmissionResult, config: GradingConfig) -> str:
    """The student's feedback page."""
    out = [
        f"# Feedback for {inline(result.student)}: {_num(result.total)} / {_num(result.possible)} points",
        "",
        f"- Status: {STATUS_TEXT[result.status]}",
        f"- Isolation: {ISOLATION_TEXT[result.isolation]}",
        "",
        "## Questions",
    ]
    for q in result.questions:
        suffix = " (grader problem, a TA will review it)" if q.has_error else ""
        out += ["", f"### {_question_mark(q)} {_question_heading(q, config)}: "
                    f"{_num(q.points)} / {_num(q.max_points)} points{suffix}", ""]
        line = _passed_count(q) + "."
        if q.visibility != "visible":
            line += f" (On Gradescope this question is shown: {q.visibility.replace('_', ' ')}.)"
        out.append(line)
        for c in q.cases:
            if c.outcome is Outcome.PASSED:
                continue
            timed = " (ran out of time)" if c.timed_out else ""
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
    return "\n".join(out) + "\n"


# --- the writer -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    student: str
    points: tuple[float | None, ...]
    passed: tuple[bool, ...]
    total: float
    possible: float
    status: str
    isolation: str


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
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


class ReportWriter:
    """Writes every report of a grading run into `out` (see the module docstring).

    Use as a context manager: the class-level files are written on exit, even after an error.
    """

    def __init__(self, out: Path, config: GradingConfig) -> None:
        self.out = Path(out)
        self.config = config
        self._rows: list[_Row] = []
        self._students: set[str] = set()
        self._closed = False
        self.out.mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> ReportWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def add(self, result: SubmissionResult) -> None:
        """Write the submission's results.json and feedback.md now; remember its gradebook row."""
        if self._closed:
            raise RuntimeError("ReportWriter is closed")
        student = result.student
        if (not student or student in (".", "..") or "/" in student or "\\" in student or "\0" in student
                or student in RESERVED_NAMES or student.startswith(".")):
            raise ValueError(f"student id {student!r} cannot be a folder name in {self.out}")
        if student in self._students:
            raise ValueError(f"student {student!r} was added twice")
        folder = self.out / student
        folder.mkdir(exist_ok=True)
        _atomic_write(folder / "results.json", json.dumps(gradescope_results(result, self.config), indent=2,
                                                          ensure_ascii=False) + "\n")
        _atomic_write(folder / "feedback.md", feedback_markdown(result, self.config))
        by_id = {q.id: q for q in result.questions}
        qids = list(self.config.questions)
        self._students.add(student)
        self._rows.append(_Row(
            student=student,
            points=tuple(by_id[q].points if q in by_id else None for q in qids),
            passed=tuple(q in by_id and by_id[q].passed for q in qids),
            total=result.total,
            possible=result.possible,
            status=result.status.value,
            isolation=result.isolation.value,
        ))

    def close(self) -> None:
        """Write gradebook.csv, summary.json and the plots (once)."""
        if self._closed:
            return
        self._closed = True
        rows = sorted(self._rows, key=lambda r: r.student)
        self._write_gradebook(rows)
        summary = self._summary(rows)
        _atomic_write(self.out / "summary.json", json.dumps(summary, indent=2) + "\n")
        self._write_plots(rows, summary)

    def _write_gradebook(self, rows: list[_Row]) -> None:
        qids = list(self.config.questions)
        fd, tmp = tempfile.mkstemp(dir=self.out, prefix=".gradebook.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["student", *qids, "total", "possible", "status", "isolation"])
            for r in rows:
                writer.writerow([
                    _csv_cell(r.student), *("" if p is None else _num(p) for p in r.points),
                    _num(r.total), _num(r.possible), r.status, r.isolation,
                ])
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.out / "gradebook.csv")

    def _summary(self, rows: list[_Row]) -> dict[str, Any]:
        totals = [r.total for r in rows]
        questions = {}
        for i, (qid, question) in enumerate(self.config.questions.items()):
            points = [r.points[i] or 0.0 for r in rows]
            questions[qid] = {
                "max_points": question.points,
                "mean_points": round(statistics.fmean(points), 6) if rows else None,
                "pass_rate": round(sum(r.passed[i] for r in rows) / len(rows), 6) if rows else None,
            }
        return {
            "assignment": self.config.assignment,
            "submissions": len(rows),
            "possible": self.config.total_points,
            "status_counts": {s.value: sum(r.status == s.value for r in rows) for s in Status},
            "isolation_counts": {i.value: sum(r.isolation == i.value for r in rows) for i in Isolation},
            "total": {
                "mean": round(statistics.fmean(totals), 6) if rows else None,
                "median": round(statistics.median(totals), 6) if rows else None,
                "min": min(totals, default=None),
                "max": max(totals, default=None),
            },
            "questions": questions,
        }

    def _write_plots(self, rows: list[_Row], summary: dict[str, Any]) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # Agg, no pyplot global state
        from matplotlib.figure import Figure

        plots = self.out / "plots"
        plots.mkdir(exist_ok=True)
        possible = self.config.total_points

        fig = Figure(figsize=(7, 4), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        from .html_report import draw_score_histogram  # full marks a bar of its own
        draw_score_histogram(ax, [r.total for r in rows], possible)
        ax.set_title(f"{self.config.assignment}: score distribution (n={len(rows)})")
        if not rows:
            ax.text(0.5, 0.5, "no submissions", transform=ax.transAxes, ha="center", va="center")
        fig.savefig(plots / "score_distribution.png", dpi=100)

        qids = list(self.config.questions)
        rates = [summary["questions"][q]["pass_rate"] or 0.0 for q in qids]
        fig = Figure(figsize=(9, 0.4 * len(qids) + 1.5), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        bars = ax.barh(qids[::-1], rates[::-1], color="#55a868")
        ax.bar_label(bars, labels=[f"{r:.0%}" for r in rates[::-1]], padding=3)
        ax.set(xlim=(0, 1.15), xlabel="share of submissions with full marks on the question")
        fig.suptitle(f"{self.config.assignment}: pass rate per question (n={len(rows)})")
        fig.savefig(plots / "question_pass_rates.png", dpi=100)
