"""Helpers for the public checks: load your modules, call your functions, explain what went wrong.

You do not need to read or change this file. Every public check calls your code through
`call`, so that an error in your code becomes a short message ("deriv(square, 2) raised
TypeError: ... (foundations.py, line 12, in deriv)") instead of a long traceback, and a function
you have not written yet reads as "not implemented yet".
"""
from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, Callable, Iterator

from _compare import StudentFailure

RELEASE_DIR = Path(__file__).resolve().parents[1]
"""The assignment folder: your modules live here (check.py may put a notebook's modules first)."""

TIME_LIMIT = 5.0
"""Seconds one call into your code may take in the public checks (each takes milliseconds)."""

PASSED, FAILED, NOT_IMPLEMENTED, ERROR = "PASSED", "FAILED", "NOT IMPLEMENTED", "CHECKER ERROR"


def question(qid: str, *, stands_in_for: tuple[str, ...] = ()) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Mark a public check as belonging to question ``qid`` (``"foundations.deriv"``).

    ``stands_in_for`` names questions whose functions the check replaces by its own stand-ins
    (as the checks of ``train`` do with ``loss_gradients``): your versions of those do not
    affect it.
    """

    def mark(test: Callable[[], None]) -> Callable[[], None]:
        test.question = qid  # type: ignore[attr-defined]
        test.stands_in_for = tuple(stands_in_for)  # type: ignore[attr-defined]
        return test

    return mark


class OutOfTime(StudentFailure):
    """A call into your code ran past `TIME_LIMIT` (check.py then skips the question's other checks)."""


class ImportProblem(StudentFailure):
    """One of your modules cannot be imported (every check of its questions fails the same way)."""


class _OutOfTime(BaseException):
    """Raised inside your code when a call runs past `TIME_LIMIT` (not an Exception on purpose)."""


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (POSIX, main thread only; elsewhere no limit)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise _OutOfTime()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _is_student_file(filename: str) -> bool:
    """A file of the assignment folder itself (your modules), not of tests/ or a library."""
    if filename.startswith("<notebook part "):  # a notebook cell run by check.py's %%module
        return True
    path = Path(filename)
    try:
        path = path.resolve()
    except OSError:
        return False
    if path.parent == RELEASE_DIR:
        return path.name != "check.py"
    extracted = os.environ.get("NN_CHECK_MODULE_DIR")  # the modules check.py took from a notebook
    return bool(extracted) and path.parent == Path(extracted).resolve()


def where(error: BaseException) -> str:
    """`` (foundations.py, line 12, in deriv)``: the innermost place in your code, or ``""``."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if _is_student_file(f.filename)]
    if not frames:
        return ""
    frame = frames[-1]
    if frame.filename.startswith("<notebook part "):
        part = frame.filename[len("<notebook part "):].rstrip(">")
        return f" (a cell of part {part}, line {frame.lineno} of the cell, in {frame.name})"
    return f" ({Path(frame.filename).name}, line {frame.lineno}, in {frame.name})"


_IMPORT_FAILURES: dict[str, StudentFailure] = {}


def student(module: str) -> Any:
    """Import your module ``module`` (``"foundations"``).

    A module that cannot be imported is tried once; later checks get the same failure.

    Raises:
        StudentFailure: if it cannot be imported, with the reason (a syntax error and its line,
            a missing package, an exception at import time).
    """
    __tracebackhide__ = True
    if module in _IMPORT_FAILURES:
        raise _IMPORT_FAILURES[module]
    if str(RELEASE_DIR) not in sys.path:
        sys.path.insert(0, str(RELEASE_DIR))
    try:
        return _import(module)
    except ImportProblem as failure:
        _IMPORT_FAILURES[module] = failure
        raise


def _import(module: str) -> Any:
    __tracebackhide__ = True
    try:
        with _deadline(TIME_LIMIT):
            return importlib.import_module(module)
    except SyntaxError as error:
        raise ImportProblem(
            f"{module}.py could not be imported: {type(error).__name__} at line {error.lineno}: {error.msg}"
        ) from None
    except _OutOfTime:
        raise ImportProblem(f"importing {module}.py took more than {TIME_LIMIT:g} s") from None
    except SystemExit:
        raise ImportProblem(f"{module}.py called sys.exit() (or exit()) while being imported: remove that call.") from None
    except Exception as error:  # anything your module raises while it is imported
        raise ImportProblem(
            f"{module}.py could not be imported: {type(error).__name__}: {error}{where(error)}"
        ) from None


def call(description: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call one of your functions and return what it returned.

    Args:
        description: how the call is shown in messages, e.g. ``"deriv(square, 2)"``.
        function: your function.

    Raises:
        NotImplementedError: unchanged, when the function (or one it calls) is not written yet.
        StudentFailure: when it raised anything else, called ``sys.exit``, or ran out of time.
    """
    __tracebackhide__ = True
    try:
        with _deadline(TIME_LIMIT):
            return function(*args, **kwargs)
    except NotImplementedError:
        raise
    except StudentFailure:
        raise
    except _OutOfTime:
        raise OutOfTime(
            f"{description} did not finish within {TIME_LIMIT:g} s: is there a loop that never ends?"
        ) from None
    except SystemExit:
        raise StudentFailure(f"{description} called sys.exit() (or exit()): remove that call.") from None
    except Exception as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise StudentFailure(
            f"{description} raised {type(error).__name__}"
            + (f": {message}" if message else "")
            + where(error)
        ) from None


@contextlib.contextmanager
def replaced(module: Any, **functions: Callable[..., Any]) -> Iterator[None]:
    """Put other functions in place of some of ``module``'s for the duration of the block.

    The checks of ``train`` use this to watch the calls ``train`` makes to ``forward`` and
    ``loss_gradients`` (call them by those names, as module-level functions).
    """
    saved = {name: getattr(module, name) for name in functions}
    try:
        for name, function in functions.items():
            setattr(module, name, function)
        yield
    finally:
        for name, function in saved.items():
            setattr(module, name, function)


def classify(error: BaseException | None) -> tuple[str, str]:
    """How one public check ended: ``(status, message)`` for the report.

    ``None`` means it passed. A `StudentFailure` (or a plain ``AssertionError``) is a failed
    check, ``NotImplementedError`` a function not written yet; anything else is a bug in the
    checks themselves, reported with its traceback.
    """
    if error is None:
        return PASSED, ""
    if isinstance(error, NotImplementedError):
        text = str(error).strip() or "not implemented yet"
        return NOT_IMPLEMENTED, text
    if isinstance(error, StudentFailure):
        return FAILED, error.message
    if isinstance(error, AssertionError):
        return FAILED, str(error) or "a check failed"
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return ERROR, details.rstrip()
