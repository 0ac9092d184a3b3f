"""roster.py: plain and Canvas rosters, matching, the Canvas export and its round trip (issue 12)."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.results import SubmissionSource
from autograder.intake.roster import RosterError, export_canvas, read_roster

FIXTURES = Path(__file__).parent / "fixtures" / "lms"


def test_canvas_gradebook_export_is_a_roster():
    roster = read_roster(FIXTURES / "canvas_gradebook.csv")
    assert roster.canvas and roster.assignments == ("Neural network from scratch (4242)",)
    assert [e.id for e in roster.students] == ["1001", "1002", "1003", "1004", "1005", "1006"]
    assert roster.students[0].name == "Nwosu, Ada" and roster.students[0].login == "anwosu"


def test_plain_roster_matches_by_id_sis_id_email_or_login(tmp_path):
    (tmp_path / "r.csv").write_text("id,name,email,section,sis_id,login\n"
                                    "1001,Ada Nwosu,Ada.Nwosu@example.edu,A,S1001,anwosu\n")
    roster = read_roster(tmp_path / "r.csv")
    for key in ("1001", "S1001", "anwosu"):
        assert roster.match(SubmissionSource(key, Path("x"))).id == "1001"
    assert roster.match(SubmissionSource("x", Path("x"), email="ada.nwosu@example.edu")).id == "1001"
    assert roster.match(SubmissionSource("1002", Path("x"))) is None


def test_a_roster_with_a_duplicate_id_is_refused(tmp_path):
    (tmp_path / "r.csv").write_text("id,name\n1,a\n1,b\n")
    with pytest.raises(RosterError, match="line 3: id '1' is listed twice"):
        read_roster(tmp_path / "r.csv")


def test_export_canvas_round_trips_as_a_roster(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "gradebook.csv").write_text(
        "student,total,possible,status,final\n1001,30,30,graded,30\n1002,28,30,graded,22.4\n"
        "1003,0,30,graded,EX\n1005,0,30,missing,0\nS9999,12,30,graded,12\n")
    code = main(["export", "canvas", str(tmp_path / "out"), "-o", str(tmp_path / "canvas_import.csv"),
                 "--roster", str(FIXTURES / "canvas_gradebook.csv")])
    assert code == 0
    assert "S9999 is not on the roster: not exported" in capsys.readouterr().err
    rows = list(csv.reader((tmp_path / "canvas_import.csv").open()))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Neural network from scratch (4242)"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "30.00"]
    assert rows[2:5] == [["Nwosu, Ada", "1001", "S1001", "anwosu", "CS 101 A", "30.00"],
                         ["Kim, Grace", "1002", "S1002", "gkim", "CS 101 A", "22.40"],
                         ["Rahimi, Farid", "1003", "S1003", "frahimi", "CS 101 B", "EX"]]
    again = read_roster(tmp_path / "canvas_import.csv")
    original = read_roster(FIXTURES / "canvas_gradebook.csv")
    assert again.students == original.students
    assert all(again.match(SubmissionSource(e.id, Path("x"))) == e for e in original.students)


def test_export_without_a_roster_writes_every_gradebook_row(tmp_path):
    (tmp_path / "gradebook.csv").write_text("student,total,possible,status\nalice,12.345,30,graded\n"
                                            "bob,20,30,error\n")
    warnings: list[str] = []
    assert export_canvas(tmp_path / "gradebook.csv", tmp_path / "c.csv", possible=30, assignment="HW",
                         warnings=warnings) == 2
    assert (tmp_path / "c.csv").read_text().splitlines()[2:] == [",alice,,,,12.35", ",bob,,,,"]
    assert "bob has status error" in warnings[0]


def test_export_canvas_without_a_roster_says_what_canvas_will_miss(tmp_path, capsys):
    """Without --roster the Student and SIS columns are empty and the column title has no Canvas
    assignment id; the command said nothing of it (found by the fresh-clone trial)."""
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "gradebook.csv").write_text("student,total,possible,status\n1001,30,30,graded\n")
    assert main(["export", "canvas", str(tmp_path / "out"), "-o", str(tmp_path / "c.csv")]) == 0
    err = capsys.readouterr().err
    assert ("warning: no --roster: each gradebook id is written as the Canvas ID, with no name, SIS id or "
            "section, under the column 'nn_from_scratch'; Canvas matches an existing assignment by "
            "'Title (id)': pass --roster with Canvas's gradebook export (or --assignment 'Title (id)')") in err
    assert main(["export", "canvas", str(tmp_path / "out"), "-o", str(tmp_path / "c.csv"),
                 "--roster", str(FIXTURES / "canvas_gradebook.csv")]) == 0
    assert "no --roster" not in capsys.readouterr().err


def test_grade_refuses_inputs_that_do_not_fit_before_any_student_code_runs(tmp_path, capsys):
    (tmp_path / "overrides.csv").write_text("student,question,points,reason\n9999,foundations.derivv,1,typo\n")
    code = main(["grade", str(FIXTURES / "canvas_download"), "--out", str(tmp_path / "out"), "-q",
                 "--config", str(FIXTURES / "grading.yml"), "--overrides", str(tmp_path / "overrides.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert "nothing was graded" in err and "unknown question 'foundations.derivv'" in err
    assert "unknown student '9999'" in err
    assert not (tmp_path / "out" / "gradebook.csv").exists()


def test_grade_refuses_an_ambiguous_folder_with_a_hint(tmp_path, capsys):
    (tmp_path / "x" / "alice").mkdir(parents=True)
    (tmp_path / "x" / "alice" / "foundations.py").write_text("")
    (tmp_path / "x" / "foundations.py").write_text("")
    assert main(["grade", str(tmp_path / "x"), "--out", str(tmp_path / "out"), "-q"]) == 2
    assert "--class" in capsys.readouterr().err
