"""Reading what a TA downloads from an LMS: one `SubmissionSource` per student, with what the LMS
says about each (name, e-mail, submission time, late flag, group).

Formats, detected from the content of each PATH (or forced with ``--format``):

* **Canvas "Download Submissions"** (a zip, or the same files unpacked flat): every entry is named
  ``{sortable name, lowercased, non-word characters removed}[_LATE]_{user id}_{attachment id}_{file}``
  (``anon_{id}...`` under anonymous grading). The student id is the Canvas user id, the name part
  is kept as the name, ``_LATE`` as the late flag. A resubmitted file carries ``-1``, ``-2`` before
  its extension; the newest (highest number, then attachment id) is graded and the others noted.
  Canvas zips carry no submission time (give ``--times``). A text entry or URL submission keeps
  the student's row, with a note that only files can be graded.
* **Gradescope "Export Submissions"**: ``submission_{id}/`` folders beside
  ``submission_metadata.yml``, whose keys keep Ruby's leading colon (``:submitters`` with
  ``:name``/``:sid``/``:email``, ``:created_at``). A group submission gives one source per submitter.
* **Any other LMS**: ``--pattern`` with named groups ``student`` and ``file`` (optionally ``time``,
  ISO 8601), matched against every file's path inside the folder or zip, as nbgrader's
  ``zip_collect`` does.
* **A plain class folder** (or one student's folder, zip, notebook): `autograder.intake.locate`.

Files of LMS exports are copied into a staging folder, one sub-folder per student (zips read
member by member with size caps, links never followed), so the *load* step sees ordinary student
folders. Every PATH's reading is reported as a decision line with its reason.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Sequence

import yaml

from autograder.intake.locate import RESERVED_IDS, LocateError, is_skipped, locate
from autograder.results import SubmissionSource

#: The values of ``--format``.
FORMATS = ("auto", "canvas", "gradescope", "folder")
#: Largest single file taken from an export (bytes): a student's zip or notebook.
MAX_MEMBER_BYTES = 25 << 20
#: Most entries read from one export.
MAX_EXPORT_ENTRIES = 50_000
#: Most bytes an export may unpack to.
MAX_EXPORT_BYTES = 2 << 30

CANVAS_ENTRY = re.compile(
    r"^(?:anon_(?P<anon>[A-Za-z0-9]+)|(?P<name>[^\W_]\w*?))(?P<late>_LATE)?"
    r"(?:_(?P<user>\d+))?_(?P<attachment>\d+)_(?P<file>[^/]+)$"
)
#: A Canvas text entry or URL submission: no attachment id, ``{name}[_LATE]_{user id}_text.html``.
CANVAS_TEXT = re.compile(
    r"^(?:anon_(?P<anon>[A-Za-z0-9]+)|(?P<name>[^\W_]\w*?))(?P<late>_LATE)?_(?P<user>\d+)_(?P<kind>text|link)\.html$"
)
_RESUBMISSION = re.compile(r"^(?P<base>.+?)-(?P<n>\d+)(?P<ext>\.[^.]+)$")
GRADESCOPE_METADATA = "submission_metadata.yml"


@dataclass
class Intake:
    """What the PATHs hold.

    Attributes:
        sources: one per student (a group submission gives one per member), sorted by student id.
        warnings: entries skipped or renamed, for the TA.
        decisions: one line per PATH saying how it was read (format, class or student) and why.
    """

    sources: list[SubmissionSource]
    warnings: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)


def safe_id(text: str) -> str:
    """A student id from LMS text that can name a report folder: no path separators, control
    characters or leading dot ("" stays "")."""
    cleaned = "".join("_" if ch in "/\\" or not ch.isprintable() else ch for ch in str(text).strip())
    return "_" + cleaned[1:] if cleaned.startswith(".") else cleaned


# --- listing a folder or a zip as (relative path, size, reader) --------------------------------------


@dataclass
class _File:
    rel: PurePosixPath
    size: int
    path: Path | None = None  # on disk
    info: zipfile.ZipInfo | None = None  # in a zip


def _list_folder(top: Path, warnings: list[str]) -> list[_File]:
    out: list[_File] = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not is_skipped(d) and not os.path.islink(os.path.join(folder, d)))
        for name in sorted(files):
            if is_skipped(name):
                continue
            path = Path(folder, name)
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode):
                warnings.append(f"{path}: skipped, not a regular file (links are never followed)")
                continue
            out.append(_File(PurePosixPath(path.relative_to(top).as_posix()), info.st_size, path=path))
            if len(out) > MAX_EXPORT_ENTRIES:
                raise LocateError(f"{top}: more than {MAX_EXPORT_ENTRIES} files; is this the right folder?")
    return out


def _list_zip(archive: zipfile.ZipFile, label: Path) -> list[_File]:
    from autograder.intake.load import _zip_member_path

    infos = archive.infolist()
    if len(infos) > MAX_EXPORT_ENTRIES or sum(i.file_size for i in infos) > MAX_EXPORT_BYTES:
        raise LocateError(f"{label}: too large to be an LMS export (at most {MAX_EXPORT_ENTRIES} entries, "
                          f"{MAX_EXPORT_BYTES >> 30} GiB)")
    out = []
    for info in infos:
        rel = _zip_member_path(info.filename)
        if rel is None or info.is_dir() or any(is_skipped(p) for p in rel.parts):
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            continue
        out.append(_File(rel, info.file_size, info=info))
    return out


def _copy(item: _File, archive: zipfile.ZipFile | None, dest: Path) -> str | None:
    """Copy one export entry to `dest`; a reason when it was not copied."""
    if item.size > MAX_MEMBER_BYTES:
        return f"{item.rel}: {item.size >> 20} MiB, larger than {MAX_MEMBER_BYTES >> 20} MiB: not taken"
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        if item.info is not None and archive is not None:
            with archive.open(item.info) as src, open(dest, "wb") as out:
                data = src.read(MAX_MEMBER_BYTES + 1)
                if len(data) > MAX_MEMBER_BYTES:
                    return f"{item.rel}: larger than its declared size: not taken"
                out.write(data)
        else:
            assert item.path is not None
            shutil.copyfile(item.path, dest, follow_symlinks=False)
    except (OSError, zipfile.BadZipFile, EOFError, ValueError, RuntimeError) as exc:
        return f"{item.rel}: could not be read ({type(exc).__name__}): not taken"
    return None


# --- detecting the format ----------------------------------------------------------------------------


def _is_canvas_listing(files: list[_File]) -> bool:
    flat = [f for f in files if len(f.rel.parts) == 1]
    if not flat or len(flat) != len(files):
        return False
    gradable = [f for f in flat if f.rel.suffix.lower() in (".py", ".ipynb", ".zip")] or flat
    return all(CANVAS_ENTRY.match(f.rel.name) or CANVAS_TEXT.match(f.rel.name) for f in gradable)


def _gradescope_root(files: list[_File]) -> PurePosixPath | None:
    """Where the export's metadata file is: at the top, or in the one folder that holds everything
    (the export unpacked one folder down). Not in one of several folders: that is a student's file
    in a class folder, which must not turn the class into an export it describes."""
    tops = {f.rel.parts[0] for f in files}
    for f in files:
        if f.rel.name == GRADESCOPE_METADATA and (len(f.rel.parts) == 1 or (len(f.rel.parts) == 2 and len(tops) == 1)):
            return f.rel.parent
    return None


def detect_format(path: Path) -> tuple[str, str]:
    """The LMS format of `path` and why: ``("canvas" | "gradescope" | "folder", reason)``.

    Raises:
        LocateError: `path` does not exist, or is a zip that cannot be opened.
    """
    path = Path(path)
    if not path.exists():
        raise LocateError(f"{path}: no such file or folder")
    if path.is_file() and path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                files = _list_zip(archive, path)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            return "folder", "not a readable zip"
    elif path.is_dir():
        warnings: list[str] = []
        top = [e for e in sorted(os.listdir(path)) if not is_skipped(e)]
        if GRADESCOPE_METADATA in top or (len(top) == 1 and (path / top[0]).is_dir() and
                                          (path / top[0] / GRADESCOPE_METADATA).is_file()):
            return "gradescope", f"it holds {GRADESCOPE_METADATA}"  # one folder down: only as the sole entry
        if any((path / e).is_dir() for e in top):
            return "folder", "a folder of folders"
        files = _list_folder(path, warnings)
    else:
        return "folder", "a single file"
    if _gradescope_root(files) is not None:
        return "gradescope", f"it holds {GRADESCOPE_METADATA}"
    if _is_canvas_listing(files):
        return "canvas", (f"its {len(files)} files are named like Canvas's "
                          f"(name[_LATE]_userid_attachmentid_file)")
    return "folder", "no LMS naming found"


# --- Canvas -------------------------------------------------------------------------------------------


def _canvas(path: Path, staging: Path, warnings: list[str]) -> list[SubmissionSource]:
    archive = zipfile.ZipFile(path) if path.is_file() else None
    try:
        files = _list_zip(archive, path) if archive else _list_folder(path, warnings)
        per_student: dict[str, dict] = {}
        for f in files:
            text = CANVAS_TEXT.match(f.rel.name) if len(f.rel.parts) == 1 else None
            if text is not None:
                student = f"anon_{text['anon']}" if text["anon"] else text["user"]
                entry = per_student.setdefault(student, {"name": text["name"] or "", "late": False, "files": {}})
                entry["late"] = entry["late"] or bool(text["late"])
                entry.setdefault("kinds", []).append("a text entry" if text["kind"] == "text" else "a URL")
                continue
            m = CANVAS_ENTRY.match(f.rel.name) if len(f.rel.parts) == 1 else None
            if m is None:
                warnings.append(f"{path}: {f.rel}: skipped, not named like a Canvas submission file")
                continue
            student = f"anon_{m['anon']}" if m["anon"] else (m["user"] or "")
            if not student:
                warnings.append(f"{path}: {f.rel}: skipped, no Canvas user id in its name")
                continue
            entry = per_student.setdefault(student, {"name": m["name"] or "", "late": False, "files": {}})
            entry["late"] = entry["late"] or bool(m["late"])
            original = m["file"]
            if original in (".", "..") or "\\" in original:
                warnings.append(f"{path}: {f.rel}: skipped, its file name cannot be used")
                continue
            resub = _RESUBMISSION.match(original)
            base, n = (resub["base"] + resub["ext"], int(resub["n"])) if resub else (original, 0)
            entry["files"].setdefault(base, []).append(((n, int(m["attachment"])), original, f))
        sources = []
        for student, entry in sorted(per_student.items()):
            folder = staging / "canvas" / student
            notes: list[str] = []
            taken = []
            for base, versions in sorted(entry["files"].items()):
                versions.sort(key=lambda v: v[0])
                _, original, newest = versions[-1]
                if len(versions) > 1:
                    older = ", ".join(v[1] for v in versions[:-1])
                    notes.append(f"Canvas resubmission: {original} (the newest) was graded as {base}; "
                                 f"{older} not graded")
                elif original != base:
                    notes.append(f"{original} was read as {base} (Canvas's copy number removed)")
                problem = _copy(newest, archive, folder / base)
                if problem:
                    warnings.append(f"{path}: {problem}")
                else:
                    taken.append(folder / base)
            for kind in entry.get("kinds", []):
                notes.append(f"Canvas has {kind} from this student, which the grader cannot read: submit the files")
            if not taken and not entry.get("kinds"):
                continue
            folder.mkdir(parents=True, exist_ok=True)  # a text-only submission: an empty folder, an invalid row
            single = taken[0] if len(taken) == 1 and taken[0].suffix.lower() in (".zip", ".ipynb") else None
            if entry["late"]:
                notes.append("Canvas marked this submission late")
            sources.append(SubmissionSource(student, single or folder, name=entry["name"], late=entry["late"],
                                            notes=tuple(notes)))
        return sources
    finally:
        if archive:
            archive.close()


# --- Gradescope ---------------------------------------------------------------------------------------


def parse_time(value: object) -> datetime | None:
    """A submission time from LMS metadata or a CSV: an ISO 8601 string (``2026-11-20T14:03:11-08:00``,
    ``2026-11-20 14:03:11.123456 -0800``) or a YAML timestamp. A time without an offset stays naive
    (the late policy reads it in the due date's time zone). None for an empty value.

    Raises:
        ValueError: the text is not a time.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text.replace(" UTC", "+00:00"))
    except ValueError:
        pass
    m = re.match(r"^(\S+ \d\d:\d\d:\d\d)(?:\.(\d+))? ?([+-]\d\d:?\d\d)$", text)
    if m:
        frac = (m[2] or "0")[:6].ljust(6, "0")
        return datetime.strptime(f"{m[1]}.{frac} {m[3].replace(':', '')}", "%Y-%m-%d %H:%M:%S.%f %z")
    raise ValueError(f"{text!r} is not a date and time (use ISO 8601, e.g. 2026-11-20T14:03:00-08:00)")


def _gradescope(path: Path, staging: Path, warnings: list[str]) -> list[SubmissionSource]:
    if path.is_file():  # a zip: unpack it first, member by member
        top = staging / "gradescope" / path.stem
        with zipfile.ZipFile(path) as archive:
            for f in _list_zip(archive, path):
                problem = _copy(f, archive, top.joinpath(*f.rel.parts))
                if problem:
                    warnings.append(f"{path}: {problem}")
        path = top
    inside = [e for e in sorted(os.listdir(path)) if not is_skipped(e)]
    root = path if (path / GRADESCOPE_METADATA).is_file() else (  # or the sole folder (`_gradescope_root`)
        path / inside[0] if len(inside) == 1 and (path / inside[0] / GRADESCOPE_METADATA).is_file() else None)
    if root is None:
        raise LocateError(f"{path}: no {GRADESCOPE_METADATA}: not a Gradescope export")
    try:
        metadata = yaml.safe_load((root / GRADESCOPE_METADATA).read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
        raise LocateError(f"{root / GRADESCOPE_METADATA}: cannot be read: {exc}") from None
    if not isinstance(metadata, dict):
        raise LocateError(f"{root / GRADESCOPE_METADATA}: not a mapping of submission folders")
    sources = []
    folders = {e for e in os.listdir(root) if (root / e).is_dir() and not is_skipped(e)}
    for key, entry in sorted(metadata.items(), key=lambda kv: str(kv[0])):
        folder = str(key)
        if folder not in folders:
            warnings.append(f"{root}: {GRADESCOPE_METADATA} lists {folder}, which is not in the export")
            continue
        folders.discard(folder)
        entry = entry if isinstance(entry, dict) else {}
        submitters = entry.get(":submitters") or []
        try:
            when = parse_time(entry.get(":created_at"))
        except ValueError as exc:
            warnings.append(f"{root}: {folder}: :created_at {exc}; no submission time")
            when = None
        people = []
        for person in submitters if isinstance(submitters, list) else []:
            person = person if isinstance(person, dict) else {}
            sid = str(person.get(":sid") or "").strip()
            email = str(person.get(":email") or "").strip()
            name = str(person.get(":name") or "").strip()
            student = safe_id(sid or email or name)
            if student:
                people.append((student, name, email))
        if not people:
            warnings.append(f"{root}: {folder} has no submitter in {GRADESCOPE_METADATA}: graded as {folder}")
            people = [(folder, "", "")]
        group = tuple(p[0] for p in people) if len(people) > 1 else ()
        for student, name, email in people:
            notes = ()
            if group:
                others = ", ".join(p[1] or p[0] for p in people if p[0] != student)
                notes = (f"group submission ({folder}) with {others}: every member gets this grade",)
            inside = [e for e in sorted(os.listdir(root / folder)) if not is_skipped(e)]
            path = root / folder
            if len(inside) == 1 and inside[0].lower().endswith((".zip", ".ipynb")):
                path = path / inside[0]  # the student uploaded one zip or notebook
            sources.append(SubmissionSource(student, path, name=name, email=email, submitted_at=when,
                                            group=group, notes=notes))
    for folder in sorted(folders):
        warnings.append(f"{root}: {folder}/ is not listed in {GRADESCOPE_METADATA}: not graded")
    return sources


# --- --pattern ---------------------------------------------------------------------------------------


def _later(a: datetime, b: datetime) -> bool:
    """a > b, comparing a time without an offset as if it were UTC (only to order one student's files)."""
    def key(t: datetime) -> datetime:
        return t if t.tzinfo else t.replace(tzinfo=timezone.utc)
    return key(a) > key(b)


def compile_pattern(pattern: str) -> re.Pattern:
    """Check a ``--pattern``: it must compile and have the named groups ``student`` and ``file``.

    Raises:
        LocateError: it does not.
    """
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise LocateError(f"--pattern {pattern!r}: not a regular expression: {exc}") from None
    missing = {"student", "file"} - set(rx.groupindex)
    if missing:
        raise LocateError(f"--pattern {pattern!r}: needs the named groups (?P<student>...) and (?P<file>...); "
                          f"missing {', '.join(sorted(missing))}")
    return rx


def _pattern(path: Path, rx: re.Pattern, staging: Path, warnings: list[str]) -> list[SubmissionSource]:
    archive = zipfile.ZipFile(path) if path.is_file() else None
    try:
        files = _list_zip(archive, path) if archive else _list_folder(path, warnings)
        chosen: dict[str, dict] = {}
        for f in files:
            m = rx.fullmatch(f.rel.as_posix()) or rx.fullmatch(f.rel.name)
            if m is None:
                warnings.append(f"{path}: {f.rel}: skipped, does not match --pattern")
                continue
            student, name = safe_id(m["student"]), PurePosixPath(m["file"].replace("\\", "/")).name
            if not student or not name or name in (".", ".."):
                warnings.append(f"{path}: {f.rel}: skipped, empty student or file in --pattern's match")
                continue
            when = None
            if "time" in rx.groupindex and m["time"]:
                try:
                    when = parse_time(m["time"])
                except ValueError as exc:
                    warnings.append(f"{path}: {f.rel}: {exc}")
            entry = chosen.setdefault(student, {"files": {}, "when": None})
            previous = entry["files"].get(name)
            if previous is None or (when and (previous[0] is None or _later(when, previous[0]))):
                entry["files"][name] = (when, f)
            if when and (entry["when"] is None or _later(when, entry["when"])):
                entry["when"] = when
        sources = []
        for student, entry in sorted(chosen.items()):
            folder = staging / "pattern" / re.sub(r"[^\w.-]", "_", student)
            for name, (_, f) in entry["files"].items():
                problem = _copy(f, archive, folder / name)
                if problem:
                    warnings.append(f"{path}: {problem}")
            sources.append(SubmissionSource(student, folder, submitted_at=entry["when"]))
        return sources
    finally:
        if archive:
            archive.close()


# --- the entry point -------------------------------------------------------------------------------


def intake(paths: Sequence[Path], modules: Sequence[str], staging: Path, *, fmt: str = "auto",
           pattern: str | None = None, layout: str | None = None, assignment: str = "") -> Intake:
    """Read every PATH in its format and return the class's submissions.

    Args:
        paths: Canvas zips or folders, Gradescope exports (folder or zip), class folders, students'
            folders, zips, notebooks, ``.py`` files.
        modules: the assignment's module names.
        staging: an empty folder the caller owns (and removes) where LMS files are copied, one
            sub-folder per student.
        fmt: one of `FORMATS`; ``"auto"`` detects each PATH's format from its content.
        pattern: a ``--pattern`` regex (then every PATH is read with it).
        layout: ``"class"``/``"student"`` to force how a plain folder is read.
        assignment: the assignment's name (to recognise the release notebook).

    Returns:
        An `Intake`; duplicate student ids across PATHs get ``-2``, ``-3`` with a warning.

    Raises:
        LocateError: a PATH is missing, unreadable in its forced format, ambiguous, or the pattern is bad.
    """
    if fmt not in FORMATS:
        raise LocateError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    rx = compile_pattern(pattern) if pattern else None
    out = Intake([])
    staging = Path(staging)
    seen: set[Path] = set()
    for number, raw in enumerate(paths):
        path = Path(raw)
        if not path.exists():
            raise LocateError(f"{path}: no such file or folder")
        if path.resolve() in seen:
            out.warnings.append(f"{path}: listed more than once; graded once")
            continue
        seen.add(path.resolve())
        try:
            out.sources.extend(_one(path, modules, staging / f"{number:03d}", out, fmt=fmt, rx=rx,
                                    layout=layout, assignment=assignment, seen=seen))
        except (zipfile.BadZipFile, OSError) as exc:
            raise LocateError(f"{path}: cannot be read: {exc}") from None
    out.sources = _unique(out.sources, out.warnings)
    return out


def _one(path: Path, modules: Sequence[str], staging: Path, out: Intake, *, fmt: str, rx: re.Pattern | None,
         layout: str | None, assignment: str, seen: set[Path]) -> list[SubmissionSource]:
    """Read one PATH (see `intake`), appending its decision and warnings to `out`."""
    if rx is not None:
        if not (path.is_dir() or path.suffix.lower() == ".zip"):
            raise LocateError(f"{path}: --pattern reads a folder or a zip")
        found = _pattern(path, rx, staging, out.warnings)
        out.decisions.append(f"{path}: read with --pattern: {len(found)} students")
        return found
    kind, reason = (fmt, f"--format {fmt}") if fmt != "auto" else detect_format(path)
    if kind == "canvas":
        found = _canvas(path, staging, out.warnings)
        out.decisions.append(f"{path}: read as a Canvas export of {len(found)} students ({reason})")
        return found
    if kind == "gradescope":
        found = _gradescope(path, staging, out.warnings)
        out.decisions.append(f"{path}: read as a Gradescope export: {len(found)} students ({reason})")
        return found
    found, warnings = locate([path], modules, layout=layout, assignment=assignment, decisions=out.decisions)
    out.warnings.extend(warnings)
    repeated = [s for s in found if s.path.resolve() in seen and s.path.resolve() != path.resolve()]
    for s in repeated:  # a student's folder given beside its class folder
        out.warnings.append(f"{s.path}: listed more than once; graded once")
    found = [s for s in found if s not in repeated]
    seen.update(s.path.resolve() for s in found)
    return found


def _unique(sources: list[SubmissionSource], warnings: list[str]) -> list[SubmissionSource]:
    taken: set[str] = set(RESERVED_IDS)
    base = {s.student for s in sources}
    result = []
    for s in sorted(sources, key=lambda s: (s.student, str(s.path))):
        unique, n = s.student, 1
        while unique in taken or (unique != s.student and unique in base):
            n += 1
            unique = f"{s.student}-{n}"
        if unique != s.student:
            warnings.append(f"{s.path}: student id {s.student!r} is already used; graded as {unique!r}")
            s = replace(s, student=unique)
        taken.add(unique)
        result.append(s)
    return sorted(result, key=lambda s: s.student)


__all__ = ["FORMATS", "Intake", "compile_pattern", "detect_format", "intake", "parse_time"]
