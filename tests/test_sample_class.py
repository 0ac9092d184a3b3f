"""End to end: the sample class in data/submissions/ gets exactly the grades of
tests/sample_class_expected.yml, with the intended feedback, at the strongest isolation available.

The class is graded once per module (`class_run`, two jobs); the reports of that run are read by
most tests. Grading it again with one job, grading two students alone and the command line must
give the same gradebook rows. The command line runs in the background while the one-job run
goes (`cli_process`), which keeps the file near a minute: the student whose code loops forever
costs its question's 10 s timeout in every run.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from autograder.config import load_config
from autograder.grade import grade
from autograder.results import Status
from autograder.run.sandbox import detect_isolation

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CLASS = ROOT / "data" / "submissions"
EXPECTED = yaml.safe_load((Path(__file__).with_name("sample_class_expected.yml")).read_text())
STUDENTS: dict[str, dict] = EXPECTED["students"]
CONFIG = load_config()
QUESTIONS = {qid: q.points for qid, q in CONFIG.questions.items()}


def expected_questions(student: str) -> dict[str, dict]:
    """{question id: {"earns": share of its points, "message": ...}} for every question that does
    not earn full points: `questions`, `modules` and `all_questions` of the yml, filled in."""
    want = STUDENTS[student]
    out = {}
    for qid in QUESTIONS:
        module, _, function = qid.partition(".")
        entry = want.get("questions", {}).get(qid) or want.get("modules", {}).get(module) \
            or want.get("all_questions")
        if entry is not None:
            message = entry["message"]
            fill = (lambda m: m.format(module=module, function=function))
            out[qid] = {"earns": entry["earns"],
                        "message": fill(message) if isinstance(message, str) else [fill(m) for m in message]}
    return out


POSSIBLE = CONFIG.total_points
TOTALS = {s: round(sum(QUESTIONS[q] * e["earns"] for q, e in expected_questions(s).items())
                   + sum(p for q, p in QUESTIONS.items() if q not in expected_questions(s)), 6)
          for s in STUDENTS}
FULL_MARKS = sorted(s for s in STUDENTS if TOTALS[s] == POSSIBLE)
TIMING = re.compile(r"second|time|duration|elapsed", re.IGNORECASE)


# -- helpers ---------------------------------------------------------------------------------------
def messages(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def expected_points(student: str) -> dict[str, float]:
    """Every question's points, from grading.yml: its share for the listed ones, full for the others."""
    listed = expected_questions(student)
    return {qid: round(points * listed[qid]["earns"], 6) if qid in listed else float(points)
            for qid, points in QUESTIONS.items()}


def read_gradebook(path: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        header = list(reader.fieldnames or [])
    by_student = {row["student"]: row for row in rows}
    assert len(by_student) == len(rows), "a student has more than one gradebook row"
    return header, by_student


def without_timing_columns(text: str) -> str:
    """The gradebook with every column about time removed (there is none today)."""
    rows = list(csv.reader(io.StringIO(text)))
    keep = [i for i, name in enumerate(rows[0]) if not TIMING.search(name)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([[row[i] for i in keep] for row in rows])
    return out.getvalue()


def snapshot(folder: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under `folder`."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


class Run:
    """The reports of one grading run."""

    def __init__(self, summary, out: Path) -> None:
        self.summary, self.out = summary, out
        self.header, self.rows = read_gradebook(out / "gradebook.csv")

    def feedback(self, student: str) -> str:
        return (self.out / student / "feedback.md").read_text(encoding="utf-8")

    def results(self, student: str) -> dict:
        return json.loads((self.out / student / "results.json").read_text(encoding="utf-8"))


# -- the runs --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def class_before() -> dict[str, str]:
    return snapshot(CLASS)


@pytest.fixture(scope="module")
def class_run(tmp_path_factory: pytest.TempPathFactory, class_before) -> Run:
    out = tmp_path_factory.mktemp("sample-class") / "out"
    summary = grade([CLASS], out, jobs=2, progress=False)
    return Run(summary, out)


@pytest.fixture(scope="module")
def cli_process(tmp_path_factory: pytest.TempPathFactory):
    """The README's command, started in the background; `test_command_line` waits for it."""
    out = tmp_path_factory.mktemp("cli") / "out"
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", "data/submissions", "--out", str(out), "-q"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    yield proc, out
    if proc.poll() is None:
        proc.kill()
        proc.communicate()


# -- the gradebook ---------------------------------------------------------------------------------
def test_one_row_per_student(class_run: Run):
    assert class_run.header[:1 + len(QUESTIONS)] == ["student", *QUESTIONS]
    assert {"total", "possible", "status"} <= set(class_run.header)
    assert sorted(class_run.rows) == sorted(STUDENTS)
    assert [r.student for r in class_run.summary.results] == sorted(STUDENTS)
    on_disk = {p.name.removesuffix(p.suffix) if p.is_file() else p.name for p in CLASS.iterdir()
               if p.is_dir() or p.suffix in (".zip", ".ipynb")}
    assert on_disk == set(STUDENTS), "every submission in data/submissions needs an entry in the yml"


def test_what_is_not_a_submission_gets_a_warning(class_run: Run):
    for text in EXPECTED["warnings"]:
        assert any(text in w for w in class_run.summary.warnings), class_run.summary.warnings


@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_status_total_and_points(class_run: Run, student: str):
    row, want = class_run.rows[student], STUDENTS[student]
    assert row["status"] == want["status"]
    assert float(row["total"]) == pytest.approx(TOTALS[student], abs=1e-6)
    assert float(row["possible"]) == pytest.approx(POSSIBLE, abs=1e-6)
    got = {qid: float(row[qid]) for qid in QUESTIONS}
    assert got == pytest.approx(expected_points(student), abs=1e-6)


@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_feedback_says_why(class_run: Run, student: str):
    feedback = class_run.feedback(student)
    for qid, question in expected_questions(student).items():
        section = feedback.split(f"`{qid}`", 1)[1].split("\n### ", 1)[0]
        for text in messages(question["message"]):
            assert text in section, f"{student}, {qid}: {text!r} not in its feedback:\n{section}"
    output = class_run.results(student)["output"]
    for note in STUDENTS[student].get("notes", []):
        assert note in output, f"{student}: note {note!r} not in results.json's output"


@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_results_json_is_valid_and_agrees(class_run: Run, student: str):
    data = class_run.results(student)
    row = class_run.rows[student]
    assert data["score"] == pytest.approx(float(row["total"]), abs=1e-6)
    assert data["score"] == pytest.approx(TOTALS[student], abs=1e-6)
    assert [t["extra_data"]["question"] for t in data["tests"]] == list(QUESTIONS)
    assert {t["extra_data"]["question"]: t["score"] for t in data["tests"]} == pytest.approx(expected_points(student))
    assert sum(t["max_score"] for t in data["tests"]) == pytest.approx(POSSIBLE)
    assert data["extra_data"]["status"] == STUDENTS[student]["status"]
    assert data["extra_data"]["isolation"] == class_run.summary.isolation.value


# -- the solution, the stubs, no grader error anywhere ------------------------------------------
@pytest.mark.parametrize("student", FULL_MARKS)
def test_full_marks_without_a_failed_case(class_run: Run, student: str):
    data = class_run.results(student)
    assert all(t["status"] == "passed" for t in data["tests"])
    for t in data["tests"]:
        n = re.match(r"(\d+) of (\d+) checks? passed", t["output"])
        assert n and n.group(1) == n.group(2), t["output"].splitlines()[0]
    assert "❌" not in class_run.feedback(student) and "⚠️" not in class_run.feedback(student)


def test_stubs_score_zero_as_a_grade(class_run: Run):
    data = class_run.results("bilal_haddad")
    assert class_run.rows["bilal_haddad"]["status"] == "graded" and data["score"] == 0
    assert not any(t["extra_data"]["grader_error"] or t["extra_data"]["grader_details"] for t in data["tests"])
    feedback = class_run.feedback("bilal_haddad")
    assert "⚠️" not in feedback and "not your fault" not in feedback
    questions = feedback.split("## Questions", 1)[1]
    assert questions.count("❌ **") == questions.count("is not implemented yet (it raises NotImplementedError).")
    why = feedback.split("## Questions", 1)[0]  # issue 12: the cause of the zero comes first
    assert "**Why the score is 0:**" in why and "is not implemented yet" in why


def test_no_grader_error_in_the_class(class_run: Run):
    assert Status.ERROR.value not in {r["status"] for r in class_run.rows.values()}
    for student in STUDENTS:
        assert "⚠️" not in class_run.feedback(student), student
        assert not any(t["extra_data"]["grader_error"] for t in class_run.results(student)["tests"]), student


def test_isolation_is_the_strongest_available(class_run: Run):
    level, _ = detect_isolation()
    assert class_run.summary.isolation is level
    assert {r["isolation"] for r in class_run.rows.values()} == {level.value}


# -- the crash, the loop and the cheat are contained -------------------------------------------------
def test_the_endless_loop_costs_one_case(class_run: Run):
    data = class_run.results("quentin_moreau")
    timed_out = [t["extra_data"]["question"] for t in data["tests"] if t["extra_data"]["timed_out"]]
    assert timed_out == ["foundations.matrix_function_backward_1"]
    assert class_run.rows["quentin_moreau"]["status"] == "timeout"


def test_the_cheat_changes_nothing(class_run: Run, class_before):
    feedback = class_run.feedback("rafael_costa")
    assert feedback.splitlines()[0] == f"# Feedback for rafael\\_costa: {TOTALS['rafael_costa']:g} / {POSSIBLE:g} points"
    printed = feedback.index("## What your code printed")
    assert feedback.index("Score: 30/30") > printed, "the fake score line shows outside the printed output"
    assert feedback[printed:].split("\n")[2].startswith("```"), "the printed output is not fenced"
    assert class_run.results("rafael_costa")["score"] == TOTALS["rafael_costa"]
    # no fake results.json anywhere: not in the report folder, not above it, not in the class
    reports = {p.relative_to(class_run.out).as_posix() for p in class_run.out.rglob("results.json")}
    assert reports == {f"{s}/results.json" for s in STUDENTS}
    assert not (class_run.out.parent / "results.json").exists()
    assert sorted(p.name for p in class_run.out.iterdir()) == sorted([*STUDENTS, "gradebook.csv", "grades.sqlite", "plots", "report", "summary.json"])
    assert snapshot(CLASS) == class_before, "grading changed data/submissions"


# -- the same grades however it is run ---------------------------------------------------------------
def test_regrading_with_one_job_gives_the_same_gradebook(class_run: Run, cli_process, tmp_path: Path):
    # cli_process: the command line starts now and grades alongside this run (see the module docstring)
    grade([CLASS], tmp_path / "out", jobs=1, progress=False)
    again = (tmp_path / "out" / "gradebook.csv").read_text(encoding="utf-8")
    first = (class_run.out / "gradebook.csv").read_text(encoding="utf-8")
    assert without_timing_columns(again) == without_timing_columns(first)


def test_two_students_alone_get_their_class_rows(class_run: Run, tmp_path: Path):
    pair = ["kofi_mensah", "nadia_hassan"]
    summary = grade([CLASS / s for s in pair], tmp_path / "out", jobs=2, progress=False)
    assert [r.student for r in summary.results] == pair
    _, rows = read_gradebook(tmp_path / "out" / "gradebook.csv")
    assert rows == {s: class_run.rows[s] for s in pair}
    for s in pair:  # the same feedback but for when it was graded (its last section, provenance)
        alone = (tmp_path / "out" / s / "feedback.md").read_text(encoding="utf-8")
        assert alone.split("## How this was graded")[0] == class_run.feedback(s).split("## How this was graded")[0]


def test_command_line(class_run: Run, cli_process):
    proc, out = cli_process
    stdout, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 0, stderr
    level, note = detect_isolation()
    assert f"isolation: {level.value}" in stdout
    assert f"{len(STUDENTS)} submissions in" in stdout
    assert f"graded {len(STUDENTS)}, reused 0, re-scored 0, kept 0 not in this run" in stdout
    assert "README.txt: skipped, not a submission" in stderr
    assert without_timing_columns((out / "gradebook.csv").read_text(encoding="utf-8")) == \
        without_timing_columns((class_run.out / "gradebook.csv").read_text(encoding="utf-8"))


# -- engine bugs found with this class (they fail until fixed; see the report of the sample class) --
NOTED = sorted(s for s, e in STUDENTS.items() if e.get("notes"))


@pytest.mark.parametrize("student", NOTED)
def test_each_load_note_is_listed_once(class_run: Run, student: str):
    output = class_run.results(student)["output"]
    for note in STUDENTS[student]["notes"]:
        assert output.count(note) == 1, f"{student}: {note!r} appears {output.count(note)} times"


def test_a_syntax_error_names_its_line_once(class_run: Run):
    feedback = class_run.feedback("priya_nair")
    assert "(linear_regression.py, line 195) (linear_regression.py, line 195)" not in feedback
