"""The TA's round trip on the shipped fixtures (issue 12, the README walk-through): a Canvas zip and a
Canvas gradebook export in, canvas_import.csv out; the same with a Gradescope export."""
from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.intake.roster import read_roster

pytestmark = pytest.mark.slow
F = Path(__file__).parent / "fixtures" / "lms"


def rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def canvas_zip(tmp_path: Path) -> Path:
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted((F / "canvas_download").iterdir()):
            z.write(path, path.name)
    return archive


def test_canvas_zip_to_canvas_import(tmp_path, capsys):
    out = tmp_path / "hw1"
    code = main(["grade", str(canvas_zip(tmp_path)), "--out", str(out), "-q", "--jobs", "1",
                 "--config", str(F / "grading.yml"), "--roster", str(F / "canvas_gradebook.csv"),
                 "--times", str(F / "canvas_times.csv"), "--extensions", str(F / "extensions.csv"),
                 "--overrides", str(F / "overrides.csv")])
    printed = capsys.readouterr().out
    assert code == 0
    assert "read as a Canvas export of 4 students" in printed
    assert "roster: 6 students; 2 with no submission (status missing); 0 submission(s) not on the roster" in printed
    book = rows(out / "gradebook.csv")
    assert {k: (v["status"], v["raw"], v["late_penalty"], v["final"]) for k, v in book.items()} == {
        "1001": ("graded", "30", "0", "30"),
        "1002": ("graded", "28", "5.6", "22.4"),     # 25.5 h late: 2 started days x 10 %
        "1003": ("graded", "30", "0", "30"),         # Foundations-1.py graded; deriv raised by the override
        "1004": ("graded", "30", "0", "30"),         # LATE flag, but inside the extension
        "1005": ("missing", "0", "0", "0"),
        "1006": ("missing", "0", "0", "0"),
    }
    assert book["1003"]["total"] == "28"
    assert (book["1001"]["name"], book["1005"]["name"]) == ("Nwosu, Ada", "Lindqvist, Oscar")
    assert "file name fixed up: Foundations.py read as foundations.py" in book["1003"]["notes"]
    assert book["1003"]["overrides"] == ("foundations.deriv: 0 -> 2 (regrade request: central difference "
                                         "accepted after office hours)")
    feedback = (out / "1003" / "feedback.md").read_text()
    assert "- Final score: 30 / 30 points" in feedback
    assert "regrade request: central difference accepted after office hours" in feedback
    assert "extension to 2026-11-23T17:00:00-08:00" in (out / "1004" / "feedback.md").read_text()

    upload = tmp_path / "canvas_import.csv"
    assert main(["export", "canvas", str(out), "-o", str(upload), "--roster", str(F / "canvas_gradebook.csv"),
                 "--config", str(F / "grading.yml")]) == 0
    lines = list(csv.reader(upload.open()))
    assert [r[-1] for r in lines] == ["Neural network from scratch (4242)", "30.00",
                                      "30.00", "22.40", "30.00", "30.00", "0.00", "0.00"]
    assert read_roster(upload).students == read_roster(F / "canvas_gradebook.csv").students


def test_gradescope_export_with_a_group_and_a_stranger(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email,section\n1001,Ada Nwosu,,A\n1002,Grace Kim,,A\n1006,Hugo Lambert,,A\n"
                      "1005,Oscar Lindqvist,,B\n")
    out = tmp_path / "gs"
    assert main(["grade", str(F / "gradescope"), "--out", str(out), "-q", "--jobs", "1",
                 "--config", str(F / "grading.yml"), "--roster", str(roster)]) == 0
    book = rows(out / "gradebook.csv")
    assert book["1002"]["final"] == book["1006"]["final"] == "22.4"   # one group, one late submission
    assert "group submission (submission_9002)" in book["1006"]["notes"]
    assert book["1003"]["final"] == "25.2" and "not on the roster" in book["1003"]["notes"]
    assert book["1005"]["status"] == "missing"
