"""What each isolation layer of issue 10 costs per submission.

    .venv/bin/python bench/layers.py                 # 40 copies of the solution, 3 repeats
    .venv/bin/python bench/layers.py --n 60 --repeat 5 --output bench/results-layers.json

Grades the same ``--n`` copies of the reference solution with ``autograder.grade.grade`` (``jobs=1``,
the strongest isolation this machine gives, the repository's grading.yml) once per configuration
and repeat, configurations in a new random order every repeat (the machine may be shared):

* ``none``: none of the layers below (bubblewrap's own init as pid 1, no seccomp, no cgroup,
  bubblewrap's size-capped tmpfs as /tmp, the worker's report of the caller's arrays);
* ``+pid1``, ``+seccomp``, ``+cgroups`` (a cgroup per slot, and the fair deadlines that read it at
  every call), ``+scratch`` (our tmpfs with an inode cap), ``+shared`` (the caller's arrays in
  memory files the grader reads after killing the question's processes): one layer each;
* ``all``: every layer (what `autograder grade` runs).

A layer is turned off by replacing the sandbox function that provides it, in this process, before
the grader's job process is forked. Reports wall seconds per submission (median over repeats) and
the difference to ``none``, and CPU seconds per submission: user + system of this process and of
every descendant it waited for (the job processes, bubblewrap and, through them, the zygotes and
the children they reaped), which a shared machine disturbs less than wall time.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.run import sandbox  # noqa: E402
from autograder.grade import grade  # noqa: E402

SOLUTION = ROOT / "solutions" / "nn_from_scratch"
MODULES = ("foundations", "linear_regression", "neural_network")
LAYERS = ("pid1", "seccomp", "cgroups", "scratch", "shared")
ORIGINAL = {"seccomp_program": sandbox.seccomp_program, "cgroup_support": sandbox.cgroup_support,
            "_mount_scratch": sandbox._mount_scratch, "_shared_arrays": sandbox._shared_arrays,
            "_command": sandbox.Slot._command}


def _without_pid1(self, ctl_fd):
    return [a for a in ORIGINAL["_command"](self, ctl_fd) if a != "--as-pid-1"]


def configure(on: set[str]) -> None:
    """Turn the layers in `on` on and the others off (in this process and the ones it forks)."""
    sandbox.seccomp_program = ORIGINAL["seccomp_program"] if "seccomp" in on else (lambda: None)
    sandbox.cgroup_support = ORIGINAL["cgroup_support"] if "cgroups" in on else (lambda: (0, "off"))
    sandbox._mount_scratch = ORIGINAL["_mount_scratch"] if "scratch" in on else (lambda *a: False)
    sandbox._shared_arrays = ORIGINAL["_shared_arrays"] if "shared" in on else (lambda args: {})
    sandbox.Slot._command = ORIGINAL["_command"] if "pid1" in on else _without_pid1


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    configs = {"none": set(), **{f"+{layer}": {layer} for layer in LAYERS}, "all": set(LAYERS)}
    work = Path(tempfile.mkdtemp(prefix="bench-layers-"))
    subs = work / "subs"
    for i in range(args.n):
        (subs / f"s{i:04d}").mkdir(parents=True)
        for m in MODULES:
            shutil.copy2(SOLUTION / f"{m}.py", subs / f"s{i:04d}" / f"{m}.py")
    seconds: dict[str, list[float]] = {name: [] for name in configs}
    cpu: dict[str, list[float]] = {name: [] for name in configs}
    isolation = None
    try:
        for r in range(args.repeat):
            order = list(configs)
            random.Random(r).shuffle(order)
            for name in order:
                configure(configs[name])
                out = work / f"out-{name}-{r}"
                started, cpu0 = time.perf_counter(), _cpu()
                summary = grade([subs], out, jobs=1, progress=False)
                seconds[name].append((time.perf_counter() - started) / args.n)
                cpu[name].append((_cpu() - cpu0) / args.n)
                isolation = summary.isolation.value
                assert all(row.status.value == "graded" for row in summary.results), name
                shutil.rmtree(out)
    finally:
        configure(set(LAYERS))
        shutil.rmtree(work, ignore_errors=True)
    base, cpu_base = statistics.median(seconds["none"]), statistics.median(cpu["none"])
    result = {"n": args.n, "repeat": args.repeat, "isolation": isolation, "jobs": 1,
              "seconds_per_submission": {k: statistics.median(v) for k, v in seconds.items()},
              "cpu_seconds_per_submission": {k: statistics.median(v) for k, v in cpu.items()},
              "all_runs": seconds, "all_runs_cpu": cpu}
    print(f"{args.n} copies of the solution, --jobs 1, isolation {isolation}, {args.repeat} repeats (medians)")
    print(f"{'configuration':14} {'wall ms/sub':>12} {'vs none':>9} {'CPU ms/sub':>11} {'vs none':>9}   wall runs (ms)")
    for name, values in seconds.items():
        med, c = statistics.median(values), statistics.median(cpu[name])
        runs = " ".join(f"{v * 1000:.0f}" for v in values)
        print(f"{name:14} {med * 1000:12.1f} {(med - base) * 1000:+9.1f} {c * 1000:11.1f} "
              f"{(c - cpu_base) * 1000:+9.1f}   {runs}")
    if args.output:
        args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
