"""Write ``tests/``: otter-grader test files equivalent to the hidden suites (see peer.py).

    .venv/bin/python bench/otter/make_tests.py          # rewrite bench/otter/tests/
    .venv/bin/python bench/otter/make_tests.py --check  # exit 1 if they are out of date

One exception-based otter test file per question of grading.yml (``name`` = the question id,
``points`` = its points), one ``@test_case`` per hidden case, worth the question's points times
the case's weight over the question's total weight, as in our grader. bench/run.py runs the
check before every benchmark, so the peer never grades different cases from ours.
"""
from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from autograder.config import load_config  # noqa: E402
from autograder.run.execute import SUITES_DIR  # noqa: E402
import peer  # noqa: E402

HEADER = '''"""otter test file for {question}: the hidden cases of autograder/suites/{suite}.py.

Written by bench/otter/make_tests.py; each case runs one hidden test through bench/otter/peer.py.
"""
import pathlib
import sys

import autograder
from otter.test_files import test_case

sys.path.insert(0, str(pathlib.Path(autograder.__file__).resolve().parents[1] / "bench" / "otter"))
from peer import run_case  # noqa: E402

OK_FORMAT = False

name = {question!r}
points = {points!r}
'''

CASE = '''

@test_case(name={label!r}, points={points!r}, hidden=False)
def {func}(env):
    run_case(env, {suite!r}, {test!r}, {index!r})
'''


def render() -> dict[str, str]:
    """{file name: text} of every otter test file."""
    config = load_config()
    by_question = defaultdict(list)
    for path in sorted(SUITES_DIR.glob("test_*.py")):
        for case in peer.cases(path.stem):
            by_question[case[3]].append(case)
    missing = sorted(set(config.questions) - set(by_question))
    if missing:
        raise SystemExit(f"no hidden case for {', '.join(missing)}")
    files = {}
    for question, spec in config.questions.items():
        found = by_question[question]
        total = sum(c[4] for c in found)
        text = HEADER.format(question=question, suite=found[0][0], points=float(spec.points))
        for n, (suite, test, index, _, weight, case_id) in enumerate(found):
            label = test + ("" if index is None else f"[{case_id}]")
            text += CASE.format(label=label, points=spec.points * weight / total, func=f"case_{n}",
                                suite=suite, test=test, index=index)
        files[question.replace(".", "__") + ".py"] = text
    return files


def main(argv: list[str]) -> int:
    files = render()
    tests = HERE / "tests"
    current = {p.name: p.read_text() for p in tests.glob("*.py")} if tests.is_dir() else {}
    if "--check" in argv:
        if current != files:
            print("bench/otter/tests is out of date: run .venv/bin/python bench/otter/make_tests.py",
                  file=sys.stderr)
            return 1
        return 0
    tests.mkdir(exist_ok=True)
    for name in set(current) - set(files):
        (tests / name).unlink()
    for name, text in files.items():
        (tests / name).write_text(text)
    print(f"wrote {len(files)} otter test files, {sum(t.count('@test_case') for t in files.values())} cases, "
          f"into {tests}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
