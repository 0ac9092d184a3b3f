"""A nothing-changed rerun at N = 1,000 without a 1,000-submission grading run first.

    .venv/bin/python bench/store_rerun.py --copies 50      # 50 x the 20-student sample class

Grades the sample class (data/submissions) once into a fresh OUT, then makes an OUT of
``--copies`` times as many rows: each copy of a submission gets a new id (``ada_nwosu_c7``), its
files are copied, and its store rows (submission, outcomes, history) and report folder are the
original's with the copy's content hash, exactly what grading the copy would have stored (the
same files give the same grades; hidden inputs depend on a module's bytes, not its id). Then
``autograder grade COPIES --out OUT`` is run ``--repeat`` times (the first may redraw plots the
new rows change): each must print ``graded 0, reused N``. Wall and CPU seconds (user + system
of the grader process) and the load average of each are printed and written to ``--output``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from autograder.store import grades as st  # noqa: E402


def run(folder: Path, out: Path, jobs: int) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(out),
                           "--jobs", str(jobs), "-q"], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"grade failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    counts = next((line for line in proc.stdout.splitlines() if line.startswith("graded ")), "")
    return {"seconds": round(seconds, 2), "load": round(os.getloadavg()[0], 1), "counts": counts,
            "cpu_seconds": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2)}


def copy_class(sample: Path, out: Path, base: Path, copies: int) -> Path:
    """`copies` x the graded class in `out` (its store and report folders), files in base/subs."""
    subs = base / "subs"
    subs.mkdir(parents=True)
    db = sqlite3.connect(out / st.STORE_NAME)
    graded = {s for (s,) in db.execute("SELECT student FROM submissions")}
    for p in sorted(sample.iterdir()):
        stem, dot, ext = p.name.partition(".")
        if stem not in graded:
            continue
        for k in range(copies):
            new = stem if k == 0 else f"{stem}_c{k}"
            target = subs / (new + dot + ext)
            (shutil.copytree if p.is_dir() else shutil.copy)(p, target)
            if k == 0:
                continue
            chash = st.content_hash(target)
            db.execute("INSERT INTO submissions SELECT ?, ?, ?, ?, state, isolation, modules, notes, suspicious,"
                       " output, seconds, graded_at, scored, score_key FROM submissions WHERE student=?",
                       (new, new, str(target), chash, stem))
            db.execute("INSERT INTO outcomes SELECT ?, question, ?, question_key, isolation, cases, graded_at"
                       " FROM outcomes WHERE student=?", (new, chash, stem))
            db.execute("INSERT INTO history(student, recorded_at, content_hash, status, total, possible, points)"
                       " SELECT ?, recorded_at, ?, status, total, possible, points FROM history WHERE student=?",
                       (new, chash, stem))
            shutil.copytree(out / stem, out / new)
    db.commit()
    db.close()
    return subs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results-store-rerun.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nn-bench-rerun-") as tmp:
        base = Path(tmp)
        out = base / "out"
        first = run(ROOT / "data" / "submissions", out, args.jobs)
        subs = copy_class(ROOT / "data" / "submissions", out, base, args.copies)
        n = sum(1 for _ in subs.iterdir())
        res = {"n": n, "jobs": args.jobs, "sample_class_run": first, "reruns": []}
        for _ in range(args.repeat):
            res["reruns"].append(run(subs, out, args.jobs))
            print(res["reruns"][-1], flush=True)
            if f"graded 0, reused {n}," not in res["reruns"][-1]["counts"]:
                raise SystemExit(f"not a nothing-changed rerun: {res['reruns'][-1]['counts']}")
    args.output.write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
