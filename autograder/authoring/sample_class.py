"""The sample class in ``data/submissions/``, generated from ``solutions/`` plus each student's change.

Instructors change a question in one place (``solutions/``, the hidden suites, ``grading.yml``);
the made-up students must follow. So no student file is written by hand: ``data/sample_class/``
holds, per student, only what makes the student who they are, and `build_class` builds the
submission from the current reference:

* ``class.yml`` says, per student, the *base* (``solution``: the solved release modules,
  `autograder.authoring.release.solution_modules`; ``stubs``: the release stubs; ``none``), the *form*
  (``folder``, ``zip``, ``notebook``), and optional ``rename`` (a module saved under another
  name), ``replace`` (exact text replacements, e.g. a syntax error), ``drop`` (a module left
  out), ``files`` (other files copied as they are), ``macosx`` (a zip made on a Mac) and, for a
  notebook, ``cells`` (extra cells: ``{file, module, at: top|end}``).
* ``<student>/<module>.py`` holds the student's own functions and statements (`merge`): each
  top-level function or class replaces the reference's of the same name where it stands, new
  ones go at the end; other statements before the first definition go after the module's
  imports, the rest at the end. A new question of the reference is therefore solved (or a stub,
  for a stubs base) in every student's submission.

``autograder release`` writes the class (``write_tree``: all or nothing), and a test checks that
the committed ``data/submissions/`` is exactly what `build_class` gives.
"""
from __future__ import annotations

import ast
import io
import zipfile
from pathlib import Path
from typing import Mapping

import yaml

SOURCE = Path("data") / "sample_class"
"""The class's source, relative to the repository root."""
TARGET = Path("data") / "submissions"
"""The generated class, relative to the repository root."""


class ClassError(Exception):
    """The class cannot be built; the message names the student and what is wrong."""


def _span(node: ast.stmt) -> tuple[int, int]:
    """0-based ``[start, end)`` line span of a top-level statement, decorators included."""
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return start - 1, node.end_lineno


def _is_definition(node: ast.stmt) -> bool:
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))


def merge(base: str, override: str, where: str = "override") -> str:
    """Put a student's own definitions and statements into a module.

    Args:
        base: the module's text (the solved release module or the stub).
        override: the student's functions, classes and other top-level statements; a leading
            module docstring (describing the change) is not copied.
        where: how messages name the override file.

    Returns:
        The merged module's text.

    Raises:
        ClassError: if either text does not parse.
    """
    try:
        base_tree, over_tree = ast.parse(base), ast.parse(override)
    except SyntaxError as error:
        raise ClassError(f"{where}: cannot be parsed: {error}") from None
    lines = base.splitlines()
    over_lines = override.splitlines()
    body = list(over_tree.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    body = [n for n in body if not (isinstance(n, ast.ImportFrom) and n.module == "__future__")]
    positions = {n.name: _span(n) for n in base_tree.body if _is_definition(n)}
    replacing = [i for i, n in enumerate(body) if _is_definition(n) and n.name in positions]
    first = replacing[0] if replacing else len(body)
    replaced: dict[int, list[str]] = {}  # base start line -> the student's lines
    spans: dict[int, int] = {}  # base start line -> base end line
    head: list[str] = []
    if first:  # what comes before the first replacing definition, as written (comments too)
        top = _span(body[0])[0]
        while top > 0 and over_lines[top - 1].lstrip().startswith("#"):
            top -= 1
        head = [""] + over_lines[top:_span(body[first - 1])[1]]
    tail: list[str] = []
    for node in body[first:]:
        start, end = _span(node)
        while start > 0 and over_lines[start - 1].lstrip().startswith("#"):
            start -= 1
        text = over_lines[start:end]
        if _is_definition(node) and node.name in positions:
            base_start, base_end = positions[node.name]
            replaced[base_start] = over_lines[_span(node)[0]:end]
            spans[base_start] = base_end
        else:
            tail += ["", ""] + text
    out: list[str] = []
    imports_end = max((n.end_lineno for n in base_tree.body if isinstance(n, (ast.Import, ast.ImportFrom))),
                      default=0)
    i = 0
    while i < len(lines):
        if i in replaced:
            out += replaced[i]
            i = spans[i]
            continue
        out.append(lines[i])
        i += 1
        if i == imports_end and head:
            out += head
    if tail:
        out += tail
    return "\n".join(out).rstrip("\n") + "\n"


def _zip(files: Mapping[str, bytes]) -> bytes:
    """A deterministic zip of ``files`` (sorted as given, the release's fixed timestamp)."""
    from .release import ZIP_DATE_TIME

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, content, compresslevel=9)
    return buffer.getvalue()


def build_class(root: Path) -> dict[str, bytes]:
    """Every file of ``data/submissions/``, built in memory from ``data/sample_class/``.

    Args:
        root: the repository root.

    Returns:
        ``{path relative to data/submissions (forward slashes): content}``, sorted.

    Raises:
        ClassError: an override that does not parse, a replacement whose text is not found, an
            unknown key or form.
        autograder.authoring.release.ReleaseError: the solutions cannot be released.
    """
    from . import release

    source = root / SOURCE
    spec = yaml.safe_load((source / "class.yml").read_text(encoding="utf-8"))
    layout = release.Layout(root=root)
    built = release.build_release(layout)
    graded = [q.module for q in built.questions]
    graded = list(dict.fromkeys(graded))
    bases = {
        "solution": release.solution_modules(layout),
        "stubs": {m: built.files[f"{m}.py"].decode("utf-8") for m in graded},
        "none": {},
    }
    files: dict[str, bytes] = {}
    for name in spec.get("copy", []):
        files[name] = (source / name).read_bytes()
    known = {"base", "form", "rename", "replace", "drop", "files", "macosx", "cells", "shows"}
    for student, options in spec["students"].items():
        options = options or {}
        unknown = set(options) - known
        if unknown:
            raise ClassError(f"class.yml: {student}: unknown key(s) {sorted(unknown)}")
        base = options.get("base", "solution")
        if base not in bases:
            raise ClassError(f"class.yml: {student}: base must be one of {sorted(bases)}")
        modules = dict(bases[base])
        for module in list(modules):
            override = source / student / f"{module}.py"
            if override.is_file():
                modules[module] = merge(modules[module], override.read_text(encoding="utf-8"),
                                        f"{SOURCE.as_posix()}/{student}/{module}.py")
        for module, pairs in (options.get("replace") or {}).items():
            for old, new in pairs:
                if old not in modules[module]:
                    raise ClassError(f"class.yml: {student}: replace: {old!r} is not in {module}.py")
                modules[module] = modules[module].replace(old, new, 1)
        for module in options.get("drop", []):
            modules.pop(module)
        names = {m: (options.get("rename") or {}).get(m, m) for m in modules}
        own = {f"{names[m]}.py": text.encode("utf-8") for m, text in modules.items()}
        for extra in options.get("files", []):
            own[extra] = (source / student / extra).read_bytes()
        form = options.get("form", "folder")
        if form == "folder":
            files.update({f"{student}/{n}": c for n, c in own.items()})
        elif form == "zip":
            members = {f"{student}/{n}": c for n, c in sorted(own.items())}
            if options.get("macosx"):  # what the Finder's "Compress" adds: AppleDouble files
                members.update({f"__MACOSX/{student}/._{n}": b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        "
                                for n in sorted(own)})
            files[f"{student}.zip"] = _zip(members)
        elif form == "notebook":
            files[f"{student}.ipynb"] = _notebook(modules, built.questions, source / student,
                                                  options.get("cells") or []).encode("utf-8")
        else:
            raise ClassError(f"class.yml: {student}: form must be folder, zip or notebook")
    return dict(sorted(files.items()))


def _notebook(modules: Mapping[str, str], questions, folder: Path, extra: list[dict]) -> str:
    """The release notebook filled with ``modules``, with the student's extra cells."""
    import nbformat
    from nbformat import v4

    from .release import _cell_id, build_notebook

    notebook = nbformat.reads(build_notebook(modules, questions), as_version=4)
    top = 1  # after the introduction, in the order listed
    for index, spec in enumerate(extra):
        text = (folder / spec["file"]).read_text(encoding="utf-8").rstrip("\n")
        cell = v4.new_code_cell(text, id=_cell_id("student", str(index), text))
        if spec.get("module"):
            cell.source = f"%%module {spec['module']}\n{text}"
            cell.metadata["autograder"] = {"module": spec["module"]}
        at = spec.get("at", "end")
        if at == "top":
            notebook.cells.insert(top, cell)
            top += 1
        elif at == "end":
            notebook.cells.append(cell)
        else:  # after the last cell of a module
            last = max(i for i, c in enumerate(notebook.cells)
                       if c.cell_type == "code" and c.metadata.get("autograder", {}).get("module") == at)
            notebook.cells.insert(last + 1, cell)
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def write_class(root: Path) -> tuple[int, list[str]]:
    """Regenerate ``data/submissions/`` from ``data/sample_class/`` (all or nothing).

    Returns:
        The number of files written (0, and nothing written, when the repository has no
        ``data/sample_class/class.yml``) and the files ``data/submissions/`` held that the sample
        class does not hold (removed; see `release.write_tree`).
    """
    from .release import write_tree

    if not (root / SOURCE / "class.yml").is_file():
        return 0, []
    files = build_class(root)
    removed = write_tree(files, root / TARGET)
    return len(files), removed
