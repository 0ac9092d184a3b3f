"""``autograder``: the command line. Argument parsing only; the work is in `grade`, `release`
and `sandbox`.

    autograder grade PATH... --out OUT [--jobs N] [--isolation LEVEL] [--config FILE] [--scheduler ADDRESS]
                     [--force] [--only ID[,ID...]] [--question QID]
                     [--format auto|canvas|gradescope|folder] [--pattern REGEX] [--class|--student]
                     [--roster CSV] [--times CSV] [--extensions CSV] [--overrides CSV]
    autograder export gradescope [-o autograder.zip] [--config FILE]
    autograder export canvas OUT -o canvas_import.csv [--roster canvas_gradebook.csv]
    autograder release [--out assignments] [--zip dist/nn_from_scratch.zip] [--config FILE]
    autograder validate [--config FILE]   # grading.yml, the hidden suites and solutions/ agree
    autograder doctor      # which isolation this machine gives student code, and a self-check
    autograder report OUT  # rebuild OUT/report/index.html and the feedback pages from OUT
    autograder similarity OUT [--threshold 0.6]   # flag similar submissions in the class report

Exit codes of ``grade``: 0 when every submission got a grade (a student's failures are grades),
1 when the grader failed on some submission (its row says ``error``), 2 for bad usage or input
(or a grade store that cannot be used), 130 when stopped by Ctrl-C (rerun the command to resume).
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
    from .intake.locate import LocateError
    from .run.sandbox import SandboxError
    from .store.grades import StoreError

    import shutil
    import tempfile

    from .intake.lms import intake
    from .judge.policy import PolicyError
    from .intake.roster import RosterError

    only = [s for part in args.only or () for s in part.split(",") if s] or None
    if args.scheduler is not None:
        from .run.executors import parse_scheduler
        try:
            parse_scheduler(args.scheduler)
        except ValueError as exc:
            print(f"autograder: --scheduler {args.scheduler}: {exc}", file=sys.stderr)
            return 2
    staging = Path(tempfile.mkdtemp(prefix="nn-autograder-intake-"))
    try:
        config = load_config(args.config)
        from .authoring.validate import problems  # before any student code runs (the public checks: `validate`)
        found_problems = problems(config, public_checks=False)
        if found_problems:
            print("\n".join(f"autograder: {p}" for p in found_problems), file=sys.stderr)
            return 2
        found = intake(args.paths, config.modules, staging, fmt=args.format, pattern=args.pattern,
                       layout=args.layout, assignment=config.assignment)
        for decision in found.decisions:
            print(decision)
        report_options = _lms_report_options(args, config, found.sources)
        summary = grade(args.paths, args.out, jobs=args.jobs,
                        isolation=Isolation(args.isolation) if args.isolation else None,
                        config=config, progress=not args.quiet, force=args.force, only=only,
                        questions=args.question or None, scheduler=args.scheduler,
                        sources=found.sources, report_options=report_options,
                        similarity=args.similarity, validate=False)  # validated above, before intake
        summary.warnings[:0] = found.warnings
    except (ConfigError, LocateError, SandboxError, StoreError, PolicyError, RosterError) as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # before any submission was graded: the store holds what it held
        print("\nautograder: stopped before grading started; run the same command again to grade",
              file=sys.stderr)
        return 130
    except (ValueError, OSError, ImportError) as exc:  # --scheduler: malformed, unreachable, no dask
        if args.scheduler is None:
            raise
        hint = " (install the `cluster` extra: pip install -e '.[cluster]')" if isinstance(exc, ImportError) else ""
        print(f"autograder: --scheduler {args.scheduler}: {exc}{hint}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for warning in summary.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not summary.results and not summary.pending:
        print("autograder: no submissions found in " + ", ".join(map(str, args.paths)), file=sys.stderr)
        return 2
    counts = ", ".join(f"{n} {status}" for status, n in sorted(summary.counts.items()))
    if summary.pending:
        counts += (", " if counts else "") + f"{summary.pending} pending"
    level = summary.isolation.value + (f" ({summary.isolation_note})" if summary.isolation_note else "")
    n = len(summary.results)
    print(f"{n} submission{'' if n == 1 else 's'} in {summary.seconds:.1f} s: {counts}")
    print(f"graded {summary.graded}, reused {summary.reused}, re-scored {summary.rescored}, "
          f"kept {summary.kept} not in this run" + (f", pending {summary.pending}" if summary.pending else ""))
    print(f"isolation: {level}")
    print(f"reports: {summary.out}/gradebook.csv, {summary.out}/<student>/results.json and feedback.md")
    print(f"class report: {summary.out}/report/index.html")
    if summary.interrupted:
        print(f"stopped: {summary.pending} submissions still to grade (marked pending; summary.json says "
              f"complete: false). Run the same command again to resume: finished work is kept.", file=sys.stderr)
        return 130
    if not summary.complete:
        print(f"not complete: {summary.pending} row{' is' if summary.pending == 1 else 's are'} pending "
              "(rerun without --question to grade them)", file=sys.stderr)
    return 1 if any(r.status is Status.ERROR for r in summary.results) else 0


def _lms_report_options(args: argparse.Namespace, config, sources) -> dict:
    """Roster, late policy, extensions, times and overrides: read, checked against each other and the
    submissions (one error before any student code runs), and turned into the report's `finalize`."""
    from .judge.policy import PolicyError, lms_inputs_problems, localize, read_overrides, read_times, report_options
    from .intake.roster import read_roster

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
    from .intake.roster import RosterError, export_canvas, read_roster

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
    if roster is None:
        warnings.insert(0, f"no --roster: each gradebook id is written as the Canvas ID, with no name, SIS id or "
                           f"section, under the column {title!r}; Canvas matches an existing assignment by "
                           "'Title (id)': pass --roster with Canvas's gradebook export (or --assignment 'Title (id)')")
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {args.output}: {n} students, column {title!r}; import it in Canvas: Grades > Import")
    return 0


def _graded_out(args: argparse.Namespace):
    """grading.yml, the results OUT holds (its grade store) and their folders, for `report` and
    `similarity`; None (after a message) when OUT holds no graded results."""
    from .config import ConfigError, load_config
    from .publish.html_report import load_folders, load_results
    from .store.grades import StoreError

    try:
        config = load_config(args.config)
        return config, load_results(args.out, config), load_folders(args.out)
    except (ConfigError, FileNotFoundError, ValueError, StoreError) as exc:
        print(f"autograder: no graded results in {args.out}: {exc}", file=sys.stderr)
        return None


def _report(args: argparse.Namespace) -> int:
    from .publish import similarity
    from .publish.html_report import write_reports

    graded = _graded_out(args)
    if graded is None:
        return 2
    config, results, folders = graded
    index = write_reports(results, config, args.out, similarity.load(args.out), folders)
    print(f"class report: {index}")
    return 0


def _similarity(args: argparse.Namespace) -> int:
    from .publish import similarity
    from .publish.html_report import write_class_report

    graded = _graded_out(args)
    if graded is None:
        return 2
    config, results, folders = graded
    found = similarity.check(args.out / similarity.SOURCES, threshold=args.threshold,
                             boilerplate=args.boilerplate)
    similarity.save(found, args.out)
    index = write_class_report(results, config, args.out, found, folders)
    print(f"compared {found.files} files in {found.seconds:.1f} s: {len(found.pairs)} pairs at or above "
          f"{found.threshold:.0%} (flags for a TA; no grade changed)")
    for p in found.pairs:
        print(f"  {p.student_a} / {p.student_b}  {p.module}.py  {p.similarity_a:.0%} / {p.similarity_b:.0%}")
    print(f"class report: {index}")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from .config import load_config
    from .run.sandbox import SandboxError, Slot, detect_isolation

    level, note = detect_isolation()
    print(f"isolation: {level.value}" + (f" ({note})" if note else ""))
    if level is Isolation.NONE:
        return 0
    try:
        with Slot(level, load_config(args.config).limits.model_dump()) as slot:
            layers = slot.layers()  # each layer seen from inside a worker child
            info = slot.probe()
    except SandboxError as exc:
        print(f"self-check failed: {exc}", file=sys.stderr)
        return 1
    for name, state in layers.items():
        print(f"{name + ':':9}{state}")
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
    g.add_argument("--force", action="store_true",
                   help="regrade everything given, even what the grade store in OUT already holds")
    g.add_argument("--only", action="append", metavar="ID[,ID...]",
                   help="grade only these student ids (the others in OUT are kept)")
    g.add_argument("--question", action="append", metavar="QID",
                   help="grade only this question (repeatable); the others are reused")
    g.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="grade on a dask.distributed cluster: tcp://HOST:PORT of a running `dask scheduler`, "
                        "or local:N for N local worker processes (needs the `cluster` extra)")
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
    g.add_argument("--similarity", action="store_true",
                   help="also flag similar submissions (copydetect) in the class report; grades unchanged")
    g.set_defaults(func=_grade)

    from .publish.gradescope import add_export_command
    exports = add_export_command(sub)

    rp = sub.add_parser("report", help="rebuild OUT/report/index.html and the feedback pages from OUT")
    rp.add_argument("out", type=Path, metavar="OUT", help="the folder a grade run wrote")
    rp.add_argument("--config", type=Path, default=None, help="grading.yml (default: the repository's)")
    rp.set_defaults(func=_report)

    from .publish.similarity import DEFAULT_THRESHOLD
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

    e = exports.add_parser("canvas", help="write a gradebook for Canvas's Grades > Import")
    e.add_argument("out", type=Path, metavar="OUT", help="the folder a grading run wrote (with gradebook.csv)")
    e.add_argument("-o", "--output", type=Path, default=Path("canvas_import.csv"), help="the CSV to write")
    e.add_argument("--roster", type=Path, default=None,
                   help="the Canvas gradebook export (or a plain roster): names, SIS ids, sections, order")
    e.add_argument("--assignment", default=None,
                   help="the assignment column's title (default: the roster's only assignment column, "
                        "else grading.yml's assignment)")
    e.add_argument("--config", type=Path, default=None)
    e.set_defaults(func=_export)

    from .authoring.release import add_release_command, run_release
    r = add_release_command(sub)
    r.set_defaults(func=run_release)

    from .authoring.validate import run_validate
    v = sub.add_parser("validate", help="check grading.yml, the hidden suites and solutions/ against each other")
    v.add_argument("--config", type=Path, default=None, help="grading.yml (default: the repository's)")
    v.set_defaults(func=run_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
