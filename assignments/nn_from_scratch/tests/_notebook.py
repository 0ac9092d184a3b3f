"""Notebooks into modules, without running them (trusted code: nothing here executes a cell).

This file is also shipped in the student release as ``tests/_notebook.py``: ``check.py --notebook``
reads a notebook with the same `read_notebook`, so a student sees locally what the grader keeps.
It needs the standard library only (IPython and nbformat are used when present).

A submitted notebook is read cell by cell (`read_notebook`):

* **Which module.** A code cell belongs to a module when its metadata says so
  (``{"autograder": {"module": "foundations"}}``) or its first line does (``%%module foundations``,
  the release notebook's cell magic, or ``# module: foundations``). A cell with neither is
  attributed by what it defines: to the one module whose cells define a function or class of
  the same name (a function written again in a cell of its own; the last definition wins, as in
  Jupyter run top to bottom). Any other untagged cell is reported and left out: it never joins
  the cell above. Cells marked ``{"autograder": {"skip": true}}`` or starting with
  ``# autograder: skip`` (the release's setup, check and training cells) are not read.
* **What is kept** (``definitions`` mode, grading.yml ``notebook.mode``): imports, function and
  class definitions, docstrings, and assignments of constants (a value with no call in it but for
  a few pure constructors such as ``np.array``, to names only). Every other top-level statement,
  a training run, a plot, a download, ``print``, ``np.random.seed(0)`` or a patch of numpy, is
  skipped and listed in the feedback with its cell and line; a function that reads a global
  which only a skipped statement sets is named in a note.
* **IPython syntax** goes through IPython's own transformer (``TransformerManager``), so
  ``%matplotlib inline`` or ``!pip install x`` become calls, skipped like any other; a magic inside
  a function body becomes ``pass``; ``%%time``-style cells keep their Python body; other cell
  magics (``%%bash``, ``%%writefile``) are skipped. Without IPython (the release's
  check.py), a top-level magic line becomes ``get_ipython()``, a call skipped the same way.
* **Line numbers.** The rebuilt module is a small loader that compiles each cell's kept lines
  on its own (skipped lines are blank) under the name ``cell N of <notebook>``, so an error in
  the student's code names the cell and its line as Jupyter shows them. A syntax error names the
  cell and its line too, and leaves that cell out.
* **Execute mode** (``notebook.mode: execute``): each module's file runs every code cell of the
  notebook when the worker imports it (`_assemble_execute`), each under ``cell_timeout`` and all
  under ``total_timeout``, with matplotlib's ``Agg`` backend; a failing or stopped cell prints a
  `CELL_REPORT` line naming its cell and line, which `cell_reports` turns into a note.
* **Bad notebooks** (invalid JSON, an old format, no code cell, huge saved outputs, the same
  function in two cells) get a note each; nothing here raises on student input.
"""
from __future__ import annotations

import ast
import json
import re
import warnings
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

#: Cell magics whose body is ordinary Python: the magic line is dropped and the body kept.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})
#: Saved outputs above this size get a note (they are never read).
LARGE_OUTPUTS = 5 << 20
#: Characters x rounds IPython's transformer may tokenize for one notebook (~1 s; see `_plain_python`).
TRANSFORM_ALLOWANCE = 2_000_000
#: Calls allowed in a kept constant assignment (pure constructors).
CONSTANT_CALLS = frozenset({
    "np.array", "np.asarray", "np.float64", "np.float32", "np.int64", "np.zeros", "np.ones", "np.eye",
    "np.arange", "np.linspace", "np.full", "np.dtype", "numpy.array", "numpy.asarray",
    "float", "int", "str", "bool", "tuple", "list", "dict", "set", "frozenset", "range", "complex",
    "Path", "pathlib.Path", "TypeVar", "typing.TypeVar", "namedtuple", "collections.namedtuple",
})

_TAG_LINE = re.compile(r"^\s*(?:#\s*module\s*:|%%module)\s*(\S+)\s*$")
_SKIP_LINE = re.compile(r"^\s*#\s*autograder\s*:\s*skip\b")
_MAGIC_LINE = re.compile(r"^(\s*)([%!](?!=).*)$")


@dataclass
class NotebookModules:
    """What a notebook gives: per module its source and where its lines came from, and notes.

    Attributes:
        modules: ``{module: (source bytes, [(first module line of a cell, cell number), ...])}``.
        notes: messages for the student and the TA, in the order found.
    """

    modules: dict[str, tuple[bytes, list[tuple[int, int]]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Cell:
    number: int
    source: str  # after the tag line was blanked and IPython syntax transformed
    original: list[str]  # the cell's lines as the student wrote them
    tag: str | None
    tree: ast.Module | None = None
    defines: set[str] = field(default_factory=set)


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _plain_python(source: str, allowance: list[int] | None = None) -> tuple[str, str | None]:
    """``(Python source, None)`` or ``("", reason)`` for a cell whose body is not Python.

    Line magics and shell lines become calls (IPython's transformer) at the top level and
    ``pass`` inside a block; the line count is kept. IPython tokenizes the whole cell again for
    every magic it rewrites (magics x size, up to 500 rounds a cell), so it only gets cells while
    `allowance` (``[characters]``, shared by a notebook's cells, `TRANSFORM_ALLOWANCE`) lasts;
    after that magic lines are commented out.
    """
    lines = source.split("\n")
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        magic = first[2:].split(None, 1)[0] if first[2:].strip() else ""
        if magic not in PYTHON_CELL_MAGICS:
            return "", f"a %%{_printable(magic)[:20]} cell (not Python)"
        index = next(i for i, line in enumerate(lines) if line.strip())
        lines[index] = "# " + lines[index].strip()
    for i, line in enumerate(lines):
        match = _MAGIC_LINE.match(line)
        if match and match.group(1):
            lines[i] = f"{match.group(1)}pass  # {match.group(2)}"
    source = "\n".join(lines)
    rounds = 2 + sum(1 for line in lines if any(ch in line for ch in "%!?"))  # at most one rewrite a line
    if allowance is not None:
        allowance[0] -= len(source) * rounds
        if allowance[0] < 0:  # IPython would take too long: magic lines become comments
            return "\n".join("# " + line if _MAGIC_LINE.match(line) else line for line in lines), None
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # without IPython (check.py): a call, skipped like IPython's, the magic kept as a comment
        return "\n".join("get_ipython()  # " + line if _MAGIC_LINE.match(line) else line for line in lines), None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            transformed = TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - the transformer on hostile input: fall back to comments
        return "\n".join("get_ipython()  # " + line if _MAGIC_LINE.match(line) else line for line in lines), None
    if transformed.count("\n") != source.count("\n") + (0 if source.endswith("\n") else 1):
        # the transformer joined lines (e.g. a multi-line magic): keep line numbers with comments
        return "\n".join("get_ipython()  # " + line if _MAGIC_LINE.match(line) else line for line in lines), None
    return transformed, None


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def _is_constant(value: ast.AST) -> bool:
    """No call in the expression (lambdas' bodies aside) but for `CONSTANT_CALLS`, no await/yield."""
    todo = [value]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Call) and _dotted(node.func) not in CONSTANT_CALLS:
            return False
        if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
            return False
        todo.extend(ast.iter_child_nodes(node))
    return True


def _targets_are_names(targets: Iterable[ast.AST]) -> bool:
    for target in targets:
        if isinstance(target, (ast.Tuple, ast.List)):
            if not _targets_are_names(target.elts):
                return False
        elif not isinstance(target, ast.Name):
            return False
    return True


def _is_main_guard(node: ast.stmt) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and isinstance(test, ast.Compare) and _dotted(test.left) == "__name__"


def _keep(node: ast.stmt) -> bool:
    """Whether the definitions mode keeps a top-level statement."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                         ast.Pass)):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return True  # a docstring or a stray constant
    if isinstance(node, ast.Assign):
        return _targets_are_names(node.targets) and _is_constant(node.value)
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.target, ast.Name) and (node.value is None or _is_constant(node.value))
    if isinstance(node, ast.Try):  # try: import x / except ImportError: ...
        return all(isinstance(n, (ast.Import, ast.ImportFrom, ast.Pass, ast.Assign)) and
                   (not isinstance(n, ast.Assign) or _keep(n))
                   for n in node.body + node.orelse + [s for h in node.handlers for s in h.body])
    return False


def _assigned(node: ast.stmt) -> set[str]:
    """Names a (skipped) top-level statement binds."""
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.add(sub.id)
    return names


def _loads(function: ast.AST) -> set[str]:
    """Names a function reads that it does not bind itself (its free names, roughly)."""
    bound, read = set(), set()
    for sub in ast.walk(function):
        if isinstance(sub, ast.Name):
            (read if isinstance(sub.ctx, ast.Load) else bound).add(sub.id)
        elif isinstance(sub, ast.arg):
            bound.add(sub.arg)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and sub is not function:
            bound.add(sub.name)
    return read - bound


def _start(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None) or []
    return min([node.lineno] + [d.lineno for d in decorators])


def _describe(node: ast.stmt, lines: list[str]) -> str:
    text = lines[node.lineno - 1].strip() if node.lineno - 1 < len(lines) else ""
    text = _printable(text)
    return text[:60] + ("…" if len(text) > 60 or node.end_lineno != node.lineno else "")


def read_notebook(data: bytes, label: str, modules: Sequence[str],
                  known: Mapping[str, Iterable[str]] | None = None, *, mode: str = "definitions",
                  cell_timeout: float = 2.0, total_timeout: float = 6.0,
                  allowance: list[int] | None = None) -> NotebookModules:
    """Rebuild the assignment's modules from a notebook's code cells.

    Args:
        data: the notebook file's bytes (its size is capped by the caller).
        label: how notes name the notebook (``chen_wei.ipynb``).
        modules: the assignment's module names.
        known: ``{module: function names}`` an untagged cell may also be attributed by (the
            graded functions of grading.yml), besides what the module's own cells define.
        mode: ``definitions`` (keep definitions, skip the rest) or ``execute`` (`_assemble_execute`).
        cell_timeout: seconds one cell may run in ``execute`` mode.
        total_timeout: seconds all cells together may run in ``execute`` mode (then the rest is not run).
        allowance: ``[characters x rounds]`` IPython's transformer may still tokenize, shared by
            the notebooks of one submission (`_plain_python`); None: a fresh `TRANSFORM_ALLOWANCE`.

    Returns:
        The modules found and the notes; never raises on a bad notebook.
    """
    out = NotebookModules()
    note = out.notes.append
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        note(f"{label} is not UTF-8 text, so it could not be read as a notebook")
        return out
    if not text.strip():
        note(f"{label} is empty: save the notebook in Jupyter and submit it again")
        return out
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        note(f"{label} is not a notebook: it is not valid JSON (line {exc.lineno}, column {exc.colno}: "
             f"{exc.msg}). Was it edited as text or saved half-way? Open it in Jupyter, save it, submit it again")
        return out
    except RecursionError:
        note(f"{label} is not a notebook: its JSON is nested too deeply")
        return out
    except ValueError as exc:  # an integer of more than 4300 digits (Python's int conversion limit)
        note(f"{label} is not a notebook: {_printable(str(exc))[:120]}")
        return out
    if not isinstance(raw, dict) or not isinstance(raw.get("cells", raw.get("worksheets")), list):
        note(f"{label} is not a Jupyter notebook (no list of cells): nothing in it was graded")
        return out
    version = raw.get("nbformat")
    if isinstance(version, int) and version < 4:
        try:
            import nbformat
        except ImportError:  # the release's check.py runs with numpy and pytest alone
            note(f"{label} is in the old notebook format {version}: open and save it in a current Jupyter, "
                 "then check it again")
            return out
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                raw = nbformat.convert(nbformat.from_dict(raw), 4)
            note(f"{label} is in the old notebook format {version}; it was converted to format 4 to be read "
                 "(saving it in a current Jupyter avoids this)")
        except Exception as exc:  # noqa: BLE001 - nbformat on hostile input
            note(f"{label} is in the old notebook format {version} and could not be converted "
                 f"({type(exc).__name__}): open and save it in a current Jupyter, then submit it again")
            return out
    cells_raw = raw.get("cells")
    if not isinstance(cells_raw, list):
        note(f"{label} has no cells: nothing in it was graded")
        return out
    output_bytes = sum(len(json.dumps(c.get("outputs", []))) for c in cells_raw if isinstance(c, dict))
    if output_bytes > LARGE_OUTPUTS:
        note(f"{label}: its saved outputs take {output_bytes / (1 << 20):.1f} MiB; the grader ignores them "
             "(clear the outputs before you submit: Edit > Clear Outputs of All Cells)")

    known_sets = {m: set(names) for m, names in (known or {}).items()}
    cells: list[_Cell] = []
    allowance = [TRANSFORM_ALLOWANCE] if allowance is None else allowance
    for number, cell in enumerate(cells_raw, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str) or not source.strip():
            continue
        source = source.replace("\r\n", "\n").replace("\r", "\n")  # Python's line ends, so lines match the AST's
        marks = cell.get("metadata", {}).get("autograder") if isinstance(cell.get("metadata"), dict) else None
        lines = source.split("\n")
        first_index = next(i for i, line in enumerate(lines) if line.strip())
        if (isinstance(marks, dict) and marks.get("skip") is True) or _SKIP_LINE.match(lines[first_index]):
            continue
        tag = marks.get("module") if isinstance(marks, dict) and isinstance(marks.get("module"), str) else None
        match = _TAG_LINE.match(lines[first_index])
        if match:
            tag = tag or match.group(1)
            if lines[first_index].lstrip().startswith("%%"):
                lines[first_index] = "# " + lines[first_index].strip()  # a comment: line numbers stay the cell's
        if tag is not None and tag not in modules:
            note(f"{label}: cell {number} names the module {_printable(tag)[:40]!r}, which is not one of "
                 f"{', '.join(modules)}: it was left out")
            continue
        python, why = _plain_python("\n".join(lines), allowance)
        if why:
            note(f"{label}: cell {number} is {why}: it was left out")
            continue
        entry = _Cell(number, python, source.split("\n"), tag)
        try:
            entry.tree = ast.parse(python)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            where = f", line {line}" if line else ""
            note(f"{label}: cell {number}{where}: {type(exc).__name__}: "
                 f"{_printable(getattr(exc, 'msg', None) or str(exc))[:200]}. The cell was left out; "
                 "fix it and run it in Jupyter to check")
            continue
        except (RecursionError, MemoryError):
            note(f"{label}: cell {number} is too deeply nested to be read: it was left out")
            continue
        entry.defines = {n.name for n in entry.tree.body
                         if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        cells.append(entry)

    defined_by: dict[str, set[str]] = {m: set(known_sets.get(m, ())) for m in modules}
    for entry in cells:
        if entry.tag is not None:
            defined_by[entry.tag] |= entry.defines
    for entry in cells:
        if entry.tag is not None:
            continue
        owners = [m for m in modules if entry.defines & defined_by[m]]
        if len(owners) == 1:
            entry.tag = owners[0]
            shown = ", ".join(sorted(entry.defines & defined_by[owners[0]]))
            note(f"{label}: cell {number_text(entry)} has no module line; it defines {shown}, so it was "
                 f"graded as part of {owners[0]}.py")
        elif mode == "execute":
            note(f"{label}: cell {number_text(entry)} has no module line, so it runs in the notebook's own "
                 "namespace (execute mode); what it defines is not graded")
        elif any(not isinstance(n, (ast.Import, ast.ImportFrom, ast.Expr)) or
                 (isinstance(n, ast.Expr) and not _is_magic_call(n)) for n in entry.tree.body):
            what = "defines functions of more than one module" if owners else "defines nothing a module has"
            note(f"{label}: cell {number_text(entry)} has no module line and {what}: it was left out "
                 f"(if it belongs to one, start it with `%%module NAME`, NAME one of {', '.join(owners or modules)})")

    for module in modules:
        mine = [c for c in cells if c.tag == module]
        if mine and mode == "execute":
            out.modules[module] = _assemble_execute(module, cells, label, note, cell_timeout, total_timeout,
                                                    modules)
        elif mine:
            out.modules[module] = _assemble(module, mine, label, note)
    if not out.modules and not out.notes:
        note(f"{label}: no code cell belongs to a module, so nothing in it was graded. Start each module's "
             f"cells with a line such as `%%module {modules[0]}`")
    elif not out.modules:
        note(f"{label}: no code cell belongs to a module, so nothing in it was graded")
    return out


def number_text(cell: _Cell) -> str:
    return str(cell.number)


def _is_magic_call(node: ast.Expr) -> bool:
    """``get_ipython().run_line_magic(...)`` and the like: what IPython's transformer writes."""
    call = node.value
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and \
        isinstance(call.func.value, ast.Call) and _dotted(call.func.value.func) == "get_ipython"


_DEFINITIONS_PRELUDE = """\
# Built by the grader from {label} (definitions mode): the imports, functions, classes and constants
# of the notebook's cells of {module}. Each cell is compiled on its own, under the name
# "cell N of {label}", so that an error names the cell and its line as Jupyter shows them.
import os as _ag_os


def _ag_cell(number, source, flags):
    name = _ag_os.path.join(_ag_os.path.dirname(_ag_os.path.abspath(__file__)), "cell %d of %s" % (number, {label_repr}))
    exec(compile(source, name, "exec", flags, dont_inherit=True), globals())

"""


def _assemble(module: str, cells: list[_Cell], label: str, note) -> tuple[bytes, list[tuple[int, int]]]:
    """One module from its cells: a loader that runs, cell by cell, only the kept statements (at
    their own line numbers; skipped lines are blank), each cell compiled as ``cell N of <label>``."""
    import __future__

    calls: list[str] = []
    annotations = 0  # `from __future__ import annotations` holds for the later cells, as in IPython
    skipped: list[str] = []
    skipped_names: dict[str, int] = {}
    seen: dict[str, list[int]] = {}
    kept_functions: list[tuple[ast.AST, int]] = []
    for cell in cells:
        lines = cell.source.split("\n")
        keep_line = [False] * len(lines)
        for node in cell.tree.body:
            span = range(_start(node) - 1, node.end_lineno)
            if _keep(node) or (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
                for i in span:
                    keep_line[i] = True
                if isinstance(node, ast.ImportFrom) and node.module == "__future__" and \
                        any(a.name == "annotations" for a in node.names):
                    annotations = __future__.annotations.compiler_flag
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    seen.setdefault(node.name, []).append(cell.number)
                    kept_functions.append((node, cell.number))
            elif not _is_main_guard(node):
                original = cell.original[node.lineno - 1] if node.lineno - 1 < len(cell.original) else ""
                shown = _printable(original.strip())[:60] or _describe(node, lines)
                skipped.append(f"cell {cell.number}, line {node.lineno}: {shown}")
                for name in _assigned(node):
                    skipped_names.setdefault(name, cell.number)
        kept = "\n".join(line if keep_line[i] else "" for i, line in enumerate(lines))
        if kept.strip():
            calls.append(f"_ag_cell({cell.number}, {kept!r}, {annotations})")
    shown_label = _printable(label)
    source = _DEFINITIONS_PRELUDE.format(label=shown_label, module=module, label_repr=repr(shown_label)) + \
        "\n".join(calls) + "\n"
    note(f"{module}.py was built from the code cells of {label} (cells "
         f"{', '.join(str(c.number) for c in cells)}; an error names its cell and line)")
    if skipped:
        shown = "; ".join(skipped[:8]) + (f"; and {len(skipped) - 8} more" if len(skipped) > 8 else "")
        note(f"{module}.py (from {label}): the grader keeps imports, functions, classes and constants, and "
             f"skipped {len(skipped)} other top-level statement(s): {shown}")
    for name, numbers in seen.items():
        if len(numbers) > 1:
            note(f"{module}.py (from {label}): {name} is defined in cells {', '.join(map(str, numbers))}; "
                 f"the last one (cell {numbers[-1]}) is graded, as when the notebook runs top to bottom")
    defined = {n.name for n, _ in kept_functions}
    for node, number in kept_functions:
        needs = sorted((_loads(node) & set(skipped_names)) - defined)
        if needs:
            sources = ", ".join(f"{n} (cell {skipped_names[n]})" for n in needs)
            note(f"{module}.py (from {label}): {node.name} uses {sources}, set only by a statement the grader "
                 "skips; pass it in as an argument or make it a constant")
    return source.encode("utf-8", "surrogatepass"), []


_EXECUTE_PRELUDE = """\
# Built by the grader from {label} in execute mode: importing this module runs every code cell of the
# notebook, in order, as Jupyter would: a module's cells in that module's namespace (the others are
# registered in sys.modules, so that `import foundations` in a cell finds the notebook's), the other
# cells in the notebook's own namespace. Each cell runs for at most {limit:g} s and all of them for at
# most {total:g} s; a failing cell is reported (a "[notebook]" line) and the next one runs.
import os as _ag_os

_ag_os.environ["MPLBACKEND"] = "Agg"  # no GUI: plots go nowhere


def _ag_notebook(here, label, cells, limit, total):
    import builtins
    import signal
    import sys
    import time
    import traceback
    import types

    class CellTimeout(BaseException):
        pass

    class NoIPython:  # what IPython's transformer calls (%magics, !shell): nothing runs
        def __getattr__(self, name):
            return lambda *args, **kwargs: [] if name == "getoutput" else None

    def get_ipython():
        return NoIPython()

    spaces = {{}}
    notebook = {{"__name__": "__main__", "__builtins__": builtins, "get_ipython": get_ipython}}
    for name in {modules!r}:
        if name == here["__name__"]:
            spaces[name] = here
        else:
            module = types.ModuleType(name)
            module.__file__ = here["__file__"]
            sys.modules[name] = module
            spaces[name] = vars(module)
        spaces[name].setdefault("get_ipython", get_ipython)
        notebook[name] = sys.modules.get(name)
    folder = _ag_os.path.dirname(_ag_os.path.abspath(here["__file__"]))

    def stop(signum, frame):
        raise CellTimeout()

    def report(text):  # flushed: the grader may kill this process before it exits
        print("[notebook] " + text, flush=True)

    def where(error, filename):
        lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
        return ", line %d" % lines[-1] if lines else ""

    end = time.monotonic() + total
    for number, owner, source, flags in cells:
        filename = _ag_os.path.join(folder, "cell %d of %s" % (number, label))
        left = end - time.monotonic()
        if left <= 0:
            report("cell %d of %s was not run: the notebook's cells used up their %g s" % (number, label, total))
            continue
        previous = signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, min(limit, left))
        try:
            exec(compile(source, filename, "exec", flags, dont_inherit=True), spaces.get(owner, notebook))
        except CellTimeout as error:
            report("cell %d of %s%s: stopped after %.2g s (the grader runs a cell for at most %g s); "
                  "the cells below still ran" % (number, label, where(error, filename), min(limit, left), limit))
        except SyntaxError as error:
            report("cell %d of %s, line %s: SyntaxError: %s; the cells below still ran"
                  % (number, label, error.lineno, error.msg))
        except BaseException as error:  # SystemExit and KeyboardInterrupt too: the next cell runs
            try:
                message = " ".join(str(error).split())[:300]  # one line: it becomes one note
            except BaseException:
                message = "(its message could not be shown)"
            report("cell %d of %s%s: %s: %s; the cells below still ran"
                  % (number, label, where(error, filename), type(error).__name__, message))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
"""

#: How the lines an execute-mode module prints about its cells start (`cell_reports` lifts them out).
CELL_REPORT = "[notebook] "


def _assemble_execute(module: str, cells: list[_Cell], label: str, note, limit: float, total: float,
                      modules: Sequence[str]) -> tuple[bytes, list[tuple[int, int]]]:
    """One module that runs every code cell of the notebook when imported (``execute`` mode).

    Args:
        module: the module built (its cells run in its own namespace).
        cells: every readable code cell of the notebook, in order; ``tag`` None for a cell of the
            notebook's own namespace.
        label: the notebook's name in messages.
        note: appends a note.
        limit: seconds one cell may run (SIGALRM in the worker's child; the rest of the cell is cut).
        total: seconds all cells together may run; later cells are not run.
        modules: the assignment's modules (each gets its namespace).

    Each cell is compiled on its own as ``cell N of <label>`` beside the module file, so that an
    error names the cell and its line as Jupyter shows them; a cell that raises or runs out of
    time prints a `CELL_REPORT` line and the next cell runs.
    """
    import __future__

    shown_label = _printable(label)
    flags, rows = 0, []
    for cell in cells:
        if any(isinstance(n, ast.ImportFrom) and n.module == "__future__" and
               any(a.name == "annotations" for a in n.names) for n in cell.tree.body):
            flags = __future__.annotations.compiler_flag  # holds for the later cells, as in IPython
        rows.append(f"    ({cell.number}, {cell.tag!r}, {cell.source!r}, {flags}),")
    source = (_EXECUTE_PRELUDE.format(label=shown_label, limit=limit, total=total, modules=tuple(modules))
              + "_ag_notebook(globals(), " + repr(shown_label) + ", [\n" + "\n".join(rows) + "\n], "
              + f"{float(limit)!r}, {float(total)!r})\n")
    mine = [c.number for c in cells if c.tag == module]
    note(f"{module}.py was built from {label} in execute mode: every code cell runs in order before grading "
         f"(each for at most {limit:g} s, all for at most {total:g} s); the cells of {module} are "
         f"{', '.join(map(str, mine))}")
    seen: dict[str, list[int]] = {}
    for cell in cells:
        if cell.tag == module:
            for name in sorted(cell.defines):
                seen.setdefault(name, []).append(cell.number)
    for name, numbers in seen.items():
        if len(numbers) > 1:
            note(f"{module}.py (from {label}): {name} is defined in cells {', '.join(map(str, numbers))}; "
                 f"the last one (cell {numbers[-1]}) is graded, as when the notebook runs top to bottom")
    return source.encode("utf-8", "surrogatepass"), []


def cell_reports(output: str) -> tuple[str, tuple[str, ...]]:
    """Lift the `CELL_REPORT` lines an execute-mode notebook printed out of a submission's output.

    Every question's worker runs the notebook's cells again, so each line comes once per question:
    they become notes, once each, in the order first printed.

    Args:
        output: what the submission's code printed (all its questions).

    Returns:
        ``(the output without those lines, the notes)``.
    """
    kept, reports = [], {}
    for line in output.split("\n"):
        if line.startswith(CELL_REPORT):
            reports.setdefault(line[len(CELL_REPORT):], None)
        else:
            kept.append(line)
    return "\n".join(kept), tuple(reports)
