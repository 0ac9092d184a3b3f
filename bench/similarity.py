"""Time `autograder.similarity.check` on N submissions (default 500).

The N students' modules are the sample class's graded modules (``OUT/report/sources`` of a run
over data/submissions) taken in turn, each copy given its own variable-name suffix and a line of
its own, so that no two files are byte-identical:

    .venv/bin/python -m autograder grade data/submissions --out /tmp/sample-out -q
    .venv/bin/python bench/similarity.py --sources /tmp/sample-out/report/sources --n 500
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder import similarity  # noqa: E402


def make_class(sources: Path, n: int, dest: Path) -> int:
    students = sorted(p for p in sources.iterdir() if p.is_dir())
    files = 0
    for i in range(n):
        src = students[i % len(students)]
        out = dest / f"s{i:04d}"
        out.mkdir(parents=True)
        for f in src.glob("*.py"):
            code = re.sub(r"\bweights\b", f"weights_{i}", f.read_text())
            (out / f.name).write_text(code + f"\n# student {i}\n")
            files += 1
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=Path, required=True)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--output", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-similarity-"))
    try:
        files = make_class(args.sources, args.n, tmp)
        started = time.perf_counter()
        result = similarity.check(tmp)
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    figures = {"submissions": args.n, "files": files, "seconds": round(seconds, 2),
               "pairs_flagged": len(result.pairs), "threshold": result.threshold}
    print(json.dumps(figures))
    if args.output:
        args.output.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
