"""The class roster (``--roster``): a plain CSV ``id,name,email,section`` or the gradebook CSV a TA
exports from Canvas (``Student,ID,SIS User ID,SIS Login ID,Section,...``, with a ``Points
Possible`` row), which is also what ``autograder export canvas`` writes, so an export reads back
as a roster.

A submission is matched to a roster entry by id, SIS id, e-mail or login (e-mail and login
case-insensitively).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from autograder.results import SubmissionSource


class RosterError(ValueError):
    """The roster cannot be read (the message names the file and line)."""


@dataclass(frozen=True)
class RosterEntry:
    """One student of the class. `id` is the LMS's id (Canvas's user id) and the gradebook key."""

    id: str
    name: str = ""
    email: str = ""
    section: str = ""
    sis_id: str = ""
    login: str = ""


@dataclass(frozen=True)
class Roster:
    """The roster's students in file order; `assignments` are a Canvas export's assignment columns."""

    students: tuple[RosterEntry, ...]
    assignments: tuple[str, ...] = ()
    canvas: bool = False

    def match(self, source: SubmissionSource) -> RosterEntry | None:
        """The roster entry of a submission: by id, SIS id, e-mail or login; None when not on the roster."""
        keys = {source.student.strip(), source.student.strip().lower()}
        if source.email:
            keys.add(source.email.strip().lower())
        for entry in self.students:
            if keys & {entry.id, entry.sis_id, entry.email.lower(), entry.login.lower()} - {""}:
                return entry
        return None


CANVAS_INFO = ("Student", "ID", "SIS User ID", "SIS Login ID", "Integration ID", "Root Account", "Section")


def read_roster(path: Path) -> Roster:
    """Read a plain or Canvas roster CSV (comma or semicolon separated).

    Raises:
        RosterError: missing columns, an empty or duplicate id.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"{path}: cannot be read: {exc}") from None
    delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
    if not rows:
        raise RosterError(f"{path}: empty")
    header = [h.strip() for h in rows[0]]
    canvas = len(header) >= 2 and "Student" in header[0] and header[1] == "ID"
    students, seen = [], set()
    if canvas:
        info = [h for h in header if h in CANVAS_INFO]
        assignments = tuple(h for h in header[len(info):] if h)
        col = {h: i for i, h in enumerate(header)}
        for line, row in enumerate(rows[1:], start=2):
            if not row or not any(c.strip() for c in row):
                continue
            cell = (lambda name, r=row: r[col[name]].strip() if name in col and col[name] < len(r) else "")
            if "Points Possible" in row[0] or cell("Student") in ("Student, Test", "Test Student"):
                continue
            entry = RosterEntry(id=cell("ID"), name=cell("Student"), section=cell("Section"),
                                sis_id=cell("SIS User ID"), login=cell("SIS Login ID"))
            students.append(_checked(entry, seen, path, line))
        return Roster(tuple(students), assignments, canvas=True)
    lower = [h.lower() for h in header]
    if "id" not in lower:
        raise RosterError(f"{path}: needs an id column (plain roster: id,name,email,section; or a Canvas "
                          f"gradebook export)")
    col = {h: i for i, h in enumerate(lower)}
    for line, row in enumerate(rows[1:], start=2):
        if not row or not any(c.strip() for c in row):
            continue
        cell = (lambda name, r=row: r[col[name]].strip() if name in col and col[name] < len(r) else "")
        entry = RosterEntry(id=cell("id"), name=cell("name"), email=cell("email"), section=cell("section"),
                            sis_id=cell("sis_id") or cell("sis user id"), login=cell("login") or cell("sis login id"))
        students.append(_checked(entry, seen, path, line))
    return Roster(tuple(students))


def _checked(entry: RosterEntry, seen: set[str], path: Path, line: int) -> RosterEntry:
    if not entry.id:
        raise RosterError(f"{path} line {line}: no id")
    if entry.id in seen:
        raise RosterError(f"{path} line {line}: id {entry.id!r} is listed twice")
    seen.add(entry.id)
    return entry


def export_canvas(gradebook: Path, dest: Path, *, possible: float, assignment: str,
                  roster: Roster | None = None, warnings: list[str] | None = None) -> int:
    """Write the CSV that Canvas's gradebook import accepts, from a run's ``gradebook.csv``.

    Header ``Student,ID,SIS User ID,SIS Login ID,Section,<assignment>``, then a ``Points Possible``
    row, then one row per student: matched by Canvas id (the roster's id), scores to 2 decimals
    (the ``final`` column after late policy and overrides, else ``total``), ``EX`` for excused, blank
    (no score) for a row whose status is ``error``.
    Without a roster every gradebook row is written with its student id as the Canvas id.

    Args:
        gradebook: OUT/gradebook.csv. dest: the CSV to write. possible: points possible.
        assignment: the assignment column's title (Canvas matches ``Title (id)`` or the exact title).
        roster: the class roster; its students are written in its order, missing ones with 0.
        warnings: if given, gets one line per gradebook row the roster does not know (not exported).

    Returns:
        The number of student rows written.

    Raises:
        RosterError: the gradebook cannot be read.
    """
    try:
        with open(gradebook, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise RosterError(f"{gradebook}: cannot be read: {exc}") from None

    def score(row: dict) -> str:
        if row.get("status") == "error":  # the grader failed on part of it: a TA decides, not the upload
            if warnings is not None:
                warnings.append(f"{gradebook}: {row['student']} has status error (a grader problem): exported "
                                f"blank (no score); grade it by hand after review")
            return ""
        value = row.get("final") or row.get("total") or "0"
        if value == "EX":
            return "EX"
        return f"{float(value.lstrip(chr(39))):.2f}"

    by_id = {r["student"].lstrip("'"): r for r in rows}
    out_rows = []
    if roster is not None:
        used = set()
        for e in roster.students:
            key = e.id if e.id in by_id else next((k for k in by_id if k in {e.sis_id, e.login, e.email} - {""}), None)
            used.add(key)
            out_rows.append([e.name, e.id, e.sis_id, e.login, e.section, score(by_id[key]) if key else "0.00"])
        for key in sorted(set(by_id) - used):
            if warnings is not None:
                warnings.append(f"{gradebook}: {key} is not on the roster: not exported (add them to the roster, "
                                f"or enter the grade by hand)")
    else:
        for student, row in sorted(by_id.items()):
            out_rows.append(["", student, "", "", "", score(row)])
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment])
        writer.writerow(["    Points Possible", "", "", "", "", f"{possible:.2f}"])
        for r in out_rows:
            writer.writerow([("'" + c if c[:1] in ("=", "+", "-", "@") else c) for c in r])
    return len(out_rows)
