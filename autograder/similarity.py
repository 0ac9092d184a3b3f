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
"""
from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

#: Where the submitted modules are kept inside OUT (under the report folder).
SOURCES = Path("report") / "sources"
#: Where the last check's result is kept inside OUT (read by ``autograder report``).
RESULT_FILE = Path("report") / "similarity.json"
#: Share of a file's (tokenised) code found in the other file that makes a pair a flag.
DEFAULT_THRESHOLD = 0.6
#: copydetect's k-gram length in tokens (its noise and guarantee thresholds).
NOISE = 25
GUARANTEE = 30


def default_boilerplate() -> Path:
    """The released student code (``assignments/nn_from_scratch``), every .py of it boilerplate."""
    return Path(__file__).resolve().parent.parent / "assignments" / "nn_from_scratch"


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
    """What `check` found: pairs at or above `threshold`, most similar first; `files` compared,
    in `seconds` of wall time."""

    threshold: float
    pairs: tuple[SimilarPair, ...]
    files: int
    seconds: float


def keep_sources(loaded_dirs: Sequence[tuple[str, Path]], out: Path, modules: Sequence[str]) -> None:
    """Copy each submission's loaded modules to ``OUT/report/sources/<student>/<module>.py``.

    Args:
        loaded_dirs: (student id, the folder `load.load` filled) per submission; a folder that
            does not exist (a submission that could not be loaded) is skipped.
        out: the grading run's OUT folder.
        modules: the gradable module names (grading.yml ``modules``).
    """
    root = Path(out) / SOURCES
    if root.exists():
        shutil.rmtree(root)
    for student, folder in loaded_dirs:
        if not folder.is_dir() or not _folder_ok(student):
            continue
        for module in modules:
            src = folder / f"{module}.py"
            if src.is_file() and not src.is_symlink():
                dest = root / student
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest / src.name)


def _folder_ok(student: str) -> bool:
    from .html_report import folder_ok
    return folder_ok(student)


def check(sources: Path, *, boilerplate: Path | None = None, threshold: float = DEFAULT_THRESHOLD) -> SimilarityResult:
    """Compare every submission's modules pairwise with copydetect.

    Args:
        sources: a folder with one sub-folder of ``<module>.py`` files per student
            (``OUT/report/sources``).
        boilerplate: code every student was given (default: `default_boilerplate`).
        threshold: the share (0-1) of either file's code in common that flags a pair.

    Returns:
        A `SimilarityResult`. An empty or missing `sources` gives no pairs.
    """
    from copydetect import CopyDetector

    started = time.perf_counter()
    sources = Path(sources)
    boilerplate = default_boilerplate() if boilerplate is None else Path(boilerplate)
    files = sorted(str(p) for p in sources.glob("*/*.py")) if sources.is_dir() else []
    if len(files) < 2:
        return SimilarityResult(threshold, (), len(files), round(time.perf_counter() - started, 3))
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # copydetect warns about empty folders through the root logger
    try:
        detector = CopyDetector(boilerplate_dirs=[str(boilerplate)] if boilerplate.is_dir() else [],
                                extensions=["py"], noise_t=NOISE, guarantee_t=GUARANTEE,
                                display_t=threshold, same_name_only=True, ignore_leaf=True, autoopen=False,
                                silent=True, truncate=False)
        for f in files:
            detector.add_file(f)
        detector.run()
        found = detector.get_copied_code_list() if len(detector.similarity_matrix) else []
    finally:
        root.setLevel(level)
    pairs = {}
    for sim_a, sim_b, file_a, file_b, code_a, code_b, tokens in found:
        a, b = Path(file_a), Path(file_b)
        if a.parent.name > b.parent.name:
            a, b, sim_a, sim_b, code_a, code_b = b, a, sim_b, sim_a, code_b, code_a
        key = (a.parent.name, b.parent.name, a.stem)
        if key not in pairs and max(sim_a, sim_b) >= threshold:
            pairs[key] = SimilarPair(a.parent.name, b.parent.name, a.stem, round(float(sim_a), 4),
                                     round(float(sim_b), 4), int(tokens), str(code_a), str(code_b))
    ordered = sorted(pairs.values(), key=lambda p: (-p.similarity, p.student_a, p.student_b, p.module))
    return SimilarityResult(threshold, tuple(ordered), len(files), round(time.perf_counter() - started, 3))


def save(result: SimilarityResult, out: Path) -> Path:
    """Write `result` to ``OUT/report/similarity.json``."""
    path = Path(out) / RESULT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"threshold": result.threshold, "files": result.files, "seconds": result.seconds,
            "pairs": [asdict(p) for p in result.pairs]}
    path.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load(out: Path) -> SimilarityResult | None:
    """The last check's result kept in OUT, or None if similarity was never checked there."""
    path = Path(out) / RESULT_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return SimilarityResult(data["threshold"], tuple(SimilarPair(**p) for p in data["pairs"]), data["files"],
                            data["seconds"])
