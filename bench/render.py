"""What rendering costs a grading run: the main process's share of a full run, and a points-only rerun.

    .venv/bin/python bench/render.py full --n 30        # N copies of ada_nwosu graded, --jobs 2
    .venv/bin/python bench/render.py points --n 1000    # a points-only rerun of N graded copies

``full``: grades ``--n`` copies of the sample class's ``ada_nwosu`` (a full submission: two
``train`` loss plots each) into a fresh OUT with ``grade(..., jobs=2)`` in this process, under
cProfile, and prints the wall time, this (the main) process's CPU, its reaped children's CPU (the
job processes and the page processes; the sandboxed workers are in their own pid namespace and
not counted), the load average, and where the main process's time went.

``points``: a points-only rerun (``foundations.deriv`` 2 -> 3) on ``--n`` graded copies. Grading
1,000 submissions takes ~10 min on 2 cores, so the OUT is grown from the ``full`` run's 30: the
store rows and the report folder of ``s000`` are copied to ``s030`` ... (identical submissions:
the rerun re-scores, renders and writes every one of them as it would different ones). Without
``--profile`` it prints wall and CPU time; with it, the profile.

``--repo`` runs another checkout's ``autograder/`` (e.g. ``git archive COMMIT | tar -x -C DIR``)
with this .venv, for a before/after pair.
"""
from __future__ import annotations

import sys
from pathlib import Path

# bench/profile.py would shadow the standard library's profile, which cProfile imports
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import time  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORK = Path("/tmp/bench-render")


def _copies(n: int) -> Path:
    folder = WORK / f"class{n}"
    if not folder.exists():
        folder.mkdir(parents=True)
        for i in range(n):
            shutil.copytree(ROOT / "data" / "submissions" / "ada_nwosu", folder / f"s{i:03d}")
    return folder


def _profile(prof: cProfile.Profile, pattern: str, n: int = 15) -> str:
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(pattern, n)
    return text.getvalue()[text.getvalue().find("ncalls"):]


def full(n: int) -> Path:
    from autograder.grade import grade

    out = WORK / f"out{n}"
    shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()[0]
    prof = cProfile.Profile()
    started, cpu = time.perf_counter(), time.process_time()
    prof.enable()
    summary = grade([_copies(n)], out, jobs=2, progress=False)
    prof.disable()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"full run, N = {n}, --jobs 2: wall {time.perf_counter() - started:.1f} s, main process CPU "
          f"{time.process_time() - cpu:.1f} s (under cProfile), children CPU "
          f"{children.ru_utime + children.ru_stime:.1f} s, load {load:.1f} -> {os.getloadavg()[0]:.1f}; "
          f"{summary.counts}")
    print(_profile(prof, r"grade\.py|html_report|report\.py"))
    return out


def grown(n: int) -> tuple[Path, Path]:
    """An OUT of n graded copies, grown from the full run of 30 (made first if missing)."""
    base = WORK / "out30"
    if not (base / "grades.sqlite").is_file():
        full(30)
    out = WORK / f"grown{n}"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(base, out)
    folder = _copies(n)
    with sqlite3.connect(out / "grades.sqlite") as db:
        for table in ("submissions", "outcomes", "history"):
            columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})") if r[1] != "id"]
            rows = db.execute(f"SELECT {','.join(columns)} FROM {table} WHERE student='s000'").fetchall()
            for i in range(30, n):
                sid = f"s{i:03d}"
                for row in rows:
                    values = dict(zip(columns, row), student=sid)
                    if "folder" in values:
                        values["folder"] = sid
                    db.execute(f"INSERT INTO {table}({','.join(values)}) VALUES ({','.join('?' * len(values))})",
                               list(values.values()))
        db.execute("UPDATE submissions SET source = ? || '/' || student", (str(folder),))
    for i in range(30, n):
        shutil.copytree(out / "s000", out / f"s{i:03d}")
    return folder, out


def points(n: int, profile: bool) -> None:
    from autograder.config import load_config
    from autograder.grade import grade

    folder, out = grown(n)
    text = (ROOT / "grading.yml").read_text()
    old = "  foundations.deriv:\n    points: 2"
    assert old in text
    (WORK / "grading.yml").write_text(text.replace(old, "  foundations.deriv:\n    points: 3"))
    config = load_config(WORK / "grading.yml")
    load = os.getloadavg()[0]
    prof = cProfile.Profile()
    started, cpu = time.perf_counter(), time.process_time()
    if profile:
        prof.enable()
    summary = grade([folder], out, jobs=2, progress=False, config=config)
    prof.disable()
    print(f"points-only rerun, N = {n}: wall {time.perf_counter() - started:.2f} s, CPU "
          f"{time.process_time() - cpu:.2f} s{' (under cProfile)' if profile else ''}, load {load:.1f}; "
          f"graded {summary.graded}, re-scored {summary.rescored}")
    if profile:
        print(_profile(prof, "autograder", 30))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("full", "points"))
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="points: print the profile")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the checkout whose autograder/ runs")
    args = parser.parse_args()
    sys.path.insert(0, str(args.repo.resolve()))
    os.chdir(args.repo)
    if args.what == "full":
        full(args.n)
    else:
        points(args.n, args.profile)


if __name__ == "__main__":
    main()
