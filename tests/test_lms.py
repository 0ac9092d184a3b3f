"""lms.py: Canvas zips and flat folders, Gradescope exports, --pattern, detection (issue 12)."""
from __future__ import annotations

import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from autograder.intake.lms import detect_format, intake
from autograder.intake.locate import LocateError

MODULES = ("foundations", "linear_regression", "neural_network")
FIXTURES = Path(__file__).parent / "fixtures" / "lms"
CANVAS = FIXTURES / "canvas_download"
GRADESCOPE = FIXTURES / "gradescope"


def zip_folder(folder: Path, dest: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(dest, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return dest


def test_canvas_zip_is_detected_and_read_per_user_id(tmp_path):
    archive = zip_folder(CANVAS, tmp_path / "submissions.zip")
    assert detect_format(archive)[0] == "canvas"
    got = intake([archive], MODULES, tmp_path / "staging")
    assert [s.student for s in got.sources] == ["1001", "1002", "1003", "1004"]
    by_id = {s.student: s for s in got.sources}
    assert by_id["1001"].name == "nwosuada" and not by_id["1001"].late
    assert by_id["1002"].late and by_id["1004"].late
    assert sorted(p.name for p in by_id["1001"].path.iterdir()) == [
        "foundations.py", "linear_regression.py", "neural_network.py"]
    # the resubmission -1 (attachment 5034) wins over the first upload (5031)
    farid = by_id["1003"]
    assert (farid.path / "Foundations.py").read_bytes() == (CANVAS / "rahimifarid_1003_5034_Foundations-1.py").read_bytes()
    assert not (farid.path / "Foundations-1.py").exists()
    assert any("Foundations-1.py (the newest) was graded as Foundations.py" in n for n in farid.notes)
    assert got.decisions == [f"{archive}: read as a Canvas export of 4 students (its 13 files are named like "
                             f"Canvas's (name[_LATE]_userid_attachmentid_file))"]


def test_canvas_flat_folder_is_detected_too(tmp_path):
    got = intake([CANVAS], MODULES, tmp_path / "staging")
    assert detect_format(CANVAS)[0] == "canvas"
    assert [s.student for s in got.sources] == ["1001", "1002", "1003", "1004"]


def test_canvas_anonymous_entries_and_stray_files(tmp_path):
    folder = tmp_path / "dl"
    folder.mkdir()
    (folder / "anon_xK3p9_LATE_7001_foundations.py").write_text("x = 1\n")
    (folder / "anon_Qz81m_7002_foundations.py").write_text("x = 2\n")
    got = intake([folder], MODULES, tmp_path / "staging", fmt="canvas")
    assert [(s.student, s.late) for s in got.sources] == [("anon_Qz81m", False), ("anon_xK3p9", True)]
    (folder / "notes.txt").write_text("")
    got = intake([folder], MODULES, tmp_path / "staging2", fmt="canvas")
    assert got.warnings == [f"{folder}: notes.txt: skipped, not named like a Canvas submission file"]


def test_gradescope_export_one_row_per_submitter_with_times(tmp_path):
    assert detect_format(GRADESCOPE)[0] == "gradescope"
    got = intake([GRADESCOPE], MODULES, tmp_path / "staging")
    assert [s.student for s in got.sources] == ["1001", "1002", "1003", "1006"]
    by_id = {s.student: s for s in got.sources}
    pst = timezone(timedelta(hours=-8))
    assert by_id["1001"].submitted_at == datetime(2026, 11, 20, 16, 58, 2, 512300, tzinfo=pst)
    assert by_id["1001"].name == "Ada Nwosu" and by_id["1001"].email == "ada.nwosu@example.edu"
    assert by_id["1002"].path == by_id["1006"].path
    assert by_id["1002"].group == ("1002", "1006") == by_id["1006"].group
    assert "group submission (submission_9002) with Hugo Lambert" in by_id["1002"].notes[0]
    assert got.warnings == []


def test_gradescope_zip_is_unpacked_and_read(tmp_path):
    archive = zip_folder(GRADESCOPE, tmp_path / "export.zip")
    got = intake([archive], MODULES, tmp_path / "staging")
    assert [s.student for s in got.sources] == ["1001", "1002", "1003", "1006"]
    assert (got.sources[0].path / "foundations.py").is_file()


def test_pattern_reads_any_lms_and_newest_time_wins(tmp_path):
    folder = tmp_path / "moodle"
    folder.mkdir()
    (folder / "alice--2026-11-20T10:00:00+00:00--foundations.py").write_text("old = 1\n")
    (folder / "alice--2026-11-20T12:00:00+00:00--foundations.py").write_text("new = 1\n")
    (folder / "bob--2026-11-19T09:00:00+00:00--foundations.py").write_text("b = 1\n")
    (folder / "README").write_text("")
    got = intake([folder], MODULES, tmp_path / "staging", pattern=r"(?P<student>\w+)--(?P<time>[^-][^/]*?)--(?P<file>.+)")
    assert [s.student for s in got.sources] == ["alice", "bob"]
    assert (got.sources[0].path / "foundations.py").read_text() == "new = 1\n"
    assert got.sources[0].submitted_at == datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
    assert got.warnings == [f"{folder}: README: skipped, does not match --pattern"]


def test_a_pattern_without_the_named_groups_is_refused(tmp_path):
    with pytest.raises(LocateError, match="missing file"):
        intake([tmp_path], MODULES, tmp_path / "s", pattern=r"(?P<student>\w+)_.*")


def test_plain_class_folder_still_reads_and_says_why(tmp_path):
    (tmp_path / "class" / "alice").mkdir(parents=True)
    (tmp_path / "class" / "alice" / "foundations.py").write_text("")
    (tmp_path / "class" / "bob.zip").write_bytes(b"")
    got = intake([tmp_path / "class"], MODULES, tmp_path / "staging")
    assert [s.student for s in got.sources] == ["alice", "bob"]
    assert "read as a class of 2 submissions" in got.decisions[0]


def test_a_path_given_twice_or_inside_another_is_graded_once(tmp_path):
    (tmp_path / "class" / "alice").mkdir(parents=True)
    (tmp_path / "class" / "alice" / "foundations.py").write_text("")
    (tmp_path / "class" / "bob.zip").write_bytes(b"")
    got = intake([tmp_path / "class" / "alice", tmp_path / "class", tmp_path / "class"], MODULES, tmp_path / "s")
    assert [s.student for s in got.sources] == ["alice", "bob"]
    assert got.warnings == [f"{tmp_path}/class/alice: listed more than once; graded once",
                            f"{tmp_path}/class: listed more than once; graded once"]


def test_gradescope_ids_that_could_not_name_a_folder_are_made_safe_and_a_lone_zip_is_the_submission(tmp_path):
    export = tmp_path / "export"
    (export / "submission_1").mkdir(parents=True)
    (export / "submission_1" / "hw.zip").write_bytes(b"")
    (export / "submission_metadata.yml").write_text(
        "submission_1:\n  :submitters:\n  - :name: Eve\n    :sid: ../etc/x\n  :created_at: 2026-11-20 10:00:00 +0000\n")
    got = intake([export], MODULES, tmp_path / "s")
    assert [s.student for s in got.sources] == ["_._etc_x"]
    assert got.sources[0].path == export / "submission_1" / "hw.zip"


def test_a_canvas_text_entry_keeps_its_row_with_a_note(tmp_path):
    from autograder.intake.load import load

    folder = tmp_path / "dl"
    folder.mkdir()
    (folder / "doejane_LATE_2001_text.html").write_text("<p>my answer</p>")
    (folder / "roebob_2002_7001_foundations.py").write_text("x = 1\n")
    got = intake([folder], MODULES, tmp_path / "staging")
    assert [(s.student, s.late) for s in got.sources] == [("2001", True), ("2002", False)]
    loaded = load(got.sources[0], tmp_path / "loaded", MODULES)
    assert loaded.modules == ()
    assert loaded.notes[0] == ("Canvas has a text entry from this student, which the grader cannot read: "
                               "submit the files")


def test_a_canvas_name_that_would_leave_the_staging_folder_is_skipped(tmp_path):
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("doejane_1_2_..", "x")
        z.writestr("doejane_1_3_foundations.py", "x = 1\n")
    got = intake([archive], MODULES, tmp_path / "staging", fmt="canvas")
    assert [s.student for s in got.sources] == ["1"]
    assert got.warnings == [f"{archive}: doejane_1_2_..: skipped, its file name cannot be used"]
    assert sorted(p.name for p in (tmp_path / "staging").rglob("*") if p.is_file()) == ["foundations.py"]


def test_pattern_times_with_and_without_offsets_do_not_crash(tmp_path):
    folder = tmp_path / "lms"
    folder.mkdir()
    (folder / "amy@2026-11-20T10:00:00@foundations.py").write_text("a = 1\n")
    (folder / "amy@2026-11-20T12:00:00+00:00@foundations.py").write_text("a = 2\n")
    got = intake([folder], MODULES, tmp_path / "s", pattern=r"(?P<student>\w+)@(?P<time>[^@]+)@(?P<file>.+)")
    assert (got.sources[0].path / "foundations.py").read_text() == "a = 2\n"


def test_a_single_file_path_says_how_it_was_read(tmp_path):
    (tmp_path / "dan.py").write_text("")
    got = intake([tmp_path / "dan.py"], MODULES, tmp_path / "s")
    assert got.decisions == [f"{tmp_path}/dan.py: read as one student, dan (a single .py file)"]


def test_the_readme_pattern_for_moodle_style_names(tmp_path):
    folder = tmp_path / "moodle"
    folder.mkdir()
    (folder / "Jane Doe_4021_assignsubmission_file_foundations.py").write_text("j = 1\n")
    (folder / "Li Wei_4022_assignsubmission_file_Foundations (1).py").write_text("l = 1\n")
    got = intake([folder], MODULES, tmp_path / "s",
                 pattern=r"(?P<student>[^_]+_\d+)_assignsubmission_file_(?P<file>.+)")
    assert [s.student for s in got.sources] == ["Jane Doe_4021", "Li Wei_4022"]
    assert sorted(p.name for p in got.sources[1].path.iterdir()) == ["Foundations (1).py"]


def _class_with_a_planted_gradescope_metadata(top: Path) -> Path:
    """A class folder of three students; mallory's folder also holds a submission_metadata.yml that
    names a folder of hers as alice's and bob's submission (hostile: a student ships files only)."""
    for student in ("alice", "bob", "mallory"):
        (top / student).mkdir(parents=True)
        (top / student / "foundations.py").write_text(f"WHO = {student!r}\n")
    (top / "mallory" / "submission_1").mkdir()
    (top / "mallory" / "submission_1" / "foundations.py").write_text("WHO = 'mallory, posing'\n")
    (top / "mallory" / "submission_metadata.yml").write_text(
        "submission_1:\n  :submitters:\n  - :name: Alice\n    :sid: alice\n  - :name: Bob\n    :sid: bob\n")
    return top


def test_a_students_submission_metadata_does_not_make_the_class_a_gradescope_export(tmp_path):
    """Hostile: a Gradescope metadata file inside one student's folder read the whole class folder as
    a Gradescope export rooted in that folder: every other student's own work was dropped and the
    planted submission was graded as theirs. A metadata file one level down counts only when its
    folder is the only entry (the unpacked export's folder), in a folder or a zip."""
    top = _class_with_a_planted_gradescope_metadata(tmp_path / "class")
    assert detect_format(top)[0] == "folder"
    got = intake([top], MODULES, tmp_path / "staging")
    assert [s.student for s in got.sources] == ["alice", "bob", "mallory"]
    assert [s.path for s in got.sources] == [top / "alice", top / "bob", top / "mallory"]
    archive = zip_folder(top, tmp_path / "class.zip")
    assert detect_format(archive)[0] == "folder"
    # the real export, unpacked one folder down (GRADESCOPE/assignment_777_export/), still reads as one
    assert detect_format(GRADESCOPE)[0] == "gradescope"
    assert detect_format(zip_folder(GRADESCOPE, tmp_path / "export.zip"))[0] == "gradescope"
