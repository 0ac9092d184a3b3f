"""``autograder validate``: ``grading.yml``, the hidden suites and ``solutions/`` checked against each
other, before any student code runs (``release`` and ``grade`` call it too).

Each check returns a list of problems, one plain sentence each (empty: nothing wrong), so that a
caller can join them with other checks (the LMS inputs, for instance) and print them all:

* every question of ``grading.yml`` has hidden test cases, and every hidden test case names a
  question of ``grading.yml`` (`suite_problems`);
* every ``requires`` entry and every declared callable names a function the reference defines
  (`reference_problems`);
* a string a hidden suite passes that names a reference function (``deriv("square", 2.0)``) is
  declared under ``callables`` (`suite_problems`);
* the public checks pass on the reference (`public_check_problems`; it runs them, ~1 s).

`problems` runs them all. Nothing here imports or runs student code.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterable

from ..config import GradingConfig

ROOT = Path(__file__).resolve().parents[2]
#: Where the hidden suites live (``test_<module>.py`` with ``@pytest.mark.question("<id>")``).
SUITES = Path(__file__).resolve().parents[1] / "suites"


def _question_marks(tree: ast.AST) -> Iterable[tuple[str, int]]:
    """``(question id, line)`` of every ``pytest.mark.question("<id>")`` decorator (or call)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "question" and isinstance(node.func.value, ast.Attribute) \
                and node.func.value.attr == "mark" and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            yield node.args[0].value, node.lineno


def reference_functions(config: GradingConfig, root: Path = ROOT) -> dict[str, set[str]]:
    """``{module: names of its top-level functions}`` of the reference in ``solutions/``.

    Read with `ast` (the reference is not imported). A module whose file is missing has no entry.
    """
    out: dict[str, set[str]] = {}
    for module in config.modules:
        path = root / "solutions" / config.assignment / f"{module}.py"
        if path.is_file():
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            out[module] = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
            out[module] |= {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom)
                            for a in n.names}  # given functions imported from a sibling module
    return out


def reference_problems(config: GradingConfig, root: Path = ROOT) -> list[str]:
    """Questions, ``requires`` entries and ``callables`` that name no function of the reference."""
    functions = reference_functions(config, root)
    problems = []
    for module in config.modules:
        if module not in functions:
            problems.append(f"grading.yml: module {module!r} has no solutions/{config.assignment}/{module}.py")

    def missing(name: str) -> bool:
        module, _, function = name.partition(".")
        return module in functions and function not in functions[module]

    for qid, q in config.questions.items():
        if missing(qid):
            problems.append(f"grading.yml: question {qid}: the reference has no function {qid.partition('.')[2]}()")
        for required in q.requires:
            if missing(required):
                problems.append(f"grading.yml: questions.{qid}.requires names {required}, which the reference "
                                "does not define")
    for name in config.callables:
        if missing(name):
            problems.append(f"grading.yml: callables names {name}, which the reference does not define")
    return problems


def suite_problems(config: GradingConfig, suites: Path = SUITES, root: Path = ROOT) -> list[str]:
    """Questions without hidden cases, cases of unknown questions, undeclared callables."""
    problems = []
    cased: dict[str, int] = {}
    functions = reference_functions(config, root)
    graded = {qid.partition(".")[2] for qid in config.questions}
    required = {r.partition(".")[2] for q in config.questions.values() for r in q.requires}
    declared = set(config.callable_names)
    passable = {f for module in functions.values() for f in module} - graded - required
    from ..run.execute import collect_cases
    from ..run.sandbox import SandboxError

    try:
        collected = collect_cases(suites)
    except SandboxError as exc:
        return [str(exc)]
    for qid, name, line in collected:  # as pytest collects them: marks made at run time included
        if not qid:
            problems.append(f"autograder/suites/{name}:{line}: a hidden case with no @pytest.mark.question(...)")
        elif qid not in config.questions:
            problems.append(f"autograder/suites/{name}:{line}: a hidden case of question {qid!r}, "
                            "which grading.yml does not have")
        cased[qid] = cased.get(qid, 0) + 1
    passable -= {qid.partition(".")[2] for qid in cased}  # a graded function's own name is no callable
    for path in sorted(suites.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        shown = f"autograder/suites/{path.name}"
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and node.value in passable and node.value not in declared:
                problems.append(f"{shown}:{node.lineno}: passes {node.value!r} by name, but grading.yml's "
                                "callables does not declare it (the worker could not resolve it)")
    for qid in config.questions:
        if qid not in cased:
            problems.append(f"grading.yml: question {qid} has no hidden test case "
                            f"(@pytest.mark.question({qid!r}) in autograder/suites/)")
    return problems


def public_check_problems(config: GradingConfig, root: Path = ROOT, config_file: Path | None = None) -> list[str]:
    """Run the release's public checks on the reference; one problem per failing check.

    The release is built in memory (`autograder.authoring.release.build_release`), written into a temporary
    folder with the solution modules in place of the stubs, and its ``check.py`` run there.
    """
    from . import release

    layout = release.Layout(root=root, assignment=config.assignment, config_file=config_file)
    try:
        built = release.build_release(layout)
    except release.ReleaseError as error:
        return [f"release: {error}"]
    with tempfile.TemporaryDirectory(prefix="validate-") as scratch:
        folder = Path(scratch)
        for name, content in built.files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(content)
        for module, text in release.solution_modules(layout).items():
            (folder / f"{module}.py").write_text(text, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        proc = subprocess.run([sys.executable, "check.py"], cwd=folder, capture_output=True, text=True,
                              env=env, timeout=300)
    if proc.returncode == 0:
        return []
    failed = [" ".join(line.split()) for line in proc.stdout.splitlines()
              if line.startswith(("FAILED", "NOT IMPLEMENTED", "CHECKER ERROR"))]
    for line in proc.stdout.splitlines():  # a question no public check covers: say where one goes
        if line.startswith("NO PUBLIC CHECK") and len(line.split()) > 3:
            qid = line.split()[3]
            where = layout.display(layout.public_tests_dir / f"test_{qid.partition('.')[0]}.py")
            failed.append(f"{qid} has no public check: add a test marked @question(\"{qid}\") to {where}")
    return [f"public checks on the reference: {line}" for line in failed] or \
        [f"public checks on the reference: check.py exited {proc.returncode}: {proc.stdout[-500:]}{proc.stderr[-500:]}"]


def problems(config: GradingConfig, *, root: Path = ROOT, suites: Path = SUITES,
             public_checks: bool = True, config_file: Path | None = None) -> list[str]:
    """Every problem of `config` against the suites and the reference (empty: all is well).

    Args:
        config: the loaded grading.yml.
        root: the repository (``solutions/`` under it).
        suites: the hidden suites' folder.
        public_checks: also run the public checks on the reference (~1 s; ``grade`` skips them).
        config_file: the file `config` was read from (the release built for the public checks
            uses it; default ``root/grading.yml``).

    Returns:
        One sentence per problem, naming the file (and line) at fault.
    """
    found = reference_problems(config, root) + suite_problems(config, suites, root)
    if public_checks and not found:
        found += public_check_problems(config, root, config_file)
    return found


def run_validate(args) -> int:
    """``autograder validate [--config FILE]``: print the problems; exit 0 if none, 1 if some, 2 if the
    config cannot be read."""
    from ..config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    found = problems(config, config_file=args.config)
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        print(f"autograder validate: {len(found)} problem(s)", file=sys.stderr)
        return 1
    print(f"{config.assignment}: {len(config.questions)} questions, {config.total_points:g} points: "
          "grading.yml, the hidden suites and the reference agree; the public checks pass on the reference")
    return 0

