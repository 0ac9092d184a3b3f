"""Where chunks of submissions are graded: the local process pool, or a dask.distributed cluster.

`grade._run_pool` hands chunks to an `Executor` and gets back results as they are done (the
local pool: each submission's alone, as soon as it is graded; dask: a chunk's at once) or the
news that some submissions failed; it retries those and writes every result itself. Neither it nor the
rest of the pipeline knows which executor runs:

* `LocalPoolExecutor`: forked job processes (`concurrent.futures.ProcessPoolExecutor`), each
  owning one sandbox slot set up by the pool initializer `grade._init_job`, grading with
  `grade._grade_chunk_job` and sending each result down a pipe of its own as soon as its
  submission is done (a kill -9 of the grader loses only the submissions in flight).
* `DaskExecutor`: the workers of a ``dask.distributed`` cluster (``tcp://HOST:PORT``, or
  ``local:N`` for a `LocalCluster` of N worker processes on this machine). Each worker process
  sets itself up with the same `grade._init_job` (a `WorkerPlugin`) on its own host, so it
  owns one slot exactly as a local job process does, and grades with the same
  `grade._grade_chunk_job`. Remote hosts do not share this disk: only the submission files go
  out (`pack` reads them here, `unpack` re-creates them there, and the worker's own `load` step
  reads them as it would here); plain `SubmissionResult`s come back. A worker that dies has its
  chunk run again elsewhere by the scheduler (and, if that fails too, `_run_pool` retries it
  one submission at a time); a chunk's results are taken from one finished task only, so
  nothing is lost or counted twice.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from ..config import GradingConfig
from ..intake.load import MAX_FOLDER_ENTRIES, MAX_NOTEBOOK_BYTES, MAX_SCAN_DEPTH
from ..intake.locate import is_skipped
from ..results import Isolation, SubmissionResult, SubmissionSource

#: A chunk: (position in the batch, submission), as in `grade.Chunk`.
Chunk = list[tuple[int, SubmissionSource]]
#: What an executor yields: submissions (a chunk or part of one) and their results, or None when they failed.
Outcome = tuple[Chunk, "list[SubmissionResult] | None"]


class Executor(Protocol):
    """What `grade._run_pool` needs from a place that grades chunks.

    Attributes:
        jobs: how many chunks it grades at once (job processes, or dask worker threads);
            chunk sizes are chosen from it.
    """

    jobs: int

    def map_chunks(self, chunks: list[Chunk]) -> Iterator[Outcome]:
        """Grade every chunk; yield ``(items, results)`` as they finish, in any order: a whole
        chunk with its results, part of one (the local pool yields each submission alone, as
        ``([item], [result])``, as soon as it is graded), or ``(items, None)`` for submissions
        that could not be graded (their process died, their session failed).
        Every submission is yielded exactly once."""
        ...

    def close(self) -> None:
        """Release what the executor started (processes, a local cluster, a connection)."""
        ...


# -- the local process pool ---------------------------------------------------------------------


class LocalPoolExecutor:
    """`jobs` forked job processes on this machine, each with one sandbox slot (`grade._init_job`).

    A new pool is made for every `map_chunks` call, so a retry after a job process died starts
    with fresh processes. `warm_up` (the report writer's imports) is started in a thread once the
    first pool has forked its processes: never fork while another thread imports.
    """

    def __init__(self, config: GradingConfig, level: Isolation, jobs: int, workdir: Path,
                 warm_up: Callable[[], None] | None = None,
                 selection: dict[str, frozenset[str]] | None = None) -> None:
        self.config, self.level, self.jobs, self.workdir = config, level, max(1, jobs), workdir
        self.selection = selection
        self._warm_up = threading.Thread(target=warm_up, daemon=True) if warm_up else None

    def map_chunks(self, chunks: list[Chunk]) -> Iterator[Outcome]:
        """Grade the chunks on `jobs` job processes; yield each submission's result as it is
        done, as ``([(position, source)], [result])``, and, for a chunk whose job process died or
        whose session failed, one ``(the submissions of it not yet yielded, None)``.

        Each job process writes its results to a pipe of its own (`_init_streaming_job`), one
        message per submission, as soon as the submission is graded; so a grader killed
        mid-chunk has stored every submission but the one each job process was grading."""
        from .. import grade

        import multiprocessing
        from multiprocessing.connection import wait
        ctx = multiprocessing.get_context("fork")
        workers = max(1, min(self.jobs, len(chunks)))
        pipes = [ctx.Pipe(duplex=False) for _ in range(workers)]
        readers = [r for r, _ in pipes]
        claimed = ctx.Value("i", 0)
        pending: dict = {}  # future -> chunk
        left: dict[int, tuple[int, SubmissionSource]] = {}  # position -> item, not yet yielded
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_streaming_job,
                                     initargs=([w for _, w in pipes], claimed, self.config, self.level,
                                               self.workdir, self.selection)) as pool:
                try:
                    for chunk in chunks:
                        pending[pool.submit(_stream_chunk_job, chunk)] = chunk
                        left.update((i, (i, src)) for i, src in chunk)
                    for _, w in pipes:  # the job processes are forked at the first submit: they hold them now
                        w.close()
                    if self._warm_up is not None and self._warm_up.ident is None:
                        self._warm_up.start()

                    def received(timeout: float | None) -> Iterator[Outcome]:
                        """The results waiting in the pipes (waiting up to `timeout` s for one)."""
                        for reader in wait(readers, timeout):
                            try:
                                position, result = reader.recv()
                            except Exception:  # its job process is gone, or died mid-message (its chunk fails below)
                                readers.remove(reader)
                                continue
                            item = left.pop(position, None)
                            if item is not None:
                                yield [item], [result]

                    while pending:
                        yield from received(0.05)
                        for future in [f for f in pending if f.done()]:
                            chunk = pending.pop(future)
                            try:
                                sent = set(future.result())
                            except Exception:  # the job process died or the session failed
                                sent = set()
                            # what it sent before it returned (or died) is in its pipe already
                            deadline = time.monotonic() + 30
                            while readers and any(i in left for i in sent) and time.monotonic() < deadline:
                                yield from received(1.0)
                            while readers and wait(readers, 0):
                                yield from received(0)
                            rest = [left.pop(i) for i, _ in chunk if i in left]
                            if rest:
                                yield rest, None
                except KeyboardInterrupt:  # Ctrl-C: stop the job processes now, keep what is finished
                    grade._stop_pool(pool)
                    raise
        except BrokenProcessPool:
            pass
        finally:
            for r, w in pipes:
                r.close()
                w.close()
        self._join_warm_up()  # before any later fork: never fork while another thread imports
        for chunk in pending.values():  # not reached before the pool broke: failed
            rest = [left.pop(i) for i, _ in chunk if i in left]
            if rest:
                yield rest, None

    def _join_warm_up(self) -> None:
        if self._warm_up is not None and self._warm_up.is_alive():  # before any later fork
            self._warm_up.join()

    def close(self) -> None:
        self._join_warm_up()


#: The write end of this job process's result pipe (`LocalPoolExecutor.map_chunks`).
_STREAM = None


def _init_streaming_job(writers: list, claimed, config: GradingConfig, level: Isolation, workdir: Path,
                        selection: dict[str, frozenset[str]] | None) -> None:
    """Pool initializer: `grade._init_job`, then take one of `writers` (the next unclaimed one, by
    the shared counter `claimed`) as this process's result pipe and close the others, so that a
    pipe whose job process died reads as ended."""
    global _STREAM
    from .. import grade

    with claimed.get_lock():
        mine = claimed.value
        claimed.value += 1
    for n, w in enumerate(writers):
        if n != mine:
            w.close()
    _STREAM = writers[mine]
    grade._init_job(config, level, workdir, selection)


def _stream_chunk_job(chunk: Chunk) -> list[int]:
    """Grade `chunk` (`grade._grade_chunk_job`), sending each (position, result) down this process's
    pipe as soon as it is done; return the positions sent (all of the chunk's)."""
    from .. import grade

    sent: list[int] = []

    def emit(position: int, result: SubmissionResult) -> None:
        _STREAM.send((position, result))  # whole before the next submission is graded
        sent.append(position)

    grade._grade_chunk_job(chunk, emit)
    return sent


# -- dask.distributed -----------------------------------------------------------------------------

#: Files whose bytes the load step reads in a submission folder; others only need their size.
_READ_SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class Packed:
    """One submission's files, as sent to a remote worker (plain bytes, no paths of this host).

    Attributes:
        student: the student id.
        name: the file or folder name of the submission (``alice.zip``, ``alice``).
        data: the bytes of a single-file submission (None for a folder).
        size: the file's size in bytes (the content is not sent beyond what `load` reads:
            larger files are re-created as sparse files of the same size).
        tree: for a folder, ``(relative path, kind, bytes or None, size)`` per entry, kind one of
            ``file``, ``dir``, ``symlink``, ``other``; only the ``.py`` and ``.ipynb`` files
            that `load` may read carry their bytes.
    """

    student: str
    name: str
    data: bytes | None = None
    size: int = 0
    tree: tuple[tuple[str, str, bytes | None, int], ...] | None = None


def _read_nofollow(path: Path, limit: int) -> tuple[bytes | None, int]:
    """A regular file's bytes if it has at most `limit`, else None; and its size. No link is followed."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path} is not a regular file")
        return (f.read(limit + 1) if info.st_size <= limit else None), info.st_size


def pack(source: SubmissionSource) -> Packed:
    """Read `source`'s files (never following a link) so that `unpack` can re-create, on another
    host, what the load step would see here: the same names, kinds and sizes, and the bytes of
    every file it reads (single files up to ``load.MAX_NOTEBOOK_BYTES``; ``.py`` and ``.ipynb``
    files in folders).

    Raises:
        OSError: the submission cannot be read (the chunk then fails and is retried, then gets
            status ``error``).
    """
    path = Path(source.path)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode):
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path} is not a regular file or a folder")
        data, size = _read_nofollow(path, MAX_NOTEBOOK_BYTES)
        return Packed(source.student, path.name, data=data, size=size)
    tree: list[tuple[str, str, bytes | None, int]] = []
    pending = [(path, PurePosixPath())]
    while pending and len(tree) <= MAX_FOLDER_ENTRIES:  # load looks at MAX_FOLDER_ENTRIES entries
        folder, rel = pending.pop()
        try:
            children = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue  # load notes an unreadable folder; here it is left out
        for child in children:
            if is_skipped(child.name):
                continue
            child_rel = rel / child.name
            info = child.stat(follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                tree.append((str(child_rel), "symlink", None, 0))
            elif stat.S_ISDIR(info.st_mode):
                tree.append((str(child_rel), "dir", None, 0))
                if len(child_rel.parts) < MAX_SCAN_DEPTH:
                    pending.append((Path(child.path), child_rel))
            elif stat.S_ISREG(info.st_mode):
                wanted = child.name.lower().endswith(_READ_SUFFIXES)
                data, size = (_read_nofollow(Path(child.path), MAX_NOTEBOOK_BYTES) if wanted
                              else (None, info.st_size))
                tree.append((str(child_rel), "file", data, size))
            else:
                tree.append((str(child_rel), "other", None, 0))
    return Packed(source.student, path.name, tree=tuple(tree))


def _safe_rel(rel: str) -> PurePosixPath:
    parts = PurePosixPath(rel).parts
    if not parts or any(p in ("", ".", "..") or "/" in p or "\0" in p for p in parts) or rel.startswith("/"):
        raise ValueError(f"bad path in a packed submission: {rel!r}")
    return PurePosixPath(*parts)


def _write_file(path: Path, data: bytes | None, size: int) -> None:
    with open(path, "wb") as f:
        if data is not None:
            f.write(data)
        else:
            f.truncate(size)  # sparse: the same size for load's checks, no disk used


def unpack(packed: Packed, into: Path) -> SubmissionSource:
    """Re-create a `pack`ed submission inside the existing folder `into`; return its source.

    Links are re-created pointing nowhere and other special files as FIFOs, so that `load`
    notes them as it would have on the grading host; nothing in them is ever followed or read.

    Raises:
        ValueError: a name or path would leave `into` (nothing is written then).
    """
    name = _safe_rel(packed.name)
    if len(name.parts) != 1:
        raise ValueError(f"bad submission name {packed.name!r}")
    top = into / packed.name
    if packed.tree is None:
        _write_file(top, packed.data, packed.size)
        return SubmissionSource(packed.student, top)
    entries = [(_safe_rel(rel), kind, data, size) for rel, kind, data, size in packed.tree]  # all checked first
    top.mkdir()
    for rel, kind, data, size in entries:
        target = top / rel
        if kind == "dir":
            target.mkdir()
        elif kind == "file":
            _write_file(target, data, size)
        elif kind == "symlink":
            target.symlink_to("/nonexistent-link-target")
        else:
            os.mkfifo(target)
    return SubmissionSource(packed.student, top)


@functools.cache
def grader_fingerprint() -> str:
    """A SHA-256 of the grading code this process runs: the `autograder` package (hidden suites
    included) and the reference in `solutions` (their ``.py``, ``.ini`` and ``.yml`` files).
    Two hosts with the same checkout give the same value."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for package in ("autograder", "solutions"):
        for path in sorted((root / package).rglob("*")):
            if path.suffix in (".py", ".ini", ".yml") and "__pycache__" not in path.parts and path.is_file():
                digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class _Setup:
    """The per-process state of a dask worker: a slot via `grade._init_job` and a private folder."""

    lock = threading.Lock()  # one chunk at a time per process (pytest sessions are not thread-safe)
    ready = False
    workdir: Path | None = None


def _setup_worker(config: GradingConfig, level: Isolation) -> None:
    """Set this worker process up once, as the local pool initializer sets up a job process."""
    from .. import grade

    if _Setup.ready:
        return
    workdir = Path(tempfile.mkdtemp(prefix="nn-autograder-dask-"))
    os.chmod(workdir, 0o700)
    grade._init_job(config, level, workdir / "loaded")
    (workdir / "loaded").mkdir(mode=0o700)
    _Setup.workdir, _Setup.ready = workdir, True


def _teardown_worker() -> None:
    from .. import grade

    if grade._SLOT is not None:
        grade._SLOT.close()
    if _Setup.workdir is not None:
        shutil.rmtree(_Setup.workdir, ignore_errors=True)
    _Setup.ready = False


def grade_packed_chunk(packed: list[tuple[int, Packed]], config: GradingConfig,
                       level: Isolation, fingerprint: str,
                       selection: dict[str, frozenset[str]] | None = None) -> list[SubmissionResult]:
    """The dask task: re-create the chunk's submissions here and grade them with
    `grade._grade_chunk_job`, exactly as a local job process does.

    Args:
        packed: (position in the batch, `Packed` submission) per submission.
        config: grading.yml. level: the isolation level to grade at (the same on every host).
        fingerprint: the main process's `grader_fingerprint()`.
        selection: {student: questions to grade} for this run (None: every question).

    Returns:
        One `SubmissionResult` per submission.

    Raises:
        sandbox.SandboxError: this host cannot give `level`. RuntimeError: this host's grading
            code differs from the main process's (another checkout).
    """
    from .. import grade

    if grader_fingerprint() != fingerprint:
        raise RuntimeError("this worker's grading code differs from the main process's: check out the same commit")

    with _Setup.lock:
        _setup_worker(config, level)
        assert _Setup.workdir is not None
        grade._SELECTION = selection
        staging = Path(tempfile.mkdtemp(prefix="in-", dir=_Setup.workdir))
        try:
            chunk = [(i, unpack(p, staging)) for i, p in packed]
            return grade._grade_chunk_job(chunk)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            for i, _ in packed:
                shutil.rmtree(_Setup.workdir / "loaded" / f"{i:05d}", ignore_errors=True)


def _worker_plugin(config: GradingConfig, level: Isolation):
    from distributed.diagnostics.plugin import WorkerPlugin

    class GraderSetup(WorkerPlugin):
        """Sets each worker process up when it starts (and again after a restart); closes its slot."""

        name = "nn-autograder-setup"

        def setup(self, worker) -> None:  # noqa: ARG002
            with _Setup.lock:
                _setup_worker(config, level)

        def teardown(self, worker) -> None:  # noqa: ARG002
            with _Setup.lock:
                _teardown_worker()

    return GraderSetup()


def parse_scheduler(scheduler: str) -> str | int:
    """``local:N`` -> N (an int >= 1); ``tcp://HOST:PORT`` or ``tls://HOST:PORT`` -> the address.

    Raises:
        ValueError: anything else, with what is expected.
    """
    if scheduler.startswith("local:"):
        n = scheduler.removeprefix("local:")
        if n.isdigit() and int(n) >= 1:
            return int(n)
        raise ValueError("expected local:N with N >= 1 worker processes")
    if re.fullmatch(r"(tcp|tls|ucx|inproc)://\S+", scheduler):
        return scheduler
    raise ValueError("expected tcp://HOST:PORT, tls://HOST:PORT (a running dask scheduler) or local:N")


#: What a local cluster's fork server imports before it forks worker processes.
FORKSERVER_PRELOAD = ("distributed", "numpy", "pytest", "autograder.grade", "autograder.run.executors",
                      "autograder.run.execute")


class DaskExecutor:
    """Chunks graded on a dask.distributed cluster.

    Args:
        scheduler: ``tcp://HOST:PORT`` (or ``tls://...``) of a running ``dask scheduler``, or
            ``local:N`` to start a `LocalCluster` of N worker processes with one thread each here.
        config, level: as for the local pool; every worker grades at `level` (a host that cannot
            give it fails its chunks, which end as status ``error``: never a silent downgrade).
        security: a ``distributed.security.Security`` for TLS (None: the scheduler's scheme as given).
        warm_up: the report writer's imports, run in a thread (no fork happens in this process).

    Raises:
        ValueError: `scheduler` is not ``local:N`` or an address. OSError: the scheduler is unreachable.
    """

    def __init__(self, scheduler: str, config: GradingConfig, level: Isolation, *, security=None,
                 warm_up: Callable[[], None] | None = None,
                 selection: dict[str, frozenset[str]] | None = None) -> None:
        import dask
        from distributed import Client, LocalCluster
        from distributed.utils import get_mp_context

        self.config, self.level, self.selection = config, level, selection
        self._cluster = None
        target = parse_scheduler(scheduler)
        if warm_up is not None:  # while the cluster starts; nothing here forks (workers come from a server)
            threading.Thread(target=warm_up, daemon=True).start()
        if isinstance(target, int):
            n = target
            # Worker processes forked from a server that has imported the grader (numpy, pytest,
            # the suites' modules), not spawned bare: ~1 s less start-up per worker. The server is
            # started clean (no threads), so forking it is safe.
            # No statistical profiler in the workers: it walks the grading thread's (deep, pytest)
            # stack every 10 ms while holding the GIL.
            dask.config.set({"distributed.worker.multiprocessing-method": "forkserver",
                             "distributed.worker.profile.enabled": False})
            get_mp_context().set_forkserver_preload(list(FORKSERVER_PRELOAD))
            self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=logging.ERROR)
            address = self._cluster.scheduler_address
        else:
            address = target
        self.client = Client(address, security=security, timeout="30s")
        self.fingerprint = grader_fingerprint()
        others = sorted(w for w, f in self.client.run(grader_fingerprint).items() if f != self.fingerprint)
        if others:
            self.close()
            raise ValueError(f"{len(others)} worker(s) run other grading code than this checkout "
                             f"(check out the same commit everywhere): {', '.join(others)}")
        self.client.register_plugin(_worker_plugin(config, level))
        self.jobs = max(1, sum(self.client.nthreads().values()))

    def map_chunks(self, chunks: list[Chunk]) -> Iterator[Outcome]:
        from distributed import as_completed as dask_completed

        todo = iter(chunks)
        futures: dict = {}
        failed: list[Chunk] = []
        running = dask_completed()

        def submit_next() -> None:
            """Pack and submit the next chunk: a bounded window of them is in flight (memory flat in N)."""
            for chunk in todo:
                try:
                    payload = [(i, pack(src)) for i, src in chunk]
                except (OSError, ValueError):
                    failed.append(chunk)  # unreadable here: retried alone, then a row with status error
                    continue
                future = self.client.submit(grade_packed_chunk, payload, self.config, self.level, self.fingerprint,
                                            self.selection, pure=False)
                futures[future] = chunk
                running.add(future)
                return

        for _ in range(2 * self.jobs + 2):
            submit_next()
        for future in running:
            chunk = futures.pop(future)
            try:
                results = future.result()
            except Exception:  # the task raised, or its workers died too often (KilledWorker)
                results = None
            future.release()
            submit_next()
            yield chunk, results
        for chunk in failed:
            yield chunk, None

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(scheduler: str | None, config: GradingConfig, level: Isolation, jobs: int, workdir: Path,
                  warm_up: Callable[[], None] | None = None,
                  selection: dict[str, frozenset[str]] | None = None) -> LocalPoolExecutor | DaskExecutor:
    """The local pool (no `scheduler`) or a `DaskExecutor` for `scheduler` (see `DaskExecutor`);
    `selection`: {student: questions to grade} (None: every question of every submission)."""
    if scheduler is None:
        return LocalPoolExecutor(config, level, jobs, workdir, warm_up, selection)
    return DaskExecutor(scheduler, config, level, warm_up=warm_up, selection=selection)
