"""Run the public checks of this assignment and report, per question, how your code is doing.

    python check.py                       # every question
    python check.py deriv train           # only these (a question id, function or module name)
    python check.py -v                    # also list every single check
    python check.py --notebook nn_from_scratch.ipynb   # check the code in the notebook instead

In the notebook, the setup cell calls `notebook_setup()` and each question's check cell calls
`check("<question id>")`, which reports that question the same way, on the notebook's own code.

Each question is reported as PASSED, FAILED (with what was called, what was expected, what came
back, and a hint) or NOT IMPLEMENTED. These public checks are a first test only: your grade comes
from hidden checks with other inputs. Exit status: 0 if every question checked passed, 1 if
not, 2 if the checks themselves could not run (please tell your instructor).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE / "tests"
OUTPUT_LINES = 8  # how many lines of your own printed output are shown under a failure


NOTEBOOK_NOTES: list[str] = []


def _defined(path: Path) -> set[str]:
    """The top-level functions and classes of the file ``path`` and the names it imports from a
    module (none if it does not parse): as the grader knows the modules' functions."""
    import ast

    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return set()
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))} | \
        {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}


def modules_from_notebook(notebook: Path, folder: Path, modules: set[str]) -> list[str]:
    """Rebuild the modules from the code cells of ``notebook`` into ``folder``, as the grader does.

    The grader's own reader does it (``tests/_notebook.py``, the grader's notebook module): a
    code cell belongs to the module its ``%%module`` line (or ``# module:`` line, or metadata)
    names; an untagged cell to the one module whose functions it defines again, or it is left
    out. Only imports, functions, classes and constants are kept; every other top-level
    statement (a training run, a plot, a download) is skipped, and magics are dropped. Each cell
    is compiled on its own, so an error names the cell and its line.

    Returns:
        The names of the modules written; `NOTEBOOK_NOTES` gets what the grader would say about
        the notebook (cells left out, statements skipped, a function defined twice).
    """
    from _notebook import read_notebook

    known = {m: _defined(HERE / f"{m}.py") for m in modules}  # the functions the .py files define
    built = read_notebook(notebook.read_bytes(), notebook.name, sorted(modules), known)
    NOTEBOOK_NOTES.extend(built.notes)
    for module, (source, _) in built.modules.items():
        (folder / f"{module}.py").write_bytes(source)
    return sorted(built.modules)


# --- in the notebook: the %%module cell magic and the check cells ------------------------------

_NOTEBOOK_MODULES: dict = {}


def notebook_setup() -> None:
    """Run in the notebook's first cell: register the ``%%module <name>`` cell magic.

    A cell that starts with ``%%module linear_regression`` runs in the namespace of a module of
    that name (made on first use and put in ``sys.modules``, so that the check cells and other
    parts import it), not in the notebook's global namespace: the two models' ``forward`` and
    ``train`` stay apart, as they are in the ``.py`` files. The module is also bound to its name
    in the notebook (``linear_regression.train(...)``).
    """
    import types

    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("notebook_setup() works in a Jupyter notebook only")
    for path in (str(TESTS), str(HERE)):
        if path not in sys.path:
            sys.path.insert(0, path)

    def module(line: str, cell: str) -> None:
        name = line.strip()
        if not name.isidentifier():
            raise ValueError(f"%%module needs a module name, e.g. %%module foundations (got {line!r})")
        namespace = _NOTEBOOK_MODULES.get(name)
        if namespace is None:
            namespace = types.ModuleType(name)
            namespace.__file__ = f"<notebook part {name}>"
            _NOTEBOOK_MODULES[name] = namespace
        sys.modules[name] = namespace
        shell.user_ns[name] = namespace
        code = compile("\n" + cell, f"<notebook part {name}>", "exec")  # line numbers as in the cell
        exec(code, namespace.__dict__)

    shell.register_magic_function(module, magic_kind="cell", magic_name="module")


def check(question_id: str, verbose: bool = False) -> str:
    """Run one question's public checks on the notebook's code and print the report line(s).

    Args:
        question_id: ``"<module>.<function>"``, e.g. ``"foundations.deriv"``.
        verbose: list every check, not only the first failure.

    Returns:
        The question's status: PASSED, FAILED, NOT IMPLEMENTED or CHECKER ERROR.
    """
    for path in (str(TESTS), str(HERE)):
        if path not in sys.path:
            sys.path.insert(0, path)
    import _support

    for name, namespace in _NOTEBOOK_MODULES.items():
        sys.modules[name] = namespace  # the notebook's parts, not the .py files beside it
    _support._IMPORT_FAILURES.clear()
    questions, problems = collect([question_id])
    questions = [q for q in questions if q["id"] == question_id]
    if not questions:
        raise ValueError(f"no question {question_id!r}")
    results = {q["id"]: run_question(q) for q in questions}
    outcome = {qid: summarize([s for s, _, _ in r]) for qid, r in results.items()}
    for q in questions:
        print(report(q, results[q["id"]], outcome, len(q["id"]) + 9, verbose))
    for problem in problems:
        print(f"\n{_support.ERROR}: {problem}\nThis is not your fault: please tell your instructor.")
    return outcome[question_id]


def collect(selected: list[str]) -> tuple[list[dict], list[str]]:
    """The questions to check, each with its public checks, and problems loading the checks."""
    from _questions import QUESTIONS

    tests: dict[str, list] = {}
    problems = []
    for path in sorted(TESTS.glob("test_*.py")):
        try:
            module = importlib.import_module(path.stem)
        except Exception as error:  # a broken check file is our fault, not yours
            problems.append(f"tests/{path.name} could not be loaded: {type(error).__name__}: {error}")
            continue
        for name, test in list(vars(module).items()):  # in the order they are defined
            if name.startswith("test_") and callable(test):
                tests.setdefault(getattr(test, "question", "(no question)"), []).append(test)
    known = [dict(id=qid, points=points, hint=hint, requires=requires)
             for qid, points, hint, requires in QUESTIONS]
    ids = {q["id"] for q in known}
    known += [dict(id=qid, points=0.0, hint="", requires=()) for qid in tests if qid not in ids]
    chosen = []
    for question in known:
        module, _, function = question["id"].partition(".")
        if not selected or any(s in (question["id"], module, function) for s in selected):
            chosen.append(dict(question, tests=tests.get(question["id"], [])))
    return chosen, problems


def run_one(test) -> tuple[str, str, str, BaseException | None]:
    """Run one check; return ``(status, message, what your code printed, the exception)``."""
    from _support import classify

    printed = io.StringIO()
    error = None
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        try:
            test()
        except Exception as caught:  # KeyboardInterrupt still stops the run
            error = caught
    status, message = classify(error)
    return status, message, printed.getvalue(), error


def run_question(question: dict) -> list[tuple[str, str, str]]:
    """Run a question's checks; stop early when a module does not import or a call runs out of time."""
    from _support import ImportProblem, OutOfTime

    results = []
    for test in question["tests"]:
        status, message, printed, error = run_one(test)
        results.append((status, message, printed))
        if isinstance(error, ImportProblem):
            question["import_problem"] = message
            break
        if isinstance(error, OutOfTime):
            skipped = len(question["tests"]) - len(results)
            if skipped:
                more = f"{skipped} more check{'s' if skipped > 1 else ''} of this question skipped"
                results[-1] = (status, f"{message}\n({more})", printed)
            break
    return results


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line.strip() else line for line in text.splitlines())


def summarize(statuses: list[str]) -> str:
    from _support import ERROR, FAILED, NOT_IMPLEMENTED, PASSED

    if not statuses:
        return "NO PUBLIC CHECK"
    for status in (ERROR, FAILED, NOT_IMPLEMENTED):
        if status in statuses:
            return status
    return PASSED


def report(question: dict, results: list, outcome: dict, width: int, verbose: bool) -> str:
    """The lines of one question in the report."""
    from _support import ERROR, FAILED, NOT_IMPLEMENTED, PASSED

    qid, points, tests = question["id"], question["points"], question["tests"]
    statuses = [status for status, _, _ in results]
    status = outcome[qid]
    label = f"{qid} ({points:g} pt{'s' if points != 1 else ''})" if points else qid
    if status == PASSED:
        detail = f"{statuses.count(PASSED)}/{len(tests)} checks"
    elif status == NOT_IMPLEMENTED:
        message = next(m for s, m, _ in results if s == NOT_IMPLEMENTED)
        function = qid.partition(".")[2]
        detail = "" if message.startswith(f"{function}:") else f"needs {message}"
    elif status == "NO PUBLIC CHECK":
        detail = "(no public check for this question)"
    else:
        failed = sum(1 for s in statuses if s in (FAILED, ERROR))
        detail = f"{failed} of {len(tests)} checks failed"
    replaced = {r for test in tests for r in getattr(test, "stands_in_for", ())}
    weak = [r for r in question["requires"] if outcome.get(r, PASSED) != PASSED and r not in replaced]
    if status == FAILED and weak:
        # the checks call the student's own prerequisite: its failure says nothing about this one
        names = ", ".join(r.partition(".")[2] for r in weak)
        detail = (f"depends on your {names}, which fails its own checks: fix {names} first "
                  f"({detail} here)")
        if not verbose:
            return f"{status:<16} {label:<{width}}  {detail}"
    if question.get("import_problem"):
        return f"{status:<16} {label:<{width}}  {question['import_problem']}"
    lines = [f"{status:<16} {label:<{width}}  {detail}".rstrip()]
    shown = 0
    for test, (check_status, message, printed) in zip(tests, results):
        title = (test.__doc__ or test.__name__).strip().splitlines()[0]
        if verbose:
            lines.append(f"    - {check_status.lower()}: {title}")
        if check_status in (FAILED, ERROR) and (shown == 0 or verbose):
            shown += 1
            prefix = "      " if verbose else "    "  # with -v the line above already names the check
            if check_status == ERROR:
                lines.append(prefix + "The check itself crashed; this is not your fault. Please send this to your instructor:")
            elif not verbose:
                lines.append(f"    Check: {title}")
            lines.append(indent(message, prefix))
            if printed.strip():
                out = printed.strip().splitlines()
                more = f"\n      ... ({len(out) - OUTPUT_LINES} more lines)" if len(out) > OUTPUT_LINES else ""
                lines.append("    Your code printed:\n" + indent("\n".join(out[:OUTPUT_LINES]), "      | ") + more)
    if status == FAILED:
        if weak:
            lines.append("    (The grader uses a correct one in their place, so a mistake there costs points once.)")
        if question["hint"]:
            lines.append(f"    Hint: {question['hint']}")
        if shown < sum(1 for s in statuses if s == FAILED) and not verbose:
            lines.append(f"    (more failing checks: python check.py {qid} -v)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python check.py",
        description="Run the public checks and report each question as PASSED, FAILED or NOT IMPLEMENTED.",
    )
    parser.add_argument("questions", nargs="*", help="question ids, function or module names (default: all)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every check, not only the first failure")
    parser.add_argument("--notebook", type=Path, help="check the code cells of this notebook instead of the .py files")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    sys.path[:0] = [str(HERE), str(TESTS)]
    notes = []
    with tempfile.TemporaryDirectory(prefix="nn-check-") as scratch:
        if args.notebook is not None:
            if not args.notebook.is_file():
                print(f"check.py: no notebook at {args.notebook}", file=sys.stderr)
                return 2
            from _questions import QUESTIONS

            graded = {qid.partition(".")[0] for qid, *_ in QUESTIONS}
            found = modules_from_notebook(args.notebook, Path(scratch), graded)
            sys.path.insert(0, scratch)
            os.environ["NN_CHECK_MODULE_DIR"] = scratch
            missing = sorted(graded - set(found))
            notes.append(f"Checking the code cells of {args.notebook.name} (modules: {', '.join(found) or 'none'})."
                         + (f" Not in the notebook, taken from the .py files: {', '.join(missing)}." if missing else ""))
            notes += NOTEBOOK_NOTES
        try:
            from _questions import ASSIGNMENT
            from _support import ERROR, NOT_IMPLEMENTED, PASSED

            questions, problems = collect(args.questions)
        except Exception as error:
            print(f"check.py: the checks could not be loaded ({type(error).__name__}: {error}).", file=sys.stderr)
            print("This is not your fault: please tell your instructor.", file=sys.stderr)
            return 2
        if not questions:
            print(f"check.py: no question matches {' '.join(args.questions)}", file=sys.stderr)
            return 2

        print(f"{ASSIGNMENT}: public checks (a first test of your work; the hidden checks decide the grade)")
        for note in notes:
            print(note)
        print()
        results = {q["id"]: run_question(q) for q in questions}
        outcome = {qid: summarize([s for s, _, _ in r]) for qid, r in results.items()}
        width = max(len(q["id"]) + 9 for q in questions)
        for question in questions:
            print(report(question, results[question["id"]], outcome, width, args.verbose))
        for problem in problems:
            print(f"\n{ERROR}: {problem}\nThis is not your fault: please tell your instructor.")

    elapsed = time.perf_counter() - started
    statuses = list(outcome.values())
    counts = {s: statuses.count(s) for s in (PASSED, "FAILED", NOT_IMPLEMENTED)}
    print()
    print(
        f"{counts[PASSED]} of {len(statuses)} questions pass the public checks; "
        f"{counts['FAILED']} failed, {counts[NOT_IMPLEMENTED]} not implemented yet ({elapsed:.1f} s)."
    )
    if problems or ERROR in statuses:
        return 2
    if counts[PASSED] == len(statuses):
        print("All public checks pass. The hidden checks use other inputs: test your code on your own cases too.")
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
