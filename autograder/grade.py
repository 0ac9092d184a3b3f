"""The grading run: locate -> load -> execute -> compare -> score -> report, on every core.

`grade` is what ``autograder grade`` calls. Submissions are located in this process, then loaded
and graded in chunks by a pool of job processes (forked: they share the already imported pytest,
numpy and reference). Each job process owns one sandbox `Slot` (one unprivileged uid) for its
lifetime and runs one pytest session per chunk (`execute.grade_chunk`). Results come back as
`SubmissionResult`s and are written by the `ReportWriter` as they arrive, so memory stays flat
in the number of submissions. A chunk whose job process fails is retried one submission at a
time; a submission that still cannot be graded gets a row with status ``error``: no submission
is ever left out of the gradebook.

Between *score* and *report* sits the grade store (`store.py`, ``OUT/grades.sqlite``): the run
first plans what to grade (a (submission, question) pair whose content hash and question key are
unchanged is reused), the main process records each result as it arrives, then re-scores what
only changed in points, and every report is rendered from the store. Rerunning a command resumes
it; Ctrl-C stops the job processes and keeps what is finished. Where chunks run is an
`executors.Executor`: the local pool, or a dask.distributed cluster (``scheduler``); only
`_run_pool` knows which.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.util
import os
import shutil
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .config import ConfigError, GradingConfig, load_config
from .run.execute import SubmissionRun, grade_chunk, question_of
from .intake.load import load
from .intake.locate import LocateError, classify_folder, locate
from .publish.html_report import (PAGE_POOL_MIN, PagePool, has_plots, without_series, write_class_report,
                                  write_feedback_html)
from .publish.report import diagnosis_counts, row_annotation, write_class_files, write_submission
from .publish.similarity import SOURCES, keep_sources
from .publish.similarity import check as check_similarity
from .publish.similarity import load as load_similarity
from .publish.similarity import save as save_similarity
from .store import grades as _store
from .results import (CaseResult, Isolation, LoadedSubmission, Outcome, Status, SubmissionResult,
                      SubmissionSource)
from .run.sandbox import InProcessSlot, Slot, detect_isolation
from .judge.score import score


@dataclass(frozen=True)
class Row:
    """One gradebook row: what the run keeps in memory per submission (the reports hold the rest)."""

    student: str
    status: Status
    total: float
    possible: float
    points: dict[str, float]


@dataclass
class GradeSummary:
    """What a grading run did, for the command line and for tests.

    Attributes:
        out: the report folder. results: one `Row` per submission of this run that has a grade,
            sorted by student (pending ones are counted in `pending`; rows of OUT that this run
            did not touch are not listed).
        isolation: the level used; isolation_note: why not a stronger one ("" if the strongest).
        warnings: problems with the input paths (stray files, duplicate ids).
        seconds: wall-clock time of the run.
    """

    out: Path
    results: list[Row]
    isolation: Isolation
    isolation_note: str
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: What the run did with the store: submissions whose code ran, whose grades were reused as
    #: they were, re-scored from stored outcomes (points changed), and rows kept ``not in this run``.
    graded: int = 0
    reused: int = 0
    rescored: int = 0
    kept: int = 0
    #: Submissions of this run still to grade (after Ctrl-C, or questions left out by --question).
    pending: int = 0
    #: False until every row in OUT is graded; True when the run was stopped by Ctrl-C.
    complete: bool = True
    interrupted: bool = False

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status.value] = out.get(r.status.value, 0) + 1
        return out


# -- job processes --------------------------------------------------------------------------------
_SLOT: Slot | InProcessSlot | None = None
_CONFIG: GradingConfig | None = None
_WORKDIR: Path | None = None
#: {student id: question ids to grade}; a student not in it gets every question (None: all of everyone).
_SELECTION: dict[str, frozenset[str]] | None = None
#: A chunk: (position in the batch, submission). Position n is loaded into WORKDIR/n.
Chunk = list[tuple[int, SubmissionSource]]


def _init_job(config: GradingConfig, level: Isolation, workdir: Path,
              selection: dict[str, frozenset[str]] | None = None) -> None:
    """Pool initializer: one slot (one sandbox, one uid) per job process.

    Ctrl-C is the main process's to handle (it stops the job processes); a job process dies with
    the main process (PR_SET_PDEATHSIG), so a grader killed with SIGKILL leaves none behind.
    """
    global _SLOT, _CONFIG, _WORKDIR, _SELECTION
    _CONFIG, _WORKDIR, _SELECTION = config, workdir, selection
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
    limits = config.limits.model_dump()
    _SLOT = InProcessSlot(limits) if level is Isolation.NONE else Slot(level, limits)
    multiprocessing.util.Finalize(_SLOT, _SLOT.close, exitpriority=10)


def _graded(run: SubmissionRun, output: str, dropped: int, config: GradingConfig,
            level: Isolation) -> SubmissionResult:
    notes = ()  # score() adds the load step's notes itself
    if dropped:
        notes = (f"your code printed more than {config.limits.output_kb} KB; only the start is shown",)
    if config.notebook.mode == "execute":  # what the notebook's cells did, once each (not once a question)
        from .intake.notebook import cell_reports

        output, reports = cell_reports(output)
        notes += reports
    return score(run.loaded, run.loaded.student, run.cases, config, isolation=level, notes=notes,
                 output=output, seconds=round(time.perf_counter() - run.started, 3))


def _load(position: int, source: SubmissionSource, config: GradingConfig, workdir: Path) -> LoadedSubmission:
    dest = workdir / f"{position:05d}"
    if dest.exists():  # a chunk retried after its job process died
        shutil.rmtree(dest)
    return load(source, dest, config.modules, notebook=config.notebook)


def _keep_sources_of(student: str, todo_at: dict[str, tuple[int, SubmissionSource]], folders: dict[str, str],
                     config: GradingConfig, workdir: Path, out: Path, warnings: list[str]) -> None:
    """Keep `student`'s loaded modules under ``OUT/report/sources`` for the similarity check.

    A job process of the local pool loaded them into ``workdir/<position>``; a submission graded
    on a dask worker was loaded there, so it is loaded here again (copying files only: no student
    code runs in this process). A failure costs only that student's place in the similarity check
    (a warning), never the grade just recorded.
    """
    if student not in todo_at:
        return
    position, source = todo_at[student]
    try:
        folder = workdir / f"{position:05d}"
        if not folder.is_dir():
            folder = _load(position, source, config, workdir).directory
        keep_sources([(folders[student], folder)], out, config.modules)
    except Exception as exc:  # noqa: BLE001 - a flag, never a grade
        warnings.append(f"{student}: its modules could not be kept for the similarity check "
                        f"({type(exc).__name__}: {exc})")


def _grade_chunk_job(sources: Chunk,
                     emit: Callable[[int, SubmissionResult], None] | None = None) -> list[SubmissionResult]:
    """Load and grade a chunk in this job process (one pytest session); one result per submission.

    `emit` (position in the batch, result) is called with each result as soon as its submission
    is done, before the next one is graded: the local pool streams them to the main process so
    that a grader killed mid-chunk loses only the submission in flight (`executors.LocalPoolExecutor`).
    """
    assert _SLOT is not None and _CONFIG is not None and _WORKDIR is not None
    # Loading (copying, unzipping, converting notebooks, a syntax check) runs here, on every core.
    chunk = [_load(i, src, _CONFIG, _WORKDIR) for i, src in sources]
    positions = {loaded.student: i for loaded, (i, _) in zip(chunk, sources)}
    out: list[SubmissionResult] = []
    level = _SLOT.level

    def done(result: SubmissionResult) -> None:
        out.append(result)
        if emit is not None:
            emit(positions[result.student], result)

    grade_chunk(chunk, _CONFIG, _SLOT,
                lambda run, output, dropped: done(_graded(run, output, dropped, _CONFIG, level)),
                extra_args=("-p", __name__) if _SELECTION else ())
    graded = {r.student for r in out}
    for loaded in chunk:  # a submission the session never reached (should not happen): say so
        if loaded.student not in graded:
            done(_error_result(loaded, _CONFIG, level, "the grader did not run its test cases"))
    return out


def pytest_collection_modifyitems(config: object, items: list) -> None:
    """pytest hook (this module is a plugin of a session when a run grades only some questions of
    some submissions, ``-p autograder.grade``): keep the items of the questions `_SELECTION` names."""
    if not _SELECTION:
        return
    keep = []
    for item in items:
        sub = item.callspec.params.get("submission") if hasattr(item, "callspec") else None
        wanted = _SELECTION.get(sub.student) if sub is not None else None
        if wanted is None or not item.get_closest_marker("question") or question_of(item)[0] in wanted:
            keep.append(item)
    items[:] = keep


def _error_result(loaded: LoadedSubmission, config: GradingConfig, level: Isolation, why: str) -> SubmissionResult:
    cases = [CaseResult(q, "grading", Outcome.ERROR, "The grader failed on your submission; this is "
                        "not your fault and your instructor has been told.", detail=why)
             for q in config.questions]
    return score(loaded, loaded.student, cases, config, isolation=level)


# -- the run --------------------------------------------------------------------------------------
MAX_CHUNK = 32  # a grading session's set-up costs ~30 ms: a chunk of 32 pays ~1 ms per submission
MIN_CHUNK = 2


def _chunks(items: Sequence, jobs: int, size: int | None) -> list[list]:
    """Chunks of a fixed `size`; by default MAX_CHUNK for one job process, and "guided" ones for
    several: each takes 1/(2*jobs) of what is left (between MIN_CHUNK and MAX_CHUNK), so that big
    chunks come first and small ones last, and the job processes, taking chunks in order, finish
    within a small chunk of each other."""
    out, i = [], 0
    while i < len(items):
        guided = max(MIN_CHUNK, min(MAX_CHUNK, (len(items) - i) // (2 * jobs)))
        n = size or (MAX_CHUNK if jobs == 1 else guided)
        out.append(list(items[i:i + n]))
        i += n
    return out


#: Held by the warm-up thread while it imports and by the main thread while it renders: a
#: rendering that imports matplotlib while the warm-up thread is importing it can get the
#: half-initialised module (``module 'matplotlib' has no attribute 'get_data_path'``; seen in CI,
#: where it turned every row rendered then into a row with status error).
_REPORT_IMPORTS = threading.Lock()


def _warm_up_reports() -> None:
    """Import what the report writer will need (otter ~1 s, matplotlib ~0.8 s) while the jobs
    grade, instead of at the first result and, for the plots, after the last one."""
    with _REPORT_IMPORTS:
        try:
            from .publish import report
            report._otter()
            import matplotlib.backends.backend_agg  # noqa: F401
            import matplotlib.figure  # noqa: F401
            import matplotlib.ticker  # noqa: F401
        except Exception:  # the report writer will import (and fail) on its own
            pass


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Ctrl-C: cancel what has not started and stop the job processes now (their sandboxes die with
    them); a second Ctrl-C is ignored until the finished work is rendered."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in multiprocessing.active_children():
        process.terminate()
    for process in multiprocessing.active_children():
        process.join(5)


def _run_pool(chunks: list[Chunk], config: GradingConfig, level: Isolation, jobs: int, workdir: Path,
              on_result: Callable[[SubmissionResult], None],
              selection: dict[str, frozenset[str]] | None = None, *, scheduler: str | None = None,
              chunk_size: int | None = None) -> None:
    """Grade the chunks on an executor (`executors.Executor`): `jobs` local job processes, or the
    dask cluster at `scheduler` (``tcp://HOST:PORT``, ``local:N``), whose chunks are sized for its
    worker count (or `chunk_size`). A failed chunk is retried one submission at a time; a
    submission that fails twice gets a row with status ``error``. `on_result` runs in this
    process only, once per submission.

    `selection`: {student: questions to grade} (default: every question). KeyboardInterrupt: the
    job processes are stopped and the interrupt is raised again."""
    from .run.executors import make_executor

    executor = make_executor(scheduler, config, level, jobs, workdir, warm_up=_warm_up_reports,
                             selection=selection)
    try:
        if scheduler is not None and executor.jobs != jobs:
            chunks = _chunks([item for chunk in chunks for item in chunk], executor.jobs, chunk_size)
        pending = list(chunks)
        for attempt in range(2):
            failed: list[Chunk] = []
            for chunk, results in executor.map_chunks(pending):
                try:
                    if results is None:  # the job process died or the session failed: retry below
                        raise RuntimeError("the chunk failed")
                    for result in results:
                        on_result(result)
                except Exception:
                    failed.append(chunk)
            if not failed:
                return
            pending = [[s] for chunk in failed for s in chunk]
            if attempt == 1:
                for chunk in pending:
                    position, source = chunk[0]
                    try:
                        loaded = _load(position, source, config, workdir)
                    except Exception:
                        loaded = LoadedSubmission(source.student, workdir / f"{position:05d}", ())
                    on_result(_error_result(loaded, config, level, "the grading process failed twice"))
    finally:
        executor.close()


def grade(paths: Sequence[Path], out: Path, *, jobs: int | None = None, isolation: Isolation | None = None,
          config: GradingConfig | None = None, progress: bool = True, chunk_size: int | None = None,
          workdir: Path | None = None, force: bool = False, only: Sequence[str] | None = None,
          questions: Sequence[str] | None = None, scheduler: str | None = None,
          sources: Sequence[SubmissionSource] | None = None, report_options: dict | None = None,
          similarity: bool = False, validate: bool = True) -> GradeSummary:
    """Grade the submissions found in `paths` into the grade store of `out`, and render its reports.

    Rerunning on the same `out` resumes: only (submission, question) pairs whose content hash or
    question key changed run student code; a change of points re-scores from stored outcomes. A
    run over one student's folder (or with `only`) updates those rows and keeps the others; a run
    over a class folder marks stored students it does not find ``not in this run``.

    Args:
        paths: folders of submissions, student folders, zips, notebooks (see `locate`).
        out: the report folder (created): ``grades.sqlite``, ``gradebook.csv``, ``summary.json``,
            ``plots/``, ``<folder>/results.json`` and ``<folder>/feedback.md``.
        jobs: parallel job processes (default: every core).
        isolation: force an isolation level (default: the strongest available).
        config: grading.yml (default: the repository's).
        progress: show a progress bar on stderr.
        chunk_size: submissions per pytest session (default: chosen from the batch size).
        workdir: where loaded copies are kept while grading (default: a temporary folder).
        force: regrade every (submission, question) pair of the run.
        only: grade only these student ids (as the gradebook spells them).
        questions: grade only these question ids.
        scheduler: grade on a dask.distributed cluster instead of local job processes:
            ``tcp://HOST:PORT`` of a ``dask scheduler``, or ``local:N`` (a LocalCluster of N
            worker processes); see `executors.DaskExecutor`. Reports are written here only.
        sources: the submissions, already found (e.g. by `lms.intake`); then `paths` is not read
            for submissions (it still tells a run over a class from a run over one student).
        report_options: ``finalize`` (result -> `policy.FinalGrade`: late policy, overrides,
            roster names) and ``missing`` ((id, name) of roster students with no submission), from
            `policy.report_options`; applied when rendering, so every regrade keeps them.
        similarity: also compare the submitted modules pairwise (`similarity.check`) and list
            the similar pairs in the class report (flags only; no grade changes).
        validate: first check grading.yml, the hidden suites and solutions/ against each other
            (`validate.problems` without the public checks: ~0.1 s), before any student code runs.

    Returns:
        A `GradeSummary` (``interrupted`` after Ctrl-C: the finished work is stored and rendered).

    Raises:
        locate.LocateError: a path does not exist, or `only` names an id not found.
        sandbox.SandboxError: the requested isolation is not available. config.ConfigError:
            grading.yml is invalid, disagrees with the hidden suites or solutions/ (`validate`), or
            `questions` names a question it does not have.
        store.StoreError: ``out/grades.sqlite`` is damaged, foreign, or in use by another run.
        ValueError: `scheduler` is malformed. OSError: the scheduler cannot be reached.
    """
    started = time.perf_counter()
    config = config or load_config()
    if validate:
        from .authoring.validate import problems  # as the command line does, without the public checks
        found = problems(config, public_checks=False)
        if found:
            raise ConfigError("grading.yml, the hidden suites and solutions/ disagree, so nothing was graded: "
                              + "; ".join(found))
    for qid in questions or ():
        if qid not in config.questions:
            raise ConfigError(f"--question {qid}: no such question; grading.yml has {', '.join(config.questions)}")
    # the level is probed (a bubblewrap process) only when it is asked for or code has to run
    level, note = detect_isolation(isolation) if isolation is not None else (None, "")
    jobs = max(1, jobs or os.cpu_count() or 1)
    if sources is None:
        sources, warnings = locate([Path(p) for p in paths], config.modules, assignment=config.assignment)
    else:
        sources, warnings = list(sources), []
    finalize = (report_options or {}).get("finalize")
    roster_missing = tuple((report_options or {}).get("missing", ()))
    if only:
        missing = sorted(set(only) - {s.student for s in sources})
        if missing:
            raise LocateError(f"--only: no submission {', '.join(map(repr, missing))} in {', '.join(map(str, paths))}")
        sources = [s for s in sources if s.student in set(only)]
    # a run over a class (a class folder, an LMS download of several students) marks the stored
    # students it does not find ``not in this run``; a run over one student's work keeps them as they are
    full = not only and (len(sources) > 1 or any(
        Path(p).is_dir() and classify_folder(Path(p), config.modules, config.assignment)[0] == "class"
        for p in paths))
    out = Path(out)
    out_mode = stat.S_IMODE(out.stat().st_mode) if out.is_dir() else None
    out.mkdir(parents=True, exist_ok=True)
    warnings += _keep_older_reports(out)
    store = _store.Store.open(out)
    own_workdir = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="nn-autograder-load-")) if workdir is None else workdir
    os.chmod(workdir, 0o700)  # the loaded copies: only root (which stages them into each slot) reads them
    # feedback.md shows hidden inputs and expected values: at the uid level (no jail) a submission could
    # read the reports of those graded before it. The report folder is private while student code runs,
    # and stays so unless it existed before (then its mode is restored at the end).
    os.chmod(out, 0o700)
    previous_sigint = signal.getsignal(signal.SIGINT)
    summary = GradeSummary(out, [], level or Isolation.NONE, note, warnings)
    pages: PagePool | None = None
    try:
        _remove_stale_temp_files(out)
        keys = _store.question_keys(config)
        located = [(s.student, str(s.path), _store.content_hash(s.path)) for s in sources]
        plan = store.plan(located, keys, level, force=force, questions=questions, full=full,
                          paths=[str(p) for p in paths],
                          options={"force": force, "only": list(only or ()), "questions": list(questions or ())})
        folders = store.folders()
        look_alike = store.look_alike()  # _store.look_alike_ids(folders), kept in the store
        for group in look_alike:
            warnings.append("student ids that look alike (same letters up to case or look-alike characters): "
                            + ", ".join(repr(s) for s in group) + "; check they are different students")
        extra = {"look_alike_ids": [list(g) for g in look_alike]}

        def render(student: str, result: SubmissionResult | None = None, provenance=None,
                   redraw: bool = True) -> None:
            """Its results.json, feedback.md and feedback.html (with the loss plots, drawn again
            only when `redraw`: a re-score changes points, not losses)."""
            result = result or store.result(student, config)
            if result is None:
                return
            with _REPORT_IMPORTS:  # never while the warm-up thread imports matplotlib
                write_submission(out, folders[student], result, config,
                                 provenance or store.provenance(student, keys),
                                 finalize(result) if finalize is not None else None)
                page = out / folders[student] / "feedback.html"
                if redraw and pages is not None and has_plots(result):  # drawn off this process's path
                    pages.write(result, page)
                else:
                    write_feedback_html(result, config, page, redraw=redraw)

        changed, rescored_list = store.rescore(config)  # points changed: re-score from the stored outcomes
        here = {s for s, _, _ in located}
        rescored = set(rescored_list)
        summary.rescored = len(rescored & here)
        missing = [s for s in plan.reused if s not in changed and not (  # reused, its report files deleted
            (out / folders[s] / "feedback.md").is_file() and (out / folders[s] / "results.json").is_file()
            and (out / folders[s] / "feedback.html").is_file())]
        provenances = store.provenances([*changed, *missing], keys)
        # pages with plots to draw: in processes of their own, forked now (no thread of ours runs yet)
        if len(plan.todo) + len(missing) >= PAGE_POOL_MIN:
            pages = PagePool(config, jobs)
        for student, result in changed.items():
            render(student, result, provenances.get(student), redraw=False)
        for student in missing:
            render(student, None, provenances.get(student))
        todo = [(i, s) for i, s in enumerate(sources) if s.student in plan.todo]
        if level is None and todo:
            level, note = detect_isolation(None)
            summary.isolation, summary.isolation_note = level, note
        if todo:  # until the run completes, the gradebook and summary say what is still to grade
            write_class_files(out, config, store.rows(), complete=False, extra=extra, plots=False,
                              final_columns=finalize is not None, missing=roster_missing)
        graded: set[str] = set()
        todo_at = {s.student: (i, s) for i, s in todo}  # each one's position: its modules load into workdir/i
        bar = _progress(len(todo), progress)

        def on_result(result: SubmissionResult) -> None:
            try:
                store.record(result, plan.todo.get(result.student, list(config.questions)), keys)
                # its modules for the similarity check now, not at the end: a run stopped later
                # (Ctrl-C while rendering, kill -9) would never keep them, and the rerun reuses it
                graded.add(result.student)
                _keep_sources_of(result.student, todo_at, folders, config, workdir, out, warnings)
                # the loss plots are drawn again only when a question that records them ran now
                render(result.student, redraw=any(c.series for q in result.questions for c in q.cases))
            except Exception as exc:  # its reporting failed: that submission gets an error row, not the run
                failed = _error_result(LoadedSubmission(result.student, workdir, ()), config, level,
                                       f"recording or rendering its results failed: {type(exc).__name__}: {exc}")
                store.record(failed, list(config.questions), keys)
                try:
                    render(result.student)
                except Exception:  # the gradebook row (status error) still comes from the store
                    pass
            graded.add(result.student)
            bar.update(1)

        selection = {s: frozenset(q) for s, q in plan.todo.items() if len(q) < len(config.questions)}
        try:
            if todo:
                _run_pool(_chunks(todo, jobs, chunk_size), config, level, jobs, workdir, on_result,
                          selection or None, scheduler=scheduler, chunk_size=chunk_size)
        except KeyboardInterrupt:
            summary.interrupted = True
        finally:
            bar.close()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # from here on: render what is stored, then stop
        if pages is not None:
            pages.close()  # every feedback page is written
            warnings += [f"{page}: the feedback page could not be written ({why}); a rerun tries again"
                         for page, why in pages.failed]
        late_changes, _ = store.rescore(config)
        rows = store.rows()
        summary.complete = store.complete() and not summary.interrupted
        drawn = _store.plots_key(config, rows)  # drawing the plots costs ~1 s: only when what they show changed
        plots = drawn != store.meta("plots_key") or not all(
            (out / "plots" / name).is_file() for name in ("score_distribution.png", "question_pass_rates.png"))
        stored = None if graded or late_changes else _results_in_hand(changed, rows)
        stored = stored if stored is not None else store.results(config, series=False)  # no loss series needed
        extra["diagnoses"] = diagnosis_counts(stored)  # the mistake signatures per question
        annotations = {r.student: row_annotation(r, finalize(r) if finalize is not None else None) for r in stored}
        write_class_files(out, config, rows, complete=summary.complete, extra=extra, plots=plots,
                          annotations=annotations, final_columns=finalize is not None, missing=roster_missing)
        if plots:
            store.set_meta("plots_key", drawn)
        found = check_similarity(out / SOURCES) if similarity else load_similarity(out)
        if similarity:
            save_similarity(found, out)
        write_class_report([without_series(r) for r in stored], config, out, found, folders=store.folders())
        summary.graded, summary.kept = len(graded), len(plan.absent)
        still_pending = set()
        for row in rows:
            if row.student not in here:
                continue
            if row.total is None:
                summary.pending += 1
                still_pending.add(row.student)
            else:
                summary.results.append(Row(row.student, Status(row.status), row.total, row.possible, row.points))
        # a row left pending (a --question run after another question changed) was not reused
        summary.reused = len([s for s in plan.reused if s not in rescored and s not in still_pending])
        if level is None:  # no code ran: the level the kept grades were graded at
            levels = sorted({r.isolation for r in rows if r.student in here and r.isolation})
            if levels:
                summary.isolation = Isolation(levels[0]) if len(levels) == 1 else summary.isolation
                summary.isolation_note = "no student code ran in this run; its grades were graded earlier"
        store.finish_run({"graded": summary.graded, "reused": summary.reused, "rescored": summary.rescored,
                          "kept": summary.kept, "pending": summary.pending}, summary.complete)
    finally:
        if pages is not None:
            pages.close()
        store.close()
        signal.signal(signal.SIGINT, previous_sigint)
        if own_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        if out_mode is not None:
            os.chmod(out, out_mode)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _results_in_hand(changed: dict[str, SubmissionResult], rows: list) -> list[SubmissionResult] | None:
    """A rerun that only re-scored already holds every stored result (`Store.rescore` scored each
    row with the new points): reading and decoding them all again (their loss series are most of
    it) would double the cost of a points-only rerun. None unless `changed` covers every row that
    has a grade (`rows`: `store.StoredRow`s)."""
    done = {r.student for r in rows if r.state != "pending"}
    if not changed or set(changed) != done:
        return None
    return [changed[s] for s in sorted(changed)]


def _keep_older_reports(out: Path) -> list[str]:
    """An OUT written before the grade store (reports, no grades.sqlite): its class files are
    renamed ``*.before-store.*`` so that nothing of it is lost; its student folders stay."""
    if (out / _store.STORE_NAME).exists() or not (out / "gradebook.csv").exists():
        return []
    kept = []
    for name in ("gradebook.csv", "summary.json"):
        if (out / name).exists():
            stem, dot, ext = name.partition(".")
            os.replace(out / name, out / f"{stem}.before-store.{ext}")
            kept.append(f"{stem}.before-store.{ext}")
    return [f"{out} was written by an older autograder (no grade store): its {' and '.join(kept)} "
            f"were kept beside the new ones; every submission given is graded again"]


def _remove_stale_temp_files(out: Path) -> None:
    """Temporary files of an atomic write cut short (a grader killed mid-write): ``.<name>.*.tmp``."""
    for pattern in (".*.tmp", "plots/.*.tmp", "*/.*.tmp"):
        for p in out.glob(pattern):
            p.unlink(missing_ok=True)


def _progress(total: int, enabled: bool):
    import tqdm as _tqdm
    _tqdm.tqdm.monitor_interval = 0  # no monitor thread: job processes are forked from this one
    return _tqdm.tqdm(total=total, unit="submission", disable=not enabled, leave=False, dynamic_ncols=True)

