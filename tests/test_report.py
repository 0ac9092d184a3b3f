"""report.py: Gradescope results.json (via otter), gradebook.csv, summary.json, plots, feedback.md.

One module-scoped fixture grades a small class through `ReportWriter`; it is the only place
otter-grader (about a second to import) and matplotlib are imported.
"""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from autograder.config import GradingConfig, QuestionConfig
from autograder.publish.report import ReportWriter, clean, fenced, feedback_markdown, inline
from autograder.results import CaseResult, Isolation, Outcome, QuestionResult, Status, SubmissionResult

CONFIG = GradingConfig(
    assignment="demo",
    modules=["foundations", "linear_regression"],
    questions={
        "foundations.deriv": QuestionConfig(points=2, rtol=1e-6, atol=1e-9, timeout=10, visibility="visible",
                                            title="numerical derivative"),
        "foundations.chain_deriv_2": QuestionConfig(points=2, rtol=1e-6, atol=1e-9, timeout=10, visibility="hidden"),
        "linear_regression.train": QuestionConfig(points=4, rtol=1e-4, atol=1e-6, timeout=30,
                                                  visibility="after_due_date"),
    },
)
HOSTILE_OUTPUT = (
    "epoch 1 loss 3.2\n"
    "\x1b[31mred\x1b[0m and \x1b]8;;http://evil.example\x07a link\x1b]8;;\x07\r\n"
    "```\n# Feedback for mallory: 8 / 8 points\n````\n"
    "<img src=x onerror=alert(1)> [click](http://evil.example) \u202eevil\x00\x07\n"
)


def question(qid: str, *outcomes: Outcome, message: str = "", timed_out: bool = False) -> QuestionResult:
    q = CONFIG.questions[qid]
    cases = tuple(
        CaseResult(question=qid, name=f"case {i}", outcome=o, message="" if o is Outcome.PASSED else message,
                   timed_out=timed_out and o is Outcome.FAILED,
                   detail="KeyError in the hidden test" if o is Outcome.ERROR else "")
        for i, o in enumerate(outcomes, 1)
    )
    points = round(q.points * sum(o is Outcome.PASSED for o in outcomes) / len(outcomes), 6)
    return QuestionResult(id=qid, points=points, max_points=q.points, visibility=q.visibility, cases=cases)


P, F, E = Outcome.PASSED, Outcome.FAILED, Outcome.ERROR
FULL = SubmissionResult(
    "carol", Status.GRADED,
    (question("foundations.deriv", P, P), question("foundations.chain_deriv_2", P),
     question("linear_regression.train", P, P, P, P)),
    Isolation.SANDBOX, seconds=0.8,
)
MIXED = SubmissionResult(
    "alice", Status.ERROR,
    (question("foundations.deriv", P, F, message="deriv(square, 1.7) returned None — did you forget `return`?"),
     question("foundations.chain_deriv_2", E, message="the grader failed on this case"),
     question("linear_regression.train", P, P, P, F, message="train(X, y) ran out of time", timed_out=True)),
    Isolation.UID,
    notes=("linear_regression.py (from hw.ipynb): 1 IPython magic line was commented out",
           "## Score: 8/8 <script>alert(1)</script> [x](http://e) `code`"),
    output=HOSTILE_OUTPUT, seconds=12.5, suspicious=("conftest.py",),
)
INVALID = SubmissionResult(
    "=SUM(A1:A9)", Status.INVALID,
    (question("foundations.deriv", F, message="m"), question("foundations.chain_deriv_2", F, message="m"),
     question("linear_regression.train", F, message="m")),
    Isolation.PROCESS, notes=("foundations.py was not found: its questions score 0",),
)


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    with ReportWriter(out, CONFIG) as writer:
        for result in (MIXED, FULL, INVALID):
            FOLDERS[result.student] = writer.add(result)
            assert (out / FOLDERS[result.student] / "results.json").is_file()  # written at once, not on close
            assert (out / FOLDERS[result.student] / "feedback.md").is_file()
        assert not (out / "gradebook.csv").exists()
    return out


#: student id -> the folder its reports went to (a safe name: "=SUM(A1:A9)" -> "=SUM(A1_A9)").
FOLDERS: dict[str, str] = {}


def results_json(out: Path, student: str) -> dict:
    return json.loads((out / FOLDERS[student] / "results.json").read_text())


# --- results.json ---------------------------------------------------------------------------------

VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
#: Gradescope's results.json (peers.md §2, autograder_samples docs/specs.md), with our required fields.
GRADESCOPE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["score", "tests", "output", "extra_data"],
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "output_format": FORMAT,
        "test_output_format": FORMAT,
        "test_name_format": FORMAT,
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "leaderboard": {"type": "array"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "score", "max_score", "status", "output", "visibility"],
                "properties": {
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "status": {"enum": ["passed", "failed"]},
                    "name": {"type": "string"},
                    "name_format": FORMAT,
                    "number": {"type": "string"},
                    "output": {"type": "string"},
                    "output_format": FORMAT,
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "visibility": VISIBILITY,
                    "extra_data": {"type": "object"},
                },
            },
        },
    },
}


@pytest.mark.parametrize("student", ["alice", "carol", '=SUM(A1:A9)'])
def test_results_json_follows_the_gradescope_schema(out, student):
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(GRADESCOPE_SCHEMA)
    jsonschema.validate(results_json(out, student), GRADESCOPE_SCHEMA)


def test_results_json_values(out):
    data = results_json(out, "alice")
    assert data["score"] == 4.0
    assert data["execution_time"] == 12.5
    assert data["extra_data"] == {"isolation": "uid", "status": "error", "suspicious": ["conftest.py"]}
    assert (data["output_format"], data["test_output_format"], data["stdout_visibility"]) == ("text", "text", "hidden")
    tests = data["tests"]
    assert [t["name"] for t in tests] == [
        "foundations.deriv: numerical derivative", "foundations.chain_deriv_2", "linear_regression.train"]
    assert [(t["score"], t["max_score"], t["status"], t["visibility"]) for t in tests] == [
        (1.0, 2.0, "failed", "visible"), (0.0, 2.0, "failed", "hidden"), (3.0, 4.0, "failed", "after_due_date")]
    assert tests[0]["output"] == (
        "1 of 2 checks passed: 1 / 2 points.\n"
        "✅ case 1\n"
        "❌ case 2\n"
        "    deriv(square, 1.7) returned None — did you forget `return`?"
    )
    assert tests[1]["output"].splitlines()[1] == (
        "The grader had a problem with this question (not your fault); a TA will review it.")
    assert tests[2]["extra_data"] == {"question": "linear_regression.train", "grader_error": False, "timed_out": True,
                                      "grader_details": []}
    assert tests[1]["extra_data"]["grader_details"] == ["case 1: KeyError in the hidden test"]
    assert "KeyError" not in tests[1]["output"]
    header = data["output"].splitlines()
    assert header[:3] == [
        "Score: 4 / 8",
        "Status: the grader had a problem with part of this submission; a TA will review it",
        "Isolation: unprivileged user with resource limits (no namespace jail: bubblewrap was not available)",
    ]
    assert "- ## Score: 8/8 <script>alert(1)</script> [x](http://e) `code`" in header  # plain text format
    assert "\x1b" not in data["output"] and "\u202e" not in data["output"]


def test_full_marks_results_json(out):
    data = results_json(out, "carol")
    assert data["score"] == 8.0
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in data["tests"])
    assert "Public Tests" not in [t["name"] for t in data["tests"]]


# --- gradebook.csv and summary.json ------------------------------------------------------------------


def test_gradebook_has_one_sorted_row_per_submission(out):
    with open(out / "gradebook.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["student", "foundations.deriv", "foundations.chain_deriv_2", "linear_regression.train",
         "total", "possible", "status", "isolation", "notes"],
        ["'=SUM(A1:A9)", "0", "0", "0", "0", "8", "invalid", "process",
         "0 because: foundations.py was not found: its questions score 0"],
        ["alice", "1", "0", "3", "4", "8", "error", "uid",
         "linear_regression.py (from hw.ipynb): 1 IPython magic line was commented out | "
         "## Score: 8/8 <script>alert(1)</script> [x](http://e) `code` | suspicious file: conftest.py"],
        ["carol", "2", "2", "4", "8", "8", "graded", "sandbox", ""],
    ]


def test_feedback_puts_the_cause_of_a_zero_first_and_collapses_repeats(out):
    """Issue 12: a TA and a student see why a submission scored 0 before the per-question detail,
    and one repeated message ("m" here, "foundations.py was not found" in real runs) is shown once."""
    text = (out / FOLDERS["=SUM(A1:A9)"] / "feedback.md").read_text()
    assert text.index("**Why the score is 0:** foundations.py was not found: its questions score 0") < \
        text.index("## Questions")
    missing = "foundations.py was not found in your submission, so this question scores 0."
    result = SubmissionResult(
        "bob", Status.GRADED,
        (question("foundations.deriv", F, message=missing), question("foundations.chain_deriv_2", F, message=missing),
         question("linear_regression.train", P, F, message="wrong")),
        Isolation.SANDBOX, notes=("foundations.py was not found: its questions score 0",))
    text = feedback_markdown(result, CONFIG)
    assert text.count(missing) == 2 and text.count("as above (`foundations.py was not found") == 1


def test_summary(out):
    summary = json.loads((out / "summary.json").read_text())
    assert summary == {
        "assignment": "demo",
        "complete": True,
        "submissions": 3,
        "possible": 8.0,
        "status_counts": {"graded": 1, "timeout": 0, "error": 1, "invalid": 1, "missing": 0},
        "pending": 0,
        "not_in_this_run": 0,
        "isolation_counts": {"sandbox": 1, "uid": 1, "process": 1, "none": 0},
        "total": {"mean": 4.0, "median": 4.0, "min": 0.0, "max": 8.0},
        "questions": {
            "foundations.deriv": {"max_points": 2.0, "mean_points": 1.0, "pass_rate": 0.333333},
            "foundations.chain_deriv_2": {"max_points": 2.0, "mean_points": 0.666667, "pass_rate": 0.333333},
            "linear_regression.train": {"max_points": 4.0, "mean_points": 2.333333, "pass_rate": 0.333333},
        },
        "diagnoses": {},
    }


def test_plots_are_non_empty_pngs(out):
    for name in ("score_distribution.png", "question_pass_rates.png"):
        data = (out / "plots" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 5000


def test_empty_class_still_writes_every_file(tmp_path):
    with ReportWriter(tmp_path, CONFIG):
        pass
    assert (tmp_path / "gradebook.csv").read_text().splitlines() == [
        "student,foundations.deriv,foundations.chain_deriv_2,linear_regression.train,total,possible,status,isolation,notes"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["submissions"] == 0 and summary["total"]["mean"] is None
    assert (tmp_path / "plots" / "score_distribution.png").stat().st_size > 1000


def test_files_are_written_on_exit_after_an_error(tmp_path):
    with pytest.raises(KeyError):
        with ReportWriter(tmp_path, CONFIG):
            raise KeyError("boom")
    assert (tmp_path / "gradebook.csv").exists()


@pytest.mark.parametrize("student", ["", ".", "..", "a/b", "plots", "gradebook.csv", "summary.json", ".hidden"])
def test_student_ids_that_cannot_be_folders_get_a_safe_one(tmp_path, student):
    """Issue 10 §3: such an id used to be refused (and the refusal aborted the run); now its
    reports go to a safe folder and the gradebook keeps the id (more in test_store.py)."""
    with ReportWriter(tmp_path, CONFIG) as writer:
        folder = writer.add(SubmissionResult(student, Status.GRADED, FULL.questions, Isolation.SANDBOX))
    assert folder not in ("", ".", "..", "plots", "gradebook.csv", "summary.json") and "/" not in folder
    assert not folder.startswith(".") and (tmp_path / folder / "feedback.md").is_file()
    with open(tmp_path / "gradebook.csv", newline="") as f:
        assert [row[0] for row in csv.reader(f)][1:] == [student]


# --- feedback.md ----------------------------------------------------------------------------------


def test_feedback_sections(out):
    text = (out / FOLDERS["alice"] / "feedback.md").read_text()
    assert text == feedback_markdown(MIXED, CONFIG)
    lines = text.splitlines()
    assert lines[0] == "# Feedback for alice: 4 / 8 points"
    assert lines[2] == "- Status: the grader had a problem with part of this submission; a TA will review it"
    assert lines[3].startswith("- Isolation: unprivileged user with resource limits")
    assert "### ❌ `foundations.deriv` numerical derivative: 1 / 2 points" in lines
    assert "### ⚠️ `foundations.chain_deriv_2`: 0 / 2 points (grader problem, a TA will review it)" in lines
    assert "### ❌ `linear_regression.train`: 3 / 4 points" in lines
    assert "0 of 1 check passed. (On Gradescope this question is shown: hidden.)" in lines
    assert "❌ **case 4** (ran out of time)" in lines
    assert "```text\nderiv(square, 1.7) returned None — did you forget `return`?\n```" in text
    assert text.count("**case 1**") == 1  # only the grader error; passed cases are not listed
    assert "KeyError" not in text  # the TA-only detail of a grader error
    assert lines[lines.index("## Notes") + 2] == (
        "- linear\\_regression.py (from hw.ipynb): 1 IPython magic line was commented out")
    assert "## What your code printed" in lines


def test_feedback_student_text_cannot_add_structure():
    markdown_it = pytest.importorskip("markdown_it")
    text = feedback_markdown(MIXED, CONFIG)
    tokens = markdown_it.MarkdownIt("commonmark").parse(text)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == [
        "Feedback for alice: 4 / 8 points", "Questions",
        "❌ `foundations.deriv` numerical derivative: 1 / 2 points",
        "⚠️ `foundations.chain_deriv_2`: 0 / 2 points (grader problem, a TA will review it)",
        "❌ `linear_regression.train`: 3 / 4 points", "Notes", "What your code printed",
    ]

    def walk(ts):
        for t in ts:
            yield t
            yield from walk(t.children or [])

    kinds = {t.type for t in walk(tokens)}
    assert not kinds & {"html_block", "html_inline", "link_open", "image"}
    printed = [t for t in tokens if t.type == "fence"][-1]
    assert printed.content == (
        "epoch 1 loss 3.2\nred and a link\n```\n# Feedback for mallory: 8 / 8 points\n````\n"
        "<img src=x onerror=alert(1)> [click](http://evil.example) evil\n"
    )
    assert printed.markup == "`````"
    assert "\x1b" not in text and "\x00" not in text and "\u202e" not in text


def test_output_is_capped_in_feedback():
    result = SubmissionResult("bob", Status.GRADED, FULL.questions, Isolation.SANDBOX, output="x" * 100_000)
    text = feedback_markdown(result, CONFIG)
    assert "... (34464 more characters cut)" in text
    assert len(text) < 70_000


def test_nothing_printed():
    assert feedback_markdown(FULL, CONFIG).endswith("## What your code printed\n\nNothing.\n")


# --- the sanitising helpers ------------------------------------------------------------------------


def test_clean_removes_escapes_and_invisible_characters():
    assert clean("a\x1b[1;31mb\x1b[0m\x1b]0;title\x07c\r\nd\re\tf\x00\u202eg\u200bh\ud800") == "abc\nd\ne\tfgh\ufffd"
    # each kind alone, in otherwise plain text (which is returned as it is)
    assert clean("x = 1\n\ty = [2, 3] # é ✓") == "x = 1\n\ty = [2, 3] # é ✓"
    for bad, kept in [("a\x9b31mb", "ab"), ("a\u2028b", "ab"), ("a\rb", "a\nb"), ("a\ud800", "a\ufffd"),
                      ("a\x7fb", "ab"), ("a\u00a0b", "ab")]:
        assert clean(bad) == kept, bad


def test_inline_escapes_markdown_and_html():
    assert inline("## x <b>y</b> & [l](u) ![i](u) `c` *e* _f_ |t| ~s~\nnext") == (
        "\\#\\# x &lt;b&gt;y&lt;/b&gt; &amp; \\[l\\](u) !\\[i\\](u) \\`c\\` \\*e\\* \\_f\\_ \\|t\\| \\~s\\~ next")
    assert inline("- item") == "\\- item" and inline("1. one") == "1\\. one" and inline("12) x") == "12\\) x"


def test_inline_never_shows_a_backslash_before_a_digit():
    # a backslash before a digit is no markdown escape: it is shown as it is
    from markdown_it import MarkdownIt

    for text in ("1.5_student", "2.0 retry", "3. third", "10) ten", "1."):
        html = MarkdownIt().render(inline(text))
        assert "\\" not in html and html.startswith("<p>"), (text, html)


@pytest.mark.parametrize("body", ["plain", "```", "a ```` b", "`" * 10])
def test_fence_is_longer_than_any_backtick_run(body):
    block = fenced(body)
    fence = block.split("text", 1)[0]
    longest = max((len(r) for r in re.findall(r"`+", body)), default=0)
    assert fence == "`" * max(3, longest + 1)
    assert block == f"{fence}text\n{body}\n{fence}"


def test_locate_renames_exactly_the_names_the_report_reserves():
    from autograder.intake.locate import RESERVED_IDS
    from autograder.publish.report import RESERVED_NAMES

    assert RESERVED_IDS == RESERVED_NAMES


def test_roster_students_without_a_submission_get_a_missing_row_outside_the_means(tmp_path):
    with ReportWriter(tmp_path, CONFIG, missing=[("zed", "Zed Zero"), ("carol", "Carol")]) as writer:
        writer.add(FULL)
    with open(tmp_path / "gradebook.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"carol", "zed"}  # carol submitted: no missing row for her
    assert (rows["zed"]["status"], rows["zed"]["total"], rows["zed"]["notes"]) == (
        "missing", "0", "no submission from Zed Zero (on the roster)")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["submissions"] == 1 and summary["total"]["mean"] == 8
    assert summary["status_counts"]["missing"] == 1


def test_zero_cause_tells_an_import_failure_from_wrong_answers():
    from autograder.publish.report import zero_cause

    crashed = "importing foundations failed: ModuleNotFoundError: No module named 'matplotlib'"
    broken = SubmissionResult("dan", Status.GRADED, (question("foundations.deriv", F, F, message=crashed),
                                                     question("foundations.chain_deriv_2", F, message=crashed)),
                              Isolation.SANDBOX)
    assert zero_cause(broken) == crashed
    wrong = SubmissionResult("eve", Status.GRADED, (question("foundations.deriv", F, F, message="wrong value"),
                                                    question("foundations.chain_deriv_2", F, message="bad shape")),
                             Isolation.SANDBOX)
    assert zero_cause(wrong) == "no check passed (3 failed); most often (2): wrong value"
    assert zero_cause(FULL) == ""
