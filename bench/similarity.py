"""Time `autograder.publish.similarity.check` on N submissions (default 500).

The N students' modules are made from the sample class's graded modules (``OUT/report/sources``
of a run over data/submissions), taken in turn. So that they are not all copies of each other,
each student's version gets its own no-op statements (``_pad = <i>``) between the statements of
its functions, at random (seeded by the student): two such versions share few runs of 25 tokens,
as independent solutions do. The last 10 students are exact copies of the first 10 with one
variable renamed: near-copies the check must flag. ``--copies`` leaves the padding out (every
student a copy of one of 19: the worst case, where every pair is compared exactly).

The check runs twice on the same class: first with an empty fingerprint cache (every file
tokenised), then again (a rerun: every fingerprint from the cache); both must flag the same pairs.

    .venv/bin/python -m autograder grade data/submissions --out /tmp/sample-out -q
    .venv/bin/python bench/similarity.py --sources /tmp/sample-out/report/sources --n 500
"""
from __future__ import annotations

import argparse
import ast
import json
import random
import re
import resource
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder.publish import similarity  # noqa: E402


def _cpu() -> float:
    """User + system CPU seconds of this process and its finished children (the fingerprinters)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _padded(code: str, seed: int) -> str:
    tree = ast.parse(code)
    rng = random.Random(seed)
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            body = getattr(node, field, None)
            if isinstance(node, (ast.FunctionDef, ast.For, ast.If, ast.While, ast.With)) and isinstance(body, list) \
                    and body:
                out = []
                for stmt in body:
                    out.append(stmt)
                    if rng.random() < 0.6:
                        out.append(ast.parse(f"_pad = {rng.randrange(1000)}").body[0])
                setattr(node, field, out)
    return ast.unparse(ast.fix_missing_locations(tree))


def make_class(sources: Path, n: int, dest: Path, copies: bool = False) -> int:
    students = sorted(p for p in sources.iterdir() if p.is_dir() and any(p.glob("*.py")))
    files = 0
    for i in range(n):
        twin = i - (n - 10) if i >= n - 10 and not copies else None  # the last 10 copy the first 10
        src = students[(twin if twin is not None else i) % len(students)]
        out = dest / f"s{i:04d}"
        out.mkdir(parents=True)
        for f in src.glob("*.py"):
            code = f.read_text()
            if not copies:
                try:
                    code = _padded(code, twin if twin is not None else i)
                except SyntaxError:
                    pass
            if twin is not None:
                code = re.sub(r"\bweights\b", "params", code)
            (out / f.name).write_text(code + "\n")
            files += 1
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=Path, required=True)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--copies", action="store_true", help="no padding: every student a copy (worst case)")
    parser.add_argument("--output", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-similarity-"))
    try:
        files = make_class(args.sources, args.n, tmp, args.copies)
        load = os.getloadavg()[0]
        started, cpu0 = time.perf_counter(), _cpu()
        result = similarity.check(tmp)
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu0
        started, cpu0 = time.perf_counter(), _cpu()
        rerun = similarity.check(tmp)
        re_seconds, re_cpu = time.perf_counter() - started, _cpu() - cpu0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    flagged = {(p.student_a, p.student_b) for p in result.pairs}
    planted = {(f"s{j:04d}", f"s{args.n - 10 + j:04d}") for j in range(10)}
    figures = {"submissions": args.n, "files": files, "copies": args.copies, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
               "fingerprinted": result.fingerprinted,
               "rerun_seconds": round(re_seconds, 2), "rerun_cpu_seconds": round(re_cpu, 2),
               "rerun_fingerprinted": rerun.fingerprinted, "rerun_same_pairs": rerun.pairs == result.pairs,
               "load_average_1min": round(load, 1), "load_average_1min_after": round(os.getloadavg()[0], 1),
               "pairs_flagged": len(result.pairs) + result.more, "threshold": result.threshold,
               "planted_copies_flagged": None if args.copies else f"{len(planted & flagged)} of 10",
               "cores": os.cpu_count()}
    print(json.dumps(figures))
    if args.output:
        args.output.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
