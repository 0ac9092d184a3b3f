"""The student release: stubs, handout, notebook and public checks, generated from `solutions/`.

Instructors write each function once, in ``solutions/<assignment>/<module>.py``, and mark the part
the student writes::

    def deriv(func, input_, diff=0.001):
        \"\"\"docstring (kept)\"\"\"
        given code (kept)
        # BEGIN SOLUTION
        # HINT: one or more hint lines, shown to the student
        solution code (removed)
        # END SOLUTION

The release step, in order (each a function of this module, testable on its own):

1. ``parse_markers``: find the marked blocks with ``tokenize`` (real comments only) and, with
   ``ast``, the function each block belongs to; a malformed layout is a `ReleaseError` naming
   ``file:line``.
2. ``render_stub``: replace each block by a fenced TODO that ends in ``raise NotImplementedError``
   and make the module importable on its own (imports of the solutions package become sibling
   imports, repository paths become release paths).
3. ``build_notebook``: the same stubs as one notebook, one code cell per function.
4. ``build_release``: everything the student gets, as ``{relative path: bytes}`` in memory,
   checked (every ``grading.yml`` question is a TODO, no solution line leaks into any file).
5. ``write_tree``: write it into a temporary folder and swap it in place, so a failed release
   writes nothing.
6. ``build_zip``: a deterministic zip of the same files (fixed timestamps, sorted entries).

``release`` runs them all; ``add_release_command``/``run_release`` are the CLI hook
(``autograder release [--out assignments] [--zip PATH] [--config FILE]``; it validates first,
and regenerates the sample class, `autograder.authoring.sample_class`, when it writes the repository's own release).
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
import hashlib
import io
import os
import re
import shutil
import sys
import tempfile
import tokenize
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

ASSIGNMENT = "nn_from_scratch"
"""The assignment's name: the folder under ``solutions/`` and ``assignments/``, the zip's top folder."""

SUPPORT_MODULES: tuple[str, ...] = ("data",)
"""Modules released as they are (after path rewrites), next to the graded ones of ``grading.yml``."""

DATA_FILES: tuple[str, ...] = ("boston_house_prices.csv",)
"""Files of the repository's ``data/`` folder shipped in the release's ``data/`` folder."""

RELEASE_REWRITES: Mapping[str, Mapping[str, str]] = {
    "data": {"DATA_PATH": 'Path(__file__).resolve().parent / "data" / "boston_house_prices.csv"'},
}
"""Module-level constants whose value differs in the release: ``{module: {name: new expression}}``.

The solutions live two folders below the repository root, the release's modules sit next to
their ``data/`` folder. A listed name that is missing is an error, so a rename is noticed.
"""

TEMPLATES = Path(__file__).resolve().parent / "release_templates"
"""Files copied into (``check.py``, ``tests/``) or filled into (``README.md.in``) the release."""

NOTEBOOK_NAME = f"{ASSIGNMENT}.ipynb"
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
"""The timestamp of every zip entry (the earliest a zip can hold), so that zips compare equal."""

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
HINT_PREFIX = "# HINT:"
_MARKER = re.compile(r"#\s*(begin|end)\s*solution\b", re.IGNORECASE)
_FENCE_WIDTH = 79


class ReleaseError(Exception):
    """The release cannot be built; the message names the file and line at fault.

    Nothing has been written when this is raised.
    """


@dataclass(frozen=True)
class SolutionBlock:
    """One ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` block of a solution module.

    Attributes:
        function: the qualified name of the enclosing function (``"deriv"``, ``"Model.fit"``).
        begin: the 1-based line of the ``BEGIN SOLUTION`` marker.
        end: the 1-based line of the ``END SOLUTION`` marker.
        indent: the whitespace before the markers (the stub's TODO uses it).
        hint: the hint lines' text, without their ``# HINT:`` prefix.
        code: the block's lines that are neither blank nor comments, stripped: what must never
            reach a student.
    """

    function: str
    begin: int
    end: int
    indent: str
    hint: tuple[str, ...]
    code: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    """One graded question of ``grading.yml`` (only what the release needs of it).

    Attributes:
        id: ``<module>.<function>``, e.g. ``"foundations.deriv"``.
        points: the points it is worth.
        rtol, atol: the hidden checks' tolerance, ``|got - expected| <= atol + rtol * |expected|``.
        timeout: wall-clock seconds allowed for one call into the student's code.
        requires: question ids whose reference versions are in place while it is graded.
        title: a short human title (optional; the handout uses the docstring's first line
            when it is empty).
    """

    id: str
    points: float
    rtol: float
    atol: float
    timeout: float
    requires: tuple[str, ...] = ()
    title: str = ""

    @property
    def module(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def function(self) -> str:
        return self.id.split(".", 1)[1]


@dataclass(frozen=True)
class Layout:
    """Where the release step reads its inputs (a repository, or a test fixture shaped like one).

    Attributes:
        root: the repository root.
        assignment: the assignment's name.
    """

    root: Path
    assignment: str = ASSIGNMENT
    #: grading.yml to use instead of the root's (``autograder release --config``).
    config_file: Path | None = None

    @property
    def grading_file(self) -> Path:
        return self.config_file if self.config_file is not None else self.root / "grading.yml"

    @property
    def solutions_dir(self) -> Path:
        return self.root / "solutions" / self.assignment

    @property
    def public_tests_dir(self) -> Path:
        return self.solutions_dir / "public_tests"

    @property
    def compare_file(self) -> Path:
        return self.root / "autograder" / "judge" / "compare.py"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def display(self, path: Path) -> str:
        """``path`` relative to the root, with forward slashes, for messages."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


@dataclass(frozen=True)
class Release:
    """A release built in memory.

    Attributes:
        files: ``{path relative to the release folder (forward slashes): content}``.
        blocks: ``{module: its solution blocks}``, for the leak check.
        questions: the questions of ``grading.yml``, in its order.
    """

    files: Mapping[str, bytes]
    blocks: Mapping[str, tuple[SolutionBlock, ...]]
    questions: tuple[Question, ...]
    #: files the release folder held that the release does not generate (removed by `write_tree`)
    removed: tuple[str, ...] = ()


# --------------------------------------------------------------------------- grading.yml


def load_questions(grading_file: Path) -> tuple[tuple[Question, ...], tuple[str, ...]]:
    """Read the questions and graded modules of ``grading.yml`` (validated by `autograder.config`).

    Args:
        grading_file: the path of ``grading.yml``.

    Returns:
        ``(questions, modules)``: the questions in file order, the graded module names.

    Raises:
        ReleaseError: if the file is missing or breaks its schema (the message names the key).
    """
    from autograder.config import ConfigError, load_config

    try:
        config = load_config(grading_file)
    except ConfigError as error:
        raise ReleaseError(str(error)) from None
    questions = tuple(
        Question(
            id=qid,
            points=q.points,
            rtol=q.rtol,
            atol=q.atol,
            timeout=q.timeout,
            requires=tuple(q.requires),
            title=q.title,
        )
        for qid, q in config.questions.items()
    )
    return questions, tuple(config.modules)


# --------------------------------------------------------------------------- 1. markers


@dataclass(frozen=True)
class _Marker:
    kind: str  # "BEGIN" or "END"
    line: int
    indent: str


@dataclass(frozen=True)
class _Function:
    qualname: str
    node: ast.AST
    start: int  # the def line
    end: int  # the last line that can still belong to its body (trailing comments included)


def _find_markers(source: str, filename: str) -> list[_Marker]:
    """The solution markers of ``source``: comment tokens alone on their line.

    Raises:
        ReleaseError: a marker that is misspelled or shares its line with code.
    """
    lines = source.splitlines()
    markers = []
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    try:
        for token in tokens:
            if token.type != tokenize.COMMENT or not _MARKER.match(token.string):
                continue
            line_no, col = token.start
            text = token.string.strip()
            where = f"{filename}:{line_no}"
            if lines[line_no - 1][:col].strip():
                raise ReleaseError(f"{where}: a solution marker must be on a line of its own")
            if text not in (BEGIN, END):
                raise ReleaseError(
                    f"{where}: malformed solution marker {text!r}; "
                    f"write exactly {BEGIN!r} or {END!r}"
                )
            markers.append(_Marker("BEGIN" if text == BEGIN else "END", line_no, lines[line_no - 1][:col]))
    except tokenize.TokenError as error:
        raise ReleaseError(f"{filename}:{error.args[1][0]}: cannot be tokenized: {error.args[0]}") from error
    return markers


def _functions(tree: ast.Module, n_lines: int) -> list[_Function]:
    """Every function of the module, with the span its body (and trailing comments) may use."""
    statements = [node for node in ast.walk(tree) if isinstance(node, ast.stmt)]
    found: list[_Function] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qualname = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    later = [
                        s.lineno
                        for s in statements
                        if s.lineno > child.end_lineno and s.col_offset <= child.col_offset
                    ]
                    end = min(later) - 1 if later else n_lines
                    found.append(_Function(qualname, child, child.lineno, end))
                visit(child, qualname + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def _enclosing(functions: Sequence[_Function], marker: _Marker) -> _Function | None:
    """The innermost function whose body holds the marker's line (by line span and indentation)."""
    inside = [
        f
        for f in functions
        if f.start < marker.line <= f.end and len(marker.indent) > f.node.col_offset
    ]
    return max(inside, key=lambda f: f.start, default=None)


def _is_code(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def parse_markers(source: str, filename: str) -> tuple[SolutionBlock, ...]:
    """Find the solution blocks of one solution module.

    Args:
        source: the module's text.
        filename: how messages name the file (``solutions/nn_from_scratch/foundations.py``).

    Returns:
        The blocks in file order, at most one per function.

    Raises:
        ReleaseError: ``"<filename>:<line>: <what is wrong>"`` when the module does not parse,
            or a marker is misspelled, not on its own line, outside a function, nested in another
            block, unclosed, unopened, closed in another function or at another indentation,
            a second block in one function, or an empty block.
    """
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as error:
        raise ReleaseError(f"{filename}:{error.lineno}: cannot be parsed: {error.msg}") from error
    lines = source.splitlines()
    functions = _functions(tree, len(lines))
    blocks: list[SolutionBlock] = []
    seen: dict[str, int] = {}
    opened: tuple[_Marker, _Function] | None = None
    for marker in _find_markers(source, filename):
        where = f"{filename}:{marker.line}"
        function = _enclosing(functions, marker)
        if marker.kind == "BEGIN":
            if opened is not None:
                raise ReleaseError(
                    f"{where}: BEGIN SOLUTION inside another solution block "
                    f"(opened at line {opened[0].line})"
                )
            if function is None:
                raise ReleaseError(f"{where}: BEGIN SOLUTION outside a function")
            if function.qualname in seen:
                raise ReleaseError(
                    f"{where}: a second solution block in {function.qualname}() (the first "
                    f"begins at line {seen[function.qualname]}); use one block per function"
                )
            opened = (marker, function)
            continue
        if opened is None:
            raise ReleaseError(f"{where}: END SOLUTION without a BEGIN SOLUTION before it")
        begin, owner = opened
        if function is None or function.qualname != owner.qualname:
            raise ReleaseError(
                f"{where}: END SOLUTION is not in {owner.qualname}(), where its "
                f"BEGIN SOLUTION (line {begin.line}) is"
            )
        if marker.indent != begin.indent:
            raise ReleaseError(
                f"{where}: END SOLUTION is indented differently from its BEGIN SOLUTION "
                f"(line {begin.line})"
            )
        body = lines[begin.line : marker.line - 1]
        code = tuple(line.strip() for line in body if _is_code(line))
        if not code:
            raise ReleaseError(f"{filename}:{begin.line}: empty solution block in {owner.qualname}()")
        hint = tuple(
            line.strip()[len(HINT_PREFIX) :].strip()
            for line in body
            if line.strip().startswith(HINT_PREFIX)
        )
        blocks.append(SolutionBlock(owner.qualname, begin.line, marker.line, begin.indent, hint, code))
        seen[owner.qualname] = begin.line
        opened = None
    if opened is not None:
        raise ReleaseError(
            f"{filename}:{opened[0].line}: BEGIN SOLUTION is never closed by an END SOLUTION"
        )
    return tuple(blocks)


# --------------------------------------------------------------------------- 2. stubs


def todo_lines(function: str, hint: Sequence[str], indent: str) -> list[str]:
    """The fenced TODO that replaces one solution block.

    Args:
        function: the function's name, as the student sees it.
        hint: the hint lines (may be empty).
        indent: the indentation of the block.

    Returns:
        The lines, without line ends, the last one ``raise NotImplementedError(...)``.
    """
    name = function.rsplit(".", 1)[-1]
    top = "# " + "-" * max(8, _FENCE_WIDTH - len(indent) - 7) + " TODO"
    bottom = "# " + "-" * max(8, _FENCE_WIDTH - len(indent) - 2)
    out = [top, f"# Your code: implement {name} as its docstring describes, then delete the raise."]
    for number, text in enumerate(hint):
        out.append(("# Hint: " if number == 0 else "#       ") + text)
    out += [bottom, f'raise NotImplementedError("{name}: not implemented yet")']
    return [indent + line for line in out]


def _sibling(dotted: str, level: int, package: str) -> str | None:
    """The part of an imported name below the solutions package, or None if it is not in it.

    ``("solutions.nn_from_scratch.foundations", 0)`` and ``("foundations", 1)`` give
    ``"foundations"``; ``("solutions.nn_from_scratch", 0)`` and ``("", 1)`` give ``""``.
    """
    if level > 0:
        return dotted
    if dotted == package:
        return ""
    if dotted.startswith(package + "."):
        return dotted[len(package) + 1 :]
    return None


def _rewrite_import(node: ast.stmt, package: str, modules: Sequence[str]) -> str | None:
    """The release form of an import of the solutions package (``None``: leave it unchanged).

    ``from .foundations import sigmoid`` and ``from solutions.nn_from_scratch.foundations import
    sigmoid`` become ``from foundations import sigmoid``; ``from . import foundations as f``
    becomes ``import foundations as f``.

    Raises:
        ValueError: (with the imported name) for an import that has no release form: a module
            that is not released, or ``import solutions.nn_from_scratch.x`` without ``as``.
    """

    def named(alias: ast.alias, name: str) -> str:
        return name if alias.asname is None else f"{name} as {alias.asname}"

    def released(name: str) -> str:
        if name.split(".")[0] not in modules:
            raise ValueError(name)
        return name

    if isinstance(node, ast.Import):
        targets = [(a, _sibling(a.name, 0, package)) for a in node.names]
        if all(target is None for _, target in targets):
            return None
        parts = []
        for alias, target in targets:
            if target is None:
                parts.append(named(alias, alias.name))
            elif not target or alias.asname is None:
                raise ValueError(alias.name)
            else:
                parts.append(named(alias, released(target)))
        return "import " + ", ".join(parts)
    assert isinstance(node, ast.ImportFrom)
    target = _sibling(node.module or "", node.level, package)
    if target is None:
        return None
    if target:
        return f"from {released(target)} import " + ", ".join(named(a, a.name) for a in node.names)
    return "import " + ", ".join(named(a, released(a.name)) for a in node.names)


def _replace_statement(lines: list[str], node: ast.stmt, text: str, filename: str) -> None:
    """Put ``text`` (one line, indented like the statement) in place of ``node``'s lines.

    Raises:
        ReleaseError: if the statement shares a line with other code.
    """
    first, last = lines[node.lineno - 1], lines[node.end_lineno - 1]
    rest = last[node.end_col_offset :].strip()
    if first[: node.col_offset].strip() or (rest and not rest.startswith("#")):
        raise ReleaseError(f"{filename}:{node.lineno}: put this statement on lines of its own")
    replacement = [first[: node.col_offset] + text] + [""] * (node.end_lineno - node.lineno)
    lines[node.lineno - 1 : node.end_lineno] = replacement


def _apply_rewrites(source: str, module: str, modules: Sequence[str], filename: str, package: str) -> str:
    """Rewrite imports of the solutions package and the constants of `RELEASE_REWRITES`.

    Line numbers are preserved (a replaced multi-line statement leaves blank lines, dropped later).
    """
    tree = ast.parse(source, filename=filename)
    lines = source.splitlines()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            try:
                text = _rewrite_import(node, package, modules)
            except ValueError as error:
                raise ReleaseError(
                    f"{filename}:{node.lineno}: imports {error} from the solutions package, which "
                    f"is not a released module ({', '.join(modules)})"
                ) from None
            if text is not None:
                _replace_statement(lines, node, text, filename)
    wanted = dict(RELEASE_REWRITES.get(module, {}))
    for node in tree.body:
        target = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target = node.target
        if isinstance(target, ast.Name) and target.id in wanted:
            annotation = f": {ast.unparse(node.annotation)}" if isinstance(node, ast.AnnAssign) else ""
            text = f"{target.id}{annotation} = {wanted.pop(target.id)}"
            _replace_statement(lines, node, text, filename)
    if wanted:
        raise ReleaseError(
            f"{filename}:1: the release rewrites {', '.join(sorted(wanted))} (RELEASE_REWRITES "
            "in autograder/authoring/release.py), but the module has no such top-level assignment"
        )
    return "\n".join(lines) + "\n"


def _squeeze_blank_lines(lines: Iterable[str]) -> str:
    """Join lines, collapsing runs of more than two blank lines and stripping trailing spaces."""
    out: list[str] = []
    blanks = 0
    for line in lines:
        line = line.rstrip()
        blanks = blanks + 1 if not line else 0
        if blanks <= 2:
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def render_stub(
    source: str,
    blocks: Sequence[SolutionBlock],
    *,
    module: str,
    modules: Sequence[str],
    filename: str,
    package: str = f"solutions.{ASSIGNMENT}",
) -> str:
    """Turn one solution module into the student's stub module.

    Every block becomes `todo_lines`; everything else is kept verbatim, except imports of the
    solutions package (made sibling imports) and the constants of `RELEASE_REWRITES`.

    Args:
        source: the solution module's text.
        blocks: its blocks, from `parse_markers`.
        module: the module's name (``"foundations"``).
        modules: every released module's name (what a sibling import may name).
        filename: how messages name the file.
        package: the dotted name of the solutions package.

    Returns:
        The stub's text (ends with one newline).

    Raises:
        ReleaseError: if an import cannot be rewritten, a rewritten constant is missing, or the
            stub does not compile.
    """
    source = _apply_rewrites(source, module, modules, filename, package)
    lines = source.splitlines()
    for block in sorted(blocks, key=lambda b: b.begin, reverse=True):
        lines[block.begin - 1 : block.end] = todo_lines(block.function, block.hint, block.indent)
    stub = _squeeze_blank_lines(lines)
    try:
        ast.parse(stub, filename=filename)
    except SyntaxError as error:
        raise ReleaseError(
            f"{filename}:{blocks[0].begin if blocks else 1}: the stub does not compile once the "
            f"solution blocks are replaced ({error.msg} at stub line {error.lineno}); does a "
            "block end at a different nesting level than it begins?"
        ) from error
    return stub


def render_solution(source: str, blocks: Sequence[SolutionBlock], *, module: str, modules: Sequence[str],
                    filename: str, package: str = f"solutions.{ASSIGNMENT}") -> str:
    """The solution module as a released module would hold it once solved: imports and constants
    rewritten as in `render_stub`, the marker and hint lines removed, the answers kept.

    Used to build filled-in notebooks and the sample class, and to run the public checks on the
    reference (`autograder.authoring.validate`).
    """
    source = _apply_rewrites(source, module, modules, filename, package)
    lines = source.splitlines()
    drop = set()
    for block in blocks:
        drop.update({block.begin - 1, block.end - 1})
        drop.update(i for i in range(block.begin, block.end - 1) if lines[i].strip().startswith(HINT_PREFIX))
    return _squeeze_blank_lines(line for i, line in enumerate(lines) if i not in drop)


def _sources(layout: Layout) -> tuple[tuple[Question, ...], tuple[str, ...], tuple[str, ...],
                                        dict[str, str], dict[str, tuple[SolutionBlock, ...]]]:
    """``(questions, graded modules, released modules, {module: source}, {module: blocks})``."""
    questions, graded = load_questions(layout.grading_file)
    modules = tuple(graded) + tuple(m for m in SUPPORT_MODULES if m not in graded)
    sources: dict[str, str] = {}
    blocks: dict[str, tuple[SolutionBlock, ...]] = {}
    for module in modules:
        path = layout.solutions_dir / f"{module}.py"
        if not path.is_file():
            raise ReleaseError(f"{layout.display(path)}: missing (listed in grading.yml or SUPPORT_MODULES)")
        sources[module] = path.read_text(encoding="utf-8")
        blocks[module] = parse_markers(sources[module], layout.display(path))
    return questions, tuple(graded), modules, sources, blocks


def solution_modules(layout: Layout) -> dict[str, str]:
    """``{graded module: its solved release form}`` (`render_solution`), in grading.yml's order."""
    _, graded, modules, sources, blocks = _sources(layout)
    return {
        m: render_solution(sources[m], blocks[m], module=m, modules=modules,
                           filename=layout.display(layout.solutions_dir / f"{m}.py"),
                           package=f"solutions.{layout.assignment}")
        for m in graded
    }


# --------------------------------------------------------------------------- 3. notebook


def _cell_id(*parts: str) -> str:
    """A stable cell id derived from the cell's content and place."""
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:16]


def split_cells(stub: str) -> tuple[str | None, list[str]]:
    """Cut a stub module into its docstring and code chunks, one per top-level function or class.

    Consecutive other statements (imports, constants) form one chunk; the lines between two
    chunks (comments, decorators) go with the chunk below them. Joined with blank lines, the
    chunks give back the module without its docstring.

    Returns:
        ``(docstring or None, chunks)``, each chunk without leading or trailing blank lines.
    """
    tree = ast.parse(stub)
    lines = stub.splitlines()
    docstring = ast.get_docstring(tree, clean=True)
    body = list(tree.body)
    cursor = 0  # the first line (0-based) not yet placed in a chunk
    if docstring is not None:
        cursor = body.pop(0).end_lineno
    chunks: list[list[str]] = []
    previous_was_def = True
    for node in body:
        is_def = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        text = lines[cursor : node.end_lineno]
        if is_def or previous_was_def:
            chunks.append(text)
        else:
            chunks[-1].extend(text)
        cursor = node.end_lineno
        previous_was_def = is_def
    if chunks:
        chunks[-1].extend(lines[cursor:])
    return docstring, [text for text in ("\n".join(c).strip("\n") for c in chunks) if text.strip()]


MODULE_MAGIC = "%%module"
"""The first line of a notebook code cell that belongs to a module: ``%%module foundations``.

In Jupyter the cell magic (registered by the release's ``check.notebook_setup()``) runs the cell in
that module's own namespace, so the two models' ``forward`` never meet; the grader
(`autograder.intake.notebook`) rebuilds ``<module>.py`` from these cells."""

SKIP_LINE = "# autograder: skip"
"""The first line (and ``{"autograder": {"skip": true}}`` the metadata) of a cell the grader skips."""


def _defined(chunk: str) -> list[str]:
    """Names of the top-level functions and classes a code chunk defines."""
    return [n.name for n in ast.parse(chunk).body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def _summary(stub: str, function: str) -> str:
    """The first paragraph of ``function``'s docstring in ``stub`` (what to implement)."""
    for node in ast.parse(stub).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
            doc = (ast.get_docstring(node) or "").strip()
            return doc.split("\n\n", 1)[0].replace("\n", " ") if doc else ""
    return ""


def _args_section(stub: str, function: str) -> str:
    """The ``Args:`` and ``Returns:`` part of ``function``'s docstring (the shapes), or ``""``."""
    for node in ast.parse(stub).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
            doc = ast.get_docstring(node) or ""
            at = doc.find("Args:")
            return doc[at:].strip() if at >= 0 else ""
    return ""


def _skip_cell(source: str, key: str):
    from nbformat import v4

    cell = v4.new_code_cell(f"{SKIP_LINE}\n{source}", id=_cell_id("skip", key, source))
    cell.metadata["autograder"] = {"skip": True}
    return cell


def _training_cell(stubs: Mapping[str, str]) -> str:
    """The optional last cell: train every model module (one with ``train`` and ``predict``) on
    the lesson's data and plot the batch losses."""
    models = [m for m, stub in stubs.items() if {"train", "predict"} <= set(_defined(stub))]
    return (
        "# Optional: train the models on the lesson's data and plot their batch losses.\n"
        "# The grader never runs this cell (its first line says so).\n"
        "import numpy as np\n"
        "from data import load_lesson_split\n"
        "\n"
        "X_train, X_test, y_train, y_test = load_lesson_split()\n"
        "curves = {}\n"
        f"for part in ({', '.join(models)},):\n"
        "    try:\n"
        "        losses, weights = part.train(X_train, y_train, n_iter=2000, learning_rate=0.001,\n"
        "                                     batch_size=23, return_losses=True, return_weights=True)\n"
        "    except NotImplementedError as error:\n"
        "        print(f\"{part.__name__}: {error}\")\n"
        "        continue\n"
        "    mse = float(np.mean((y_test - part.predict(X_test, weights)) ** 2))\n"
        "    print(f\"{part.__name__}: test MSE {mse:.2f} after {len(losses)} batches\")\n"
        "    curves[part.__name__] = losses\n"
        "try:\n"
        "    import matplotlib.pyplot as plt\n"
        "except ImportError:  # matplotlib is optional: numpy and pytest are all the checks need\n"
        "    plt = None\n"
        "if curves and plt is not None:\n"
        "    for name, losses in curves.items():\n"
        "        plt.plot(losses, label=name, alpha=0.7)\n"
        "    plt.yscale(\"log\")\n"
        "    plt.xlabel(\"batch\")\n"
        "    plt.ylabel(\"batch mean squared error\")\n"
        "    plt.legend()\n"
        "    plt.show()"
    )


def build_notebook(
    stubs: Mapping[str, str],
    questions: Sequence[Question],
    hints: Mapping[str, str] | None = None,
) -> str:
    """The student notebook, generated from the same stubs (or solved modules) as the ``.py`` files.

    Cells, in order: the introduction; a setup cell (``check.notebook_setup()``, which registers
    the ``%%module`` cell magic); per module a heading with the module's docstring, then one code
    cell per chunk of the module (`split_cells`), each starting with ``%%module <name>`` and
    carrying the metadata ``{"autograder": {"module": "<name>"}}``; before each question's cell
    a markdown cell (what to implement, the shapes, the points, the hint) and after it a check
    cell (``check("<id>")``: the question's public checks, reported as ``python check.py``
    reports them); last, an optional cell that trains the models and plots their losses. Setup,
    check and training cells start with `SKIP_LINE` and carry ``{"autograder": {"skip": true}}``:
    the grader never runs them. Cell ids come from the content and nothing depends on the time.

    Args:
        stubs: ``{module: stub (or solved) text}`` in the order the notebook shows them.
        questions: the graded questions.
        hints: ``{question id: hint}`` (optional), shown in the question's markdown cell.

    Returns:
        The notebook as JSON text (nbformat 4), ending in a newline.
    """
    import nbformat
    from nbformat import v4

    hints = dict(hints or {})
    by_function = {(q.module, q.function): q for q in questions}
    cells = [
        v4.new_markdown_cell(_read_template("notebook_intro.md").strip(), id=_cell_id("intro")),
        _skip_cell("# Run this cell first: each part below then keeps its own namespace (%%module),\n"
                   "# and the check cells run the public checks on the code of this notebook.\n"
                   "from check import check, notebook_setup\n"
                   "\n"
                   "notebook_setup()", "setup"),
    ]
    for module, stub in stubs.items():
        docstring, chunks = split_cells(stub)
        todo = [q for q in questions if q.module == module]
        heading = [f"## Part `{module}`", ""]
        if docstring:
            heading += [docstring, ""]
        if todo:
            heading.append("To implement here (points):")
            heading += [f"- `{q.function}` ({_points(q.points)})" for q in todo]
        heading += ["", f"Every code cell of this part starts with `{MODULE_MAGIC} {module}`: keep that line. "
                    f"It runs the cell in the namespace `{module}` of its own, as the grader does with "
                    f"`{module}.py`."]
        cells.append(v4.new_markdown_cell("\n".join(heading).strip(), id=_cell_id(module, "heading")))
        for index, chunk in enumerate(chunks):
            asked = [by_function[(module, name)] for name in _defined(chunk) if (module, name) in by_function]
            for q in asked:
                text = [f"### `{q.id}` ({_points(q.points)})", "", _summary(stub, q.function)]
                shapes = _args_section(stub, q.function)
                if shapes:
                    text += ["", "```text", shapes, "```"]
                if hints.get(q.id):
                    text += ["", f"*Hint:* {hints[q.id]}"]
                text += ["", "Replace the `TODO` block of the cell below (with its `raise NotImplementedError`); "
                         "the cell after it runs the public checks of this question."]
                cells.append(v4.new_markdown_cell("\n".join(text).strip(), id=_cell_id(q.id, "about")))
            source = f"{MODULE_MAGIC} {module}\n{chunk}"
            cell = v4.new_code_cell(source, id=_cell_id(module, str(index), source))
            cell.metadata["autograder"] = {"module": module}
            cells.append(cell)
            for q in asked:
                cells.append(_skip_cell(f'check("{q.id}");', q.id))
    cells.append(v4.new_markdown_cell(
        "## Optional: train both models\n\nOnce `train` works in both parts, the cell below trains the "
        "models on the lesson's Boston housing split and plots their losses. It is for you: the grader "
        "skips it.", id=_cell_id("training", "heading")))
    cells.append(_skip_cell(_training_cell(stubs), "training"))
    notebook = v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


# --------------------------------------------------------------------------- 4. release


def _read_template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _points(points: float) -> str:
    value = int(points) if float(points).is_integer() else points
    return f"{value} point" + ("" if value == 1 else "s")


def _fill(template: str, values: Mapping[str, str], name: str) -> str:
    """Replace every ``{{key}}`` of ``template``; an unknown or unused key is an error."""
    keys = set(re.findall(r"\{\{(\w+)\}\}", template))
    if keys != set(values):
        raise ReleaseError(
            f"{name}: placeholders {sorted(keys)} do not match the values {sorted(values)}"
        )
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", value)
    return template


def _first_docstring_line(stub: str, function: str) -> str:
    for node in ast.parse(stub).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
            doc = ast.get_docstring(node) or ""
            return doc.strip().splitlines()[0] if doc.strip() else ""
    return ""


def build_handout(questions: Sequence[Question], stubs: Mapping[str, str]) -> str:
    """The student's ``README.md``: ``release_templates/README.md.in`` with the question table.

    Raises:
        ReleaseError: if the template's placeholders and the values differ.
    """
    rows = ["| question | points | what it computes |", "|---|---:|---|"]
    for q in questions:
        what = (q.title or _first_docstring_line(stubs[q.module], q.function)).replace("|", "\\|")
        rows.append(f"| `{q.id}` | {_g(q.points)} | {what} |")
    rows.append(f"| **total** | **{_g(sum(q.points for q in questions))}** | |")
    tolerances = sorted({(q.rtol, q.atol) for q in questions})
    tol_lines = []
    for rtol, atol in tolerances:
        ids = ", ".join(f"`{q.id}`" for q in questions if (q.rtol, q.atol) == (rtol, atol))
        tol_lines.append(f"- `rtol = {rtol:g}`, `atol = {atol:g}`: {ids}")
    timeouts = sorted({q.timeout for q in questions})
    time_lines = []
    for seconds in timeouts:
        ids = ", ".join(f"`{q.id}`" for q in questions if q.timeout == seconds)
        time_lines.append(f"- {_g(seconds)} s: {ids}")
    requires = []
    for q in questions:
        if q.requires:
            needs = ", ".join(f"`{r}`" for r in q.requires)
            requires.append(f"- `{q.id}` is graded with our {needs}")
    asked = {(q.module, q.function) for q in questions}
    modules = list(dict.fromkeys(q.module for q in questions))
    module_rows = []
    for module in modules:
        doc = ast.get_docstring(ast.parse(stubs[module])) or ""
        first = doc.strip().splitlines()[0].rstrip(".") if doc.strip() else ""
        first = first.replace("|", "\\|")
        module_rows.append(f"| `{module}.py` | {first} |")
    given = []
    for module in modules:
        names = [n for n in _defined(stubs[module]) if not n.startswith("_") and (module, n) not in asked]
        if names:
            given.append(f"- `{module}.py`:")
            given += [f"  - `{n}`: {_first_docstring_line(stubs[module], n)}".rstrip(": ") for n in names]
    values = {
        "QUESTION_TABLE": "\n".join(rows),
        "MODULE_ROWS": "\n".join(module_rows),
        "GIVEN_FUNCTIONS": "\n".join(given) if given else "- (none)",
        "TOTAL_POINTS": _g(sum(q.points for q in questions)),
        "TOLERANCES": "\n".join(tol_lines),
        "TIMEOUTS": "\n".join(time_lines),
        "REQUIRES": "\n".join(requires) if requires else "- (none)",
        "NOTEBOOK": NOTEBOOK_NAME,
        "MODULE_FILES": ", ".join(f"`{m}.py`" for m in dict.fromkeys(q.module for q in questions)),
    }
    return _fill(_read_template("README.md.in"), values, "release_templates/README.md.in")


def _g(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def build_questions_module(
    questions: Sequence[Question], blocks: Mapping[str, Sequence[SolutionBlock]]
) -> str:
    """``tests/_questions.py``: what ``check.py`` reports per question.

    ``QUESTIONS`` holds ``(id, points, hint, requires)`` in ``grading.yml`` order; the hint is the
    solution block's hint, ``requires`` the prerequisites that are questions themselves.
    """
    hints = {
        f"{module}.{b.function}": " ".join(b.hint)
        for module, module_blocks in blocks.items()
        for b in module_blocks
    }
    ids = {q.id for q in questions}
    entries = [
        f"    ({q.id!r}, {q.points!r}, {hints.get(q.id, '')!r}, {tuple(r for r in q.requires if r in ids)!r}),"
        for q in questions
    ]
    return (
        '"""The graded questions: (id, points, hint, prerequisites). Written by `autograder release`."""\n'
        "\n"
        f"ASSIGNMENT = {ASSIGNMENT!r}\n"
        "\n"
        "QUESTIONS = (\n" + "\n".join(entries) + "\n)\n"
    )


def secret_lines(
    blocks: Mapping[str, Sequence[SolutionBlock]], sources: Mapping[str, str]
) -> set[str]:
    """The solution lines no released file may contain.

    A block's code lines, minus lines that also occur outside every block (given code such as
    ``f1, f2 = chain`` is not a secret) and lines with no name or number in them (``else:``,
    ``)``).
    """
    given: set[str] = set()
    for module, source in sources.items():
        inside: set[int] = set()
        for b in blocks.get(module, ()):
            inside.update(range(b.begin, b.end + 1))
        given.update(
            line.strip()
            for number, line in enumerate(source.splitlines(), start=1)
            if number not in inside and _is_code(line)
        )
    keywords = {"else", "try", "finally", "pass", "return", "break", "continue", "None", "True", "False"}
    secret = set()
    for module_blocks in blocks.values():
        for b in module_blocks:
            for line in b.code:
                words = set(re.findall(r"[A-Za-z_0-9]+", line)) - keywords
                if line not in given and words:
                    secret.add(line)
    return secret


def find_leaks(files: Mapping[str, bytes], secrets: Iterable[str]) -> list[tuple[str, str]]:
    """``(file, line)`` for every secret line that occurs in a file (as a substring)."""
    leaks = []
    for name, content in sorted(files.items()):
        text = content.decode("utf-8", errors="replace")
        leaks += [(name, line) for line in sorted(secrets) if line in text]
    return leaks


def build_release(layout: Layout) -> Release:
    """Build every file of the student release in memory.

    Args:
        layout: where the solutions, ``grading.yml``, data and comparator are.

    Returns:
        The `Release`.

    Raises:
        ReleaseError: a marker error, a question of ``grading.yml`` without a TODO, a missing
            input file, a file name clash, or a solution line found in a released file.
    """
    questions, graded = load_questions(layout.grading_file)
    modules = tuple(graded) + tuple(m for m in SUPPORT_MODULES if m not in graded)
    sources: dict[str, str] = {}
    blocks: dict[str, tuple[SolutionBlock, ...]] = {}
    stubs: dict[str, str] = {}
    for module in modules:
        path = layout.solutions_dir / f"{module}.py"
        if not path.is_file():
            raise ReleaseError(f"{layout.display(path)}: missing (listed in grading.yml or SUPPORT_MODULES)")
        filename = layout.display(path)
        sources[module] = path.read_text(encoding="utf-8")
        blocks[module] = parse_markers(sources[module], filename)
        stubs[module] = render_stub(
            sources[module],
            blocks[module],
            module=module,
            modules=modules,
            filename=filename,
            package=f"solutions.{layout.assignment}",
        )
    _check_questions_are_todo(questions, blocks, layout)

    files: dict[str, bytes] = {}

    def add(name: str, content: str | bytes) -> None:
        if name in files:
            raise ReleaseError(f"release: two sources for {name}")
        files[name] = content.encode("utf-8") if isinstance(content, str) else content

    for module, stub in stubs.items():
        add(f"{module}.py", stub)
    for name in DATA_FILES:
        path = layout.data_dir / name
        if not path.is_file():
            raise ReleaseError(f"{layout.display(path)}: missing (listed in DATA_FILES)")
        add(f"data/{name}", path.read_bytes())
    add("README.md", build_handout(questions, stubs))
    hints = {f"{m}.{b.function}": " ".join(b.hint) for m in graded for b in blocks[m]}
    add(NOTEBOOK_NAME, build_notebook({m: stubs[m] for m in graded}, questions, hints))
    add("check.py", _read_template("check.py"))
    add("pytest.ini", _read_template("pytest.ini"))
    add("requirements.txt", _read_template("requirements.txt"))
    for path in sorted((TEMPLATES / "tests").glob("*.py")):
        add(f"tests/{path.name}", path.read_bytes())
    add("tests/_questions.py", build_questions_module(questions, blocks))
    if not layout.compare_file.is_file():
        raise ReleaseError(f"{layout.display(layout.compare_file)}: missing (shipped as tests/_compare.py)")
    add("tests/_compare.py", layout.compare_file.read_bytes())
    from ..intake import notebook as _notebook  # check.py --notebook reads cells as the grader does

    add("tests/_notebook.py", Path(_notebook.__file__).read_bytes())
    public = sorted(layout.public_tests_dir.glob("*.py")) if layout.public_tests_dir.is_dir() else []
    if not any(p.name.startswith("test_") for p in public):
        raise ReleaseError(f"{layout.display(layout.public_tests_dir)}: no test_*.py public checks")
    for path in public:
        add(f"tests/{path.name}", path.read_bytes())

    leaks = find_leaks(files, secret_lines(blocks, sources))
    if leaks:
        shown = "; ".join(f"{name}: {line!r}" for name, line in leaks[:5])
        raise ReleaseError(f"release: solution code would be shipped: {shown}")
    return Release(files=dict(sorted(files.items())), blocks=blocks, questions=questions)


def _check_questions_are_todo(
    questions: Sequence[Question], blocks: Mapping[str, Sequence[SolutionBlock]], layout: Layout
) -> None:
    """Every question id ``<module>.<function>`` must have a solution block in its function."""
    for q in questions:
        if q.function not in {b.function for b in blocks.get(q.module, ())}:
            path = layout.display(layout.solutions_dir / f"{q.module}.py")
            raise ReleaseError(
                f"{path}:1: grading.yml grades {q.id}, but {q.function}() has no "
                "BEGIN SOLUTION ... END SOLUTION block, so students would get the answer"
            )


# --------------------------------------------------------------------------- 5. write


def write_tree(files: Mapping[str, bytes], dest: Path) -> list[str]:
    """Make ``dest`` hold exactly ``files``: written into a temporary sibling, then swapped in.

    If writing fails, ``dest`` is left as it was.

    Args:
        files: ``{relative path: content}``.
        dest: the release folder (``assignments/nn_from_scratch``); its parent is created.

    Returns:
        The files ``dest`` held that are not in ``files`` (relative paths, forward slashes, sorted;
        caches such as ``__pycache__`` left out): they are gone now, and the caller says so.

    Raises:
        OSError: if the files cannot be written (``dest`` unchanged).
    """
    removed = sorted(
        path.relative_to(dest).as_posix() for path in (dest.rglob("*") if dest.is_dir() else ())
        if (path.is_file() or path.is_symlink()) and path.relative_to(dest).as_posix() not in files
        and not {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"} & set(path.relative_to(dest).parts))
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.new-", dir=dest.parent))
    try:
        for name, content in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        old = None
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
            os.replace(dest, old / dest.name)
        os.replace(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return removed


# --------------------------------------------------------------------------- 6. zip


def build_zip(files: Mapping[str, bytes], zip_path: Path, top: str = ASSIGNMENT) -> None:
    """Write a deterministic zip: entries ``<top>/<path>`` sorted, fixed time and permissions.

    The zip is written to a temporary file and moved into place.

    Args:
        files: ``{relative path: content}``.
        zip_path: where to write it (its folder is created).
        top: the folder the zip unpacks into.
    """
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".release-", suffix=".zip", dir=zip_path.parent)
    try:
        with os.fdopen(handle, "wb") as raw, zipfile.ZipFile(raw, "w") as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(f"{top}/{name}", date_time=ZIP_DATE_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                info.create_system = 3  # unix, so the permissions above are honoured
                archive.writestr(info, files[name], compresslevel=9)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it 0600; the zip is handed out
        os.replace(temporary, zip_path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- all of it + CLI


def release(root: Path, out: Path, zip_path: Path | None = None, config_file: Path | None = None) -> Release:
    """Build the release from ``root`` and write ``out/<assignment>/`` (and the zip, if asked).

    Args:
        root: the repository root.
        out: the folder that holds the release folder (``assignments``).
        zip_path: where to write the student zip, or ``None``.
        config_file: grading.yml to use (default: ``root/grading.yml``).

    Returns:
        The `Release` that was written.

    Raises:
        ReleaseError: if the release cannot be built; nothing is written then.
    """
    layout = Layout(root=root, config_file=None if config_file is None else Path(config_file))
    built = build_release(layout)
    removed = write_tree(built.files, out / layout.assignment)
    if zip_path is not None:
        build_zip(built.files, zip_path, top=layout.assignment)
    return dataclasses.replace(built, removed=tuple(removed))


def add_release_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``release`` to an ``argparse`` subparsers object; its handler is `run_release`.

    The parser's defaults carry ``func=run_release``.
    """
    parser = subparsers.add_parser(
        "release",
        help="generate the student release (assignments/) from solutions/",
        description=(
            "Regenerate the student release folder from the solution modules' "
            "BEGIN/END SOLUTION markers, grading.yml and the public checks; "
            "optionally build the zip students download."
        ),
        epilog=(
            "examples:\n"
            "  autograder release                      # rewrite assignments/nn_from_scratch/\n"
            "  autograder release --zip dist/nn_from_scratch.zip\n"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out", type=Path, default=Path("assignments"),
        help="the folder that receives <assignment>/ (default: assignments)",
    )
    parser.add_argument("--zip", type=Path, default=None, metavar="PATH", help="also write the student zip here")
    parser.add_argument("--config", type=Path, default=None, help="grading.yml (default: the repository's)")
    parser.add_argument("--no-validate", dest="validate", action="store_false",
                        help="skip `autograder validate` (grading.yml, suites, reference, public checks)")
    parser.add_argument(
        "--root", type=Path, default=Path(__file__).resolve().parents[2],
        help=argparse.SUPPRESS,
    )
    parser.set_defaults(func=run_release)
    return parser


def run_release(args: argparse.Namespace) -> int:
    """Run ``autograder release`` with parsed arguments; print what was written.

    Returns:
        0 on success, 1 if the release could not be built (the reason is printed on stderr and
        nothing was written).
    """
    root = getattr(args, "root", None) or Path(__file__).resolve().parents[2]
    config_file = getattr(args, "config", None)
    if getattr(args, "validate", True):
        from autograder.config import ConfigError, load_config
        from autograder.authoring.validate import SUITES, problems

        try:
            config = load_config(config_file if config_file is not None else Path(root) / "grading.yml")
        except ConfigError as error:
            print(f"autograder release: error: {error}", file=sys.stderr)
            return 1
        suites = Path(root) / "autograder" / "suites"
        found = problems(config, root=Path(root), suites=suites if suites.is_dir() else SUITES,
                         config_file=config_file)
        if found:
            print("\n".join(f"autograder release: error: {p}" for p in found), file=sys.stderr)
            print("autograder release: nothing was written", file=sys.stderr)
            return 1
    try:
        built = release(Path(root), Path(args.out), args.zip, config_file)
    except ReleaseError as error:
        print(f"autograder release: error: {error}", file=sys.stderr)
        print("autograder release: nothing was written", file=sys.stderr)
        return 1
    dest = Path(args.out) / ASSIGNMENT
    todo = sum(len(b) for b in built.blocks.values())
    print(f"wrote {dest}/ ({len(built.files)} files, {todo} TODO blocks, {len(built.questions)} questions)")
    _say_removed(dest, built.removed)
    if Path(args.out).resolve() == (Path(root) / "assignments").resolve():  # the repository's own release
        from autograder.authoring.sample_class import TARGET, ClassError, write_class

        try:
            count, removed = write_class(Path(root))
        except ClassError as error:
            print(f"autograder release: error: the sample class: {error}", file=sys.stderr)
            return 1
        _say_removed(Path(root) / TARGET, removed)
        if count:
            print(f"wrote {Path(root) / TARGET}/ ({count} files: the sample class, from data/sample_class/)")
    if args.zip is not None:
        print(f"wrote {args.zip}")
    return 0


def _say_removed(dest: Path, removed: Sequence[str]) -> None:
    """Warn about files a generated folder held that the generator does not write (now removed)."""
    if removed:
        shown = ", ".join(removed[:10]) + (f" and {len(removed) - 10} more" if len(removed) > 10 else "")
        print(f"autograder release: warning: {dest}/ is generated: {len(removed)} file(s) in it that the "
              f"release does not write were removed: {shown} (keep your own files outside it)", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m autograder.authoring.release [--out DIR] [--zip PATH]`` (the same as ``autograder release``)."""
    parser = argparse.ArgumentParser(prog="autograder")
    add_release_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["release", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
