"""Step 3, *execute*: run the hidden pytest suites on a batch of submissions, in this (trusted)
process, reaching the students' code only through the `student` fixture.

One pytest session grades a whole chunk of submissions: a session-scoped parameter carries the
submission, items are ordered submission by submission, and the `GradingPlugin` stages each
submission into the slot's sandbox when its first item starts and hands its case results on
when its last item ends. Each test item is one test case of one question
(``@pytest.mark.question("<module>.<function>", weight=1)``).

A case ends in one of three ways (`results.Outcome`): passed; failed, when the student's code
raised, timed out, crashed, returned something unusable (`sandbox.CallFailed`) or a wrong value
(`compare.StudentFailure`); or error, for anything else — a fault of the grader, reported to the
TA and never silently charged to the student.
"""
from __future__ import annotations

import ast
import functools
import re
import importlib
import inspect
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ..judge import compare
from ..judge.compare import StudentFailure
from ..config import GradingConfig
from ..results import CaseResult, LoadedSubmission, Outcome
from .sandbox import CallFailed, SandboxError

SUITES_DIR = Path(__file__).resolve().parents[1] / "suites"
PLUGIN_KEY: pytest.StashKey["GradingPlugin"] = pytest.StashKey()
SOLUTIONS_PACKAGE = "solutions.nn_from_scratch"


# -- prerequisites: reference source put in place while a dependent question is graded ----------
@functools.cache
def reference_source(qualified: str) -> str:
    """The source of a reference function and of the module-level helpers it uses.

    Args:
        qualified: ``"<module>.<function>"``, e.g. ``"linear_regression.forward"``.

    Returns:
        Python source defining the function (helpers first), to be exec'd in the worker.
    """
    module_name, func_name = qualified.split(".")
    module = importlib.import_module(f"{SOLUTIONS_PACKAGE}.{module_name}")
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        obj = getattr(module, name)
        tree = ast.parse(inspect.getsource(obj))
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        for dep in sorted(used - {name}):
            value = getattr(module, dep, None)
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                visit(dep)
        ordered.append(name)

    visit(func_name)
    source = "\n\n".join(inspect.getsource(getattr(module, n)) for n in ordered)
    compile(source, f"<reference {func_name}>", "exec", dont_inherit=True)  # a bug here is the grader's
    return source


def callable_sources(config: GradingConfig) -> dict[str, str]:
    """{``worker.CALLABLE_PREFIX`` + name: reference source} of grading.yml's ``callables``: the
    functions a hidden test may pass to student code by name, sent to every worker child."""
    return {f"callable:{name}": reference_source(qualified) for name, qualified in config.callable_names.items()}


def prerequisites(config: GradingConfig, question: str) -> dict[str, str]:
    """{function name: reference source} for the question's ``requires`` list."""
    module = question.split(".")[0]
    out = {}
    for req in config.question(question).requires:
        req_module, req_func = req.split(".")
        if req_module == module:  # a prerequisite lives in the module under test
            out[req_func] = reference_source(req)
    return out


# -- the student proxy ----------------------------------------------------------------------------
@dataclass
class SubmissionRun:
    """The grading state of one submission while its items run."""

    loaded: LoadedSubmission
    deadline: float
    started: float = field(default_factory=time.perf_counter)
    cases: list[CaseResult] = field(default_factory=list)
    broken_modules: dict[str, CallFailed] = field(default_factory=dict)


class StudentFunction:
    """``student.<module>.<function>``: calling it runs the student's function in the worker."""

    def __init__(self, runner: "GradingPlugin", question: str, module: str, name: str) -> None:
        self._runner, self._question, self._module, self._name = runner, question, module, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call with plain data; returns the decoded value. Raises `CallFailed`."""
        return self.detailed(list(args), kwargs)["value"]

    def detailed(self, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None, *,
                 return_inputs: bool = False, trace: dict[str, int] | None = None,
                 stub: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call and return the whole reply: ``value``, and ``inputs_after`` / ``trace`` if asked.

        See `sandbox.Slot.call` for `return_inputs`, `trace` and `stub`.
        """
        return self._runner.call(self._question, self._module, self._name, list(args), kwargs or {},
                                 return_inputs=return_inputs, trace=trace, stub=stub)


class StudentModule:
    def __init__(self, runner: "GradingPlugin", question: str, module: str) -> None:
        self._runner, self._question, self._module = runner, question, module

    def __getattr__(self, name: str) -> StudentFunction:
        if name.startswith("_"):
            raise AttributeError(name)
        return StudentFunction(self._runner, self._question, self._module, name)


class Student:
    """The `student` fixture: ``student.foundations.deriv("square", 2.0)``.

    Only the module of the question under test can be reached (a worker child per module).
    """

    def __init__(self, runner: "GradingPlugin", question: str) -> None:
        self._runner, self._question = runner, question
        self.module_name = question.split(".")[0]

    def __getattr__(self, module: str) -> StudentModule:
        if module.startswith("_"):
            raise AttributeError(module)
        if module != self.module_name:
            raise SandboxError(f"a test of {self._question} may only call {self.module_name}")
        return StudentModule(self._runner, self._question, module)


# -- the pytest plugin --------------------------------------------------------------------------
def question_of(item: pytest.Item) -> tuple[str, float]:
    marker = item.get_closest_marker("question")
    if marker is None or not marker.args:
        raise SandboxError(f"hidden test {item.nodeid} has no @pytest.mark.question(...)")
    return str(marker.args[0]), float(marker.kwargs.get("weight", 1.0))


def case_name(item: pytest.Item) -> str:
    doc = inspect.getdoc(getattr(item, "function", None)) or ""
    base = doc.splitlines()[0].strip() if doc else item.originalname.removeprefix("test_").replace("_", " ")
    callspec = getattr(item, "callspec", None)
    ids = re.sub(r"(^|-)sub\d+(?=-|$)", "", callspec.id if callspec else "").strip("-")
    return f"{base} ({ids.replace('-', '; ')})" if ids else base


def student_message(exc: CallFailed, call: str | None = None) -> str:
    """A calm sentence for a `CallFailed`, naming the call when known."""
    what = call or "your code"
    if exc.kind == "not_implemented":
        return f"{what} is not implemented yet (it raises NotImplementedError)."
    if exc.kind in ("timeout", "crash", "protocol", "missing_module", "missing_function"):
        text = exc.message[0].upper() + exc.message[1:] if exc.message.startswith("your ") else exc.message
        return text + ("" if text.endswith(".") else ".")
    if exc.kind == "unencodable":
        return f"{what} {exc.message}: return a numpy array or a number."
    where = f" ({exc.where})" if exc.where else ""
    if exc.phase == "import":
        return f"Importing your module failed: {exc.type}: {exc.message}{where}."
    if exc.kind == "exit":
        return f"{what} called exit(){where}: a function must return its result."
    return f"{what} raised {exc.type}: {exc.message}{where}."


def import_failure(module: str, exc: CallFailed) -> CallFailed:
    """The failure every case of `module` reports when the module cannot be imported."""
    if exc.kind == "timeout":
        why = "it ran out of time while being imported (is there a loop or a long computation at the top level?)"
    elif exc.kind == "crash":
        why = exc.message.replace("your code", "it")
    else:
        where = f" ({exc.where})" if exc.where else ""
        why = f"importing it raised {exc.type}: {exc.message}{where}"
    return CallFailed("timeout" if exc.kind == "timeout" else "crash",
                      f"{module}.py could not be loaded, so this case could not run: {why}", phase="import")


class StudentFailureReports:
    """A pytest plugin: the report of a case the student's code failed, built without a traceback.

    pytest formats every failed item's traceback (filtering and cutting its frames: ~1 ms a case,
    even with ``--tb=no``), and a submission with stubs fails every case. Nobody reads it for a
    student's failure: `GradingPlugin._case` takes the message from the exception. Anything else
    (a grader error, a skip) gets pytest's own report.
    """

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport | None:
        exc = call.excinfo.value if call.excinfo is not None else None
        if not isinstance(exc, (StudentFailure, CallFailed)):
            return None
        return pytest.TestReport(item.nodeid, item.location, dict.fromkeys(item.keywords, 1), "failed",
                                 f"{type(exc).__name__}: {exc}", call.when, (), call.duration, call.start,
                                 call.stop, user_properties=item.user_properties)


class GradingPlugin:
    """Drives one pytest session over a chunk of submissions (see the module docstring).

    Args:
        submissions: the chunk, graded in this order.
        config: grading.yml.
        slot: a `sandbox.Slot` (or `InProcessSlot`) that runs the student's code.
        on_submission_done: called with (run, output, output_dropped) after each submission.
    """

    def __init__(self, submissions: Sequence[LoadedSubmission], config: GradingConfig, slot: Any,
                 on_submission_done: Callable[[SubmissionRun, str, int], None]) -> None:
        self.submissions = list(submissions)
        self.config, self.slot, self.on_done = config, slot, on_submission_done
        self.current: SubmissionRun | None = None
        self.collected = 0

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[PLUGIN_KEY] = self
        # A failed item's report: without the terminal plugin pytest builds its "long" traceback,
        # which parses every frame's source file and repr()s every frame's arguments (~60 ms per
        # failed case; a native traceback still ~1.6 ms). Student failures never read it; a grader
        # error formats its own traceback in `_case` (CaseResult.detail, for the TA).
        config.option.tbstyle = "no"

    # collection
    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "submission" in metafunc.fixturenames:
            metafunc.parametrize("submission", self.submissions, scope="session",
                                 ids=[f"sub{i}" for i in range(len(self.submissions))])

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        index = {id(s): i for i, s in enumerate(self.submissions)}
        position = {id(item): n for n, item in enumerate(items)}

        def key(item: pytest.Item) -> tuple[int, str, str, int]:
            sub = item.callspec.params["submission"] if hasattr(item, "callspec") else None
            question = question_of(item)[0] if item.get_closest_marker("question") else ""
            worker = self.worker_key(question) if question in self.config.questions else ""
            return (index.get(id(sub), -1), worker, question, position[id(item)])

        items.sort(key=key)
        self.collected = len(items)

    def worker_key(self, question: str) -> str:
        """Questions of one module with the same prerequisites share a worker child's state.

        Sorting by this key grades a module's own questions (no prerequisites) before its
        dependent ones, so one child serves the module: the slot adds reference code to it when
        the key changes and forks a fresh child whenever it would have to take some away
        (`sandbox.can_extend`). A child that holds reference code never grades that code's own
        question, so nothing a submission could take from a reference helps it elsewhere.
        """
        module = question.split(".")[0]
        return module + ":" + ",".join(sorted(prerequisites(self.config, question)))

    # running
    def _switch_to(self, loaded: LoadedSubmission) -> None:
        if self.current is not None and self.current.loaded is loaded:
            return
        self._finish_current()
        self.slot.stage(loaded.directory)
        self.current = SubmissionRun(loaded, time.monotonic() + self.config.limits.submission_timeout)

    def _finish_current(self) -> None:
        if self.current is None:
            return
        output, dropped = self.slot.finish()
        run, self.current = self.current, None
        self.on_done(run, output, dropped)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        sub = item.callspec.params.get("submission") if hasattr(item, "callspec") else None
        if sub is not None:
            self._switch_to(sub)
        yield
        if nextitem is None:
            self._finish_current()

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self._finish_current()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        if self.current is None or not item.get_closest_marker("question"):
            return
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.current.cases.append(self._case(item, call, report))

    def _case(self, item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> CaseResult:
        question, weight = question_of(item)
        name = case_name(item)
        props = dict(item.user_properties)  # set by the suites: a note on a passed case, mistake signatures
        series = tuple(props.get("series", ()))  # number series for the reports (train: the losses)
        if report.passed:
            return CaseResult(question, name, Outcome.PASSED, str(props.get("note", "")), weight=weight,
                              series=series)
        exc = call.excinfo.value if call.excinfo else None
        if isinstance(exc, StudentFailure):
            return CaseResult(question, name, Outcome.FAILED, str(exc), weight=weight,
                              diagnoses=tuple(props.get("diagnoses", ())), series=series)
        if isinstance(exc, CallFailed):
            call_text = getattr(exc, "call_text", None)
            return CaseResult(question, name, Outcome.FAILED, student_message(exc, call_text),
                              weight=weight, timed_out=exc.kind == "timeout", series=series)
        try:
            detail = str(call.excinfo.getrepr(style="short")) if call.excinfo else report.longreprtext
        except Exception:  # never let the report of a grader error hide the error itself
            detail = report.longreprtext
        detail = detail[-4000:] if detail else repr(exc)
        return CaseResult(question, name, Outcome.ERROR,
                          "The grader failed on this test case; this is not your fault and your "
                          "instructor has been told.", weight=weight, detail=detail)

    # the student fixture's calls
    def call(self, question: str, module: str, fn: str, args: list, kwargs: dict, *,
             return_inputs: bool, trace: dict[str, int] | None, stub: dict[str, Any] | None) -> dict:
        run = self.current
        if run is None:
            raise SandboxError("a student call outside a graded submission")
        call_text = f"{fn}()"
        try:
            if module not in run.loaded.modules:
                raise CallFailed("missing_module", f"{module}.py was not found in your submission")
            if module in run.broken_modules:
                raise run.broken_modules[module]
            if time.monotonic() >= run.deadline:
                raise CallFailed("timeout", "your submission used up its total time limit of "
                                 f"{self.config.limits.submission_timeout:g} s; this case was not run")
            q = self.config.question(question)
            key = self.worker_key(question)
            if self.slot.question != key:
                # execute mode: the worker first runs the notebook's cells (at most total_timeout s)
                cells = self.config.notebook.total_timeout if self.config.notebook.mode == "execute" else 0
                deadline = min(time.monotonic() + q.timeout + cells, run.deadline)
                try:
                    self.slot.begin_question(key, module, {**callable_sources(self.config),
                                                              **prerequisites(self.config, question)}, deadline)
                except CallFailed as exc:
                    if exc.phase == "import" or exc.kind in ("timeout", "crash"):
                        exc = import_failure(module, exc)
                        run.broken_modules[module] = exc
                    raise exc
            deadline = min(time.monotonic() + q.timeout, run.deadline)
            return self.slot.call(fn, args, kwargs, deadline=deadline, return_inputs=return_inputs,
                                  trace=trace, stub=stub)
        except CallFailed as exc:
            exc.call_text = call_text
            raise


class Check:
    """The `check` fixture: `compare` with the question's tolerances from grading.yml.

    Each method takes the student's value, the expected one and ``call`` (how the function was
    called, shown to the student); ``rtol``/``atol`` may be overridden per check.
    """

    def __init__(self, rtol: float, atol: float) -> None:
        self.rtol, self.atol = rtol, atol

    def _tol(self, kw: dict[str, Any]) -> dict[str, Any]:
        kw.setdefault("rtol", self.rtol)
        kw.setdefault("atol", self.atol)
        return kw

    def array(self, got: Any, expected: Any, **kw: Any) -> None:
        __tracebackhide__ = True
        compare.expect_array(got, expected, **self._tol(kw))

    def scalar(self, got: Any, expected: Any, **kw: Any) -> None:
        __tracebackhide__ = True
        compare.expect_scalar(got, expected, **self._tol(kw))

    def dict(self, got: Any, expected: Any, **kw: Any) -> None:
        __tracebackhide__ = True
        compare.expect_dict(got, expected, **self._tol(kw))

    def tuple(self, got: Any, expected: Any, **kw: Any) -> None:
        __tracebackhide__ = True
        compare.expect_tuple(got, expected, **self._tol(kw))

    def value(self, got: Any, expected: Any, **kw: Any) -> None:
        """`scalar` when the reference result is a number (or 0-d), else `array`."""
        __tracebackhide__ = True
        if np.ndim(expected) == 0:
            self.scalar(got, float(expected), **kw)
        else:
            self.array(got, np.asarray(expected), **kw)


#: pytest plugins a grading session does without. The suites never print, log, warn or use bare
#: asserts (they raise `StudentFailure`; a grader error keeps its traceback in `CaseResult.detail`),
#: and student code runs in the worker, whose output the slot collects. Per case, capturing,
#: warning and logging set-up cost ~0.2 ms (~7 % of the floor's time in bench/floor.py).
_UNUSED_PLUGINS = [arg for name in ("cacheprovider", "terminal", "stepwise", "capture", "warnings", "logging",
                                    "unraisableexception", "threadexception", "junitxml", "doctest",
                                    "pastebin", "legacypath") for arg in ("-p", f"no:{name}")]


class _CaseCollector:
    """pytest plugin for `collect_cases`: one placeholder submission, every item's question."""

    def __init__(self) -> None:
        self.cases: list[tuple[str, str, int]] = []

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "submission" in metafunc.fixturenames:
            metafunc.parametrize("submission", [LoadedSubmission("-", Path("."), ())], scope="session", ids=["sub0"])

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            marker = item.get_closest_marker("question")
            path, line, _ = item.reportinfo()
            self.cases.append((str(marker.args[0]) if marker and marker.args else "",
                               Path(path).name, (line or 0) + 1))


def collect_cases(suites_dir: Path = SUITES_DIR) -> list[tuple[str, str, int]]:
    """The hidden test cases as pytest collects them (marks made at run time included), without
    running any: ``(question id or "" when unmarked, file name, line)`` per case.

    Raises:
        SandboxError: the suites cannot be collected (an import error in a suite: a grader error).
    """
    collector = _CaseCollector()
    args = [str(suites_dir), "-c", str(suites_dir / "pytest.ini"), "--rootdir", str(suites_dir),
            "--confcutdir", str(suites_dir), "--collect-only", *_UNUSED_PLUGINS]
    code = pytest.main(args, plugins=[collector])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise SandboxError(f"the hidden suites in {suites_dir} could not be collected (pytest exit code {int(code)})")
    return collector.cases


def grade_chunk(submissions: Sequence[LoadedSubmission], config: GradingConfig, slot: Any,
                on_submission_done: Callable[[SubmissionRun, str, int], None],
                suites_dir: Path = SUITES_DIR, extra_args: Iterable[str] = ()) -> int:
    """Run the hidden suites over `submissions` in one pytest session.

    Args:
        submissions: loaded submissions, graded in order.
        config: grading.yml.
        slot: the sandbox slot that runs student code.
        on_submission_done: receives each submission's `SubmissionRun`, output and dropped bytes.
        suites_dir: the folder of hidden suites (with its own pytest.ini and conftest.py).
        extra_args: more pytest arguments (e.g. ``-k`` in tests).

    Returns:
        The number of test items collected (0 means the suites are broken: a grader error).
    """
    plugin = GradingPlugin(submissions, config, slot, on_submission_done)
    args = [str(suites_dir), "-c", str(suites_dir / "pytest.ini"), "--rootdir", str(suites_dir),
            "--confcutdir", str(suites_dir), "--assert=plain", *_UNUSED_PLUGINS, *extra_args]
    pytest.main(args, plugins=[plugin, StudentFailureReports()])
    return plugin.collected
