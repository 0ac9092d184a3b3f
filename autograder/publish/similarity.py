"""Similarity flags: which submissions share unusually much code (copydetect), for a TA to read.

`keep_sources` copies each submission's loaded modules (only the gradable ones, notebooks already
turned into modules) into ``OUT/report/sources/<student>/`` at the end of ``grade``, so that
``autograder similarity OUT`` can run at any time later. `check` runs copydetect over them: each
module of every submission against the same module of every other (``same_name_only``; a
student's own modules are never compared, ``ignore_leaf``), with the released stub code
(``assignments/nn_from_scratch/``) as boilerplate, so the code everybody was given makes nobody
similar. copydetect tokenises the code first (names, strings and comments ignored), so renamed
variables and reordered functions still match. A pair is flagged when either file's share of
code in common reaches the threshold. Flags only: a grade never depends on them.

Each file's fingerprint is kept in ``OUT/report/sources/.fingerprints.sqlite`` (`FingerprintCache`),
keyed by the SHA-256 of the file's bytes: a rerun tokenises only the files that changed.
"""
from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import shutil
import sqlite3
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

#: Where the submitted modules are kept inside OUT (under the report folder).
SOURCES = Path("report") / "sources"
#: Where the last check's result is kept inside OUT (read by ``autograder report``).
RESULT_FILE = Path("report") / "similarity.json"
#: Share of a file's (tokenised) code found in the other file that makes a pair a flag.
DEFAULT_THRESHOLD = 0.6
#: Most pairs kept (the most similar): each holds both files as HTML.
MAX_PAIRS = 300
#: Unmatched lines shown around each matched region in the side-by-side view.
CONTEXT = 6
#: copydetect's k-gram length in tokens (its noise and guarantee thresholds).
NOISE = 25
GUARANTEE = 30
#: The fingerprint cache, inside the sources folder (``check``'s `sources`).
CACHE_FILE = ".fingerprints.sqlite"


def default_boilerplate() -> Path:
    """The released student code (``assignments/nn_from_scratch``), every .py of it boilerplate."""
    return Path(__file__).resolve().parents[2] / "assignments" / "nn_from_scratch"


@dataclass(frozen=True)
class SimilarPair:
    """Two submissions whose `module` shares code.

    Attributes:
        student_a, student_b: the student ids (a < b).
        module: the module name (``"neural_network"``).
        similarity_a, similarity_b: the share (0-1) of each file's tokenised code found in the other.
        tokens: tokens in common.
        code_a, code_b: each file's code as HTML, escaped, the matched regions in ``<span>``s.
    """

    student_a: str
    student_b: str
    module: str
    similarity_a: float
    similarity_b: float
    tokens: int
    code_a: str
    code_b: str

    @property
    def similarity(self) -> float:
        return max(self.similarity_a, self.similarity_b)


@dataclass(frozen=True)
class SimilarityResult:
    """What `check` found: pairs at or above `threshold`, most similar first (at most
    `MAX_PAIRS`; `more` says how many more reached the threshold); `files` compared, in
    `seconds` of wall time, `fingerprinted` of them tokenised (the rest read from the cache)."""

    threshold: float
    pairs: tuple[SimilarPair, ...]
    files: int
    seconds: float
    more: int = 0
    #: files tokenised by this check (the others' fingerprints came from the cache)
    fingerprinted: int = 0


def keep_sources(loaded_dirs: Sequence[tuple[str, Path]], out: Path, modules: Sequence[str]) -> None:
    """Copy each submission's loaded modules to ``OUT/report/sources/<student>/<module>.py``,
    replacing what an earlier run kept for that student (the others' stay: a regrade of some
    submissions keeps every submission's code for the check).

    Args:
        loaded_dirs: (student's folder name in OUT, the folder `load.load` filled) per submission;
            a folder that does not exist (a submission that could not be loaded) is skipped.
        out: the grading run's OUT folder.
        modules: the gradable module names (grading.yml ``modules``).
    """
    root = Path(out) / SOURCES
    for student, folder in loaded_dirs:
        if not _folder_ok(student):
            continue
        if not folder.is_dir():  # nothing loaded here: what an earlier run kept stays
            continue
        if (root / student).exists():
            shutil.rmtree(root / student)
        for module in modules:
            src = folder / f"{module}.py"
            if src.is_file() and not src.is_symlink():
                dest = root / student
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest / src.name)
                cells = _notebook_cells(src.read_bytes(), module)
                if cells is not None:
                    (dest / src.name).write_text(cells, encoding="utf-8", errors="surrogatepass")


def _notebook_cells(data: bytes, module: str | None = None) -> str | None:
    """The student's code of a module rebuilt from a notebook (`autograder.intake.notebook`), or
    None for any other module. The rebuilt module is a loader that passes each cell's code as a
    string, and copydetect ignores strings: every notebook would share only the loader's code
    (two different notebooks were flagged) and no notebook would share code with a copied .py.

    Args:
        data: the rebuilt module's bytes. Definitions mode passes each kept cell to ``_ag_cell`` or
            ``_ag_run``; execute mode passes every cell of the notebook to ``_ag_notebook`` as
            ``(number, owner module or None, source, flags)`` tuples.
        module: the module's name; in execute mode only the cells tagged for it are kept.
    """
    if not data.startswith(b"# Built by the grader from "):
        return None
    import ast

    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    cells = []
    for node in tree.body:
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name)):
            continue
        name, args = node.value.func.id, node.value.args
        if name in ("_ag_cell", "_ag_run") and len(args) >= 2 and isinstance(args[1], ast.Constant) \
                and isinstance(args[1].value, str):
            cells.append(args[1].value)
        elif name == "_ag_notebook" and len(args) >= 3 and isinstance(args[2], ast.List):
            for item in args[2].elts:
                if isinstance(item, ast.Tuple) and len(item.elts) >= 3 and all(
                        isinstance(e, ast.Constant) for e in item.elts[1:3]) \
                        and isinstance(item.elts[2].value, str) and item.elts[1].value in (module, None):
                    cells.append(item.elts[2].value)
    return "\n".join(cells)


def _folder_ok(student: str) -> bool:
    from .html_report import folder_ok
    return folder_ok(student)


_BOILERPLATE: np.ndarray | None = None


def _init_fingerprinter(boilerplate: str) -> None:
    global _BOILERPLATE
    _BOILERPLATE = _boilerplate_hashes(Path(boilerplate))


def _fingerprint(path: str) -> Any:
    from copydetect import CodeFingerprint

    try:
        return CodeFingerprint(path, NOISE, GUARANTEE - NOISE + 1, _BOILERPLATE, language="python")
    except (UnicodeDecodeError, OSError):
        return None


def _boilerplate_hashes(folder: Path) -> np.ndarray:
    """Every k-gram hash of the given code (as copydetect's own boilerplate step: window 1)."""
    from copydetect import CodeFingerprint

    hashes: list[int] = []
    for f in sorted(folder.rglob("*.py")) if folder.is_dir() else []:
        hashes.extend(CodeFingerprint(str(f), NOISE, 1, language="python").hashes)
    return np.unique(np.array(hashes, dtype=np.int64))


def _array_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(a), allow_pickle=False)
    return buf.getvalue()


def _array(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


class FingerprintCache:
    """copydetect fingerprints kept in a SQLite file, keyed by the SHA-256 of a file's bytes.

    A row holds what `copydetect.CodeFingerprint` computed from the code: the filtered
    (tokenised) code, its offsets, the winnowed hashes with their indexes, the token coverage.
    Rows are only valid for the settings they were made with (copydetect's and pygments'
    versions, NOISE, GUARANTEE, the boilerplate's bytes): `params` is stored with them, and a
    cache made with other settings is emptied when opened. A cache that cannot be opened or read
    (read-only folder, damaged file) makes `get` miss and `put` do nothing: the check then
    tokenises every file, as without a cache.

    Args:
        path: the SQLite file (created if missing; `check` uses ``sources/.fingerprints.sqlite``).
        params: the settings the rows are valid for (`_cache_params`, a JSON string).
    """

    def __init__(self, path: Path, params: str) -> None:
        self.db: sqlite3.Connection | None = None
        db = None
        try:
            db = sqlite3.connect(path, timeout=30)
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS fingerprints (sha256 BLOB PRIMARY KEY, filtered_code TEXT "
                       "NOT NULL, offsets BLOB NOT NULL, hashes BLOB NOT NULL, hash_idx BLOB NOT NULL, "
                       "token_coverage REAL NOT NULL)")
            row = db.execute("SELECT value FROM meta WHERE key = 'params'").fetchone()
            if row is None or row[0] != params:
                with db:
                    db.execute("DELETE FROM fingerprints")
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('params', ?)", (params,))
            self.db = db
        except sqlite3.Error:
            if db is not None:
                db.close()

    def get(self, digests: list[bytes], paths: list[str]) -> dict[bytes, Any]:
        """The cached fingerprints of the files with these `digests` (one path of each, the
        file the fingerprint says it was made from), as `copydetect.CodeFingerprint`s."""
        from copydetect import CodeFingerprint

        found: dict[bytes, Any] = {}
        if self.db is None:
            return found
        where = dict(zip(digests, paths))
        try:
            for lo in range(0, len(digests), 500):
                part = digests[lo:lo + 500]
                rows = self.db.execute(f"SELECT * FROM fingerprints WHERE sha256 IN ({','.join('?' * len(part))})",
                                       part).fetchall()
                for digest, filtered, offsets, hashes, idx, coverage in rows:
                    path = where[digest]
                    fp = CodeFingerprint.__new__(CodeFingerprint)  # its attributes, as its __init__ sets them
                    fp.filename, fp.raw_code, fp.filtered_code = path, Path(path).read_text(encoding="utf-8"), filtered
                    fp.offsets, fp.k, fp.token_coverage = _array(offsets), NOISE, coverage
                    hash_values, hash_idx = _array(hashes), _array(idx)
                    fp.hashes = set(hash_values)
                    fp.hash_idx = {}
                    for h, i in zip(hash_values, hash_idx):
                        fp.hash_idx.setdefault(h, []).append(i)
                    found[digest] = fp
        except (sqlite3.Error, ValueError, OSError, UnicodeDecodeError):
            return {}
        return found

    def put(self, fingerprints: dict[bytes, Any]) -> None:
        """Keep these fingerprints (by the SHA-256 of their file's bytes)."""
        if self.db is None:
            return
        rows = []
        for digest, fp in fingerprints.items():
            pairs = [(h, i) for h, idx in fp.hash_idx.items() for i in idx]
            hashes = np.array([h for h, _ in pairs], dtype=np.int64)
            idx = np.array([i for _, i in pairs], dtype=np.int64)
            rows.append((digest, fp.filtered_code, _array_bytes(fp.offsets), _array_bytes(hashes), _array_bytes(idx),
                         float(fp.token_coverage)))
        try:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO fingerprints VALUES (?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


def _cache_params(boilerplate: Path) -> str:
    """What a cached fingerprint depends on besides the file: the versions of copydetect and
    pygments, NOISE, GUARANTEE and the boilerplate files' names and bytes."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    for f in sorted(boilerplate.rglob("*.py")) if boilerplate.is_dir() else []:
        digest.update(str(f.relative_to(boilerplate)).encode() + b"\0" + f.read_bytes() + b"\0")
    return json.dumps({"copydetect": version("copydetect"), "pygments": version("pygments"), "noise": NOISE,
                       "guarantee": GUARANTEE, "boilerplate": digest.hexdigest(), "schema": 1})


def _fingerprints(paths: list[str], boilerplate: Path, jobs: int,
                  cache: FingerprintCache | None = None) -> tuple[list[Any], int]:
    """copydetect's fingerprints of `paths` (None for a file it cannot read), without the
    boilerplate's k-grams, and how many files were tokenised; files with the same bytes are
    fingerprinted once, and those found in `cache` not at all (the new ones are added to it).

    copydetect hashes k-grams with Python's `hash`, which is salted per process: the
    fingerprints are made in fresh processes started with ``PYTHONHASHSEED=0`` (`jobs` of them),
    so that the same submissions give the same scores on every run (and cached ones stay valid).
    """
    by_content: dict[bytes, list[int]] = {}
    for i, path in enumerate(paths):
        by_content.setdefault(hashlib.sha256(Path(path).read_bytes()).digest(), []).append(i)
    digests = list(by_content)
    known = cache.get(digests, [paths[by_content[d][0]] for d in digests]) if cache is not None else {}
    todo = [d for d in digests if d not in known]
    done: list[Any] = []
    if todo:
        work = [paths[by_content[d][0]] for d in todo]
        saved = os.environ.get("PYTHONHASHSEED")
        os.environ["PYTHONHASHSEED"] = "0"
        try:
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(max(1, min(jobs, len(work) // 20 + 1)), initializer=_init_fingerprinter,
                          initargs=(str(boilerplate),)) as pool:
                done = pool.map(_fingerprint, work, chunksize=8)
        finally:
            if saved is None:
                del os.environ["PYTHONHASHSEED"]
            else:
                os.environ["PYTHONHASHSEED"] = saved
    made = {d: fp for d, fp in zip(todo, done) if fp is not None}
    if cache is not None:
        cache.put(made)
    known.update(made)
    out: list[Any] = [None] * len(paths)
    for digest, idx in by_content.items():
        for i in idx:
            out[i] = known.get(digest)
    return out, len(todo)


def _shared_counts(fps: list[Any]) -> np.ndarray:
    """shared[i, j]: how many fingerprint hashes files i and j have in common (a matrix product
    over the hashes found in two files or more)."""
    n = len(fps)
    sets = [np.fromiter(fp.hashes, dtype=np.int64, count=len(fp.hashes)) if fp is not None else np.array([], dtype=np.int64)
            for fp in fps]
    if not any(len(s) for s in sets):
        return np.zeros((n, n))
    all_hashes = np.concatenate(sets)
    owner = np.repeat(np.arange(n), [len(s) for s in sets])
    _, inverse, counts = np.unique(all_hashes, return_inverse=True, return_counts=True)
    keep = counts[inverse] >= 2
    columns = np.unique(inverse[keep], return_inverse=True)[1]
    owners = owner[keep]
    shared = np.zeros((n, n), dtype=np.float32)
    block, width = 20000, int(columns.max(initial=-1)) + 1
    for lo in range(0, width, block):  # a block only as wide as the hashes left (the product costs n*n*block)
        sel = (columns >= lo) & (columns < lo + block)
        m = np.zeros((n, min(block, width - lo)), dtype=np.float32)
        m[owners[sel], columns[sel] - lo] = 1.0
        shared += m @ m.T
    return shared


def check(sources: Path, *, boilerplate: Path | None = None, threshold: float = DEFAULT_THRESHOLD,
          jobs: int | None = None, cache: bool = True) -> SimilarityResult:
    """Compare every submission's modules pairwise with copydetect.

    copydetect's parts are used as they are: `CodeFingerprint` (tokenise, drop names, strings
    and comments, winnow k-grams of NOISE tokens with a guarantee of GUARANTEE, drop the
    boilerplate's k-grams), `compare_files` (the share of each file's tokens in common, and the
    matched regions) and `highlight_overlap` (the side-by-side HTML, escaped). Its own
    `CopyDetector` loop is not: it costs ~0.7 ms a pair and builds paths for every pair (500
    submissions: 375,000 pairs). Here the fingerprints are made on `jobs` processes, and a pair
    is compared exactly only when the files share at least ``threshold / 2`` of the smaller
    file's fingerprints (counted for all pairs at once with one matrix product). Scores are
    the same on every run (see `_fingerprints`).

    Args:
        sources: a folder with one sub-folder of ``<module>.py`` files per student
            (``OUT/report/sources``).
        boilerplate: code every student was given (default: `default_boilerplate`).
        threshold: the share (0-1) of either file's code in common that flags a pair.
        jobs: processes for the fingerprints (default: every core).
        cache: keep the fingerprints in ``sources/.fingerprints.sqlite`` (`FingerprintCache`) and
            tokenise only the files not found there.

    Returns:
        A `SimilarityResult`. An empty or missing `sources` gives no pairs.
    """
    from copydetect.detector import compare_files
    from copydetect.utils import highlight_overlap

    started = time.perf_counter()
    sources = Path(sources)
    boilerplate = default_boilerplate() if boilerplate is None else Path(boilerplate)
    files = sorted(sources.glob("*/*.py")) if sources.is_dir() else []
    by_module: dict[str, list[Path]] = {}
    for f in files:
        by_module.setdefault(f.stem, []).append(f)
    store = FingerprintCache(sources / CACHE_FILE, _cache_params(boilerplate)) if cache and files else None
    try:
        made, fingerprinted = _fingerprints([str(f) for f in files], boilerplate, jobs or os.cpu_count() or 1, store)
    finally:
        if store is not None:
            store.close()
    fps = dict(zip(files, made))
    found = []
    for module, group in sorted(by_module.items()):
        group = [f for f in group if fps[f] is not None]
        shared = _shared_counts([fps[f] for f in group])
        sizes = np.array([max(1, len(fps[f].hashes)) for f in group], dtype=np.float32)
        share = shared / np.minimum(sizes[:, None], sizes[None, :])
        for i, j in zip(*np.nonzero(np.triu(share >= threshold / 2, k=1))):
            a, b = group[i], group[j]
            tokens, (sim_a, sim_b), slices = compare_files(fps[a], fps[b])
            if max(sim_a, sim_b) >= threshold:
                found.append((-max(sim_a, sim_b), a.parent.name, b.parent.name, module, a, b, float(sim_a),
                              float(sim_b), int(tokens), slices))
    found.sort(key=lambda f: f[:4])
    pairs = []
    for _, student_a, student_b, module, a, b, sim_a, sim_b, tokens, (slices_a, slices_b) in found[:MAX_PAIRS]:
        # the matched regions with CONTEXT lines around them; "..." for the rest
        code_a = highlight_overlap(fps[a].raw_code, slices_a, "<span class='highlight-red'>", "</span>",
                                   truncate=CONTEXT, escape_html=True)[0]
        code_b = highlight_overlap(fps[b].raw_code, slices_b, "<span class='highlight-green'>", "</span>",
                                   truncate=CONTEXT, escape_html=True)[0]
        pairs.append(SimilarPair(student_a, student_b, module, round(sim_a, 4), round(sim_b, 4), tokens,
                                 str(code_a), str(code_b)))
    return SimilarityResult(threshold, tuple(pairs), len(files), round(time.perf_counter() - started, 3),
                            more=max(0, len(found) - MAX_PAIRS), fingerprinted=fingerprinted)


def save(result: SimilarityResult, out: Path) -> Path:
    """Write `result` to ``OUT/report/similarity.json``."""
    path = Path(out) / RESULT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"threshold": result.threshold, "files": result.files, "seconds": result.seconds,
            "more": result.more, "fingerprinted": result.fingerprinted, "pairs": [asdict(p) for p in result.pairs]}
    path.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load(out: Path) -> SimilarityResult | None:
    """The last check's result kept in OUT, or None if similarity was never checked there."""
    path = Path(out) / RESULT_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return SimilarityResult(data["threshold"], tuple(SimilarPair(**p) for p in data["pairs"]), data["files"],
                            data["seconds"], data.get("more", 0), data.get("fingerprinted", 0))
