"""The floor: what the grading work itself costs, with no isolation and no reports.

    .venv/bin/python bench/floor.py SUBMISSIONS_DIR RESULT.json

The same hidden checks (`autograder.run.execute.grade_chunk`, the grader's own pytest session over
the suites in autograder/suites/) on the same submissions (found and copied by the grader's own
`locate` and `load`), in ONE process and ONE pytest session, with the student's modules
imported into this process (`autograder.run.sandbox.InProcessSlot`): no sandbox, no worker process,
no job pool, no results.json, feedback.md, gradebook or plots. Each submission is scored
(`score`, a few microseconds) only so that bench/run.py can check that the floor and the grader
give the same totals. Never use this for grades: student code runs with the grader's rights.

RESULT.json gets ``{"totals": {student: total}, "setup_seconds", "grading_seconds"}``;
bench/run.py times the whole process from outside, like the grader's command.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

STARTED = time.perf_counter()

from autograder.config import load_config  # noqa: E402
from autograder.run.execute import grade_chunk  # noqa: E402
from autograder.intake.load import load  # noqa: E402
from autograder.intake.locate import locate  # noqa: E402
from autograder.results import Isolation  # noqa: E402
from autograder.run.sandbox import InProcessSlot  # noqa: E402
from autograder.judge.score import score  # noqa: E402


def main(argv: list[str]) -> int:
    folder, result_path = Path(argv[0]), Path(argv[1])
    config = load_config()
    sources, _ = locate([folder], config.modules)
    with tempfile.TemporaryDirectory(prefix="nn-bench-floor-") as workdir:
        loaded = [load(src, Path(workdir) / f"{i:05d}", config.modules) for i, src in enumerate(sources)]
        totals: dict[str, float] = {}

        def done(run, output, dropped):
            totals[run.loaded.student] = score(run.loaded, run.loaded.student, run.cases, config,
                                               isolation=Isolation.NONE).total

        ready = time.perf_counter()
        grade_chunk(loaded, config, InProcessSlot(config.limits.model_dump()), done)
        finished = time.perf_counter()
    result_path.write_text(json.dumps({"totals": totals, "setup_seconds": ready - STARTED,
                                       "grading_seconds": finished - ready}))
    return 0 if len(totals) == len(loaded) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
