"""The command line: exit codes and what it prints (the grading itself is tested elsewhere)."""
from __future__ import annotations

import shutil
from pathlib import Path

from autograder.cli import main
from autograder.config import load_config

ROOT = Path(__file__).resolve().parents[1]


def test_a_missing_path_is_a_usage_error(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"), "-q"]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_a_bad_config_is_a_usage_error_naming_the_key(tmp_path, capsys):
    bad = tmp_path / "grading.yml"
    bad.write_text((ROOT / "grading.yml").read_text().replace("  foundations.deriv:\n    points: 2",
                                                               "  foundations.deriv:\n    pointz: 2"))
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--config", str(bad), "-q"]) == 2
    assert "questions.foundations.deriv.pointz" in capsys.readouterr().err


def test_an_empty_folder_has_no_submissions(tmp_path, capsys):
    (tmp_path / "class").mkdir()
    assert main(["grade", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "-q"]) == 2
    assert "no submissions" in capsys.readouterr().err


def test_grading_one_student_folder_prints_the_isolation_level(tmp_path, capsys):
    student = tmp_path / "zoe"
    student.mkdir()
    shutil.copy(ROOT / "solutions/nn_from_scratch/foundations.py", student)
    assert main(["grade", str(student), "--out", str(tmp_path / "out"), "-q", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 submission in" in out and "isolation: " in out
    assert "graded 1, reused 0, re-scored 0, kept 0 not in this run" in out
    rows = (tmp_path / "out" / "gradebook.csv").read_text().splitlines()
    config = load_config()  # full points on foundations' questions, 0 elsewhere (no other module)
    points = [q.points if qid.startswith("foundations.") else 0 for qid, q in config.questions.items()]
    row = ",".join(f"{p:g}" for p in [*points, sum(points), config.total_points])
    assert len(rows) == 2 and rows[1].startswith(f"zoe,{row},graded,")


def test_doctor_reports_the_isolation_level(capsys):
    assert main(["doctor"]) == 0
    assert capsys.readouterr().out.startswith("isolation: ")


def test_rerunning_reuses_and_says_so(tmp_path, capsys):
    student = tmp_path / "zoe"
    student.mkdir()
    shutil.copy(ROOT / "solutions/nn_from_scratch/foundations.py", student)
    out = tmp_path / "out"
    assert main(["grade", str(student), "--out", str(out), "-q", "--jobs", "1"]) == 0
    first = (out / "gradebook.csv").read_bytes()
    capsys.readouterr()
    assert main(["grade", str(student), "--out", str(out), "-q"]) == 0
    assert "graded 0, reused 1, re-scored 0, kept 0 not in this run" in capsys.readouterr().out
    assert (out / "gradebook.csv").read_bytes() == first


def test_an_unusable_grade_store_is_a_usage_error(tmp_path, capsys):
    student = tmp_path / "zoe"
    student.mkdir()
    shutil.copy(ROOT / "solutions/nn_from_scratch/foundations.py", student)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "grades.sqlite").write_text("not a database, not even SQLite")
    assert main(["grade", str(student), "--out", str(tmp_path / "out"), "-q"]) == 2
    assert "grades.sqlite is not a grade store" in capsys.readouterr().err
