"""load.py: only the modules are copied; zips read safely; notebooks converted; notes for everything."""
from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from autograder.intake.load import MAX_MODULE_BYTES, load
from autograder.results import SubmissionSource

MODULES = ("foundations", "linear_regression", "neural_network")
GOOD = "import numpy as np\n\n\ndef deriv(func, x, diff=0.001):\n    return (func(x + diff) - func(x - diff)) / (2 * diff)\n"


def make(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def make_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def run(tmp_path: Path, path: Path, student: str = "alice"):
    return load(SubmissionSource(student, path), tmp_path / "loaded" / student, MODULES)


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


# --- folders ---------------------------------------------------------------------------------------


def test_folder_copies_only_the_modules_readable_by_anyone(tmp_path):
    src = make(tmp_path / "alice", {
        "foundations.py": GOOD, "linear_regression.py": "W = 1\n", "neural_network.py": "b = 2\n",
        "scratch.txt": "x", "data/boston.csv": "1,2", ".hidden.py": "", "__pycache__/foundations.cpython-311.pyc": b"\0",
    })
    loaded = run(tmp_path, src)
    assert loaded.student == "alice"
    assert loaded.modules == MODULES
    assert loaded.notes == () and loaded.suspicious == ()
    assert listing(loaded.directory) == ["foundations.py", "linear_regression.py", "neural_network.py"]
    assert (loaded.directory / "foundations.py").read_text() == GOOD
    assert stat.S_IMODE(loaded.directory.stat().st_mode) == 0o755
    assert {stat.S_IMODE(p.stat().st_mode) for p in loaded.directory.iterdir()} == {0o644}


def test_missing_modules_get_a_note(tmp_path):
    loaded = run(tmp_path, make(tmp_path / "alice", {"foundations.py": GOOD}))
    assert loaded.modules == ("foundations",)
    assert loaded.notes == (
        "linear_regression.py was not found: its questions score 0",
        "neural_network.py was not found: its questions score 0",
    )


def test_modules_in_a_single_nested_folder_are_found(tmp_path):
    src = make(tmp_path / "alice", {"README.md": "", "hw1/src/foundations.py": GOOD, "hw1/src/notes.txt": ""})
    loaded = run(tmp_path, src)
    assert loaded.modules == ("foundations",)
    assert (loaded.directory / "foundations.py").read_text() == GOOD


def test_modules_in_two_different_folders_are_not_guessed(tmp_path):
    src = make(tmp_path / "alice", {"a/foundations.py": GOOD, "b/foundations.py": "x = 1\n"})
    assert run(tmp_path, src).modules == ()


def test_symlinks_in_a_folder_are_never_followed(tmp_path):
    secret = make(tmp_path / "secret", {"answers.py": "ANSWER = 42\n"}) / "answers.py"
    src = make(tmp_path / "alice", {"linear_regression.py": "W = 1\n"})
    (src / "foundations.py").symlink_to(secret)
    loaded = run(tmp_path, src)
    assert loaded.modules == ("linear_regression",)
    assert loaded.suspicious == ("foundations.py",)
    assert "foundations.py is a symbolic link, not a file: foundations's questions score 0" in loaded.notes
    assert not (loaded.directory / "foundations.py").exists()


def test_oversized_module_is_refused(tmp_path):
    src = make(tmp_path / "alice", {"foundations.py": "#" * (MAX_MODULE_BYTES + 1)})
    loaded = run(tmp_path, src)
    assert loaded.modules == ()
    assert loaded.notes[0] == "foundations.py is 1.0 MiB (at most 1.0 MiB): it was not graded, its questions score 0"
    assert "foundations.py was not found: its questions score 0" not in loaded.notes


TAMPERING = {
    "conftest.py": "def pytest_runtest_makereport(): pass\n",
    "pytest.ini": "[pytest]\naddopts = -k nothing\n",
    "pyproject.toml": "", "setup.cfg": "", "tox.ini": "",
    "sitecustomize.py": "import os\n", "usercustomize.py": "",
    "evil.pth": "import os\n", "numpy.py": "", "pytest.py": "", "autograder.py": "", "json.py": "",
    "numpy/__init__.py": "",
}


def test_files_that_could_tamper_with_grading_are_listed_not_copied(tmp_path):
    src = make(tmp_path / "alice", {"foundations.py": GOOD, **TAMPERING})
    loaded = run(tmp_path, src)
    assert listing(loaded.directory) == ["foundations.py"]
    assert sorted(loaded.suspicious) == sorted([
        "conftest.py", "pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini", "sitecustomize.py",
        "usercustomize.py", "evil.pth", "numpy.py", "pytest.py", "autograder.py", "json.py", "numpy/",
    ])
    assert "conftest.py was ignored: this file can change how Python or pytest behave (kept out of grading; " \
           "a TA may review it)" in loaded.notes
    assert "json.py was ignored: its name shadows a Python standard-library module (kept out of grading; " \
           "a TA may review it)" in loaded.notes


def test_other_python_files_are_ignored_with_a_note(tmp_path):
    loaded = run(tmp_path, make(tmp_path / "alice", {"foundations.py": GOOD, "helpers.py": ""}))
    assert loaded.notes[0] == ("helpers.py was ignored: only foundations.py, linear_regression.py, "
                               "neural_network.py are graded, so code imported from other files is not available")


def test_syntax_error_is_copied_with_a_note(tmp_path):
    src = make(tmp_path / "alice", {"foundations.py": "import numpy as np\n\ndef deriv(f, x:\n    return 1\n"})
    loaded = run(tmp_path, src)
    assert loaded.modules == ("foundations",)
    assert (loaded.directory / "foundations.py").exists()
    assert loaded.notes[0] == "foundations.py line 3: SyntaxError: '(' was never closed"


def test_indentation_error_and_non_utf8_are_copied_with_a_note(tmp_path):
    src = make(tmp_path / "alice", {
        "foundations.py": "def f():\nreturn 1\n",
        "linear_regression.py": b"x = 1\n# caf\xe9\n",
        "neural_network.py": b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n",  # declared: fine
    })
    loaded = run(tmp_path, src)
    assert loaded.modules == MODULES
    assert loaded.notes == (
        "foundations.py line 2: IndentationError: expected an indented block after function definition on line 1",
        "linear_regression.py line 2: the file is not valid UTF-8 text, so Python cannot read it; save it as UTF-8",
    )
    first_line = run(tmp_path, make(tmp_path / "bob", {"foundations.py": b"x = 'caf\xe9'\n"}), "bob")
    assert first_line.notes[0] == (
        "foundations.py line 1: the file is not valid UTF-8 text, so Python cannot read it; save it as UTF-8")


def test_dest_must_be_fresh(tmp_path):
    src = make(tmp_path / "alice", {"foundations.py": GOOD})
    (tmp_path / "loaded" / "alice").mkdir(parents=True)
    with pytest.raises(FileExistsError):
        run(tmp_path, src)


# --- single files ------------------------------------------------------------------------------------


def test_single_py_with_another_name_is_not_graded(tmp_path):
    loaded = run(tmp_path, make(tmp_path, {"hw1.py": GOOD}) / "hw1.py")
    assert loaded.modules == ()
    assert loaded.notes[0] == (
        "hw1.py is not one of the expected file names (foundations.py, linear_regression.py, "
        "neural_network.py): it was not graded. Rename it, or submit a folder or zip holding those files.")


def test_single_py_with_a_module_name_is_graded(tmp_path):
    loaded = run(tmp_path, make(tmp_path / "in", {"foundations.py": GOOD}) / "foundations.py")
    assert loaded.modules == ("foundations",)


# --- zips ------------------------------------------------------------------------------------------


def test_zip_of_a_folder(tmp_path):
    path = make_zip(tmp_path / "alice.zip", {
        "alice/": "", "alice/foundations.py": GOOD, "alice/neural_network.py": "b = 1\n",
        "__MACOSX/alice/._foundations.py": "junk", "alice/.DS_Store": "",
    })
    loaded = run(tmp_path, path)
    assert loaded.modules == ("foundations", "neural_network")
    assert loaded.suspicious == ()
    assert (loaded.directory / "foundations.py").read_text() == GOOD


def test_zip_path_traversal_is_refused_and_nothing_escapes(tmp_path):
    path = make_zip(tmp_path / "alice.zip", {
        "foundations.py": GOOD, "../escaped.py": "x", "../../etc/cron.d/evil": "x", "/abs.py": "x",
        "C:\\windows.py": "x", "a/../../up.py": "x",
    })
    before = listing(tmp_path)
    loaded = run(tmp_path, path)
    assert loaded.modules == ("foundations",)
    assert sorted(loaded.suspicious) == sorted(
        ["../escaped.py", "../../etc/cron.d/evil", "/abs.py", "C:\\windows.py", "a/../../up.py"])
    assert "../escaped.py was ignored: its path points outside the submission (kept out of grading; " \
           "a TA may review it)" in loaded.notes
    after = set(listing(tmp_path)) - set(before)
    assert after == {"loaded", "loaded/alice", "loaded/alice/foundations.py"}


def test_zip_symlink_member_is_refused(tmp_path):
    path = tmp_path / "alice.zip"
    with zipfile.ZipFile(path, "w") as archive:
        link = zipfile.ZipInfo("foundations.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("linear_regression.py", "W = 1\n")
    loaded = run(tmp_path, path)
    assert loaded.modules == ("linear_regression",)
    assert loaded.suspicious == ("foundations.py",)
    assert not (loaded.directory / "foundations.py").exists()


def test_zip_member_larger_than_a_mib_is_not_read(tmp_path):
    path = make_zip(tmp_path / "alice.zip", {"foundations.py": "#" * (2 * MAX_MODULE_BYTES), "neural_network.py": ""})
    loaded = run(tmp_path, path)
    assert loaded.modules == ("neural_network",)
    assert loaded.notes[0] == "foundations.py is 2.0 MiB (at most 1.0 MiB): it was not graded, its questions score 0"


def test_zip_bomb_is_refused_before_unpacking(tmp_path):
    path = make_zip(tmp_path / "alice.zip", {"foundations.py": GOOD, "pad.bin": b"\0" * (21 << 20)})
    assert path.stat().st_size < 100_000  # it compresses very well
    loaded = run(tmp_path, path)
    assert loaded.modules == ()
    assert loaded.notes[0] == "alice.zip would unpack to 21.0 MiB (at most 20.0 MiB): nothing was graded"
    assert listing(loaded.directory) == []


def test_zip_with_too_many_entries_is_refused(tmp_path):
    path = make_zip(tmp_path / "alice.zip", {"foundations.py": GOOD, **{f"f/{i}.txt": "" for i in range(1000)}})
    assert run(tmp_path, path).notes[0] == "alice.zip has 1001 entries (at most 1000): nothing was graded"


def _set_encrypted_flag(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 0x1
    path.write_bytes(bytes(data))


def test_encrypted_zip_is_refused(tmp_path):
    path = make_zip(tmp_path / "alice.zip", {"foundations.py": GOOD})
    _set_encrypted_flag(path)
    loaded = run(tmp_path, path)
    assert loaded.modules == ()
    assert loaded.notes[0] == "alice.zip is password-protected: nothing was graded"


def test_corrupt_zips_give_notes_not_crashes(tmp_path):
    (tmp_path / "junk.zip").write_bytes(b"this is not a zip at all")
    loaded = run(tmp_path, tmp_path / "junk.zip", "junk")
    assert loaded.notes[0] == "junk.zip could not be opened as a zip file (corrupt or not a zip): nothing was graded"

    good = make_zip(tmp_path / "good.zip", {"foundations.py": GOOD * 50})
    (tmp_path / "cut.zip").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert run(tmp_path, tmp_path / "cut.zip", "cut").modules == ()

    data = bytearray(good.read_bytes())
    data[60] ^= 0xFF  # inside the deflated data: CRC or inflate error on read
    (tmp_path / "flipped.zip").write_bytes(bytes(data))
    loaded = run(tmp_path, tmp_path / "flipped.zip", "flipped")
    assert loaded.modules == ()
    assert loaded.notes[0].startswith("flipped.zip: foundations.py could not be read (")
    assert loaded.notes[0].endswith("corrupt zip): foundations's questions score 0")


def test_zip_holding_a_zip_gets_a_hint(tmp_path):
    inner = make_zip(tmp_path / "inner.zip", {"foundations.py": GOOD})
    path = make_zip(tmp_path / "alice.zip", {"alice/hw.zip": inner.read_bytes()})
    assert "alice.zip holds another zip file: submit the .py files themselves (or one zip of them)" in run(
        tmp_path, path).notes


def test_tampering_files_in_a_zip_are_listed(tmp_path):
    path = make_zip(tmp_path / "alice.zip", {f"alice/{k}": v for k, v in TAMPERING.items()} | {
        "alice/foundations.py": GOOD})
    loaded = run(tmp_path, path)
    assert loaded.modules == ("foundations",)
    assert "alice/conftest.py" in loaded.suspicious and "alice/evil.pth" in loaded.suspicious
    assert listing(loaded.directory) == ["foundations.py"]


# --- notebooks --------------------------------------------------------------------------------------


def cell(source: str, cell_type: str = "code", **metadata) -> dict:
    base = {"cell_type": cell_type, "metadata": metadata, "source": source, "id": f"c{abs(hash(source)) % 10**8}"}
    if cell_type == "code":
        base |= {"outputs": [], "execution_count": None}
    return base


def notebook(*cells: dict) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells)})


def test_notebook_cells_become_modules(tmp_path):
    """Definitions are kept at their cell lines; magics go through IPython's transformer and are
    skipped like other top-level calls; an untagged cell joins no module by position."""
    text = notebook(
        cell("# Homework 1", "markdown"),
        cell("import numpy as np  # setup, before any tag"),
        cell("# module: foundations\n%matplotlib inline\nimport numpy as np\n"),
        cell("def deriv(func, x, diff=0.001):\n    !echo hi\n    return (func(x + diff) - func(x - diff)) / (2 * diff)"),
        cell("W = 1", autograder={"module": "linear_regression"}),
        cell("%%bash\necho not python\n"),
        cell("!pip install torch"),
    )
    loaded = run(tmp_path, make(tmp_path, {"alice.ipynb": text}) / "alice.ipynb")
    assert loaded.modules == ("foundations", "linear_regression")
    text = (loaded.directory / "foundations.py").read_text()
    assert "_ag_cell(3, '\\n\\nimport numpy as np\\n', 0)" in text  # the tag line and the magic blank
    assert "_ag_cell(4, 'def deriv(func, x, diff=0.001):\\n    pass  # !echo hi\\n" in text
    assert "_ag_cell(5, 'W = 1\\n', 0)" in (loaded.directory / "linear_regression.py").read_text()
    assert loaded.notes == (
        "alice.ipynb: cell 6 is a %%bash cell (not Python): it was left out",
        "alice.ipynb: cell 4 has no module line; it defines deriv, so it was graded as part of foundations.py",
        "foundations.py was built from the code cells of alice.ipynb (cells 3, 4; an error names its cell and line)",
        "foundations.py (from alice.ipynb): the grader keeps imports, functions, classes and constants, and "
        "skipped 1 other top-level statement(s): cell 3, line 2: %matplotlib inline",
        "linear_regression.py was built from the code cells of alice.ipynb (cells 5; an error names its cell and line)",
        "neural_network.py was not found: its questions score 0",
    )


def test_notebook_syntax_error_names_the_cell(tmp_path):
    text = notebook(cell("# module: foundations\nimport numpy as np"), cell("x = 1\ndef f(:\n    pass", autograder={"module": "foundations"}))
    loaded = run(tmp_path, make(tmp_path, {"alice.ipynb": text}) / "alice.ipynb")
    assert loaded.modules == ("foundations",)
    assert "alice.ipynb: cell 2, line 2: SyntaxError: invalid syntax. The cell was left out; fix it and run it " \
           "in Jupyter to check" in loaded.notes


def test_notebook_without_tags_explains_how_to_tag(tmp_path):
    loaded = run(tmp_path, make(tmp_path, {"alice.ipynb": notebook(cell("def deriv(): pass"))}) / "alice.ipynb")
    assert loaded.modules == ("foundations",)  # attributed by what it defines: a function of foundations
    assert loaded.notes[0] == ("alice.ipynb: cell 1 has no module line; it defines deriv, so it was graded as "
                               "part of foundations.py")
    loaded = run(tmp_path, make(tmp_path, {"bob.ipynb": notebook(cell("def helper(): pass"))}) / "bob.ipynb", "bob")
    assert loaded.modules == ()
    assert loaded.notes[0] == ("bob.ipynb: cell 1 has no module line and defines nothing a module has: it was "
                               "left out (if it belongs to one, start it with `%%module NAME`, NAME one of foundations, "
                               "linear_regression, neural_network)")
    assert loaded.notes[1] == "bob.ipynb: no code cell belongs to a module, so nothing in it was graded"


def test_notebook_with_an_unknown_module_tag(tmp_path):
    text = notebook(cell("# module: foundation\nx = 1"), cell("# module: foundations\ny = 2"))
    loaded = run(tmp_path, make(tmp_path, {"alice.ipynb": text}) / "alice.ipynb")
    assert loaded.modules == ("foundations",)
    assert "_ag_cell(2, '\\ny = 2\\n', 0)" in (loaded.directory / "foundations.py").read_text()
    assert loaded.notes[0] == ("alice.ipynb: cell 1 names the module 'foundation', which is not one of "
                               "foundations, linear_regression, neural_network: it was left out")


def test_invalid_notebooks_give_notes(tmp_path):
    loaded = run(tmp_path, make(tmp_path, {"a.ipynb": "{not json"}) / "a.ipynb")
    assert loaded.modules == ()
    assert loaded.notes[0].startswith("a.ipynb is not a notebook: it is not valid JSON (line 1, column 2: ")
    loaded = run(tmp_path, make(tmp_path, {"b.ipynb": '{"nbformat": 4, "cells": 3}'}) / "b.ipynb", "b")
    assert loaded.modules == () and loaded.notes[0] == "b.ipynb is not a Jupyter notebook (no list of cells): nothing in it was graded"
    loaded = run(tmp_path, make(tmp_path, {"c.ipynb": b"\xff\xfe{}"}) / "c.ipynb", "c")
    assert loaded.notes[0] == "c.ipynb is not UTF-8 text, so it could not be read as a notebook"
    loaded = run(tmp_path, make(tmp_path, {"d.ipynb": ""}) / "d.ipynb", "d")
    assert loaded.notes[0] == "d.ipynb is empty: save the notebook in Jupyter and submit it again"


def test_a_notebook_missing_optional_fields_is_read(tmp_path):
    text = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "source": "# module: foundations\nx = 1\n"}]})  # no outputs
    loaded = run(tmp_path, make(tmp_path, {"alice.ipynb": text}) / "alice.ipynb")
    assert loaded.modules == ("foundations",)


def test_py_files_win_over_a_notebook(tmp_path):
    text = notebook(cell("# module: foundations\nx = 'from notebook'"), cell("# module: neural_network\ny = 1"))
    src = make(tmp_path / "alice", {"foundations.py": GOOD, "work.ipynb": text})
    loaded = run(tmp_path, src)
    assert loaded.modules == ("foundations", "neural_network")
    assert (loaded.directory / "foundations.py").read_text() == GOOD
    assert "work.ipynb: the cells of foundations were not used: foundations.py was already found" in loaded.notes


def test_notebook_in_a_zip(tmp_path):
    text = notebook(cell("# module: foundations\nx = 1"))
    loaded = run(tmp_path, make_zip(tmp_path / "alice.zip", {"hw/alice.ipynb": text}))
    assert loaded.modules == ("foundations",)
    assert "foundations.py was built from the code cells of hw/alice.ipynb (cells 1; an error names its cell and line)" in loaded.notes


def test_load_never_executes_student_code(tmp_path):
    marker = tmp_path / "executed"
    code = f"open({str(marker)!r}, 'w').write('x')\n"
    src = make(tmp_path / "alice", {"foundations.py": code, "conftest.py": code, "sitecustomize.py": code})
    run(tmp_path, src)
    assert not marker.exists()
    assert os.listdir(tmp_path / "loaded" / "alice") == ["foundations.py"]


# --- file names as students write them (issue 12) ----------------------------------------------------


def test_file_names_are_matched_case_insensitively_without_copy_marks_or_lms_prefixes(tmp_path):
    src = make(tmp_path / "alice", {
        "Foundations.py": GOOD, "linear_regression (1).py": "W = 1\n",
        "nwosuada_1001_5013_neural_network-2.py": "b = 2\n",
    })
    loaded = run(tmp_path, src)
    assert loaded.modules == MODULES
    assert (loaded.directory / "foundations.py").read_text() == GOOD
    assert [n for n in loaded.notes if n.startswith("file name fixed up")] == [
        "file name fixed up: Foundations.py read as foundations.py",
        "file name fixed up: linear_regression (1).py read as linear_regression.py",
        "file name fixed up: nwosuada_1001_5013_neural_network-2.py read as neural_network.py",
    ]
    assert not any("was not found" in n for n in loaded.notes)


def test_a_single_py_submission_with_a_copy_mark_is_graded(tmp_path):
    """The bug: `foundations (1).py` was invalid."""
    src = make(tmp_path, {"foundations (1).py": GOOD}) / "foundations (1).py"
    loaded = run(tmp_path, src)
    assert loaded.modules == ("foundations",)
    assert "file name fixed up: foundations (1).py read as foundations.py" in loaded.notes


def test_modules_in_separate_sub_folders_are_found_one_level_down(tmp_path):
    """The bug: code in chp1/, chp2/ was reported only as "foundations.py was not found"."""
    src = make(tmp_path / "alice", {"chp1/foundations.py": GOOD, "chp2/linear_regression.py": "W = 1\n",
                                    "README.md": "hi"})
    loaded = run(tmp_path, src)
    assert loaded.modules == ("foundations", "linear_regression")
    assert "file name fixed up: foundations.py was taken from chp1/foundations.py" in loaded.notes
    assert "file name fixed up: linear_regression.py was taken from chp2/linear_regression.py" in loaded.notes
    assert "neural_network.py was not found: its questions score 0" in loaded.notes


def test_an_ambiguous_match_is_reported_not_guessed(tmp_path):
    src = make(tmp_path / "alice", {"v1/foundations.py": GOOD, "v2/foundations.py": "x = 1\n",
                                    "Linear_Regression.py": "a = 1\n", "linear_regression (2).py": "b = 1\n"})
    loaded = run(tmp_path, src)
    assert loaded.modules == ()
    assert ("foundations.py is ambiguous: v1/foundations.py, v2/foundations.py could each be it, so none was "
            "graded; keep one and resubmit (its questions score 0)") in loaded.notes
    assert any(n.startswith("linear_regression.py is ambiguous: Linear_Regression.py, linear_regression (2).py")
               for n in loaded.notes)


def test_an_exact_name_beats_a_fixed_up_one(tmp_path):
    src = make(tmp_path / "alice", {"foundations.py": GOOD, "foundations (1).py": "x = 1\n"})
    loaded = run(tmp_path, src)
    assert (loaded.directory / "foundations.py").read_text() == GOOD
    assert "foundations (1).py ignored: foundations.py has the exact name" in loaded.notes


def test_the_releases_own_conftest_and_pytest_ini_handed_back_unchanged_are_not_suspicious(tmp_path):
    """A student who zips the whole release folder hands back its tests/conftest.py and pytest.ini;
    the TA saw "suspicious file: pytest.ini | suspicious file: tests/conftest.py" for that
    innocent submission. Unchanged, they are the release's: not flagged. Changed, they are."""
    release = Path(__file__).resolve().parents[1] / "assignments" / "nn_from_scratch"
    files = {name: (release / name).read_bytes() for name in ("pytest.ini", "tests/conftest.py")}
    loaded = run(tmp_path, make(tmp_path / "alice", {"foundations.py": GOOD, **files}))
    assert loaded.suspicious == () and not any("was ignored" in n for n in loaded.notes)
    assert listing(loaded.directory) == ["foundations.py"]
    changed = {name: data + b"\nimport os\n" for name, data in files.items()}
    loaded = run(tmp_path, make(tmp_path / "bob", {"foundations.py": GOOD, **changed}), "bob")
    assert sorted(loaded.suspicious) == ["pytest.ini", "tests/conftest.py"]
    assert listing(loaded.directory) == ["foundations.py"]


def test_many_notebooks_in_one_zip_share_one_transformer_allowance(tmp_path, monkeypatch):
    """Hostile: the bound on IPython's transformer (magics x cell size) was per notebook, so a zip of
    many notebooks full of magics multiplied it; one allowance now covers a submission's notebooks
    (the real tokenizer, counted)."""
    import IPython.core.inputtransformer2 as it
    import nbformat
    from nbformat import v4

    from autograder.intake.notebook import TRANSFORM_ALLOWANCE

    tokenized = [0]
    real = it.make_tokens_by_line

    def counted(lines):
        tokenized[0] += sum(map(len, lines))
        return real(lines)

    monkeypatch.setattr(it, "make_tokens_by_line", counted)
    cell = "%%module foundations\n" + "".join(f"%ls {i}\n" for i in range(100)) + "STEP = 1\n" * 1500
    notebook = nbformat.writes(v4.new_notebook(cells=[v4.new_code_cell(cell)]))
    with zipfile.ZipFile(tmp_path / "hw.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(8):
            archive.writestr(f"part{i}.ipynb", notebook)
    loaded = load(SubmissionSource("eve", tmp_path / "hw.zip"), tmp_path / "out", ("foundations", "linear_regression"))
    assert loaded.modules == ("foundations",)
    assert tokenized[0] <= 2 * TRANSFORM_ALLOWANCE
