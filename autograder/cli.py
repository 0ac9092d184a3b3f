"""``autograder``: the command line. Argument parsing only; the work is in `grade`, `release`
and `sandbox`.

    autograder grade PATH... --out OUT [--jobs N] [--isolation LEVEL] [--config FILE]
    autograder release [--out assignments] [--zip dist/nn_from_scratch.zip]
    autograder doctor      # which isolation this machine gives student code, and a self-check
    autograder report OUT  # rebuild OUT/report/index.html and the feedback pages from OUT
    autograder similarity OUT [--threshold 0.6]   # flag similar submissions in the class report

Exit codes of ``grade``: 0 when every submission got a grade (a student's failures are grades),
1 when the grader failed on some submission (its row says ``error``), 2 for bad usage or input.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .results import Isolation, Status


def _grade(args: argparse.Namespace) -> int:
    from .config import ConfigError, load_config
    from .grade import grade
    from .locate import LocateError
    from .sandbox import SandboxError

    try:
        config = load_config(args.config)
        summary = grade(args.paths, args.out, jobs=args.jobs,
                        isolation=Isolation(args.isolation) if args.isolation else None,
                        config=config, progress=not args.quiet, similarity=args.similarity)
    except (ConfigError, LocateError, SandboxError) as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 2
    for warning in summary.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not summary.results:
        print("autograder: no submissions found in " + ", ".join(map(str, args.paths)), file=sys.stderr)
        return 2
    counts = ", ".join(f"{n} {status}" for status, n in sorted(summary.counts.items()))
    level = summary.isolation.value + (f" ({summary.isolation_note})" if summary.isolation_note else "")
    print(f"graded {len(summary.results)} submissions in {summary.seconds:.1f} s: {counts}")
    print(f"isolation: {level}")
    print(f"reports: {summary.out}/gradebook.csv, {summary.out}/<student>/results.json and feedback.md")
    print(f"class report: {summary.out}/report/index.html")
    return 1 if any(r.status is Status.ERROR for r in summary.results) else 0


def _report(args: argparse.Namespace) -> int:
    from . import similarity
    from .config import ConfigError, load_config
    from .html_report import load_results, write_reports

    try:
        config = load_config(args.config)
        results = load_results(args.out)
    except (ConfigError, FileNotFoundError, ValueError) as exc:
        print(f"autograder: no graded results to report in {args.out}: {exc}", file=sys.stderr)
        return 2
    index = write_reports(results, config, args.out, similarity.load(args.out))
    print(f"class report: {index}")
    return 0


def _similarity(args: argparse.Namespace) -> int:
    from . import similarity
    from .config import ConfigError, load_config
    from .html_report import load_results, write_class_report

    try:
        config = load_config(args.config)
        results = load_results(args.out)
    except (ConfigError, FileNotFoundError, ValueError) as exc:
        print(f"autograder: no graded results in {args.out}: {exc}", file=sys.stderr)
        return 2
    found = similarity.check(args.out / similarity.SOURCES, threshold=args.threshold,
                             boilerplate=args.boilerplate)
    similarity.save(found, args.out)
    index = write_class_report(results, config, args.out, found)
    print(f"compared {found.files} files in {found.seconds:.1f} s: {len(found.pairs)} pairs at or above "
          f"{found.threshold:.0%} (flags for a TA; no grade changed)")
    for p in found.pairs:
        print(f"  {p.student_a} / {p.student_b}  {p.module}.py  {p.similarity_a:.0%} / {p.similarity_b:.0%}")
    print(f"class report: {index}")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from .config import load_config
    from .sandbox import SandboxError, Slot, detect_isolation

    level, note = detect_isolation()
    print(f"isolation: {level.value}" + (f" ({note})" if note else ""))
    if level is Isolation.NONE:
        return 0
    try:
        with Slot(level, load_config(args.config).limits.model_dump()) as slot:
            info = slot.probe()
    except SandboxError as exc:
        print(f"self-check failed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(info, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser("grade", help="grade a folder of submissions")
    g.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                   help="a folder of submissions (one sub-folder, .zip or notebook per student), "
                        "one student's folder, or one .zip")
    g.add_argument("--out", required=True, type=Path, help="folder for gradebook.csv and the reports")
    g.add_argument("--jobs", type=int, default=None, help="parallel graders (default: every core)")
    g.add_argument("--isolation", choices=[i.value for i in Isolation if i is not Isolation.NONE],
                   help="require this isolation level instead of the strongest available")
    g.add_argument("--config", type=Path, default=None, help="grading.yml (default: the repository's)")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    g.add_argument("--similarity", action="store_true",
                   help="also flag similar submissions (copydetect) in the class report; grades unchanged")
    g.set_defaults(func=_grade)

    rp = sub.add_parser("report", help="rebuild OUT/report/index.html and the feedback pages from OUT")
    rp.add_argument("out", type=Path, metavar="OUT", help="the folder a grade run wrote")
    rp.add_argument("--config", type=Path, default=None, help="grading.yml (default: the repository's)")
    rp.set_defaults(func=_report)

    from .similarity import DEFAULT_THRESHOLD
    sm = sub.add_parser("similarity", help="flag similar submissions of a graded OUT in its class report")
    sm.add_argument("out", type=Path, metavar="OUT", help="the folder a grade run wrote")
    sm.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                    help=f"share of either file's code in common that flags a pair (default {DEFAULT_THRESHOLD})")
    sm.add_argument("--boilerplate", type=Path, default=None,
                    help="the released code every student got (default: assignments/nn_from_scratch)")
    sm.add_argument("--config", type=Path, default=None, help="grading.yml (default: the repository's)")
    sm.set_defaults(func=_similarity)

    d = sub.add_parser("doctor", help="show the isolation level and run the sandbox self-check")
    d.add_argument("--config", type=Path, default=None)
    d.set_defaults(func=_doctor)

    from .release import add_release_command, run_release
    r = add_release_command(sub)
    r.set_defaults(func=run_release)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
