"""Where a grading run's time goes: py-spy samples of every process, summed by role and by step.

    .venv/bin/pip install py-spy                      # once (not a dependency of the project)
    .venv/bin/python bench/profile.py [--n 60] [--jobs 1] [--raw out.txt]

Generates --n submissions as bench/run.py does (the mix without the ones that time out), runs
``autograder grade --jobs J`` under ``py-spy record --subprocesses --nonblocking``, and sorts
every sample by the process it came from (the main process, a job process, a sandboxed zygote,
a per-question worker child) and by what that process was doing, read off its Python stack.
Samples whose innermost frame waits (a socket read, poll, a lock) are counted as waiting.
py-spy attaches to a forked child only after it has started: the per-question children are
under-sampled, so their share is also given from the kernel's CPU accounting by bench/run.py.
"""
from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run  # noqa: E402  (bench/run.py: the same submissions)

WAITING = ("recv_into", "_recv_exact", "recvmsg", "recv_fds", "poll", "select", "acquire", "wait",
           "sleep", "_wait_for_tstate_lock", "read")
# (role, label, any of these substrings in the stack), first match wins, checked in this order
STEPS = [
    ("worker", "student code (and the reference helpers it calls)", ["invoke (worker.py"]),
    ("worker", "importing the student's module, reference helpers", ["import_module", "inject (worker.py"]),
    ("worker", "protocol: decode / encode", ["protocol.py"]),
    ("worker", "zygote: fork, close, wipe", ["zygote (worker.py"]),
    ("job", "loading submissions (copy, unzip, syntax check)", ["load.py"]),
    ("job", "talking to the sandbox (encode, send, receive, decode)", ["Slot.call", "Slot._receive",
                                                                        "protocol.py"]),
    ("job", "opening and closing questions (fork requests)", ["begin_question", "end_question", "Slot.finish",
                                                                "Slot.stage", "Slot.start"]),
    ("job", "hidden tests: reference values and comparisons", ["suites/test_", "train_behaviour", "compare.py"]),
    ("job", "pytest: collection and session setup", ["pytest_collection", "pytest_sessionstart",
                                                     "pytest_cmdline_parse", "pytest_configure", "_preparse",
                                                     "pytest_sessionfinish", "gc_collect_harder"]),
    ("job", "pytest: per-item machinery (fixtures, hooks, reports)", ["pytest_runtest"]),
    ("main", "reports: results.json, feedback.md (otter GradingResults)", ["ReportWriter.add"]),
    ("main", "reports: gradebook, summary, plots", ["ReportWriter.close", "_write_plots"]),
    ("main", "importing otter and matplotlib", ["_warm_up_reports", "_otter"]),
    ("main", "start-up: imports, locate", ["<module> (autograder", "_find_and_load", "locate.py"]),
]


def role(stack: list[str]) -> str:
    procs = [f for f in stack if f.startswith("process ")]
    last = procs[-1] if procs else ""
    if "worker.py" in last and "bwrap" not in last.split(":", 1)[-1][:12]:
        return "worker"
    return "main" if len(procs) <= 1 else "job"


def summarize(raw: Path, rate: int, n: int) -> None:
    busy: dict[tuple[str, str], int] = collections.Counter()
    waiting: dict[str, int] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack_text, _, count = line.rpartition(" ")
        if not count.isdigit():  # a process name py-spy wrote over two lines: not a sample
            continue
        stack = stack_text.split(";")
        r = role(stack)
        leaf = stack[-1].split(" (")[0] if stack else ""
        if leaf in WAITING or leaf.endswith(".poll") or leaf.endswith(".select"):
            waiting[r] += int(count)
            continue
        text = ";".join(stack)
        label = next((lab for rl, lab, keys in STEPS if rl == r and any(k in text for k in keys)),
                     f"{r}: other")
        busy[(r, label)] += int(count)
    total = sum(busy.values())
    print(f"\n{'process':<8} {'what':<62} {'CPU s':>7} {'ms/sub':>7} {'share':>6}")
    for (r, label), count in sorted(busy.items(), key=lambda kv: (["main", "job", "worker"].index(kv[0][0]),
                                                                   -kv[1])):
        print(f"{r:<8} {label:<62} {count / rate:>7.2f} {count / rate / n * 1e3:>7.1f} {count / total:>6.1%}")
    print(f"{'':<8} {'sampled busy time, all processes':<62} {total / rate:>7.2f} {total / rate / n * 1e3:>7.1f}")
    print("waiting (not counted above): " + ", ".join(f"{r} {c / rate:.1f} s" for r, c in sorted(waiting.items())))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--rate", type=int, default=200, help="samples per second per process")
    parser.add_argument("--raw", type=Path, help="keep py-spy's raw samples here")
    args = parser.parse_args(argv)
    spy = shutil.which("py-spy", path=str(run.BIN)) or shutil.which("py-spy")
    if not spy:
        print("bench/profile.py needs py-spy: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="nn-profile-"))
    try:
        mix = run.generate(work / "submissions", args.n, False, 0)
        raw = args.raw or work / "raw.txt"
        cmd = [spy, "record", "--subprocesses", "--nonblocking", "--rate", str(args.rate), "--format", "raw",
               "--output", str(raw), "--", run.PYTHON, "-m", "autograder", "grade", str(mix["comparable"]),
               "--out", str(work / "out"), "--jobs", str(args.jobs), "-q"]
        subprocess.run(cmd, cwd=run.ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"autograder grade --jobs {args.jobs} on {mix['n_comparable']} submissions "
              f"({', '.join(f'{v} {k}' for k, v in sorted(mix['kinds'].items()) if k != 'timeout')})")
        summarize(raw, args.rate, mix["n_comparable"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
