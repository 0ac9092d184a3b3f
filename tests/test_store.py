"""The grade store (autograder/store/grades.py, OUT/grades.sqlite): resuming, regrading only what
changed, merging subsets, interrupts, bad stores, and every submission getting a row whatever
its id (issue 10, section 3).

The classes graded here are small (students with only ``foundations.py``, so each run takes a
few seconds) and real: a real SQLite file, the real grader at the strongest isolation available,
real SIGINT and SIGKILL sent to a real ``autograder grade`` process.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from autograder.store import grades as st
from autograder.cli import main
from autograder.config import load_config
from autograder.grade import grade
from autograder.publish.report import ReportWriter
from autograder.results import CaseResult, Isolation, Outcome, QuestionResult, Status, SubmissionResult

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "submissions"
CONFIG = load_config()
FOUNDATIONS = [q for q in CONFIG.questions if q.startswith("foundations.")]


# -- helpers ------------------------------------------------------------------------------------------
def make_class(folder: Path, students: dict[str, str]) -> Path:
    """A class of students with only foundations.py, copied from the sample class's `source` student."""
    folder.mkdir(parents=True, exist_ok=True)
    for student, source in students.items():
        (folder / student).mkdir()
        shutil.copy(SAMPLE / source / "foundations.py", folder / student / "foundations.py")
    return folder


SMALL = {"ada": "ada_nwosu", "bilal": "bilal_haddad", "farid": "farid_rahimi"}


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    return {r["student"]: r for r in csv.DictReader(io.StringIO((out / "gradebook.csv").read_text(encoding="utf-8")))}


def config_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (ROOT / "grading.yml").read_text()
    assert old in text
    path = tmp_path / "grading.yml"
    path.write_text(text.replace(old, new))
    return path


def run_cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade", *args, "-q", "--jobs", "2"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def small_class(tmp_path_factory) -> Path:
    return make_class(tmp_path_factory.mktemp("small") / "class", SMALL)


@pytest.fixture(scope="module")
def reference(small_class, tmp_path_factory) -> Path:
    """One uninterrupted run of the small class: the gradebook every other run must reproduce."""
    out = tmp_path_factory.mktemp("reference") / "out"
    summary = grade([small_class], out, jobs=2, progress=False)
    assert (summary.graded, summary.reused, summary.complete) == (3, 0, True)
    return out


# -- keys ---------------------------------------------------------------------------------------------
def test_changing_one_hidden_test_changes_exactly_its_question_key(tmp_path):
    suites = tmp_path / "suites"
    shutil.copytree(st._SUITES, suites)
    before = st.question_keys(CONFIG, suites=suites)
    test = suites / "test_foundations.py"
    text = test.read_text()
    # the foundations suite builds its cases from a table keyed by question id: change one case's inputs
    case = '"sigmoid then square, on an array": lambda r: [{"chain": ["sigmoid", "square"], "x": mixed(r, 3)}]'
    assert text.count(case) == 1
    test.write_text(text.replace(case, case.replace("mixed(r, 3)", "mixed(r, 4)"), 1))
    after = st.question_keys(CONFIG, suites=suites)
    assert [q for q in CONFIG.questions if before[q].key != after[q].key] == ["foundations.chain_deriv_2"]
    # a test marked with its question (the model suites): only that question changes
    test = suites / "test_linear_regression.py"
    text = test.read_text()
    marked = [line for line in text.splitlines() if "pytest.mark.question(\"linear_regression.train\"" in line]
    assert marked, "the linear regression suite marks its train tests"
    test.write_text(text.replace(marked[0], marked[0] + "  # a comment changes the test's source", 1))
    again = st.question_keys(CONFIG, suites=suites)
    assert [q for q in CONFIG.questions if after[q].key != again[q].key] == ["linear_regression.train"]
    # a change of points keeps every question key: it only re-scores
    points = load_config(config_with(tmp_path, "  foundations.deriv:\n    points: 2", "  foundations.deriv:\n    points: 5"))
    assert {q: k.key for q, k in st.question_keys(points).items()} == {q: k.key for q, k in st.question_keys(CONFIG).items()}
    assert st.score_key(points) != st.score_key(CONFIG)
    # a tolerance is part of its question's key only
    tol = load_config(config_with(tmp_path, "    rtol: 1.0e-4       # float32", "    rtol: 1.0e-3       # float32"))
    current = st.question_keys(CONFIG)
    assert [q for q, k in st.question_keys(tol).items() if k.key != current[q].key] == ["linear_regression.train"]


def test_how_notebooks_become_modules_is_part_of_every_question_key(tmp_path, monkeypatch):
    """A notebook submission's content hash is the notebook's; the modules graded are what
    intake/notebook.py and grading.yml's ``notebook`` settings make of it. Neither was in the
    question key, so after a fix of the rebuild (a cell that kept a skipped statement, say) or a
    switch to execute mode a rerun reused the grades of the old modules."""
    execute = load_config(config_with(tmp_path, "notebook:\n  mode: definitions", "notebook:\n  mode: execute"))
    current = st.question_keys(CONFIG)
    assert all(k.key != current[q].key for q, k in st.question_keys(execute).items())
    package = tmp_path / "autograder"
    shutil.copytree(st._PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(st, "_PACKAGE", package)
    before = st.engine_version()
    notebook = package / "intake" / "notebook.py"
    notebook.write_text(notebook.read_text().replace("TRANSFORM_ALLOWANCE = ", "TRANSFORM_ALLOWANCE = 1 + "))
    assert st.engine_version() != before


def test_content_hash_sees_every_byte_and_name(tmp_path):
    sub = make_class(tmp_path / "c", {"ada": "ada_nwosu"}) / "ada"
    first = st.content_hash(sub)
    assert st.content_hash(sub) == first
    (sub / "notes.txt").write_text("x")
    second = st.content_hash(sub)
    (sub / "notes.txt").write_text("y")
    assert len({first, second, st.content_hash(sub)}) == 3
    os.mkfifo(sub / "pipe")  # never opened (it would block)
    assert st.content_hash(sub) != first


# -- issue 10, section 3: every submission gets a row, whatever it is called -----------------------------
@pytest.mark.parametrize("student", [" .", "evil\\name", "", ".", "..", "a/b", "plots", "gradebook.csv", "summary.json",
                                     ".hidden", "grades.sqlite", "CON", "x\x00y", "\u202eevil", "a" * 300])
def test_every_student_id_gets_a_safe_folder_and_keeps_its_id(tmp_path, student):
    with ReportWriter(tmp_path, CONFIG) as writer:
        folder = writer.add(SubmissionResult(student, Status.GRADED, (), Isolation.SANDBOX))
    assert folder and "/" not in folder and "\\" not in folder and not folder.startswith(".")
    assert folder not in st.RESERVED_FOLDERS and len(folder) <= 101
    assert (tmp_path / folder / "feedback.md").is_file() and (tmp_path / folder).parent == tmp_path
    rows = list(csv.reader(io.StringIO((tmp_path / "gradebook.csv").read_text())))
    assert rows[1][0].lstrip("'") == student


def test_an_id_that_normalises_to_the_class_report_folder_gets_another(tmp_path):
    """Hostile: a submission named `report..zip` (id "report.") or " report" got the folder "report",
    which is the class report's: its feedback pages went into OUT/report/, and handing each student
    their folder would hand that student the class report, every grade and every kept source."""
    from autograder.intake.locate import locate

    (tmp_path / "class").mkdir()
    for name in ("report..zip", "ada.zip"):
        with zipfile.ZipFile(tmp_path / "class" / name, "w") as archive:
            archive.writestr("foundations.py", "x = 1\n")
    found, _ = locate([tmp_path / "class"], CONFIG.modules)
    assert sorted(s.student for s in found) == ["ada", "report."]
    for student in ("report.", " report", "Report", "REPORT ."):
        folder = st.safe_folder(student)
        assert folder.casefold() != "report" and folder.strip(" .").casefold() != "report", (student, folder)


def test_folder_names_are_unique_ignoring_case():
    taken: list[str] = []
    for student in ["Ada", "ada", "ADA", "a/da", "a\\da"]:
        taken.append(st.safe_folder(student, taken))
    assert taken == ["Ada", "ada-2", "ADA-3", "a_da", "a_da-2"]


def test_adding_a_result_twice_is_harmless(tmp_path):
    first = SubmissionResult("ada", Status.GRADED, (), Isolation.SANDBOX, output="first")
    with ReportWriter(tmp_path, CONFIG) as writer:
        writer.add(first)
        writer.add(SubmissionResult("ada", Status.INVALID, (), Isolation.SANDBOX, output="second"))
    rows = list(csv.reader(io.StringIO((tmp_path / "gradebook.csv").read_text())))
    assert [r[0] for r in rows[1:]] == ["ada"] and rows[1][rows[0].index("status")] == "invalid"
    assert "second" in (tmp_path / "ada" / "feedback.md").read_text()


def test_look_alike_ids_are_grouped():
    cyrillic = "correct_c\u043epy"  # Cyrillic о
    assert st.look_alike_ids(["correct_copy", cyrillic, "Alice", "alice", "bob", "bob2", "ada_nwosu"]) == [
        ("Alice", "alice"), ("correct_copy", cyrillic)]
    assert st.look_alike_ids(["ada", "bilal", "farid"]) == []


def test_odd_ids_look_alikes_and_a_failed_report_each_get_a_row(tmp_path):
    """Issue 10 §3: ` .` and `evil\\name` next to correct submissions, a look-alike pair, and a
    submission whose reports cannot be written (a file sits where its folder goes)."""
    cls = make_class(tmp_path / "class", {" .": "ada_nwosu", "evil\\name": "ada_nwosu", "correct_copy": "ada_nwosu",
                                          "correct_c\u043epy": "farid_rahimi", "ada": "ada_nwosu"})
    out = tmp_path / "out"
    out.mkdir()
    (out / "ada").write_text("not a folder")  # writing ada's reports fails
    summary = grade([cls], out, jobs=2, progress=False)
    rows = gradebook(out)
    assert set(rows) == {".", "evil\\name", "correct_copy", "correct_c\u043epy", "ada"}
    assert rows["ada"]["status"] == "error"
    assert {s: r["status"] for s, r in rows.items() if s != "ada"} == dict.fromkeys(set(rows) - {"ada"}, "graded")
    assert rows["evil\\name"]["total"] == "14" and rows["correct_c\u043epy"]["total"] == "12"
    assert any("correct_copy" in w and "look alike" in w for w in summary.warnings)
    assert json.loads((out / "summary.json").read_text())["look_alike_ids"] == [["correct_copy", "correct_c\u043epy"]]
    folders = {p.name for p in out.iterdir() if p.is_dir()}
    assert {"_", "evil_name", "correct_copy", "correct_c\u043epy", "plots"} <= folders
    # the next run retries the error (the file is gone now) and reuses the rest
    (out / "ada").unlink()
    again = grade([cls], out, jobs=2, progress=False)
    assert (again.graded, again.reused) == (1, 4) and gradebook(out)["ada"]["status"] == "graded"


# -- resuming, re-scoring, regrading one student ---------------------------------------------------------
def test_a_rerun_with_nothing_changed_reuses_everything(small_class, reference, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    summary = grade([small_class], out, jobs=2, progress=False)
    assert (summary.graded, summary.reused, summary.rescored, summary.kept) == (0, 3, 0, 0)
    assert (out / "gradebook.csv").read_bytes() == (reference / "gradebook.csv").read_bytes()


def test_a_points_only_change_rescores_without_starting_a_process(small_class, reference, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    config = load_config(config_with(tmp_path, "  foundations.deriv:\n    points: 2", "  foundations.deriv:\n    points: 5"))
    started: list[str] = []
    recording = [True]

    def hook(event: str, args: tuple) -> None:
        if recording[0] and event in ("os.fork", "os.forkpty", "os.posix_spawn", "os.exec", "subprocess.Popen",
                                      "os.system", "os.spawn"):
            started.append(event)

    sys.addaudithook(hook)  # cannot be removed: it stops recording below
    try:
        summary = grade([small_class], out, jobs=2, progress=False, config=config)
    finally:
        recording[0] = False
    assert started == [], "a child process was started for a points-only change"
    assert (summary.graded, summary.reused, summary.rescored) == (0, 0, 3)
    rows = gradebook(out)
    assert (rows["ada"]["foundations.deriv"], rows["ada"]["total"]) == ("5", "17")
    assert (rows["farid"]["foundations.deriv"], rows["farid"]["total"]) == ("0", "12")
    feedback = (out / "ada" / "feedback.md").read_text()
    assert feedback.startswith("# Feedback for ada: 17 / 33 points")
    with st.Store.open_readonly(out) as store:
        assert [h["total"] for h in store.history("ada")] == [14, 17]


def test_one_student_regraded_into_the_class_changes_one_row(small_class, reference, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    fixed = make_class(tmp_path / "new", {"farid": "ada_nwosu"}) / "farid"  # farid resubmits a correct deriv
    before = {s: (out / s / "feedback.md").stat().st_ino for s in SMALL}
    summary = grade([fixed], out, jobs=2, progress=False)
    assert (summary.graded, summary.reused, summary.kept) == (1, 0, 0)
    old, new = (reference / "gradebook.csv").read_text().splitlines(), (out / "gradebook.csv").read_text().splitlines()
    assert len(old) == len(new) == 4
    assert [i for i, (a, b) in enumerate(zip(old, new)) if a != b] == [3]  # farid's row only
    assert gradebook(out)["farid"]["total"] == "14"
    assert {s: (out / s / "feedback.md").stat().st_ino for s in ("ada", "bilal")} == \
        {s: before[s] for s in ("ada", "bilal")}
    with st.Store.open_readonly(out) as store:
        assert [h["total"] for h in store.history("farid")] == [12, 14]


def test_only_and_a_missing_submission_keep_their_rows(small_class, reference, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    assert main(["grade", str(small_class), "--out", str(out), "-q", "--jobs", "1", "--only", "bilal", "--force"]) == 0
    assert (out / "gradebook.csv").read_bytes() == (reference / "gradebook.csv").read_bytes()
    assert main(["grade", str(small_class), "--out", str(out), "-q", "--only", "nobody"]) == 2
    fewer = tmp_path / "fewer"
    shutil.copytree(small_class, fewer, ignore=shutil.ignore_patterns("bilal"))
    summary = grade([fewer], out, jobs=2, progress=False)
    assert (summary.graded, summary.reused, summary.kept) == (0, 2, 1)
    rows = gradebook(out)
    assert rows["bilal"]["status"] == "not in this run" and rows["bilal"]["total"] == "0"
    assert json.loads((out / "summary.json").read_text())["not_in_this_run"] == 1


def test_one_question_regrades_only_that_question(small_class, reference, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(reference, out)

    def stamps() -> dict:
        with sqlite3.connect(out / "grades.sqlite") as db:
            return dict(((s, q), t) for s, q, t in db.execute("SELECT student, question, graded_at FROM outcomes"))

    before = stamps()
    time.sleep(1.1)  # graded_at has seconds
    assert main(["grade", str(small_class), "--out", str(out), "-q", "--jobs", "2", "--force",
                 "--question", "foundations.deriv"]) == 0
    assert "graded 3, reused 0, re-scored 0, kept 0 not in this run" in capsys.readouterr().out
    after = stamps()
    assert sorted({q for k, t in after.items() if t != before[k] for q in [k[1]]}) == ["foundations.deriv"]
    assert (out / "gradebook.csv").read_bytes() == (reference / "gradebook.csv").read_bytes()
    assert main(["grade", str(small_class), "--out", str(out), "-q", "--question", "nope.nope"]) == 2


def test_a_question_run_counts_the_rows_it_leaves_pending(small_class, reference, tmp_path, capsys):
    """A grading.yml change to one question, then ``--question`` another: the rows still to grade
    were counted as reused ("graded 0, reused 3") beside pending rows (found by the fresh-clone trial)."""
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    changed = config_with(tmp_path, "  foundations.chain_deriv_2:\n    points: 2\n    requires: [foundations.deriv]\n",
                          "  foundations.chain_deriv_2:\n    points: 2\n    requires: [foundations.deriv]\n"
                          "    rtol: 1.0e-3\n")
    assert main(["grade", str(small_class), "--out", str(out), "-q", "--jobs", "2", "--config", str(changed),
                 "--question", "foundations.deriv"]) == 0
    captured = capsys.readouterr()
    assert "graded 0, reused 0, re-scored 0, kept 0 not in this run, pending 3" in captured.out
    assert "not complete: 3 rows are pending (rerun without --question to grade them)" in captured.err
    assert main(["grade", str(small_class), "--out", str(out), "-q", "--jobs", "2", "--config", str(changed)]) == 0
    assert "graded 3, reused 0, re-scored 0, kept 0 not in this run\n" in capsys.readouterr().out


def test_provenance_in_feedback_and_results_json(reference):
    keys = st.question_keys(CONFIG)
    feedback = (reference / "ada" / "feedback.md").read_text()
    assert "## How this was graded" in feedback
    assert f"- `foundations.deriv`: tests `{keys['foundations.deriv'].suite[:10]}`, grading.yml " \
           f"`{keys['foundations.deriv'].config[:10]}`, reference `{keys['foundations.deriv'].reference[:10]}`" in feedback
    data = json.loads((reference / "ada" / "results.json").read_text())["extra_data"]["provenance"]
    assert data["questions"]["foundations.deriv"]["suite"] == keys["foundations.deriv"].suite[:10]
    assert data["graded_at"].endswith("Z") and len(data["content"]) == 10


def test_read_api(reference):
    with st.Store.open_readonly(reference) as store:
        results = store.results(CONFIG)
        assert [r.student for r in results] == ["ada", "bilal", "farid"]
        assert [r.total for r in results] == [14, 0, 12]
        assert results[2].questions[0].cases[0].outcome is Outcome.FAILED
        assert [(r.student, r.status, r.total) for r in store.rows()] == [
            ("ada", "graded", 14), ("bilal", "graded", 0), ("farid", "graded", 12)]


def test_results_without_series_are_the_stored_results_less_their_series(reference, tmp_path):
    """`Store.results(series=False)` (the class files' read, done by every rerun) leaves out the
    loss series in SQLite and gives what `without_series` makes of the full results."""
    from autograder.publish.html_report import without_series

    with st.Store.open_readonly(reference) as store:
        ada = store.result("ada", CONFIG)
    first = ada.questions[0]
    series = (("loss", (3.0, 2.5, 1.25)), ("reference", (3.0, 2.0, 1.0)))
    case = dataclasses.replace(first.cases[0], series=series)
    ada = dataclasses.replace(ada, questions=(dataclasses.replace(first, cases=(case, *first.cases[1:])),
                                              *ada.questions[1:]))
    keys = st.question_keys(CONFIG)
    with st.Store.open(tmp_path) as store:
        store.plan([("ada", "ada", "c0")], keys, None)
        store.record(ada, list(CONFIG.questions), keys)
        store.rescore(CONFIG)
        full, bare = store.results(CONFIG), store.results(CONFIG, series=False)
    assert full[0].questions[0].cases[0].series == series
    assert bare == [without_series(full[0])] and bare != full


def test_look_alike_groups_are_kept_for_the_same_ids_only(tmp_path):
    keys = st.question_keys(CONFIG)
    with st.Store.open(tmp_path) as store:
        store.plan([("Alice", "a", "c1"), ("bob", "b", "c2")], keys, None)
        assert store.look_alike() == []
        store.plan([("alice", "a2", "c3")], keys, None, full=False)
        assert store.look_alike() == [("Alice", "alice")] == store.look_alike()
        assert json.loads(store.meta("look_alike"))["groups"] == [["Alice", "alice"]]


# -- bad stores, old OUTs, two runs at once -----------------------------------------------------------------
def test_a_corrupt_or_foreign_store_is_refused_and_left_alone(small_class, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    store = out / "grades.sqlite"
    store.write_bytes(b"SQLite format 3\x00" + bytes(random.Random(1).randrange(256) for _ in range(3000)))
    junk = store.read_bytes()
    assert main(["grade", str(small_class), "--out", str(out), "-q"]) == 2
    assert "grades.sqlite" in capsys.readouterr().err and store.read_bytes() == junk
    store.unlink()
    with sqlite3.connect(store) as db:
        db.execute("CREATE TABLE photos(id)")
    foreign = store.read_bytes()
    assert main(["grade", str(small_class), "--out", str(out), "-q"]) == 2
    assert "another program's SQLite database" in capsys.readouterr().err and store.read_bytes() == foreign
    assert not (out / "gradebook.csv").exists()


def test_a_second_run_on_the_same_out_is_refused(small_class, reference, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    with st.Store.open(out):  # a run in progress holds the lock
        assert main(["grade", str(small_class), "--out", str(out), "-q"]) == 2
        assert "another `autograder grade` is writing" in capsys.readouterr().err
    assert (out / "gradebook.csv").read_bytes() == (reference / "gradebook.csv").read_bytes()


def test_an_out_from_before_the_store_keeps_its_reports(small_class, tmp_path):
    out = tmp_path / "out"
    (out / "zoe").mkdir(parents=True)
    (out / "zoe" / "feedback.md").write_text("old feedback")
    (out / "gradebook.csv").write_text("student,total\nzoe,30\n")
    summary = grade([small_class], out, jobs=2, progress=False)
    assert any("older autograder" in w for w in summary.warnings)
    assert (out / "gradebook.before-store.csv").read_text() == "student,total\nzoe,30\n"
    assert (out / "zoe" / "feedback.md").read_text() == "old feedback"
    assert set(gradebook(out)) == set(SMALL)


def test_every_report_file_is_written_atomically(tmp_path):
    """Each report file is replaced by a rename (a new inode), never rewritten in place, and no
    temporary file is left behind."""
    result = SubmissionResult("ada", Status.GRADED, (), Isolation.SANDBOX)
    files = ["gradebook.csv", "summary.json", "plots/score_distribution.png", "plots/question_pass_rates.png",
             "ada/results.json", "ada/feedback.md"]
    with ReportWriter(tmp_path, CONFIG) as writer:
        writer.add(result)
    before = {f: (tmp_path / f).stat().st_ino for f in files}
    with ReportWriter(tmp_path, CONFIG) as writer:
        writer.add(SubmissionResult("ada", Status.INVALID, (), Isolation.SANDBOX))
    after = {f: (tmp_path / f).stat().st_ino for f in files}
    assert [f for f in files if before[f] == after[f]] == []
    assert not list(tmp_path.rglob("*.tmp"))


# -- interrupts ----------------------------------------------------------------------------------------------
def _wait_for_outcomes(out: Path, proc: subprocess.Popen, at_least: int, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        try:
            with sqlite3.connect(f"file:{out / 'grades.sqlite'}?mode=ro", uri=True, timeout=1) as db:
                if db.execute("SELECT count(DISTINCT student) FROM outcomes").fetchone()[0] >= at_least:
                    return
        except sqlite3.Error:
            pass
        time.sleep(0.05)


@pytest.fixture(scope="module")
def six(tmp_path_factory) -> tuple[Path, Path]:
    """Six students and their uninterrupted gradebook."""
    cls = make_class(tmp_path_factory.mktemp("six") / "class",
                     {f"s{i}": src for i, src in enumerate(["ada_nwosu", "farid_rahimi", "bilal_haddad"] * 2)})
    out = tmp_path_factory.mktemp("six-ref") / "out"
    grade([cls], out, jobs=2, progress=False, chunk_size=1)
    return cls, out


def test_ctrl_c_stops_cleanly_and_the_rerun_resumes(six, tmp_path):
    cls, ref = six
    out = tmp_path / "out"
    proc = run_cli(str(cls), "--out", str(out))
    _wait_for_outcomes(out, proc, 1)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert "Run the same command again to resume" in stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete"] is False and summary["pending"] >= 1
    assert [r["status"] for r in gradebook(out).values()].count("pending") == summary["pending"]
    again = run_cli(str(cls), "--out", str(out))
    stdout, stderr = again.communicate(timeout=120)
    assert again.returncode == 0, stderr
    assert json.loads((out / "summary.json").read_text())["complete"] is True
    assert (out / "gradebook.csv").read_bytes() == (ref / "gradebook.csv").read_bytes()


def _kill_and_resume(cls: Path, ref: Path, out: Path, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(kills):
        proc = run_cli(str(cls), "--out", str(out))
        time.sleep(rng.uniform(0.3, 4.0))
        proc.kill()
        proc.communicate()
    stored = _stored(out)
    final = run_cli(str(cls), "--out", str(out))
    stdout, stderr = final.communicate(timeout=180)
    assert final.returncode == 0, stderr
    # what an earlier run stored is reused; only what it had not stored is graded again
    assert f"graded {6 - len(stored)}, reused {len(stored)}, re-scored 0, kept 0 not in this run" in stdout
    assert (out / "gradebook.csv").read_bytes() == (ref / "gradebook.csv").read_bytes()
    assert json.loads((out / "summary.json").read_text())["complete"] is True
    assert not list(out.rglob("*.tmp"))


def _stored(out: Path) -> set[str]:
    """The students with outcomes in OUT's store now (read-only, as another process)."""
    try:
        with sqlite3.connect(f"file:{out / 'grades.sqlite'}?mode=ro", uri=True, timeout=1) as db:
            return {s for (s,) in db.execute("SELECT DISTINCT student FROM outcomes")}
    except sqlite3.Error:
        return set()


def test_kill_9_mid_chunk_loses_only_the_submissions_in_flight(tmp_path):
    """Results stream to the main process one submission at a time: in the chunk [a4, quentin]
    (quentin loops until his 10 s timeout), a4 is stored while quentin still runs, so a kill -9
    then costs the rerun quentin alone (at most `jobs` = 2 submissions), not the whole chunk.
    (With whole chunks coming back, quentin is stored just after a4: this test fails.)"""
    cls = tmp_path / "class"
    make_class(cls, {f"a{i}": "ada_nwosu" for i in range(5)})
    shutil.copytree(SAMPLE / "quentin_moreau", cls / "quentin")  # chunks of 2: [a0, a1], [a2, a3], [a4, quentin]
    out = tmp_path / "out"
    proc = run_cli(str(cls), "--out", str(out))
    end = time.monotonic() + 120
    stored: set[str] = set()
    while time.monotonic() < end and proc.poll() is None:
        stored = _stored(out)
        if "a4" in stored:
            break
        time.sleep(0.05)
    assert "a4" in stored, stored
    # quentin runs ~10 s more: a whole-chunk executor would store him right after a4 (a4's
    # rendering apart), so his row stays missing for seconds only when results stream
    calm = time.monotonic() + 5
    while time.monotonic() < calm and "quentin" not in stored:
        stored = _stored(out)
        time.sleep(0.05)
    proc.kill()
    proc.communicate()
    at_kill = _stored(out)
    assert "quentin" not in at_kill, "quentin was stored within 5 s of a4: the chunk came back whole"
    again = run_cli(str(cls), "--out", str(out))
    stdout, stderr = again.communicate(timeout=180)
    assert again.returncode == 0, stderr
    graded = int(re.search(r"graded (\d+), reused (\d+)", stdout).group(1))
    assert graded == 6 - len(at_kill) and graded <= 2, stdout
    assert {s: r["status"] for s, r in gradebook(out).items()} == {**{f"a{i}": "graded" for i in range(5)},
                                                                   "quentin": "timeout"}


def test_kill_9_then_rerun_gives_the_same_gradebook(six, tmp_path):
    _kill_and_resume(*six, tmp_path / "out", kills=1, seed=1)


@pytest.mark.slow
def test_kill_9_at_random_points_many_times(six, tmp_path):
    _kill_and_resume(*six, tmp_path / "out", kills=5, seed=2)


def test_two_grade_commands_on_one_out_at_once(tmp_path):
    """A real second ``autograder grade`` while the first runs (its endless-loop student keeps it
    busy for its 10 s timeout): the second stops with a message, the first finishes its job."""
    cls = tmp_path / "class"
    make_class(cls, {f"a{i}": "ada_nwosu" for i in range(5)})
    shutil.copytree(SAMPLE / "quentin_moreau", cls / "quentin")  # graded last, in the last chunk of two
    out = tmp_path / "out"
    first = run_cli(str(cls), "--out", str(out))
    _wait_for_outcomes(out, first, 4)
    assert first.poll() is None, "the first run ended before the second could start"
    second = run_cli(str(cls), "--out", str(out))
    stdout, stderr = second.communicate(timeout=120)
    assert second.returncode == 2 and "another `autograder grade` is writing" in stderr
    stdout, stderr = first.communicate(timeout=180)
    assert first.returncode == 0, stderr
    assert {s: r["status"] for s, r in gradebook(out).items()} == {**{f"a{i}": "graded" for i in range(5)},
                                                                   "quentin": "timeout"}
    assert json.loads((out / "summary.json").read_text())["complete"] is True
