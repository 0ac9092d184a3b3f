"""Throughput of the dask.distributed executor against the local process pool, at the same core count.

    .venv/bin/python bench/dask_bench.py                      # 200 submissions of the mix, 3 repeats
    .venv/bin/python bench/dask_bench.py --n 400 --repeat 5 --output bench/results-dask.json
    .venv/bin/python bench/dask_bench.py --scheduler tcp://10.0.0.1:8786 --workers 80   # a real cluster

The submissions are bench/run.py's mix (``generate``: copies of the solution, the sample class's
students, release stubs; the ones that time out are left out). Every repeat runs, one after the
other, ``autograder grade --jobs 1``, ``--scheduler local:1``, ``--jobs 2`` and
``--scheduler local:2`` (for each core count up to ``--cores``), the order reversed every other
repeat so that a machine that slows down favours no run. Each is the whole command: start-up,
the cluster's start-up (worker processes spawned, each setting up its sandbox slot), grading
and every report. Every run must give the same gradebook totals. Medians are printed and
written to ``--output`` (JSON), with the ratio dask / local of throughput at each core count.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from run import ROOT, PYTHON, generate, gradebook_totals, measure  # noqa: E402  (bench/run.py)


def run_once(folder: Path, work: Path, tag: str, extra: list[str]) -> dict:
    out = work / f"out-{tag}"
    result = measure([PYTHON, "-m", "autograder", "grade", str(folder), "--out", str(out), "-q", *extra],
                     cwd=ROOT, sample=False)
    if result["rc"] != 0:
        raise SystemExit(f"dask_bench: {tag} failed (exit {result['rc']}):\n{result['stderr']}")
    graded = re.search(r"graded (\d+) submissions in ([\d.]+) s", result["stdout"])
    result["grade_seconds"] = float(graded.group(2)) if graded else None
    result["totals"] = gradebook_totals(out)
    for path in sorted(out.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    out.rmdir()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="submissions generated (default 200)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1, help="core counts 1..CORES")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scheduler", default=None,
                        help="also (or only, with --workers) time this running cluster, tcp://HOST:PORT")
    parser.add_argument("--workers", type=int, default=None, help="the cluster's worker count (for the table)")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)

    runs: dict[str, list] = {}
    with tempfile.TemporaryDirectory(prefix="dask-bench-") as tmp:
        work = Path(tmp)
        mix = generate(work / "subs", args.n, only_full=False, seed=args.seed)
        folder, n = mix["comparable"], mix["n_comparable"]
        configs = []
        for cores in range(1, args.cores + 1):
            configs += [(f"local pool --jobs {cores}", ["--jobs", str(cores)]),
                        (f"dask --scheduler local:{cores}", ["--scheduler", f"local:{cores}"])]
        if args.scheduler:
            configs.append((f"dask --scheduler {args.scheduler}", ["--scheduler", args.scheduler]))
        totals = None
        for repeat in range(args.repeat):
            for tag, extra in (configs if repeat % 2 == 0 else configs[::-1]):
                result = run_once(folder, work, re.sub(r"\W+", "-", tag), extra)
                if totals is None:
                    totals = result["totals"]
                elif result["totals"] != totals:
                    raise SystemExit(f"dask_bench: {tag} gave other grades than the first run")
                runs.setdefault(tag, []).append(result)
                print(f"repeat {repeat + 1}: {tag}: {result['seconds']:.1f} s "
                      f"({n / result['seconds']:.2f} submissions/s)", flush=True)

    table = {}
    for tag, results in runs.items():
        wall = statistics.median(r["seconds"] for r in results)
        table[tag] = {"n": n, "wall_seconds": [round(r["seconds"], 2) for r in results],
                      "median_seconds": round(wall, 2), "per_submission_s": round(wall / n, 4),
                      "throughput_per_s": round(n / wall, 2)}
    ratios = {}
    for cores in range(1, args.cores + 1):
        local, dask = runs[f"local pool --jobs {cores}"], runs[f"dask --scheduler local:{cores}"]
        per_repeat = [l["seconds"] / d["seconds"] for l, d in zip(local, dask)]  # dask throughput / local
        ratios[str(cores)] = {"median": round(statistics.median(per_repeat), 3),
                              "per_repeat": [round(x, 3) for x in per_repeat]}
    print(f"\n{n} submissions (the mix without time-outs), {args.repeat} repeats, medians:")
    print(f"{'run':<34}{'s':>8}{'s/submission':>14}{'submissions/s':>15}")
    for tag, row in table.items():
        print(f"{tag:<34}{row['median_seconds']:>8.1f}{row['per_submission_s']:>14.4f}"
              f"{row['throughput_per_s']:>15.2f}")
    for cores, r in ratios.items():
        print(f"dask / local pool throughput at {cores} core(s): {r['median']:.3f} (per repeat {r['per_repeat']})")
    if args.output:
        args.output.write_text(json.dumps({
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": platform.platform(),
            "cpus": os.cpu_count(), "python": platform.python_version(), "n": n, "repeat": args.repeat,
            "kinds": mix["kinds"], "runs": table, "dask_over_local_throughput": ratios,
            "load_average_at_end": os.getloadavg(),
        }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
