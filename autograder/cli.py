"""``autograder``: the command line. Argument parsing only; the work is in `grade`, `release`
and `sandbox`.

    autograder grade PATH... --out OUT [--jobs N] [--isolation LEVEL] [--config FILE]
                     [--format auto|canvas|gradescope|folder] [--pattern REGEX] [--class|--student]
    autograder export canvas OUT -o canvas_import.csv [--roster canvas_gradebook.csv]
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

    import shutil
    import tempfile

    from .lms import intake
    from .policy import PolicyError
    from .roster import RosterError

    staging = Path(tempfile.mkdtemp(prefix="nn-autograder-intake-"))
    try:
        config = load_config(args.config)
        found = intake(args.paths, config.modules, staging, fmt=args.format, pattern=args.pattern,
                       layout=args.layout, assignment=config.assignment)
        for decision in found.decisions:
            print(decision)
        report_options = _lms_report_options(args, config, found.sources)
        summary = grade(args.paths, args.out, jobs=args.jobs,
                        isolation=Isolation(args.isolation) if args.isolation else None,
                        config=config, progress=not args.quiet, sources=found.sources,
                        report_options=report_options)
        summary.warnings[:0] = found.warnings
    except (ConfigError, LocateError, SandboxError, PolicyError, RosterError) as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(staging, ignore_errors=True)
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


def _lms_report_options(args: argparse.Namespace, config, sources) -> dict:
    """Roster, late policy, extensions, times and overrides: read, checked against each other and the
    submissions (one error before any student code runs), and turned into the report's `finalize`."""
    from .policy import PolicyError, lms_inputs_problems, localize, read_overrides, read_times, report_options
    from .roster import read_roster

    if not (args.roster or args.overrides or args.extensions or args.times or config.late):
        return {}  # no LMS inputs: the gradebook keeps its plain columns (as `grade()` writes it)
    roster = read_roster(args.roster) if args.roster else None
    overrides = read_overrides(args.overrides) if args.overrides else []
    extensions = localize(read_times(args.extensions, "due"), config.late) if args.extensions else {}
    times = localize(read_times(args.times), config.late) if args.times else {}
    problems = lms_inputs_problems(config, sources=sources, overrides=overrides, roster=roster,
                                   extensions=extensions, times=times)
    if problems:
        raise PolicyError("the grading inputs do not fit together; nothing was graded:\n  " + "\n  ".join(problems))
    options = report_options(config, sources, roster=roster, overrides=overrides, extensions=extensions,
                             times=times)
    if roster is not None:
        strangers = sum(roster.match(s) is None for s in sources)
        print(f"roster: {len(roster.students)} students; {len(options['missing'])} with no submission "
              f"(status missing); {strangers} submission(s) not on the roster (flagged in notes)")
    return options


def _export(args: argparse.Namespace) -> int:
    from .config import ConfigError, load_config
    from .roster import RosterError, export_canvas, read_roster

    try:
        config = load_config(args.config)
        roster = read_roster(args.roster) if args.roster else None
        title = args.assignment or (roster.assignments[0] if roster and len(roster.assignments) == 1
                                    else config.assignment)
        warnings: list[str] = []
        n = export_canvas(args.out / "gradebook.csv", args.output, possible=config.total_points,
                          assignment=title, roster=roster, warnings=warnings)
    except (ConfigError, RosterError) as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {args.output}: {n} students, column {title!r}; import it in Canvas: Grades > Import")
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
    g.add_argument("--format", choices=["auto", "canvas", "gradescope", "folder"], default="auto",
                   help="how to read the PATHs: a Canvas download (zip or flat folder), a Gradescope export, "
                        "a plain folder (default: detected from the content of each PATH)")
    g.add_argument("--pattern", default=None, metavar="REGEX",
                   help="read any LMS's files with a regex over their paths, with named groups student and "
                        "file (optionally time, ISO 8601)")
    g.add_argument("--roster", type=Path, default=None,
                   help="the class roster: a CSV id,name,email,section or a Canvas gradebook export; students "
                        "with no submission get a row with status missing and 0")
    g.add_argument("--overrides", type=Path, default=None,
                   help="overrides.csv: student,question,points,reason (question: an id or total; points EX excuses)")
    g.add_argument("--extensions", type=Path, default=None, help="a CSV student,due: per-student due dates")
    g.add_argument("--times", type=Path, default=None,
                   help="a CSV student,submitted_at: submission times where the LMS export has none (Canvas)")
    layout = g.add_mutually_exclusive_group()
    layout.add_argument("--class", dest="layout", action="store_const", const="class",
                        help="read a folder as a class: each sub-folder, zip, notebook or .py is one student")
    layout.add_argument("--student", dest="layout", action="store_const", const="student",
                        help="read a folder as one student's submission")
    g.set_defaults(func=_grade)

    d = sub.add_parser("doctor", help="show the isolation level and run the sandbox self-check")
    d.add_argument("--config", type=Path, default=None)
    d.set_defaults(func=_doctor)

    e = sub.add_parser("export", help="write a gradebook for an LMS to import")
    e.add_argument("lms", choices=["canvas"], help="the LMS")
    e.add_argument("out", type=Path, metavar="OUT", help="the folder a grading run wrote (with gradebook.csv)")
    e.add_argument("-o", "--output", type=Path, default=Path("canvas_import.csv"), help="the CSV to write")
    e.add_argument("--roster", type=Path, default=None,
                   help="the Canvas gradebook export (or a plain roster): names, SIS ids, sections, order")
    e.add_argument("--assignment", default=None,
                   help="the assignment column's title (default: the roster's only assignment column, "
                        "else grading.yml's assignment)")
    e.add_argument("--config", type=Path, default=None)
    e.set_defaults(func=_export)

    from .release import add_release_command, run_release
    r = add_release_command(sub)
    r.set_defaults(func=run_release)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
