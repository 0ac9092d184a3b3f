"""Step 2, *load*: copy one submission's gradable modules into a fresh folder the grader owns.

Only regular files named ``<module>.py`` (for the assignment's modules) are copied, from the top
of the submission or from a single nested folder (students often zip a folder). Everything
else stays behind; files that could tamper with grading (``conftest.py``, ``sitecustomize.py``,
``numpy.py``, a ``.pth``, a module shadowing the standard library, ...) are listed as
*suspicious* for a TA (they cost no points: they are simply never copied).

Zips are read member by member with `zipfile` (never ``extractall``): members whose path leaves
the submission, symbolic links, oversized members, too many entries, too much data, encrypted
or corrupt archives are refused with a note. Notebooks are rebuilt into modules by
`autograder.intake.notebook` (definitions only: training runs, plots and downloads are skipped and listed).

Student code is never executed or imported here: a module with a syntax error is copied (the
worker reports it as the student's failure) and gets a note computed with `ast.parse`.
"""
from __future__ import annotations

import ast
import functools
import hashlib
import io
import os
import re
import stat
import sys
import tokenize
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Sequence

from autograder.intake.locate import is_skipped, module_name_of
from autograder.intake.notebook import TRANSFORM_ALLOWANCE
from autograder.results import LoadedSubmission, SubmissionSource

MiB = 1 << 20
#: Largest module file copied (bytes).
MAX_MODULE_BYTES = 1 * MiB
#: Most entries a zip may have.
MAX_ZIP_ENTRIES = 1000
#: Most bytes a zip may unpack to (sum of its members' declared sizes).
MAX_ZIP_TOTAL = 20 * MiB
#: Largest notebook read (outputs such as images make notebooks big).
MAX_NOTEBOOK_BYTES = 20 * MiB
#: How many folders deep the modules may sit ("alice.zip/alice/hw1/foundations.py" is 2).
MAX_NESTING = 3
#: Most entries looked at in a submission folder (a stray virtualenv has thousands).
MAX_FOLDER_ENTRIES = 5000
#: How deep a submission folder is scanned for suspicious files.
MAX_SCAN_DEPTH = 6

#: File names that change how Python or pytest behave when found next to the code.
TAMPERING_NAMES = frozenset({
    "conftest.py", "pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini", "setup.py",
    "sitecustomize.py", "usercustomize.py", "numpy.py", "pytest.py", "autograder.py",
})
#: The committed student releases (``assignments/<assignment>/``): their own ``tests/conftest.py`` and
#: ``pytest.ini``, handed back unchanged (a student zips the whole folder), are not suspicious.
RELEASES = Path(__file__).resolve().parents[2] / "assignments"
#: Module or package names of the grader and its libraries that a submission must not shadow.
TAMPERING_STEMS = frozenset({"numpy", "pytest", "_pytest", "autograder", "solutions", "pluggy"})


@dataclass
class _Entry:
    """One file or folder of a submission, as a path relative to its top."""

    path: PurePosixPath
    kind: str  # "file", "dir", "symlink" or "other"
    size: int = 0
    read: Callable[[int], bytes] | None = field(default=None, repr=False)


@dataclass
class _State:
    modules: Sequence[str]
    notes: list[str] = field(default_factory=list)
    suspicious: list[str] = field(default_factory=list)
    #: module name -> (source bytes, where it came from, cell map for notebooks)
    found: dict[str, tuple[bytes, str, list[tuple[int, int]] | None]] = field(default_factory=dict)
    #: modules refused with a note of their own (so no "was not found" note is added)
    refused: set[str] = field(default_factory=set)
    #: grading.yml's ``notebook`` settings (`autograder.config.NotebookSettings`), or None: the defaults
    notebook: object = None
    #: what IPython's transformer may still tokenize for this submission's notebooks, all of them
    transform_allowance: list[int] = field(default_factory=lambda: [TRANSFORM_ALLOWANCE])

    def suspect(self, name: str, why: str) -> None:
        if name not in self.suspicious:
            self.suspicious.append(name)
            self.notes.append(f"{name} was ignored: {why} (kept out of grading; a TA may review it)")


class _Refused(Exception):
    """The whole submission cannot be read (a note says why)."""


# --- public entry point -------------------------------------------------------------------------


def load(source: SubmissionSource, dest: Path, modules: Sequence[str], *, notebook=None) -> LoadedSubmission:
    """Copy `source`'s gradable modules into the new folder `dest`.

    Args:
        source: the submission (folder, ``.zip``, ``.ipynb`` or ``.py``).
        dest: a folder that does not exist yet; it is created with mode 0755 and the modules
            are written with mode 0644, so an unprivileged sandbox user can read them.
        modules: the assignment's module names, e.g. ``("foundations", "linear_regression")``.
        notebook: grading.yml's ``notebook`` settings (mode, cell_timeout); None for the defaults.

    Returns:
        The submission as loaded: the modules copied, notes for the student and the TA, and the
        suspicious files left behind. A broken or hostile submission gives notes and no module,
        never an exception.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.mkdir(mode=0o755)
    os.chmod(dest, 0o755)  # whatever the umask
    state = _State(modules=tuple(modules), notebook=notebook)
    state.notes.extend(source.notes)  # how the LMS export was read (resubmissions, groups)
    path = Path(source.path)
    label = path.name
    try:
        if path.is_dir():
            _from_tree(_folder_entries(path, state), label, state)
        elif path.suffix.lower() == ".zip":
            _from_zip(path, label, state)
        elif path.suffix.lower() == ".ipynb":
            _from_notebook(_read_regular(path, MAX_NOTEBOOK_BYTES), label, state)
        elif path.suffix.lower() == ".py":
            _from_single_py(path, state)
        else:
            state.notes.append(f"{label} is not a folder, .zip, .ipynb or .py file: nothing was graded")
    except _Refused as refusal:
        state.notes.append(str(refusal))

    copied = []
    for module in state.modules:
        if module in state.found:
            data, origin, cells = state.found[module]
            _write(dest / f"{module}.py", data)
            copied.append(module)
            note = _syntax_note(f"{module}.py", data, origin, cells)
            if note:
                state.notes.append(note)
        elif module not in state.refused:
            state.notes.append(f"{module}.py was not found: its questions score 0")
    return LoadedSubmission(
        student=source.student,
        directory=dest,
        modules=tuple(copied),
        notes=tuple(state.notes),
        suspicious=tuple(state.suspicious),
    )


# --- reading the three kinds of source ---------------------------------------------------------------


def _read_regular(path: Path, limit: int) -> bytes:
    """Read a regular file without following a symbolic link, refusing more than `limit` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _Refused(f"{path.name} could not be read ({exc.strerror}): nothing was graded") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _Refused(f"{path.name} is not a regular file: nothing was graded")
        if info.st_nlink > 1:  # a hard link can name a file its student could not read (issue 10)
            raise _Refused(f"{path.name} is a hard link to another file, not a file of its own: nothing was graded")
        if info.st_size > limit:
            raise _Refused(f"{path.name} is {_mib(info.st_size)} (at most {_mib(limit)}): nothing was graded")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise _Refused(f"{path.name} is larger than {_mib(limit)}: nothing was graded")
    return data


def _from_single_py(path: Path, state: _State) -> None:
    module, fix_up = module_name_of(path.name, state.modules)
    if fix_up:
        state.notes.append(f"file name fixed up: {fix_up}")
    if module:
        try:
            state.found[module] = (_read_regular(path, MAX_MODULE_BYTES), path.name, None)
        except _Refused as refusal:
            state.refused.add(module)
            state.notes.append(f"{refusal}: {module}'s questions score 0")
        return
    state.notes.append(
        f"{path.name} is not one of the expected file names ({_expected(state.modules)}): "
        f"it was not graded. Rename it, or submit a folder or zip holding those files."
    )


def _folder_entries(top: Path, state: _State) -> list[_Entry]:
    """List a submission folder without following links, skipping hidden entries."""
    entries: list[_Entry] = []
    pending = [(top, PurePosixPath())]
    while pending:
        folder, rel = pending.pop()
        try:
            with os.scandir(folder) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            state.notes.append(f"{rel or top.name}: folder could not be read ({exc.strerror})")
            continue
        for child in children:
            if is_skipped(child.name):
                continue
            if len(entries) >= MAX_FOLDER_ENTRIES:
                state.notes.append(f"{top.name} holds more than {MAX_FOLDER_ENTRIES} files: only those were looked at")
                return entries
            child_rel = rel / child.name
            try:
                info = child.stat(follow_symlinks=False)
            except OSError:
                continue  # vanished while listing
            if stat.S_ISLNK(info.st_mode):
                entries.append(_Entry(child_rel, "symlink"))
            elif stat.S_ISDIR(info.st_mode):
                entries.append(_Entry(child_rel, "dir"))
                if len(child_rel.parts) < MAX_SCAN_DEPTH:
                    pending.append((Path(child.path), child_rel))
            elif stat.S_ISREG(info.st_mode):
                child_path = Path(child.path)
                entries.append(_Entry(child_rel, "file", info.st_size,
                                      lambda limit, p=child_path: _read_regular(p, limit)))
            else:
                entries.append(_Entry(child_rel, "other"))
    return entries


def _zip_member_path(name: str) -> PurePosixPath | None:
    """The member's relative path, or None if it would leave the submission."""
    normal = name.replace("\\", "/")
    if normal.startswith("/") or re.match(r"^[A-Za-z]:", normal):
        return None
    parts = [p for p in normal.split("/") if p not in ("", ".")]
    if not parts or ".." in parts or any("\x00" in p for p in parts):
        return None
    return PurePosixPath(*parts)


def _from_zip(path: Path, label: str, state: _State) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _Refused(f"{label} could not be read ({exc.strerror}): nothing was graded") from None
    if size > MAX_ZIP_TOTAL + 5 * MiB:
        raise _Refused(f"{label} is {_mib(size)}, too large for a submission: nothing was graded")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _Refused(f"{label} could not be opened as a zip file (corrupt or not a zip): nothing was graded") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise _Refused(f"{label} has {len(infos)} entries (at most {MAX_ZIP_ENTRIES}): nothing was graded")
        total = sum(i.file_size for i in infos)
        if total > MAX_ZIP_TOTAL:
            raise _Refused(f"{label} would unpack to {_mib(total)} (at most {_mib(MAX_ZIP_TOTAL)}): nothing was graded")
        if any(i.flag_bits & 0x1 for i in infos):
            raise _Refused(f"{label} is password-protected: nothing was graded")
        entries: dict[PurePosixPath, _Entry] = {}
        for info in infos:
            rel = _zip_member_path(info.filename)
            if rel is None:
                state.suspect(_printable(info.filename), "its path points outside the submission")
                continue
            if any(is_skipped(p) for p in rel.parts):
                continue
            for depth in range(1, len(rel.parts)):  # folders implied by the member's path
                entries.setdefault(PurePosixPath(*rel.parts[:depth]), _Entry(PurePosixPath(*rel.parts[:depth]), "dir"))
            mode = info.external_attr >> 16
            if info.is_dir():
                kind = "dir"
            elif stat.S_ISLNK(mode):
                kind = "symlink"
            else:
                kind = "file"
            existing = entries.get(rel)
            if existing is not None and not (existing.kind == "dir" and kind == "dir"):
                state.suspect(str(rel), "the zip holds two entries with this name")
                continue
            entries[rel] = _Entry(rel, kind, info.file_size,
                                  lambda limit, i=info: _read_member(archive, i, limit, label))
        _from_tree(sorted(entries.values(), key=lambda e: e.path), label, state)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, label: str) -> bytes:
    if info.file_size > limit:
        raise _Refused(f"{label}: {info.filename} is too large")
    try:
        with archive.open(info) as member:
            data = member.read(limit + 1)  # decompression stops at the declared size
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError) as exc:
        raise _Refused(f"{label}: {_printable(info.filename)} could not be read ({type(exc).__name__}: corrupt zip)") from None
    if len(data) > limit:
        raise _Refused(f"{label}: {info.filename} is too large")
    return data


# --- choosing and copying files -------------------------------------------------------------------


def _from_tree(entries: list[_Entry], label: str, state: _State) -> None:
    """Pick the modules out of a listing of the submission (a folder or a zip)."""
    modules = state.modules
    for entry in entries:
        _check_suspicious(entry, state)

    def module_of(entry: _Entry) -> tuple[str | None, str]:
        return module_name_of(entry.path.name, modules) if entry.kind in ("file", "symlink") else (None, "")

    root = PurePosixPath()
    for _ in range(MAX_NESTING + 1):
        here = [e for e in entries if e.path.parent == root]
        if any(module_of(e)[0] or e.path.suffix.lower() == ".ipynb" for e in here):
            break
        folders = [e for e in here if e.kind == "dir"]
        if len(folders) != 1:
            break
        root = folders[0].path
    here = [e for e in entries if e.path.parent == root]
    where = f" in {root}/" if root.parts else ""

    candidates: dict[str, list[tuple[_Entry, str]]] = {}
    for entry in here:
        module, fix_up = module_of(entry)
        if module:
            candidates.setdefault(module, []).append((entry, fix_up))
    for module in modules:
        _take_one(module, candidates.get(module, []), state)

    notebooks = [e for e in here if e.path.suffix.lower() == ".ipynb" and e.kind == "file"]
    for entry in notebooks:
        if all(m in state.found or m in state.refused for m in modules):
            state.notes.append(f"{entry.path} was not used: the module files were found as .py files")
            continue
        if entry.size > MAX_NOTEBOOK_BYTES:
            state.notes.append(f"{entry.path} is {_mib(entry.size)} (at most {_mib(MAX_NOTEBOOK_BYTES)}): it was not read")
            continue
        try:
            data = entry.read(MAX_NOTEBOOK_BYTES)
        except _Refused as refusal:
            state.notes.append(str(refusal))
            continue
        _from_notebook(data, str(entry.path), state)

    # a module still missing: one folder level down (or deeper), when there is a single candidate
    deeper: dict[str, list[tuple[_Entry, str]]] = {}
    for entry in entries:
        if entry.path.parent != root and entry.kind == "file" and len(entry.path.parts) <= MAX_NESTING + 1:
            module, _ = module_of(entry)
            if module and module not in state.found and module not in state.refused:
                deeper.setdefault(module, []).append((entry, f"{module}.py was taken from {entry.path}"))
    for module, options in deeper.items():
        _take_one(module, options, state)

    others = sorted(
        str(e.path.name) for e in here
        if e.kind == "file" and e.path.suffix == ".py" and not module_of(e)[0]
        and str(e.path) not in state.suspicious
    )
    if others:
        if state.found:
            state.notes.append(
                f"{', '.join(others)}{where} {'was' if len(others) == 1 else 'were'} ignored: only "
                f"{_expected(modules)} are graded, so code imported from other files is not available"
            )
        else:
            state.notes.append(
                f"{', '.join(others)}{where} {'is' if len(others) == 1 else 'are'} not one of the expected file "
                f"names ({_expected(modules)}): nothing was graded. Rename the files and resubmit."
            )
    if not state.found and any(e.path.suffix.lower() == ".zip" for e in here):
        state.notes.append(f"{label} holds another zip file: submit the .py files themselves (or one zip of them)")


def _take_one(module: str, options: list[tuple[_Entry, str]], state: _State) -> None:
    """Take `module` from its one candidate file (an exact name beats a fixed-up one); several
    candidates are reported, never guessed between."""
    if not options:
        return
    options = sorted(options, key=lambda o: str(o[0].path))
    if len(options) > 1:
        exact = [o for o in options if not o[1]]
        if len(exact) == 1:
            others = ", ".join(str(o[0].path) for o in options if o[1])
            state.notes.append(f"{others} ignored: {exact[0][0].path} has the exact name")
            options = exact
        else:
            state.refused.add(module)
            names = ", ".join(str(o[0].path) for o in options)
            state.notes.append(f"{module}.py is ambiguous: {names} could each be it, so none was graded; "
                               f"keep one and resubmit (its questions score 0)")
            return
    entry, fix_up = options[0]
    if entry.kind == "symlink":
        state.refused.add(module)
        state.notes.append(f"{entry.path} is a symbolic link, not a file: {module}'s questions score 0")
        return
    if entry.kind != "file" or entry.read is None:
        state.refused.add(module)
        state.notes.append(f"{entry.path} is not a regular file: {module}'s questions score 0")
        return
    if entry.size > MAX_MODULE_BYTES:
        state.refused.add(module)
        state.notes.append(
            f"{entry.path} is {_mib(entry.size)} (at most {_mib(MAX_MODULE_BYTES)}): it was not graded, "
            f"its questions score 0"
        )
        return
    try:
        data = entry.read(MAX_MODULE_BYTES)
    except _Refused as refusal:
        state.refused.add(module)
        state.notes.append(f"{refusal}: {module}'s questions score 0")
        return
    state.found[module] = (data, str(entry.path), None)
    if fix_up:
        state.notes.append(f"file name fixed up: {fix_up}")


def _check_suspicious(entry: _Entry, state: _State) -> None:
    name = entry.path.name
    lower = name.lower()
    stem = lower.rsplit(".", 1)[0] if "." in lower else lower
    rel = str(entry.path)
    if entry.kind == "symlink":
        state.suspect(rel, "it is a symbolic link (links are never followed)")
        return
    if entry.kind == "dir":
        if stem in TAMPERING_STEMS:
            state.suspect(rel + "/", f"a folder named {name!r} would shadow a package the grader uses")
        return
    if lower in TAMPERING_NAMES:
        if not _is_release_file(entry, lower):
            state.suspect(rel, "this file can change how Python or pytest behave")
    elif lower.endswith(".pth"):
        state.suspect(rel, ".pth files run code when Python starts")
    elif lower.endswith(".py") and stem in TAMPERING_STEMS:
        state.suspect(rel, "its name shadows a package the grader uses")
    elif lower.endswith(".py") and stem in sys.stdlib_module_names and stem not in state.modules:
        state.suspect(rel, "its name shadows a Python standard-library module")
    elif lower.endswith((".so", ".pyd")) or (lower.endswith(".pyc") and "__pycache__" not in entry.path.parts):
        state.suspect(rel, "compiled code is never run by the grader")


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        os.fchmod(f.fileno(), 0o644)  # whatever the umask


# --- notebooks -------------------------------------------------------------------------------------


def _from_notebook(data: bytes, label: str, state: _State) -> None:
    """Rebuild modules from a notebook's code cells (`autograder.intake.notebook`; modules already found are kept)."""
    from autograder.intake.notebook import read_notebook

    settings = state.notebook
    built = read_notebook(data, label, state.modules, _reference_functions(),
                          mode=getattr(settings, "mode", "definitions"),
                          cell_timeout=getattr(settings, "cell_timeout", 2.0),
                          total_timeout=getattr(settings, "total_timeout", 6.0),
                          allowance=state.transform_allowance)
    state.notes.extend(built.notes)
    for module, (source, cell_map) in built.modules.items():
        if module in state.found or module in state.refused:
            state.notes.append(f"{label}: the cells of {module} were not used: {module}.py was already found")
        elif len(source) > MAX_MODULE_BYTES:
            state.refused.add(module)
            state.notes.append(f"{module}.py (from {label}) is larger than {_mib(MAX_MODULE_BYTES)}: its questions score 0")
        else:
            state.found[module] = (source, label, cell_map)


@functools.cache
def _release_files() -> frozenset[tuple[str, str]]:
    """``(file name, sha256 of its bytes)`` of every file of the committed releases whose name is in
    `TAMPERING_NAMES`; empty where there is no release (a Gradescope image)."""
    found = set()
    try:
        for path in RELEASES.glob("*/**/*"):
            if path.name.lower() in TAMPERING_NAMES and path.is_file() and not path.is_symlink():
                found.add((path.name.lower(), hashlib.sha256(path.read_bytes()).hexdigest()))
    except OSError:
        pass
    return frozenset(found)


def _is_release_file(entry: _Entry, lower: str) -> bool:
    """True when `entry` (named `lower`) is byte for byte a file the release ships under that name."""
    if entry.kind != "file" or entry.read is None or entry.size > MAX_MODULE_BYTES:
        return False
    if not any(name == lower for name, _ in _release_files()):
        return False
    try:
        data = entry.read(MAX_MODULE_BYTES)
    except (_Refused, OSError):
        return False
    return (lower, hashlib.sha256(data).hexdigest()) in _release_files()


@functools.cache
def _reference_functions() -> dict[str, frozenset[str]]:
    """``{module: top-level function names of the reference}`` (grading.yml's assignment), by which
    an untagged notebook cell is attributed; empty if the reference cannot be read."""
    try:
        from autograder.config import load_config
        from autograder.authoring.validate import reference_functions

        return {m: frozenset(names) for m, names in reference_functions(load_config()).items()}
    except Exception:  # noqa: BLE001 - attribution by the notebook's own cells still works
        return {}


# --- notes ------------------------------------------------------------------------------------------


def _syntax_note(name: str, data: bytes, origin: str, cells: list[tuple[int, int]] | None) -> str | None:
    """A note for a module Python could not read or parse (never executing it), or None."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)  # as the import system does
        text = data.decode(encoding)
    except SyntaxError as exc:  # no usable coding declaration: not UTF-8 in the first lines, or unknown
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            return _encoding_note(name, data, bad, "UTF-8")
        return f"{name}: SyntaxError: {_printable(exc.msg or str(exc))[:200]}"
    except UnicodeDecodeError as bad:
        return _encoding_note(name, data, bad, "UTF-8" if encoding.startswith("utf-8") else encoding)
    try:
        ast.parse(text, filename=name)
    except SyntaxError as exc:
        kind, line, message = type(exc).__name__, exc.lineno, exc.msg
    except (ValueError, RecursionError, MemoryError) as exc:
        kind, line, message = type(exc).__name__, None, str(exc)
    else:
        return None
    where = f" line {line}" if line else ""
    if cells and line:
        start, cell = max((c for c in cells if c[0] <= line), default=cells[0])
        where += f" (cell {cell} of {origin}, line {line - start + 1} of the cell)"
    return f"{name}{where}: {kind}: {_printable(message or '')[:200]}"


def _encoding_note(name: str, data: bytes, bad: UnicodeDecodeError, encoding: str) -> str:
    line = data[: bad.start].count(b"\n") + 1
    return f"{name} line {line}: the file is not valid {encoding} text, so Python cannot read it; save it as UTF-8"


def _expected(modules: Sequence[str]) -> str:
    return ", ".join(f"{m}.py" for m in modules)


def _mib(n: int) -> str:
    return f"{n / MiB:.1f} MiB"


def _printable(text: str) -> str:
    """Student-controlled names in notes: no control characters."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)
