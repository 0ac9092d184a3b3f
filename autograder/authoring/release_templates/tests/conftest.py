"""pytest setup for the public checks (``python -m pytest`` from the assignment folder).

Your modules are imported from the assignment folder. A failing check shows only the message
meant for you: a function you have not written yet reads as "not implemented yet", a wrong
result says what was called, what was expected and what came back.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for folder in (HERE.parent, HERE):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from _support import ERROR, NOT_IMPLEMENTED, classify  # noqa: E402


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """Replace the traceback of a failed check by its message, headed by the question id."""
    outcome = yield
    report = outcome.get_result()
    if call.when != "call" or call.excinfo is None or not report.failed:
        return
    status, message = classify(call.excinfo.value)
    if status == ERROR:
        return  # a bug in the checks: keep pytest's full report
    qid = getattr(getattr(item, "function", None), "question", item.name)
    if status == NOT_IMPLEMENTED:
        report.longrepr = f"{qid}: NOT IMPLEMENTED YET ({message})"
    else:
        report.longrepr = f"{qid}: {message}"
