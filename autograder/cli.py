"""``autograder``: the command line. Argument parsing only; the work is in `grade`, `release`
and `sandbox`.

    autograder grade PATH... --out OUT [--jobs N] [--isolation LEVEL] [--config FILE] [--scheduler ADDRESS]
    autograder export gradescope [-o autograder.zip] [--config FILE]
    autograder release [--out assignments] [--zip dist/nn_from_scratch.zip]
    autograder doctor      # which isolation this machine gives student code, and a self-check

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

    if args.scheduler is not None:
        from .executors import parse_scheduler
        try:
            parse_scheduler(args.scheduler)
        except ValueError as exc:
            print(f"autograder: --scheduler {args.scheduler}: {exc}", file=sys.stderr)
            return 2
    try:
        config = load_config(args.config)
        summary = grade(args.paths, args.out, jobs=args.jobs,
                        isolation=Isolation(args.isolation) if args.isolation else None,
                        config=config, progress=not args.quiet, scheduler=args.scheduler)
    except (ConfigError, LocateError, SandboxError) as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 2
    except (ValueError, OSError, ImportError) as exc:  # --scheduler: malformed, unreachable, no dask
        if args.scheduler is None:
            raise
        hint = " (install the `cluster` extra: pip install -e '.[cluster]')" if isinstance(exc, ImportError) else ""
        print(f"autograder: --scheduler {args.scheduler}: {exc}{hint}", file=sys.stderr)
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
    return 1 if any(r.status is Status.ERROR for r in summary.results) else 0


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
    g.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="grade on a dask.distributed cluster: tcp://HOST:PORT of a running `dask scheduler`, "
                        "or local:N for N local worker processes (needs the `cluster` extra)")
    g.set_defaults(func=_grade)

    from .gradescope import add_export_command
    add_export_command(sub)

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
