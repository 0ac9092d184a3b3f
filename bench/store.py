"""The grade store's benchmark: what a rerun costs (issue 11's performance targets).

    .venv/bin/python bench/store.py --n 1000      # 1,000 of bench/run.py's mix (~10 min on 2 cores)

On ``--n`` submissions of the mix of bench/run.py (`run.generate`: copies of the solution, the
sample class's students, release stubs and ~1 % that time out), all cores, one after the other:

1. a full run into a fresh OUT (the time every other figure is compared with);
2. a rerun with nothing changed;
3. a rerun after changing one question's points (``foundations.deriv``: 2 -> 3): must run no
   student code (its counts line says ``graded 0``);
4. a rerun after changing one question's hidden test (a comment added inside its entry of the case table
   of ``foundations.deriv``): regrades that question only;
5. a run into a fresh OUT killed with SIGKILL once half of the submissions are in the store,
   then the same command again: the two together against the uninterrupted run (1).

Runs 2-5 work on a copy of the repository's ``autograder/``, ``solutions/`` and ``grading.yml``
in a temporary folder (``python -m autograder`` started there imports the copy), so the change
of a hidden test never touches the checkout. The gradebooks of 1, 4 and 5 must be byte-identical.
Writes bench/results-store.json (``--output``) and prints a table.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench_run  # noqa: E402  (bench/run.py: the mix and the machine description)

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
COUNTS = re.compile(r"graded (\d+), reused (\d+), re-scored (\d+), kept (\d+) not in this run")


def grade(repo: Path, folder: Path, out: Path, jobs: int, *extra: str) -> dict[str, Any]:
    """One ``autograder grade`` from the copy `repo`: wall seconds, exit code, the counts line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([PYTHON, "-m", "autograder", "grade", str(folder), "--out", str(out), "--jobs", str(jobs),
                           "-q", *extra], cwd=repo, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU of the grader and its job processes (sandboxed workers are in their own pid namespace and
    # not counted: a run that runs no student code has none)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"bench: grade failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    m = COUNTS.search(proc.stdout)
    errors = {}
    if proc.returncode == 1:  # which rows say error, and what the grader said (for the TA)
        import csv
        with open(out / "gradebook.csv", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["status"] == "error":
                    data = json.loads((out / row["student"] / "results.json").read_text())
                    errors[row["student"]] = [d for t in data["tests"] for d in t["extra_data"]["grader_details"]][:2]
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "load": round(os.getloadavg()[0], 1),
            "rc": proc.returncode, "errors": errors,
            "counts": dict(zip(("graded", "reused", "rescored", "kept"), map(int, m.groups()))) if m else None}


def killed_then_resumed(repo: Path, folder: Path, out: Path, jobs: int, n: int) -> dict[str, Any]:
    """Start a run, SIGKILL it once n/2 submissions are stored, rerun; both times."""
    cmd = [PYTHON, "-m", "autograder", "grade", str(folder), "--out", str(out), "--jobs", str(jobs), "-q"]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stored = 0
    while proc.poll() is None:
        try:
            with sqlite3.connect(f"file:{out / 'grades.sqlite'}?mode=ro", uri=True, timeout=1) as db:
                stored = db.execute("SELECT count(DISTINCT student) FROM outcomes").fetchone()[0]
        except sqlite3.Error:
            pass
        if stored >= n // 2:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.1)
    proc.wait()
    first = time.perf_counter() - started
    with sqlite3.connect(f"file:{out / 'grades.sqlite'}?mode=ro", uri=True, timeout=5) as db:
        after = db.execute("SELECT count(DISTINCT student) FROM outcomes").fetchone()[0]  # what the rerun keeps
    rerun = grade(repo, folder, out, jobs)
    return {"killed_after": round(first, 2), "stored_when_killed": stored, "stored_after_kill": after,
            "rerun": rerun, "seconds": round(first + rerun["seconds"], 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="submissions of the mix (default 200)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results-store.json")
    parser.add_argument("--skip-kill", action="store_true", help="leave out run 5 (kill -9 at 50 %% + rerun)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="nn-bench-store-") as tmp:
        work = Path(tmp)
        repo = work / "repo"
        repo.mkdir()
        for name in ("autograder", "solutions"):
            shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "grading.yml", repo / "grading.yml")
        (repo / "data").mkdir()
        for csv_file in (ROOT / "data").glob("*.csv"):  # the lesson's data the hidden tests read
            shutil.copy(csv_file, repo / "data" / csv_file.name)
        mix = bench_run.generate(work / "submissions", args.n, False, args.seed)
        folder = mix["all"]
        print(f"submissions: {args.n} ({', '.join(f'{v} {k}' for k, v in sorted(mix['kinds'].items()))})", flush=True)
        out = work / "out"
        res: dict[str, Any] = {"n": args.n, "jobs": args.jobs, "kinds": mix["kinds"], "machine": bench_run.machine()}

        res["full"] = grade(repo, folder, out, args.jobs)
        print(f"full run: {res['full']}", flush=True)
        reference = (out / "gradebook.csv").read_bytes()
        res["nothing_changed"] = grade(repo, folder, out, args.jobs)
        print(f"nothing changed: {res['nothing_changed']}", flush=True)

        config = repo / "grading.yml"
        text = config.read_text()
        config.write_text(text.replace("  foundations.deriv:\n    points: 2", "  foundations.deriv:\n    points: 3"))
        res["points_changed"] = grade(repo, folder, out, args.jobs)
        print(f"points changed: {res['points_changed']}", flush=True)
        config.write_text(text)
        grade(repo, folder, out, args.jobs)  # back to the original points (a re-score, not timed)

        suite = repo / "autograder" / "suites" / "test_foundations.py"
        source = suite.read_text()
        marker = '"foundations.deriv": Spec('  # the question's own entry of the suite's case table
        if source.count(marker) != 1:
            raise SystemExit(f"bench/store.py: {marker!r} is not in {suite} once: update the benchmark")
        suite.write_text(source.replace(marker, marker + "  # bench/store.py: a hidden test changed\n   ", 1))
        res["test_changed"] = grade(repo, folder, out, args.jobs)
        res["test_changed"]["same_gradebook"] = (out / "gradebook.csv").read_bytes() == reference
        print(f"one hidden test changed: {res['test_changed']}", flush=True)
        suite.write_text(source)

        if not args.skip_kill:
            out2 = work / "out-killed"
            res["killed"] = killed_then_resumed(repo, folder, out2, args.jobs, args.n)
            res["killed"]["same_gradebook"] = (out2 / "gradebook.csv").read_bytes() == reference
            print(f"kill -9 at 50 % + rerun: {res['killed']}", flush=True)

    full = res["full"]["seconds"]
    res["targets"] = {
        "nothing changed < 5 s": res["nothing_changed"]["seconds"],
        "points changed < 5 s, no student code": [res["points_changed"]["seconds"],
                                                   res["points_changed"]["counts"]["graded"] == 0],
        "one hidden test changed <= 1/4 of a full run": round(res["test_changed"]["seconds"] / full, 3),
    }
    if "killed" in res:
        res["targets"]["kill -9 at 50 % + rerun within 10 % of a full run"] = round(res["killed"]["seconds"] / full, 3)
    args.output.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res["targets"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
