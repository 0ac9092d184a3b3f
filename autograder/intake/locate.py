"""Step 1, *locate*: turn the PATHs a TA gives into one `SubmissionSource` per student.

A PATH is one of:

* a folder of submissions (a class): each sub-folder, ``.zip``, ``.ipynb`` or ``.py`` file in it
  is one student, whose id is the name without its extension;
* one student's folder: a folder that directly holds a module file (``foundations.py``, ...) and
  nothing that looks like another student's submission, or only a notebook named like the
  assignment;
* one ``.zip``, ``.ipynb`` or ``.py`` file: one student.

Which of the two a folder is gets decided from its content (`classify_folder`), and the decision
is reported with its reason. It is never merged silently: a module file lying beside two or more
student submissions is reported and graded for no one; a layout that could be either (a module
beside one student folder, a lone notebook not named like the assignment) is refused with a hint
to say ``--class`` or ``--student``. LMS exports (Canvas, Gradescope, ``--pattern``) are read by
`autograder.intake.lms`, which uses this module for plain folders.

Hidden entries (``.*``), ``__MACOSX`` and ``__pycache__`` are skipped. A stray file in a class
folder (``README.txt``, ``grades.csv``) gives a warning, never an error. Two submissions with the
same id keep both: the second becomes ``alice-2`` (with a warning). Nothing is read or opened
here beyond listing folders; the *load* step does that, safely.
"""
from __future__ import annotations

import os
import re
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


#: A copy mark a browser or an LMS adds before the extension: "foundations (1).py", "foundations-2.py".
_COPY_MARK = re.compile(r"(?:\s*\(\d+\)|-\d+)$")
#: Canvas's prefix on a downloaded file: "doejane[_LATE]_{user id}_{attachment id}_" or "anon_{id}_...".
CANVAS_PREFIX = re.compile(r"^(?:anon_[A-Za-z0-9]+|\w+?)(?:_LATE)?(?:_\d+)?_\d+_(?=.)")


def module_name_of(filename: str, modules: Sequence[str]) -> tuple[str | None, str]:
    """Which assignment module a ``.py`` file name means, as students and LMSs write names.

    Matches case-insensitively after removing an LMS prefix (Canvas's ``doejane_123_456_``) and a
    copy mark (`` (1)``, ``-1``) before the extension.

    Args:
        filename: a file name (no folder), e.g. ``"Foundations (1).py"``.
        modules: the assignment's module names.

    Returns:
        ``(module, fix_up)``: the module name, or None when the file is none of them; `fix_up` is
        "" when the name is exact, else a short description such as ``"Foundations (1).py read as
        foundations.py"``.
    """
    if not filename.lower().endswith(".py") or len(filename) <= 3:
        return None, ""
    stem = filename[:-3]
    if stem in modules and filename.endswith(".py"):
        return stem, ""
    candidates = [stem]
    unprefixed = CANVAS_PREFIX.sub("", stem)
    if unprefixed != stem:
        candidates.append(unprefixed)
    for candidate in candidates:
        for form in (candidate, _COPY_MARK.sub("", candidate)):
            lowered = form.strip().lower()
            if lowered in modules:
                return lowered, f"{filename} read as {lowered}.py"
    return None, ""


def _looks_like_submission_folder(folder: Path, modules: Sequence[str], depth: int = 2) -> bool:
    """A folder holding (within `depth` levels) a module file, a notebook or a zip."""
    try:
        entries = _entries(folder)
    except OSError:
        return False
    for entry in entries:
        if entry.is_file(follow_symlinks=False):
            if module_name_of(entry.name, modules)[0] or entry.name.lower().endswith((".ipynb", ".zip")):
                return True
        elif depth > 1 and entry.is_dir(follow_symlinks=False):
            if _looks_like_submission_folder(Path(entry.path), modules, depth - 1):
                return True
    return False


def classify_folder(folder: Path, modules: Sequence[str], assignment: str = "") -> tuple[str, str, list[str]]:
    """Decide whether a folder is one student's submission or a class of submissions.

    Args:
        folder: the folder a TA gave.
        modules: the assignment's module names.
        assignment: the assignment's name (``nn_from_scratch``): a lone notebook named like it is
            one student's work.

    Returns:
        ``(kind, reason, loose)``: kind is ``"student"``, ``"class"`` or ``"ambiguous"``; reason says
        why in a few words; loose lists the module files found directly in the folder.
    """
    entries = _entries(folder)
    loose = [e.name for e in entries if e.is_file() and module_name_of(e.name, modules)[0]]
    if loose:
        subs = [e.name for e in entries
                if (e.is_dir() and _looks_like_submission_folder(Path(e.path), modules))
                or (e.is_file() and e.name.lower().endswith(".zip"))]
        if not subs:
            return "student", f"it holds {', '.join(loose)} directly", loose
        if len(subs) >= 2:
            return "class", f"it holds {len(subs)} student folders or files", loose
        return ("ambiguous", f"it holds {', '.join(loose)} and also {subs[0]}, which looks like another "
                f"student's submission", loose)
    notebooks = [e.name for e in entries if e.is_file() and e.name.lower().endswith(".ipynb")]
    others = [e for e in entries if e.is_dir() or e.name.lower().endswith((".zip", ".py"))]
    if len(notebooks) == 1 and not others:
        stem = _COPY_MARK.sub("", notebooks[0][:-6]).strip().lower()
        if assignment and assignment.lower() in stem:
            return "student", f"it holds only the notebook {notebooks[0]}, named like the assignment", []
        return ("ambiguous", f"it holds one notebook, {notebooks[0]}: one student's work, or a class of one "
                f"whose student is {_student_id(notebooks[0])!r}?", [])
    count = len(notebooks) + len(others)
    return "class", f"it holds {count} student folders or files", []


def _entries(folder: Path) -> list[os.DirEntry]:
    with os.scandir(folder) as it:
        return sorted((e for e in it if not is_skipped(e.name)), key=lambda e: e.name)


def _one_path(path: Path, modules: Sequence[str], warnings: list[str], *, layout: str | None = None,
              assignment: str = "", decisions: list[str] | None = None) -> list[tuple[str, Path]]:
    if not path.exists():
        raise LocateError(f"{path}: no such file or folder")
    if path.is_file():
        if path.suffix.lower() in SUBMISSION_SUFFIXES:
            if decisions is not None:
                decisions.append(f"{path}: read as one student, {_student_id(path.name)} (a single "
                                 f"{path.suffix.lower()} file)")
            return [(_student_id(path.name), path)]
        raise LocateError(
            f"{path}: not a submission; give a folder of submissions, a student's folder, "
            f"or a .zip, .ipynb or .py file"
        )
    if not path.is_dir():
        raise LocateError(f"{path}: not a regular file or folder")
    kind, reason, loose = classify_folder(path, modules, assignment)
    if layout in ("class", "student"):
        kind, reason = layout, f"--{layout}"
    if kind == "ambiguous":
        raise LocateError(
            f"{path}: ambiguous layout: {reason}. Say which it is: --class (each sub-folder, zip, notebook "
            f"or .py file is one student) or --student (the folder is one student's submission)"
        )
    if kind == "student":
        student = _student_id(path.resolve().name)
        if decisions is not None:
            other = "" if reason.startswith("--") else "; --class reads it as a class"
            decisions.append(f"{path}: read as one student, {student} ({reason}{other})")
        return [(student, path)]
    found = []
    strays = []
    for entry in _entries(path):
        entry_path = Path(entry.path)
        if entry.is_file() and entry.name in loose:
            strays.append(entry_path)
        elif entry.is_dir():
            found.append((_student_id(entry.name), entry_path))
        elif entry.is_file() and entry.name.lower().endswith(SUBMISSION_SUFFIXES):
            found.append((_student_id(entry.name), entry_path))
        else:
            warnings.append(
                f"{entry_path}: skipped, not a submission (expected a folder, .zip, .ipynb or .py file)"
            )
    for stray in strays:
        warnings.append(f"{stray}: a module file beside {len(found)} student submissions belongs to no student: "
                        f"not graded (move it into a student's folder, or grade it alone with --student)")
    if decisions is not None:
        other = "" if reason.startswith("--") else "; --student reads it as one student"
        decisions.append(f"{path}: read as a class of {len(found)} submissions ({reason}{other})")
    if not found:
        warnings.append(f"{path}: no submission found in this folder")
    return found


def locate(paths: Sequence[Path], modules: Sequence[str], *, layout: str | None = None, assignment: str = "",
           decisions: list[str] | None = None) -> tuple[list[SubmissionSource], list[str]]:
    """Find the submissions under `paths`.

    Args:
        paths: folders of submissions, students' folders, zips, notebooks or ``.py`` files.
        modules: the assignment's module names (``foundations``, ...), to recognise a student's folder.
        layout: ``"class"`` or ``"student"`` to force how a folder is read (``--class``/``--student``);
            None decides from the content (`classify_folder`).
        assignment: the assignment's name, to recognise the release notebook.
        decisions: if given, one line per folder is appended saying how it was read and why.

    Returns:
        The submissions sorted by student id, and warnings for the TA (stray files skipped,
        duplicate ids renamed, a path given twice).

    Raises:
        LocateError: a PATH does not exist or cannot be a submission, or a folder's layout is
            ambiguous (the message suggests --class or --student).
    """
    warnings: list[str] = []
    candidates: list[tuple[str, Path]] = []
    seen_paths: set[Path] = set()
    for raw in paths:
        for student, path in _one_path(Path(raw), modules, warnings, layout=layout, assignment=assignment,
                                       decisions=decisions):
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
