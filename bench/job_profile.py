"""What one job process does per submission: children opened, sandbox calls, hidden cases, the
time of each question, and (``--cprofile``) where the job process's own CPU goes.

    .venv/bin/python bench/job_profile.py [--n 20] [--kind solution|mix] [--cprofile 25]

Grades --n submissions (copies of the solution, or bench/run.py's mix without the ones that time
out) the way one job process of ``autograder grade`` does (`autograder.grade`'s loading, then
`autograder.run.execute.grade_chunk` in one pytest session with one `sandbox.Slot` at the
strongest isolation this machine gives), but in this process, so the slot's methods can be
counted and the session profiled. No reports, no gradebook (the main process's part).

Prints, per submission: worker children forked (``Slot.begin_question`` that opened one), children
extended (reference code added to the open one), children closed, sandbox calls (and how many of
them asked for the caller's arrays back, which closes the child), hidden cases run; then each
question's wall time per submission (its cases' setup + call + teardown) and the job process's
CPU time; with ``--cprofile K`` the K costliest functions by cumulative time.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# bench/ itself (the script's folder) out: its profile.py would hide the stdlib's, which cProfile needs
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import argparse  # noqa: E402
import collections  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import pytest  # noqa: E402

from autograder.config import load_config  # noqa: E402
from autograder.intake.load import load  # noqa: E402
from autograder.intake.locate import locate  # noqa: E402
from autograder.run import sandbox  # noqa: E402
from autograder.run.execute import grade_chunk, question_of  # noqa: E402

COUNTS: collections.Counter = collections.Counter()
QUESTION_SECONDS: collections.Counter = collections.Counter()


def _count(name: str, method, key=None):
    def wrapper(self, *args, **kwargs):
        COUNTS[name if key is None else key(self, args, kwargs)] += 1
        return method(self, *args, **kwargs)
    return wrapper


def instrument() -> None:
    """Count the slot's operations (in this process only)."""
    begin, extend, call, end = (sandbox.Slot.begin_question, sandbox.Slot._extend, sandbox.Slot.call,
                                sandbox.Slot.end_question)

    def begin_question(self, *args, **kwargs):
        before = self._child
        try:
            return begin(self, *args, **kwargs)
        finally:
            COUNTS["children forked" if self._child is not None and self._child is not before
                   else "children extended"] += 1

    def _extend(self, *args, **kwargs):
        COUNTS["children reset or extended"] += 1
        return extend(self, *args, **kwargs)

    def end_question(self):
        if self._child is not None:
            COUNTS["children closed"] += 1
        return end(self)

    def call_(self, fn, args, kwargs, **kw):
        COUNTS["sandbox calls"] += 1
        if kw.get("return_inputs"):
            COUNTS["calls returning inputs"] += 1
        return call(self, fn, args, kwargs, **kw)

    sandbox.Slot.begin_question, sandbox.Slot._extend = begin_question, _extend
    sandbox.Slot.call, sandbox.Slot.end_question = call_, end_question


class Timing:
    """pytest plugin: each hidden case's wall time (setup + call + teardown), by question."""

    def pytest_runtest_logreport(self, report) -> None:
        QUESTION_SECONDS[report.question] += report.duration
        if report.when == "call":
            COUNTS["hidden cases"] += 1

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        marker = item.get_closest_marker("question")
        outcome.get_result().question = question_of(item)[0] if marker else "(none)"


def submissions(kind: str, n: int, work: Path) -> Path:
    folder = work / "subs"
    if kind == "solution":
        solution = HERE.parent / "solutions" / "nn_from_scratch"
        for i in range(n):
            (folder / f"s{i:04d}").mkdir(parents=True)
            for m in ("foundations", "linear_regression", "neural_network"):
                shutil.copy2(solution / f"{m}.py", folder / f"s{i:04d}" / f"{m}.py")
        return folder
    sys.path.append(str(HERE))
    import run  # bench/run.py: the same mix
    return run.generate(folder, n, only_full=False, seed=0)["comparable"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--kind", choices=("solution", "mix"), default="solution")
    parser.add_argument("--cprofile", type=int, default=0, help="print the K costliest functions")
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative, tottime, ...")
    parser.add_argument("--without", choices=("shared",), default=None,
                        help="turn a layer off (as bench/layers.py does) to see what it costs")
    args = parser.parse_args()
    config = load_config()
    level, note = sandbox.detect_isolation()
    work = Path(tempfile.mkdtemp(prefix="bench-job-"))
    try:
        folder = submissions(args.kind, args.n, work)
        sources, _ = locate([folder], config.modules)
        loaded = [load(s, work / "loaded" / f"{i:05d}", config.modules) for i, s in enumerate(sources)]
        instrument()
        if args.without == "shared":
            sandbox._shared_arrays = lambda call_args: {}
        slot = sandbox.Slot(level, config.limits.model_dump())
        done = []
        timing = Timing()
        profiler = cProfile.Profile() if args.cprofile else None
        original_main = pytest.main
        pytest.main = lambda a, plugins=(): original_main(a, plugins=[*plugins, timing])
        try:
            slot.start()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            sandbox_cpu0 = slot._cg.cpu_seconds() if slot._cg is not None else None
            if profiler:
                profiler.enable()
            grade_chunk(loaded, config, slot, lambda run, output, dropped: done.append(run))
            if profiler:
                profiler.disable()
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            sandbox_cpu = slot._cg.cpu_seconds() - sandbox_cpu0 if sandbox_cpu0 is not None else None
        finally:
            pytest.main = original_main
            slot.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = len(done)
    import os
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{n} submissions ({args.kind}{', without ' + args.without if args.without else ''}), isolation {level.value} {note}, one job process, in-process pytest")
    print(f"wall {wall:.2f} s ({wall / n * 1000:.1f} ms a submission), job process CPU {cpu:.2f} s "
          f"({cpu / n * 1000:.1f} ms a submission)")
    if sandbox_cpu is not None:
        print(f"sandbox CPU (the slot's cgroup: zygote, children) {sandbox_cpu:.2f} s "
              f"({sandbox_cpu / n * 1000:.1f} ms a submission)")
    print("per submission:")
    for key in ("children forked", "children extended", "children reset or extended", "children closed", "sandbox calls",
                "calls returning inputs", "hidden cases"):
        print(f"  {key:24} {COUNTS[key] / n:7.1f}")
    print("wall ms per submission, by question:")
    for q, s in sorted(QUESTION_SECONDS.items(), key=lambda kv: -kv[1]):
        print(f"  {q:44} {s / n * 1000:7.1f}")
    if profiler:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.cprofile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
