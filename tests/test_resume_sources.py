"""A run stopped with kill -9 (or Ctrl-C) and resumed keeps every graded submission's modules in
OUT/report/sources/, which `autograder similarity OUT` compares: a submission graded by the
stopped run and reused by the resuming one must not drop out of the similarity check.

A real ``autograder grade`` process, killed with a real SIGKILL once the store holds a graded
submission, then the same command again.
"""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "submissions"


def _grade(cls: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(cls), "--out", str(out), "-q",
                             "--jobs", "1"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _graded(out: Path) -> int:
    try:
        with sqlite3.connect(f"file:{out / 'grades.sqlite'}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT count(DISTINCT student) FROM outcomes").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_killed_run_resumed_keeps_every_graded_submissions_sources(tmp_path):
    cls = tmp_path / "class"
    students = [f"s{i}" for i in range(4)]
    for student in students:  # foundations.py only: a few seconds each
        (cls / student).mkdir(parents=True)
        shutil.copy(SAMPLE / "ada_nwosu" / "foundations.py", cls / student / "foundations.py")
    out = tmp_path / "out"
    proc = _grade(cls, out)
    deadline = time.monotonic() + 240
    while _graded(out) < 1 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed: " + proc.communicate()[1]
    proc.kill()
    proc.communicate()
    assert 1 <= _graded(out) < len(students)

    again = _grade(cls, out)
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    kept = sorted(p.parent.name for p in (out / "report" / "sources").glob("*/foundations.py"))
    assert kept == students
