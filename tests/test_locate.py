"""locate.py: which PATHs are submissions, student ids, duplicates, stray files."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder.intake.locate import LocateError, locate
from autograder.results import SubmissionSource

MODULES = ("foundations", "linear_regression", "neural_network")


def make(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def ids(sources: list[SubmissionSource]) -> list[str]:
    return [s.student for s in sources]


def test_class_folder_of_folders_zips_notebooks_and_files(tmp_path):
    make(tmp_path / "class", {
        "carol/foundations.py": "", "bob.zip": "", "alice.ipynb": "{}", "dave.py": "",
        "erin/hw/linear_regression.py": "",
    })
    sources, warnings = locate([tmp_path / "class"], MODULES)
    assert sources == [
        SubmissionSource("alice", tmp_path / "class/alice.ipynb"),
        SubmissionSource("bob", tmp_path / "class/bob.zip"),
        SubmissionSource("carol", tmp_path / "class/carol"),
        SubmissionSource("dave", tmp_path / "class/dave.py"),
        SubmissionSource("erin", tmp_path / "class/erin"),
    ]
    assert warnings == []


def test_hidden_entries_are_skipped_and_stray_files_warn(tmp_path):
    make(tmp_path / "class", {
        ".DS_Store": "", ".git/config": "", "__MACOSX/._bob.zip": "", "__pycache__/x.pyc": "",
        "README.txt": "", "grades.csv": "", "bob.zip": "",
    })
    sources, warnings = locate([tmp_path / "class"], MODULES)
    assert ids(sources) == ["bob"]
    assert warnings == [
        f"{tmp_path}/class/README.txt: skipped, not a submission (expected a folder, .zip, .ipynb or .py file)",
        f"{tmp_path}/class/grades.csv: skipped, not a submission (expected a folder, .zip, .ipynb or .py file)",
    ]


def test_one_students_folder_is_one_submission(tmp_path):
    folder = make(tmp_path / "alice", {"foundations.py": "", "notes/readme.md": ""})
    assert locate([folder], MODULES) == ([SubmissionSource("alice", folder)], [])


def test_a_folder_with_one_notebook_is_one_student(tmp_path):
    folder = make(tmp_path / "bob", {"nn_from_scratch.ipynb": "{}", "data.csv": ""})
    assert ids(locate([folder], MODULES, assignment="nn_from_scratch")[0]) == ["bob"]


def test_a_folder_of_notebooks_is_a_class(tmp_path):
    folder = make(tmp_path / "class", {"alice.ipynb": "{}", "bob.ipynb": "{}"})
    assert ids(locate([folder], MODULES)[0]) == ["alice", "bob"]


def test_single_zip_and_several_paths(tmp_path):
    make(tmp_path, {"a/zed.zip": "", "b/amy/foundations.py": "", "b/bea.zip": ""})
    sources, warnings = locate([tmp_path / "a/zed.zip", tmp_path / "b"], MODULES)
    assert ids(sources) == ["amy", "bea", "zed"]
    assert warnings == []


def test_duplicate_ids_keep_both_with_a_suffix(tmp_path):
    make(tmp_path / "class", {"alice/foundations.py": "", "alice.zip": "", "alice.ipynb": "{}"})
    make(tmp_path / "late", {"alice.zip": ""})
    sources, warnings = locate([tmp_path / "class", tmp_path / "late"], MODULES)
    assert ids(sources) == ["alice", "alice-2", "alice-3", "alice-4"]
    assert [s.path.relative_to(tmp_path).as_posix() for s in sources] == [
        "class/alice", "class/alice.ipynb", "class/alice.zip", "late/alice.zip"]
    assert len(warnings) == 3
    assert warnings[0] == (f"{tmp_path}/class/alice.ipynb: student id 'alice' is already used by another "
                           f"submission; graded as 'alice-2'")


def test_suffix_never_collides_with_a_real_id(tmp_path):
    make(tmp_path / "class", {"alice.zip": "", "alice.py": "", "alice-2.zip": ""})
    sources, _ = locate([tmp_path / "class"], MODULES)
    assert sorted(ids(sources)) == ["alice", "alice-2", "alice-3"]
    assert {s.student: s.path.name for s in sources}["alice-2"] == "alice-2.zip"


def test_ids_that_collide_with_report_files_are_renamed(tmp_path):
    make(tmp_path / "class", {"plots/foundations.py": "", "summary.json.zip": ""})
    sources, warnings = locate([tmp_path / "class"], MODULES)
    assert ids(sources) == ["plots-2", "summary.json-2"]
    assert "a name the report uses itself" in warnings[0]


def test_control_characters_in_names_are_replaced(tmp_path):
    make(tmp_path / "class", {"eve\tx\x1b.zip": ""})
    assert ids(locate([tmp_path / "class"], MODULES)[0]) == ["eve_x_"]


def test_same_path_twice_is_graded_once(tmp_path):
    folder = make(tmp_path / "alice", {"foundations.py": ""})
    sources, warnings = locate([folder, folder], MODULES)
    assert ids(sources) == ["alice"]
    assert warnings == [f"{folder}: listed more than once; graded once"]


def test_missing_path_raises_a_clear_error(tmp_path):
    with pytest.raises(LocateError, match="nope: no such file or folder"):
        locate([tmp_path / "nope"], MODULES)


def test_a_path_that_cannot_be_a_submission_raises(tmp_path):
    make(tmp_path, {"grades.csv": ""})
    with pytest.raises(LocateError, match="grades.csv: not a submission"):
        locate([tmp_path / "grades.csv"], MODULES)


def test_empty_class_folder_warns(tmp_path):
    (tmp_path / "class").mkdir()
    assert locate([tmp_path / "class"], MODULES) == ([], [f"{tmp_path}/class: no submission found in this folder"])


# --- class or student: decided, printed with its reason, never merged silently (issue 12) ----------


def test_a_stray_module_beside_student_folders_is_reported_not_merged(tmp_path):
    """The bug: a class folder with student folders and one stray foundations.py was graded as ONE student."""
    folder = make(tmp_path / "class", {
        "alice/foundations.py": "", "bob/foundations.py": "", "carol.zip": "", "foundations.py": "",
    })
    decisions: list[str] = []
    sources, warnings = locate([folder], MODULES, decisions=decisions)
    assert ids(sources) == ["alice", "bob", "carol"]
    assert warnings == [f"{folder}/foundations.py: a module file beside 3 student submissions belongs to no "
                        f"student: not graded (move it into a student's folder, or grade it alone with --student)"]
    assert decisions == [f"{folder}: read as a class of 3 submissions (it holds 3 student folders or files; "
                         f"--student reads it as one student)"]


def test_a_module_beside_one_folder_is_ambiguous_and_refused_with_a_hint(tmp_path):
    folder = make(tmp_path / "x", {"alice/foundations.py": "", "foundations.py": ""})
    with pytest.raises(LocateError, match=r"ambiguous.*--class.*--student"):
        locate([folder], MODULES)
    assert ids(locate([folder], MODULES, layout="student")[0]) == ["x"]
    sources, warnings = locate([folder], MODULES, layout="class")
    assert ids(sources) == ["alice"] and "belongs to no student" in warnings[0]


def test_a_student_folder_says_why(tmp_path):
    folder = make(tmp_path / "alice", {"foundations.py": "", "data/boston.csv": ""})
    decisions: list[str] = []
    assert ids(locate([folder], MODULES, decisions=decisions)[0]) == ["alice"]
    assert decisions == [f"{folder}: read as one student, alice (it holds foundations.py directly; "
                         f"--class reads it as a class)"]


def test_a_folder_with_one_notebook_not_named_like_the_release_is_ambiguous(tmp_path):
    """The bug: a folder holding one notebook (ada_nwosu.ipynb) was graded as student "nbs1"."""
    folder = make(tmp_path / "nbs1", {"ada_nwosu.ipynb": "{}"})
    with pytest.raises(LocateError, match="ambiguous"):
        locate([folder], MODULES, assignment="nn_from_scratch")
    assert ids(locate([folder], MODULES, layout="class")[0]) == ["ada_nwosu"]
    release = make(tmp_path / "bob", {"NN_from_scratch (1).ipynb": "{}"})
    assert ids(locate([release], MODULES, assignment="nn_from_scratch")[0]) == ["bob"]
