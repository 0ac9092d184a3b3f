"""The grade store: ``OUT/grades.sqlite``, the one copy of every grade an output folder holds.

Every report in OUT (``gradebook.csv``, ``summary.json``, the plots, ``<folder>/results.json`` and
``<folder>/feedback.md``) is rendered from this store; none of them is the only copy of anything.
It is a SQLite file (the standard library's `sqlite3`), in WAL mode, written by one process: the
grading run's main process, which holds an exclusive `flock` on the file while it runs, so a
second ``grade`` on the same OUT stops with a clear error instead of interleaving with the first.

What is kept:

* ``submissions``: one row per student id ever graded into OUT: the original id, the safe folder
  its reports go to (`safe_folder`), the content hash of its files (`content_hash`), what the
  load step said (notes, suspicious files, modules found), what its code printed, its state
  (``done``, ``pending`` while some question is still to grade, ``absent`` when a full rerun did
  not find it) and the gradebook row last rendered (`score_key` says with which points).
* ``outcomes``: per (student, question), the case results (`results.CaseResult`) together with
  the content hash and the question key they were graded under. A pair is reused while both keys
  are unchanged; a change of points only re-scores from these outcomes, without running code.
* ``questions``: what a question key is made of (short hashes of the hidden suite's source, the
  question's grading.yml entry, the reference source, the engine), for provenance.
* ``history``: every grade a submission has had, with the time it was recorded.
* ``runs``: each grading run: when, on what, with which options, and whether it completed.

A question's key (`question_keys`) hashes everything its grade depends on but its points:
the source of the hidden test functions marked with the question plus the suite's shared code
(module-level helpers, conftest.py, pytest.ini, train_behaviour.py); its grading.yml entry without
``points``, ``title`` and ``visibility`` (those only change how a grade is scored or shown) plus
``limits``, ``modules`` and ``notebook``; the reference module it is checked against (and the lesson's data tables); and the engine (the
grading code, Python's and numpy's versions). Points, titles and visibility make the `score_key`.

Read API for other steps (an HTML report, an LMS export): ``Store.open_readonly(out)`` then
`Store.results` (one `SubmissionResult` per graded student, sorted by student), `Store.rows`
(every gradebook row, pending and absent ones included) and `Store.provenance`.
"""
from __future__ import annotations

import ast
import contextlib
import dataclasses
import datetime as _dt
import errno
import fcntl
import hashlib
import json
import os
import sqlite3
import stat
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import GradingConfig
from ..results import CaseResult, Isolation, LoadedSubmission, Outcome, Status, SubmissionResult

#: The file's name inside OUT.
STORE_NAME = "grades.sqlite"
#: SQLite ``PRAGMA application_id`` of a grade store ("NNAG"): a foreign SQLite file is refused.
APPLICATION_ID = 0x4E4E4147
#: ``PRAGMA user_version``: the schema version of this module.
SCHEMA_VERSION = 1
#: Names the reports use in OUT; no student folder may take them (compare locate.RESERVED_IDS).
RESERVED_FOLDERS = frozenset({"plots", "gradebook.csv", "summary.json", "report", STORE_NAME,
                              STORE_NAME + "-wal", STORE_NAME + "-shm", STORE_NAME + "-journal"})
#: Gradebook status of a row still to grade, and of a row kept from an earlier run.
PENDING = "pending"
NOT_IN_THIS_RUN = "not in this run"

_PACKAGE = Path(__file__).resolve().parents[1]
_SUITES = _PACKAGE / "suites"
_SOLUTIONS = _PACKAGE.parent / "solutions" / "nn_from_scratch"
#: The engine files whose behaviour decides case outcomes (score.py and report.py do not: a change
#: there re-scores or re-renders from stored outcomes).
_ENGINE_FILES = ("judge/compare.py", "run/execute.py", "intake/load.py", "run/protocol.py", "run/sandbox.py", "run/worker.py",
                 "intake/notebook.py")  # a notebook's modules are what notebook.py makes of it
#: Bytes of one file read into its content hash; a larger file adds its size and mtime instead.
_HASH_CAP = 256 << 20


class StoreError(RuntimeError):
    """The store cannot be used (corrupt, foreign, newer, or in use by another run); nothing was changed."""


def now() -> str:
    """The current UTC time as ISO 8601 with seconds (``2026-12-02T17:20:05Z``)."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sha(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


# -- keys -----------------------------------------------------------------------------------------
def content_hash(path: Path) -> str:
    """SHA-256 over every entry under `path` (a folder) or of `path` itself (a file).

    Each entry adds its relative name, its type and, for a regular file, its bytes (only regular
    files are opened, never followed links, FIFOs or devices; a file larger than 256 MiB adds its
    first 256 MiB, size and mtime); a link adds its target, an unreadable entry its errno. Names
    are taken as the file system gives them, sorted, so the hash is the same on every run.

    Args:
        path: a submission's folder, ``.zip``, ``.ipynb`` or ``.py`` file.

    Returns:
        64 hex digits.
    """
    h = hashlib.sha256()
    root = Path(path)

    def add(rel: str, full: str) -> None:
        h.update(b"\0" + os.fsencode(rel) + b"\0")
        try:
            st = os.lstat(full)
        except OSError as exc:
            h.update(f"missing {exc.errno}".encode())
            return
        if stat.S_ISLNK(st.st_mode):
            h.update(b"link " + os.fsencode(os.readlink(full)))
        elif stat.S_ISDIR(st.st_mode):
            h.update(b"dir")
        elif stat.S_ISREG(st.st_mode):
            h.update(b"file %d " % st.st_size)
            try:
                fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError as exc:
                h.update(f"unreadable {exc.errno}".encode())
                return
            with os.fdopen(fd, "rb") as f:
                left = _HASH_CAP
                while left > 0 and (chunk := f.read(min(1 << 20, left))):
                    h.update(chunk)
                    left -= len(chunk)
            if st.st_size > _HASH_CAP:
                h.update(b"mtime %d" % st.st_mtime_ns)
        else:
            h.update(b"special %o" % stat.S_IFMT(st.st_mode))

    if root.is_dir() and not root.is_symlink():
        for folder, dirs, files in os.walk(root, followlinks=False, onerror=lambda e: h.update(b"walk error")):
            dirs.sort()
            rel_folder = os.path.relpath(folder, root)
            for name in sorted(files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]):
                add(os.path.join(rel_folder, name), os.path.join(folder, name))
            for name in dirs:
                add(os.path.join(rel_folder, name), os.path.join(folder, name))
    else:
        add(root.name, str(root))
    return h.hexdigest()


def _suite_sources(suites: Path, questions: Iterable[str] = ()) -> tuple[str, dict[str, list[str]], dict[str, str]]:
    """(source shared by every question, {question: its own test sources}, {question: shared source
    of its file}).

    A question's own sources are the tests marked ``@pytest.mark.question("<id>")`` and, for
    suites that build their cases from tables (``pytest.param(..., marks=pytest.mark.question(qid))``),
    every dict entry keyed by the question id (or by a tuple that starts with it). Everything else
    in the file is shared by the file's questions."""
    shared = []
    for p in sorted(suites.iterdir()):
        if p.is_file() and (p.suffix in (".py", ".ini", ".cfg", ".toml")) and not p.name.startswith("test_"):
            shared.append(p.name + "\0" + p.read_text(encoding="utf-8"))
    ids = set(questions)
    own: dict[str, list[str]] = {}
    file_shared: dict[str, str] = {}
    for p in sorted(suites.glob("test_*.py")):
        text = p.read_text(encoding="utf-8")
        tree = ast.parse(text)
        starts = [0]
        for line in text.splitlines(keepends=True):
            starts.append(starts[-1] + len(line))

        def offset(line: int, col: int) -> int:  # ast columns are UTF-8 byte offsets
            return starts[line - 1] + len(text[starts[line - 1]:starts[line]].encode("utf-8")[:col].decode("utf-8", "ignore"))

        spans: list[tuple[int, int, str]] = []
        for node in tree.body:
            marked = _marked_questions(node)
            if marked:  # whole lines, comments inside included; a test's decorators are part of it
                first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
                spans += [(starts[first - 1], starts[node.end_lineno], q) for q in marked]
                continue
            for sub in ast.walk(node):
                if isinstance(sub, ast.Dict):
                    for key, value in zip(sub.keys, sub.values):
                        qid = _question_key_of(key, ids)
                        if qid:
                            spans.append((offset(key.lineno, key.col_offset),
                                          offset(value.end_lineno, value.end_col_offset), qid))
        common, last = [], 0
        for start, end, qid in sorted(spans):
            own.setdefault(qid, []).append(text[start:end])
            if start >= last:
                common.append(text[last:start])
            last = max(last, end)
        common.append(text[last:])
        for qid in {q for _, _, q in spans}:
            file_shared[qid] = file_shared.get(qid, "") + p.name + "\0" + "".join(common)
    return "\n".join(shared), own, file_shared


def _question_key_of(key: ast.AST | None, ids: set[str]) -> str | None:
    """The question id a dict key names: ``"<id>"`` or a tuple ``("<id>", ...)``; else None."""
    if isinstance(key, ast.Tuple) and key.elts:
        key = key.elts[0]
    if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value in ids:
        return key.value
    return None


def _marked_questions(node: ast.AST) -> set[str]:
    """Question ids of ``@pytest.mark.question("<id>", ...)`` decorators (on a function or class)."""
    out = set()
    for dec in getattr(node, "decorator_list", []):
        if (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute) and dec.func.attr == "question"
                and dec.args and isinstance(dec.args[0], ast.Constant) and isinstance(dec.args[0].value, str)):
            out.add(dec.args[0].value)
    return out


def engine_version() -> str:
    """Hash of the grading engine's source (`_ENGINE_FILES`) and of Python's and numpy's versions."""
    import numpy

    parts = [f"python {sys.version_info[0]}.{sys.version_info[1]}", f"numpy {numpy.__version__}",
             f"schema {SCHEMA_VERSION}"]
    parts += [Path(name).name + "\0" + (_PACKAGE / name).read_text(encoding="utf-8") for name in _ENGINE_FILES]
    return _sha(*parts)


@dataclass(frozen=True)
class QuestionKey:
    """What one question's grade depends on, as hashes (64 hex digits each).

    Attributes:
        question: the question id. suite: its hidden tests and the suite's shared code.
        config: its grading.yml entry without points/title/visibility, plus limits and modules.
        reference: the reference module it is checked against. engine: `engine_version`.
    """

    question: str
    suite: str
    config: str
    reference: str
    engine: str

    @property
    def key(self) -> str:
        """The question key: a hash of the four parts."""
        return _sha(self.question, self.suite, self.config, self.reference, self.engine)

    def short(self) -> dict[str, str]:
        """The parts as 10-digit short hashes, for reports."""
        return {"suite": self.suite[:10], "config": self.config[:10], "reference": self.reference[:10],
                "engine": self.engine[:10]}


def question_keys(config: GradingConfig, suites: Path = _SUITES, solutions: Path = _SOLUTIONS) -> dict[str, QuestionKey]:
    """The `QuestionKey` of every question of `config` (see the module docstring).

    Args:
        config: grading.yml. suites: the hidden suites folder. solutions: the reference package.

    Returns:
        {question id: QuestionKey}, in grading.yml's order.
    """
    shared, own, file_shared = _suite_sources(suites, config.questions)
    engine = engine_version()
    global_config = json.dumps({"limits": config.limits.model_dump(), "modules": list(config.modules),
                                "notebook": config.notebook.model_dump()}, sort_keys=True)
    reference_files = {p.stem: p.read_text(encoding="utf-8") for p in solutions.glob("*.py")}
    common_reference = "\n".join(reference_files.get(n, "") for n in ("__init__", "data"))
    data = solutions.parents[1] / "data"  # the lesson's data tables the hidden tests read
    common_reference += _sha(*(p.name.encode() + b"\0" + p.read_bytes() for p in sorted(data.glob("*.csv"))))
    out = {}
    for qid, q in config.questions.items():
        entry = q.model_dump(exclude={"points", "title", "visibility"})
        entry["requires"] = list(entry["requires"])
        module = qid.split(".")[0]
        modules = sorted({module, *(r.split(".")[0] for r in q.requires)})
        out[qid] = QuestionKey(
            question=qid,
            suite=_sha(shared, file_shared.get(qid, ""), *own.get(qid, [])),
            config=_sha(json.dumps(entry, sort_keys=True), global_config),
            reference=_sha(common_reference, *(m + "\0" + reference_files.get(m, "") for m in modules)),
            engine=engine,
        )
    return out


def plots_key(config: GradingConfig, rows: Sequence[StoredRow]) -> str:
    """Hash of what the plots show (totals and full marks per question of the graded rows): the
    plots are drawn again only when it changes."""
    return _sha(config.assignment, json.dumps([[q, config.questions[q].points] for q in config.questions]),
                json.dumps([[r.total, [bool(r.passed.get(q)) for q in config.questions]]
                            for r in rows if r.total is not None]))


def score_key(config: GradingConfig) -> str:
    """Hash of what turns stored outcomes into points and rows: points, titles, visibility, order."""
    return _sha(config.assignment, json.dumps(
        [[qid, q.points, q.title, q.visibility] for qid, q in config.questions.items()]))


# -- folder names and look-alike ids -----------------------------------------------------------------
_WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                               *(f"lpt{i}" for i in range(1, 10))})


def safe_folder(student: str, taken: Iterable[str] = ()) -> str:
    """A folder name for `student`'s reports that is safe on every file system and unique in OUT.

    NFC-normalised; path separators, NUL, control and format characters, Windows-forbidden
    characters (``<>:"|?*``) and surrounding spaces and dots become ``_`` or go; a name the reports
    use (`RESERVED_FOLDERS`), a Windows device name, or an empty or hidden name gets a ``_`` in
    front; at most 100 characters. Unique ignoring case (so OUT can be copied to macOS or Windows):
    a name already in `taken` (compared case-folded) gets ``-2``, ``-3``, ...

    Args:
        student: the original student id (any string).
        taken: folder names already used in OUT.

    Returns:
        The folder name (the original id stays in the gradebook and the reports).
    """
    name = unicodedata.normalize("NFC", student)
    name = "".join("_" if ch in '/\\<>:"|?*' or unicodedata.category(ch)[0] == "C" else ch for ch in name)
    name = " ".join(name.split()).strip(" .")[:100].rstrip(" .")
    if (not name or name.startswith(".") or name.casefold() in {r.casefold() for r in RESERVED_FOLDERS}
            or name.split(".")[0].casefold() in _WINDOWS_RESERVED):
        name = "_" + name
    used = {t.casefold() for t in taken}
    unique, n = name, 1
    while unique.casefold() in used:
        n += 1
        unique = f"{name}-{n}"
    return unique


def _skeletons(student: str) -> set[str]:
    """Forms of `student` a reader could not tell apart: case-folded, NFKC, Unicode confusables
    (the `confusables` package's TR39 mapping) resolved."""
    base = unicodedata.normalize("NFKC", student).casefold()
    forms = {base}
    if sum(not ch.isascii() for ch in base) <= 8:  # confusables expands every combination: keep it small
        from confusables import normalize

        forms.update(normalize(base, prioritize_alpha=True)[:64])
    return forms


def look_alike_ids(students: Iterable[str]) -> list[tuple[str, ...]]:
    """Groups of different student ids that differ only in case or by confusable characters
    (``correct_copy`` and ``correct_cоpy`` with a Cyrillic о). Each group sorted; groups sorted."""
    by_form: dict[str, set[str]] = {}
    for s in students:
        for form in _skeletons(s):
            by_form.setdefault(form, set()).add(s)
    groups = {tuple(sorted(g)) for g in by_form.values() if len(g) > 1}
    # merge overlapping groups
    merged: list[set[str]] = []
    for g in sorted(groups):
        hit = [m for m in merged if m & set(g)]
        new = set(g).union(*hit)
        merged = [m for m in merged if not (m & set(g))] + [new]
    return sorted(tuple(sorted(m)) for m in merged)


# -- rows and provenance ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Provenance:
    """When and with what one submission was graded (for its feedback and results.json).

    Attributes:
        graded_at: UTC ISO time student code last ran for it. content: short hash of its files.
        questions: {question id: {"suite", "config", "reference", "engine": 10-digit hashes,
            "graded_at": time}}.
    """

    graded_at: str
    content: str
    questions: dict[str, dict[str, str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (for results.json's ``extra_data.provenance``)."""
        return {"graded_at": self.graded_at, "content": self.content,
                "questions": {q: dict(p) for q, p in self.questions.items()}}


@dataclass(frozen=True)
class StoredRow:
    """One gradebook row as the store holds it.

    Attributes:
        student: the original id. folder: its report folder in OUT.
        state: ``done``, ``pending`` or ``absent`` (shown as ``not in this run``).
        status: the gradebook's status: a `Status` value, ``pending`` or ``not in this run``.
        points: {question id: points} (empty when pending). total, possible: points (None when pending).
        isolation: the level its code ran under ("" when pending).
    """

    student: str
    folder: str
    state: str
    status: str
    points: dict[str, float]
    passed: dict[str, bool]
    total: float | None
    possible: float | None
    isolation: str


def _cases_to_json(cases: Sequence[CaseResult]) -> str:
    """Every field of each case but its question (the row's key), by name: a field added to
    `CaseResult` later (with a default) is stored without a schema change."""
    return json.dumps([{f.name: _plain(getattr(c, f.name)) for f in dataclasses.fields(CaseResult)
                        if f.name != "question"} for c in cases])


def _plain(value: Any) -> Any:
    """A field's value as JSON holds it (enums by value, tuples as lists)."""
    if isinstance(value, Outcome):
        return value.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _tuples(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    # a list of numbers (a loss series: ~1,000 a train case) in one step, not one call per number
    return tuple(map(_tuples, value)) if list in map(type, value) else tuple(value)


_CASE_FIELDS = frozenset(f.name for f in dataclasses.fields(CaseResult))


def _cases_from_json(question: str, text: str) -> list[CaseResult]:
    known = _CASE_FIELDS
    out = []
    for case in json.loads(text):
        fields = {k: _tuples(v) if isinstance(v, list) else v for k, v in case.items() if k in known}
        fields["outcome"] = Outcome(fields["outcome"])
        out.append(CaseResult(question, **fields))
    return out


_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE submissions(
    student TEXT PRIMARY KEY, folder TEXT NOT NULL UNIQUE, source TEXT, content_hash TEXT,
    state TEXT NOT NULL, isolation TEXT, modules TEXT, notes TEXT, suspicious TEXT, output TEXT,
    seconds REAL, graded_at TEXT, scored TEXT, score_key TEXT);
CREATE TABLE outcomes(
    student TEXT NOT NULL, question TEXT NOT NULL, content_hash TEXT NOT NULL, question_key TEXT NOT NULL,
    isolation TEXT NOT NULL, cases TEXT NOT NULL, graded_at TEXT NOT NULL, PRIMARY KEY(student, question));
CREATE TABLE questions(question_key TEXT PRIMARY KEY, question TEXT NOT NULL, suite TEXT NOT NULL,
    config TEXT NOT NULL, reference TEXT NOT NULL, engine TEXT NOT NULL);
CREATE TABLE history(id INTEGER PRIMARY KEY, student TEXT NOT NULL, recorded_at TEXT NOT NULL,
    content_hash TEXT, status TEXT NOT NULL, total REAL, possible REAL, points TEXT NOT NULL);
CREATE TABLE runs(id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, paths TEXT NOT NULL,
    options TEXT NOT NULL, complete INTEGER NOT NULL DEFAULT 0, counts TEXT);
"""


@dataclass
class Plan:
    """What a run will do: the questions to grade per student, and what it reuses.

    Attributes:
        todo: {student: question ids to run its code for}, in student order.
        reused: students whose every question is reused.
        absent: students kept from earlier runs and marked ``not in this run``.
    """

    todo: dict[str, list[str]] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)


class Store:
    """An open grade store (see the module docstring). Use `Store.open` / `Store.open_readonly`.

    A `Store` opened for writing holds an exclusive lock on the file until `close`.
    """

    def __init__(self, out: Path, conn: sqlite3.Connection, lock_fd: int | None) -> None:
        self.out = Path(out)
        self.path = self.out / STORE_NAME
        self._conn = conn
        self._lock_fd = lock_fd

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, out: Path) -> Store:
        """Open (or create) ``out/grades.sqlite`` for a grading run, locked against other runs.

        Raises:
            StoreError: another ``grade`` holds the lock; the file is not a SQLite database, is
                another program's database, was written by a newer version, or fails SQLite's
                integrity check. Nothing is changed in any of these cases.
        """
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / STORE_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise StoreError(f"{path}: cannot be opened: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise StoreError(f"{path}: another `autograder grade` is writing to {out} right now; "
                                 f"wait for it to finish (nothing was changed)") from None
            raise
        try:
            conn = cls._connect(path, readonly=False)
        except BaseException:
            os.close(fd)
            raise
        return cls(out, conn, fd)

    @classmethod
    def open_readonly(cls, out: Path) -> Store:
        """Open an existing store to read it (no lock; safe while a run writes, thanks to WAL).

        Raises:
            StoreError: there is no store in `out`, or it cannot be used (see `open`).
        """
        path = Path(out) / STORE_NAME
        if not path.is_file():
            raise StoreError(f"{path}: no grade store here (grade into {out} first)")
        return cls(Path(out), cls._connect(path, readonly=True), None)

    @staticmethod
    def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
        uri = f"file:{path}?mode={'ro' if readonly else 'rwc'}"
        what = f"{path} is not a grade store of this autograder"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot be opened: {exc}") from None
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if app_id == 0 and version == 0 and tables == 0 and not readonly:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript("BEGIN IMMEDIATE;" + _SCHEMA +
                                   f"PRAGMA application_id={APPLICATION_ID}; PRAGMA user_version={SCHEMA_VERSION};"
                                   "COMMIT;")
            elif app_id != APPLICATION_ID:
                raise StoreError(f"{what} (it is another program's SQLite database); move it away or grade "
                                 f"into another --out (nothing was changed)")
            elif version > SCHEMA_VERSION:
                raise StoreError(f"{path} was written by a newer autograder (store version {version}, this one "
                                 f"reads {SCHEMA_VERSION}); update the autograder (nothing was changed)")
            if not readonly:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")  # WAL: a committed run survives a crash of the grader
                check = conn.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise StoreError(f"{path} is damaged ({check}); keep a copy, then move it away and regrade "
                                     f"(nothing was changed)")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{what} or it is damaged ({exc}); move it away or grade into another --out "
                             f"(nothing was changed)") from None
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        """Close the database (its WAL is checkpointed) and release the lock."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None  # type: ignore[assignment]
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # -- planning a run ----------------------------------------------------------------------------
    def folders(self) -> dict[str, str]:
        """{student id: report folder} of every submission in the store."""
        return dict(self._conn.execute("SELECT student, folder FROM submissions"))

    def plan(self, located: Sequence[tuple[str, str, str]], keys: dict[str, QuestionKey], isolation: Isolation | None,
             *, force: bool = False, questions: Sequence[str] | None = None, full: bool = True,
             paths: Sequence[str] = (), options: dict[str, Any] | None = None) -> Plan:
        """Record the located submissions and decide what to grade; starts a run.

        Args:
            located: (student id, source path, content hash) of each submission found, sorted.
            keys: `question_keys` of the current grading.yml.
            isolation: the level this run must grade at (an outcome graded at another level is
                regraded), or None: an outcome counts whatever level it was graded at.
            force: regrade every (submission, question) pair of the run.
            questions: only these questions are graded (the others are reused or left pending).
            full: the run covers the whole class: stored students not located become ``absent``.
            paths, options: recorded in ``runs``.

        Returns:
            The `Plan`. Submissions with work get state ``pending`` until `record` completes them.
        """
        wanted = list(questions) if questions else list(keys)
        # whether an outcome holds a grader error is asked of SQLite: decoding every case list
        # (loss series included) here cost most of a nothing-changed rerun. `_cases_to_json` writes
        # '"outcome": "error"' for such a case (a string value cannot hold it unescaped), so only
        # lists holding that text are parsed, by SQLite's JSON functions
        stored = {(s, q): (c, k, i, bool(e)) for s, q, c, k, i, e in self._conn.execute(
            "SELECT student, question, content_hash, question_key, isolation, instr(cases, ?) > 0 AND EXISTS("
            "SELECT 1 FROM json_each(outcomes.cases) WHERE json_extract(json_each.value, '$.outcome') = ?) "
            "FROM outcomes", (json.dumps({"outcome": Outcome.ERROR.value})[1:-1], Outcome.ERROR.value))}
        folders = self.folders()
        plan = Plan()
        with self._write() as db:
            db.executemany("INSERT OR IGNORE INTO questions VALUES (?,?,?,?,?,?)",
                           [(k.key, k.question, k.suite, k.config, k.reference, k.engine) for k in keys.values()])
            taken = set(folders.values())
            for student, source, chash in located:
                if student not in folders:
                    folders[student] = safe_folder(student, taken)
                    taken.add(folders[student])
                    db.execute("INSERT INTO submissions(student, folder, state) VALUES (?,?,'pending')",
                               (student, folders[student]))
                todo = [q for q in wanted
                        if force or not _reusable(stored.get((student, q)), chash, keys[q].key, isolation)]
                stale = [q for q in keys if q not in wanted
                         and not _current(stored.get((student, q)), chash, keys[q].key, isolation)]
                state = "pending" if todo or stale else "done"
                db.execute("UPDATE submissions SET source=?, state=? WHERE student=?", (source, state, student))
                if todo:
                    plan.todo[student] = todo
                else:
                    plan.reused.append(student)
            if full:
                here = {s for s, _, _ in located}
                plan.absent = sorted(s for s in folders if s not in here)
                db.executemany("UPDATE submissions SET state='absent' WHERE student=?", [(s,) for s in plan.absent])
            db.execute("INSERT INTO runs(started_at, paths, options) VALUES (?,?,?)",
                       (now(), json.dumps(list(paths)), json.dumps(options or {}, sort_keys=True)))
            self._run_id = db.execute("SELECT last_insert_rowid()").fetchone()[0]
            self._content = {s: c for s, _, c in located}
        return plan

    # -- recording results -------------------------------------------------------------------------
    def record(self, result: SubmissionResult, questions: Sequence[str], keys: dict[str, QuestionKey],
               content: str | None = None) -> None:
        """Store the outcomes of `questions` from a freshly graded `result` (one transaction).

        The submission-level facts (notes, output, modules, isolation, time) are replaced by the
        result's; the other questions' stored outcomes stay. Recording the same result twice is harmless.

        Args:
            result: what the job process returned for one submission.
            questions: the question ids that were run for it (their cases are taken from `result`).
            keys: the current `question_keys`. content: its content hash (default: from `plan`).
        """
        content = content or self._content[result.student]
        stamp = now()
        by_id = {q.id: q for q in result.questions}
        with self._write() as db:
            for qid in questions:
                if qid not in by_id:
                    continue
                db.execute("INSERT OR REPLACE INTO outcomes VALUES (?,?,?,?,?,?,?)",
                           (result.student, qid, content, keys[qid].key, result.isolation.value,
                            _cases_to_json(by_id[qid].cases), stamp))
            complete = all(_current(r, content, keys[q].key, None) for q in keys for r in [
                db.execute("SELECT content_hash, question_key, isolation, cases FROM outcomes "
                           "WHERE student=? AND question=?", (result.student, q)).fetchone()])
            db.execute("UPDATE submissions SET content_hash=?, state=?, isolation=?, modules=?, notes=?, suspicious=?,"
                       " output=?, seconds=?, graded_at=?, score_key=NULL WHERE student=?",
                       (content, "done" if complete else "pending", result.isolation.value,
                        json.dumps(_present_modules(result)), json.dumps(list(result.notes)),
                        json.dumps(list(result.suspicious)), json.dumps(result.output), result.seconds,
                        stamp, result.student))

    # -- reading -----------------------------------------------------------------------------------
    def _submission(self, student: str) -> sqlite3.Row | None:
        self._conn.row_factory = sqlite3.Row
        try:
            return self._conn.execute("SELECT * FROM submissions WHERE student=?", (student,)).fetchone()
        finally:
            self._conn.row_factory = None

    def result(self, student: str, config: GradingConfig | None = None) -> SubmissionResult | None:
        """The student's `SubmissionResult`, scored now from the stored outcomes with `config`'s
        points (default: the repository's grading.yml); None while a question of `config` has no
        stored outcome (the row is pending)."""
        return self._scored([student], config).get(student)

    def _scored(self, students: Sequence[str] | None, config: GradingConfig | None,
                series: bool = True) -> dict[str, SubmissionResult | None]:
        """{student: result scored from the stored outcomes (None: an outcome is missing)}, for
        `students` (None: every stored submission), read in two queries; without the cases'
        loss series unless `series` (SQLite leaves them out: ~10x less JSON to decode)."""
        from ..config import load_config
        from ..judge.score import score

        config = config or load_config()
        where, args = "", ()
        if students is not None and len(students) == 1:
            where, args = " WHERE student=?", (students[0],)
        wanted = None if students is None or len(students) == 1 else set(students)
        outcomes: dict[str, dict[str, str]] = {}
        column = "cases" if series else (  # each case object without its "series" key, in order
            "(SELECT json_group_array(json_remove(json_each.value, '$.series')) FROM json_each(outcomes.cases))")
        for student, qid, cases in self._conn.execute(f"SELECT student, question, {column} FROM outcomes{where}", args):
            if wanted is None or student in wanted:
                outcomes.setdefault(student, {})[qid] = cases
        out: dict[str, SubmissionResult | None] = {}
        for student, isolation, modules, notes, suspicious, output, seconds in self._conn.execute(
                "SELECT student, isolation, modules, notes, suspicious, output, seconds FROM submissions"
                f"{where} ORDER BY student", args):
            if wanted is not None and student not in wanted:
                continue
            stored = outcomes.get(student, {})
            if isolation is None or any(q not in stored for q in config.questions):
                out[student] = None
                continue
            cases = [c for qid in config.questions for c in _cases_from_json(qid, stored[qid])]
            loaded = LoadedSubmission(student, Path("."), tuple(json.loads(modules)), tuple(json.loads(notes)),
                                      tuple(json.loads(suspicious)))
            out[student] = score(loaded, student, cases, config, isolation=Isolation(isolation),
                                 output=json.loads(output), seconds=seconds or 0.0)
        return out

    def results(self, config: GradingConfig | None = None, series: bool = True) -> list[SubmissionResult]:
        """Every stored submission that has a grade (done or kept from an earlier run), sorted by
        student id; pending ones are left out. Scored with `config` (see `result`). With `series`
        False, every case's ``series`` is empty (what the class files need; much faster)."""
        done = {s for (s,) in self._conn.execute("SELECT student FROM submissions WHERE state != 'pending'")}
        return [r for s, r in self._scored(None, config, series).items() if s in done and r is not None]

    def provenance(self, student: str, keys: dict[str, QuestionKey] | None = None) -> Provenance | None:
        """When and with which suite/config/reference/engine each of the student's questions was graded."""
        return self.provenances([student], keys).get(student)

    def provenances(self, students: Sequence[str], keys: dict[str, QuestionKey] | None = None) -> dict[str, Provenance]:
        """`provenance` of several students at once (two queries)."""
        wanted = set(students)
        parts = {k: (su[:10], co[:10], re[:10], en[:10]) for k, su, co, re, en in self._conn.execute(
            "SELECT question_key, suite, config, reference, engine FROM questions")}
        questions: dict[str, dict[str, dict[str, str]]] = {}
        for student, qid, qkey, stamp in self._conn.execute(
                "SELECT student, question, question_key, graded_at FROM outcomes ORDER BY student"):
            if student in wanted and qkey in parts and (keys is None or qid in keys):
                su, co, re_, en = parts[qkey]
                questions.setdefault(student, {})[qid] = {"suite": su, "config": co, "reference": re_,
                                                          "engine": en, "graded_at": stamp}
        out = {}
        for student, graded_at, content in self._conn.execute("SELECT student, graded_at, content_hash FROM submissions"):
            if student in wanted and graded_at is not None:
                mine = questions.get(student, {})
                if keys is not None:
                    mine = {q: mine[q] for q in keys if q in mine}
                out[student] = Provenance(graded_at, (content or "")[:10], mine)
        return out

    def rescore(self, config: GradingConfig) -> tuple[dict[str, SubmissionResult], list[str]]:
        """Bring every stored row up to `config`'s points (no student code runs).

        For each submission whose stored row was rendered with other points (or never), score it
        from its outcomes; if its row changes, append it to the history.

        Returns:
            ({student: new result} of those whose row changed, students re-scored: those that had
            a row scored with other points, changed or not; a first scoring is not a re-score).
        """
        key = score_key(config)
        changed: dict[str, SubmissionResult] = {}
        same: list[str] = []  # re-scored: had a row scored with other points
        old_rows = dict(self._conn.execute(
            "SELECT student, scored FROM submissions WHERE state != 'pending' AND (score_key IS NULL OR score_key != ?)",
            (key,)))
        if not old_rows:
            return changed, same
        results = self._scored(sorted(old_rows) if len(old_rows) == 1 else None, config)
        stamp = now()
        with self._write() as db:
            for student in sorted(old_rows):
                result = results.get(student)
                if result is None:
                    db.execute("UPDATE submissions SET state='pending' WHERE student=? AND state='done'", (student,))
                    continue
                row = _row_json(result)
                db.execute("UPDATE submissions SET scored=?, score_key=? WHERE student=?", (row, key, student))
                if old_rows[student] is not None:
                    same.append(student)
                if old_rows[student] != row:
                    changed[student] = result
                    db.execute("INSERT INTO history(student, recorded_at, content_hash, status, total, possible, points)"
                               " SELECT student, ?, content_hash, ?, ?, ?, ? FROM submissions WHERE student=?",
                               (stamp, result.status.value, result.total, result.possible,
                                json.dumps({q.id: q.points for q in result.questions}), student))
        return changed, same

    def rows(self) -> list[StoredRow]:
        """Every gradebook row, sorted by student id (pending and ``not in this run`` ones included).

        Rows are those `rescore` stored (with the points of the grading.yml it was given): call
        `rescore` first after a change of points.
        """
        out = []
        for student, folder, state, scored in self._conn.execute(
                "SELECT student, folder, state, scored FROM submissions ORDER BY student"):
            if state == "pending" or scored is None:
                out.append(StoredRow(student, folder, "pending", PENDING, {}, {}, None, None, ""))
                continue
            data = json.loads(scored)
            out.append(StoredRow(student, folder, state, NOT_IN_THIS_RUN if state == "absent" else data["status"],
                                 data["points"], data["passed"], data["total"], data["possible"], data["isolation"]))
        return out

    def complete(self) -> bool:
        """True when no stored submission is pending."""
        return self._conn.execute("SELECT count(*) FROM submissions WHERE state='pending'").fetchone()[0] == 0

    def finish_run(self, counts: dict[str, int], complete: bool) -> None:
        """Close the run `plan` started: its end time, whether it completed, what it did."""
        with self._write() as db:
            db.execute("UPDATE runs SET finished_at=?, complete=?, counts=? WHERE id=?",
                       (now(), int(complete), json.dumps(counts, sort_keys=True), self._run_id))

    def meta(self, key: str) -> str | None:
        """A value of the ``meta`` table (e.g. ``plots_key``), or None."""
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the ``meta`` table."""
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, value))

    def look_alike(self) -> list[tuple[str, ...]]:
        """`look_alike_ids` of every stored student id, kept in ``meta`` for the set of ids it was
        computed for (the confusables mapping costs ~5 ms an id: most of a nothing-changed rerun
        at N = 1000 before it was kept)."""
        ids = sorted(self.folders())
        key = _sha(*ids)
        kept = self.meta("look_alike")
        if kept is not None:
            data = json.loads(kept)
            if data.get("ids") == key:
                return [tuple(g) for g in data["groups"]]
        groups = look_alike_ids(ids)
        self.set_meta("look_alike", json.dumps({"ids": key, "groups": [list(g) for g in groups]}))
        return groups

    def history(self, student: str) -> list[dict[str, Any]]:
        """The student's grades, oldest first: recorded_at, content hash, status, total, possible, points."""
        return [{"recorded_at": t, "content_hash": c, "status": s, "total": tot, "possible": p,
                 "points": json.loads(pts)}
                for t, c, s, tot, p, pts in self._conn.execute(
                    "SELECT recorded_at, content_hash, status, total, possible, points FROM history "
                    "WHERE student=? ORDER BY id", (student,))]


def _current(stored: tuple[str, ...] | None, content: str, qkey: str, isolation: Isolation | None) -> bool:
    """A stored outcome is current while its submission and question keys (and the isolation
    level, when one is required) are the current ones."""
    return stored is not None and stored[:2] == (content, qkey) and (isolation is None or stored[2] == isolation.value)


def _reusable(stored: tuple[str, str, str, bool] | None, content: str, qkey: str, isolation: Isolation | None) -> bool:
    """A current outcome (`_current`) without a grader error (``stored[3]``: it has one) is
    reused; a grader error is retried by every run."""
    return _current(stored, content, qkey, isolation) and not stored[3]


def _present_modules(result: SubmissionResult) -> list[str]:
    """The modules the submission had, as far as re-scoring needs them: none when it was invalid
    (`score` says ``invalid`` only when no module was found), else those whose questions did not
    fail for a missing module (or all of them)."""
    if result.status is Status.INVALID:
        return []
    from ..judge.score import _missing_module_case

    modules = sorted({q.id.split(".")[0] for q in result.questions})
    present = [m for m in modules if any(q.cases != (_missing_module_case(q.id, m),)
                                         for q in result.questions if q.id.split(".")[0] == m)]
    return present or modules


def _row_json(result: SubmissionResult) -> str:
    return json.dumps({
        "status": result.status.value, "isolation": result.isolation.value, "total": result.total,
        "possible": result.possible, "points": {q.id: q.points for q in result.questions},
        "passed": {q.id: q.passed for q in result.questions},
    })

