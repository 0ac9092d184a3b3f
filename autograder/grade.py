"""The grading run: locate -> load -> execute -> compare -> score -> report, on every core.

`grade` is what ``autograder grade`` calls. Submissions are located in this process, then loaded
and graded in chunks by a pool of job processes (forked: they share the already imported pytest,
numpy and reference). Each job process owns one sandbox `Slot` (one unprivileged uid) for its
lifetime and runs one pytest session per chunk (`execute.grade_chunk`). Results come back as
`SubmissionResult`s and are written by the `ReportWriter` as they arrive, so memory stays flat
in the number of submissions. A chunk whose job process fails is retried one submission at a
time; a submission that still cannot be graded gets a row with status ``error``: no submission
is ever left out of the gradebook.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from .config import GradingConfig, load_config
from .execute import SubmissionRun, grade_chunk
from .load import load
from .locate import locate
from .report import ReportWriter
from .results import (CaseResult, Isolation, LoadedSubmission, Outcome, Status, SubmissionResult,
                      SubmissionSource)
from .sandbox import InProcessSlot, Slot, detect_isolation
from .score import score
from .html_report import ClassPages
from .similarity import SOURCES, keep_sources
from .similarity import check as check_similarity


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
        out: the report folder. results: one `Row` per submission, sorted by student.
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
#: A chunk: (position in the batch, submission). Position n is loaded into WORKDIR/n.
Chunk = list[tuple[int, SubmissionSource]]


def _init_job(config: GradingConfig, level: Isolation, workdir: Path) -> None:
    """Pool initializer: one slot (one sandbox, one uid) per job process."""
    global _SLOT, _CONFIG, _WORKDIR
    _CONFIG, _WORKDIR = config, workdir
    limits = config.limits.model_dump()
    _SLOT = InProcessSlot(limits) if level is Isolation.NONE else Slot(level, limits)
    multiprocessing.util.Finalize(_SLOT, _SLOT.close, exitpriority=10)


def _graded(run: SubmissionRun, output: str, dropped: int, config: GradingConfig,
            level: Isolation) -> SubmissionResult:
    notes = ()  # score() adds the load step's notes itself
    if dropped:
        notes = (f"your code printed more than {config.limits.output_kb} KB; only the start is shown",)
    return score(run.loaded, run.loaded.student, run.cases, config, isolation=level, notes=notes,
                 output=output, seconds=round(time.perf_counter() - run.started, 3))


def _load(position: int, source: SubmissionSource, config: GradingConfig, workdir: Path) -> LoadedSubmission:
    dest = workdir / f"{position:05d}"
    if dest.exists():  # a chunk retried after its job process died
        shutil.rmtree(dest)
    return load(source, dest, config.modules)


def _grade_chunk_job(sources: Chunk) -> list[SubmissionResult]:
    assert _SLOT is not None and _CONFIG is not None and _WORKDIR is not None
    # Loading (copying, unzipping, converting notebooks, a syntax check) runs here, on every core.
    chunk = [_load(i, src, _CONFIG, _WORKDIR) for i, src in sources]
    out: list[SubmissionResult] = []
    level = _SLOT.level
    grade_chunk(chunk, _CONFIG, _SLOT,
                lambda run, output, dropped: out.append(_graded(run, output, dropped, _CONFIG, level)))
    graded = {r.student for r in out}
    for loaded in chunk:  # a submission the session never reached (should not happen): say so
        if loaded.student not in graded:
            out.append(_error_result(loaded, _CONFIG, level, "the grader did not run its test cases"))
    return out


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


def _warm_up_reports() -> None:
    """Import what the report writer will need (otter ~1 s, matplotlib ~0.8 s) while the jobs
    grade, instead of at the first result and, for the plots, after the last one."""
    try:
        from . import report
        report._otter()
        import matplotlib.backends.backend_agg  # noqa: F401
        import matplotlib.figure  # noqa: F401
        import matplotlib.ticker  # noqa: F401
    except Exception:  # the report writer will import (and fail) on its own
        pass


def _run_pool(chunks: list[Chunk], config: GradingConfig, level: Isolation, jobs: int, workdir: Path,
              on_result: Callable[[SubmissionResult], None]) -> None:
    """Grade the chunks on `jobs` processes; retry a failed chunk one submission at a time."""
    pending = list(chunks)
    for attempt in range(2):
        failed: list[Chunk] = []
        ctx = multiprocessing.get_context("fork")
        warm_up = threading.Thread(target=_warm_up_reports, daemon=True)
        try:
            with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(pending))), mp_context=ctx,
                                     initializer=_init_job, initargs=(config, level, workdir)) as pool:
                futures = {pool.submit(_grade_chunk_job, chunk): chunk for chunk in pending}
                if attempt == 0:  # the job processes are forked at the first submit: no fork after this
                    warm_up.start()
                for future in as_completed(futures):
                    chunk = futures.pop(future)  # a finished chunk's results are not kept: memory flat in N
                    try:
                        for result in future.result():
                            on_result(result)
                    except Exception:  # the job process died or the session failed: retry below
                        failed.append(chunk)
        except BrokenProcessPool:
            pass
        if warm_up.is_alive():  # before the retry pool forks: never fork while another thread imports
            warm_up.join()
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


def grade(paths: Sequence[Path], out: Path, *, jobs: int | None = None, isolation: Isolation | None = None,
          config: GradingConfig | None = None, progress: bool = True, chunk_size: int | None = None,
          workdir: Path | None = None, similarity: bool = False) -> GradeSummary:
    """Grade every submission found in `paths` and write the reports into `out`.

    Args:
        paths: folders of submissions, student folders, zips, notebooks (see `locate`).
        out: the report folder (created): ``gradebook.csv``, ``summary.json``, ``plots/``,
            ``<student>/results.json`` and ``<student>/feedback.md``.
        jobs: parallel job processes (default: every core).
        isolation: force an isolation level (default: the strongest available).
        config: grading.yml (default: the repository's).
        progress: show a progress bar on stderr.
        chunk_size: submissions per pytest session (default: chosen from the batch size).
        workdir: where loaded copies are kept while grading (default: a temporary folder).
        similarity: also compare the submitted modules pairwise (`similarity.check`) and list
            the similar pairs in the class report (flags only; no grade changes).

    Returns:
        A `GradeSummary`.

    Raises:
        locate.LocateError: a path does not exist. sandbox.SandboxError: the requested isolation
            is not available. config.ConfigError: grading.yml is invalid.
    """
    started = time.perf_counter()
    config = config or load_config()
    level, note = detect_isolation(isolation)
    jobs = max(1, jobs or os.cpu_count() or 1)
    sources, warnings = locate([Path(p) for p in paths], config.modules)
    own_workdir = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="nn-autograder-load-")) if workdir is None else workdir
    os.chmod(workdir, 0o700)  # the loaded copies: only root (which stages them into each slot) reads them
    results: dict[str, Row] = {}
    # feedback.md shows hidden inputs and expected values: at the uid level (no jail) a submission could
    # read the reports of those graded before it. The report folder is private while student code runs,
    # and stays so unless it existed before (then its mode is restored at the end).
    out = Path(out)
    out_mode = stat.S_IMODE(out.stat().st_mode) if out.is_dir() else None
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o700)
    try:
        bar = _progress(len(sources), progress)
        pages = ClassPages(out, config)  # the HTML reports (html_report.py)
        with ReportWriter(Path(out), config) as writer:
            def on_result(result: SubmissionResult) -> None:
                writer.add(result)
                pages.add(result)
                results[result.student] = Row(result.student, result.status, result.total, result.possible,
                                              {q.id: q.points for q in result.questions})
                bar.update(1)

            _run_pool(_chunks(list(enumerate(sources)), jobs, chunk_size), config, level, jobs, workdir,
                      on_result)
            bar.close()
            keep_sources([(s.student, workdir / f"{i:05d}") for i, s in enumerate(sources)], out, config.modules)
        pages.close(check_similarity(out / SOURCES) if similarity else None)
    finally:
        if own_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        if out_mode is not None:
            os.chmod(out, out_mode)
    ordered = [results[k] for k in sorted(results)]
    return GradeSummary(Path(out), ordered, level, note, warnings, round(time.perf_counter() - started, 3))


def _progress(total: int, enabled: bool):
    import tqdm as _tqdm
    _tqdm.tqdm.monitor_interval = 0  # no monitor thread: job processes are forked from this one
    return _tqdm.tqdm(total=total, unit="submission", disable=not enabled, leave=False, dynamic_ncols=True)

