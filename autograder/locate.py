"""Step 1, *locate*: turn the PATHs a TA gives into one `SubmissionSource` per student.

A PATH is one of:

* a folder of submissions (a class): each sub-folder, ``.zip``, ``.ipynb`` or ``.py`` file in it
  is one student, whose id is the name without its extension;
* one student's folder: a folder that directly holds a module file (``foundations.py``, ...) or
  exactly one notebook and nothing that looks like another student;
* one ``.zip``, ``.ipynb`` or ``.py`` file: one student.

Hidden entries (``.*``), ``__MACOSX`` and ``__pycache__`` are skipped. A stray file in a class
folder (``README.txt``, ``grades.csv``) gives a warning, never an error. Two submissions with the
same id keep both: the second becomes ``alice-2`` (with a warning). Nothing is read or opened
here beyond listing folders; the *load* step does that, safely.
"""
from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Sequence

from autograder.results import SubmissionSource

#: Extensions of a file that can be a whole submission.
SUBMISSION_SUFFIXES = (".zip", ".ipynb", ".py")
#: Names never taken as a submission or looked into.
SKIPPED_NAMES = frozenset({"__MACOSX", "__pycache__"})
#: Student ids that would collide with the report's own files in OUT/ (see report.py).
RESERVED_IDS = frozenset({"plots", "gradebook.csv", "summary.json", "report"})


class LocateError(ValueError):
    """A PATH cannot be used (it does not exist, or is not a folder, zip, notebook or .py file)."""


def is_skipped(name: str) -> bool:
    """Hidden files and folders, macOS resource forks, bytecode caches."""
    return name.startswith(".") or name in SKIPPED_NAMES


def _student_id(name: str) -> str:
    """The id from a file or folder name: no extension, no control or separator characters."""
    stem = name
    for suffix in SUBMISSION_SUFFIXES:
        if stem.lower().endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    cleaned = "".join("_" if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch for ch in stem)
    return cleaned.strip() or "_"


def _is_student_folder(folder: Path, modules: Sequence[str]) -> bool:
    """A folder that directly holds a module file, or one notebook and no other submission."""
    names = [e.name for e in _entries(folder)]
    if any(f"{m}.py" in names for m in modules):
        return True
    notebooks = [n for n in names if n.lower().endswith(".ipynb")]
    if len(notebooks) != 1:
        return False
    others = [
        e for e in _entries(folder)
        if e.is_dir() or e.name.lower().endswith((".zip", ".py"))
    ]
    return not others


def _entries(folder: Path) -> list[os.DirEntry]:
    with os.scandir(folder) as it:
        return sorted((e for e in it if not is_skipped(e.name)), key=lambda e: e.name)


def _one_path(path: Path, modules: Sequence[str], warnings: list[str]) -> list[tuple[str, Path]]:
    if not path.exists():
        raise LocateError(f"{path}: no such file or folder")
    if path.is_file():
        if path.suffix.lower() in SUBMISSION_SUFFIXES:
            return [(_student_id(path.name), path)]
        raise LocateError(
            f"{path}: not a submission; give a folder of submissions, a student's folder, "
            f"or a .zip, .ipynb or .py file"
        )
    if not path.is_dir():
        raise LocateError(f"{path}: not a regular file or folder")
    if _is_student_folder(path, modules):
        return [(_student_id(path.resolve().name), path)]
    found = []
    for entry in _entries(path):
        entry_path = Path(entry.path)
        if entry.is_dir():
            found.append((_student_id(entry.name), entry_path))
        elif entry.is_file() and entry.name.lower().endswith(SUBMISSION_SUFFIXES):
            found.append((_student_id(entry.name), entry_path))
        else:
            warnings.append(
                f"{entry_path}: skipped, not a submission (expected a folder, .zip, .ipynb or .py file)"
            )
    if not found:
        warnings.append(f"{path}: no submission found in this folder")
    return found


def locate(paths: Sequence[Path], modules: Sequence[str]) -> tuple[list[SubmissionSource], list[str]]:
    """Find the submissions under `paths`.

    Args:
        paths: folders of submissions, students' folders, zips, notebooks or ``.py`` files.
        modules: the assignment's module names (``foundations``, ...), to recognise a student's folder.

    Returns:
        The submissions sorted by student id, and warnings for the TA (stray files skipped,
        duplicate ids renamed, a path given twice).

    Raises:
        LocateError: a PATH does not exist or cannot be a submission.
    """
    warnings: list[str] = []
    candidates: list[tuple[str, Path]] = []
    seen_paths: set[Path] = set()
    for raw in paths:
        for student, path in _one_path(Path(raw), modules, warnings):
            real = path.resolve()
            if real in seen_paths:
                warnings.append(f"{path}: listed more than once; graded once")
                continue
            seen_paths.add(real)
            candidates.append((student, path))

    candidates.sort(key=lambda c: (c[0], str(c[1])))
    taken: set[str] = set(RESERVED_IDS)
    base_ids = {student for student, _ in candidates}
    sources = []
    for student, path in candidates:
        unique = student
        n = 1
        while unique in taken or (unique != student and unique in base_ids):
            n += 1
            unique = f"{student}-{n}"
        if unique != student:
            reason = "a name the report uses itself" if student in RESERVED_IDS else "another submission"
            warnings.append(f"{path}: student id {student!r} is already used by {reason}; graded as {unique!r}")
        taken.add(unique)
        sources.append(SubmissionSource(student=unique, path=path))
    sources.sort(key=lambda s: s.student)
    return sources, warnings
