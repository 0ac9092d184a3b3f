"""The HTML class report and the students' HTML feedback pages (rendering only: no grading decision).

* ``OUT/report/index.html`` (`write_class_report`): the gradebook as a table that sorts and
  filters (list.js, vendored in ``autograder/static/``), a histogram of totals with full marks as
  its own bar, the pass rate per question, the common failures per question (the mistake
  diagnoses a case carries, else its failure messages grouped with their numbers blanked), the
  submissions that need a TA, the similar pairs (`autograder.publish.similarity`) and a link to every
  student's feedback page. It opens from the file system: every asset is a file beside it.
* ``OUT/<student>/feedback.html`` (`write_feedback_html`): what ``feedback.md`` says, and for each
  ``train`` question a plot of the student's training loss against the reference's on the same
  data and settings (the series a hidden case recorded in `CaseResult.series`), as a PNG beside it.
* ``OUT/report/class-results.jsonl``: the results the pages were made from, read back by
  `load_results` for ``autograder report OUT``.

Everything a student controls (ids, messages, printed output, file names) goes through Jinja2's
autoescaping (or markupsafe's escape in copydetect's highlighted code): a student called
``<script>alert(1)</script>`` shows as text. The class report shows the failure messages the
students' own feedback shows, never `CaseResult.detail` or anything else of the hidden tests.
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import itertools
import json
import math
import re
import shutil
import statistics
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import quote

from autograder.config import GradingConfig
from autograder.publish.report import (ISOLATION_TEXT, MAX_MESSAGE_CHARS, RESERVED_NAMES, STATUS_TEXT, _atomic_write,
                               _cap, _num, clean)
from autograder.results import (CaseResult, Isolation, Outcome, QuestionResult, Status, SubmissionResult)

#: The class report's folder inside OUT (a name no student folder may take).
REPORT_DIR = "report"
#: The results the report was made from (read back by `load_results`).
RESULTS_FILE = "class-results.jsonl"
#: Static files copied into OUT/report/assets/ (the one stylesheet, list.js, the table's script).
ASSETS = ("report.css", "list.min.js", "report.js")
#: Failure groups shown per question before the rest fold away.
TOP_GROUPS = 6

_NUMBER = re.compile(r"(?<![A-Za-z_\d])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")  # not in names
_CASE_PARAMS = re.compile(r"\s*\([^()]*\)\s*$")
_PARENS = re.compile(r"\([^()]*\)")
_BRACKETS = re.compile(r"\[[^\[\]]*\]")


# --- small helpers --------------------------------------------------------------------------------


def folder_ok(student: str) -> bool:
    """True when `student` can be a folder in OUT (the rule `report.ReportWriter.add` enforces)."""
    return bool(student) and student not in (".", "..") and not any(c in student for c in "/\\\0") \
        and student not in RESERVED_NAMES and student != REPORT_DIR and not student.startswith(".")


def feedback_href(student: str, prefix: str = "../", folders: dict[str, str] | None = None) -> str | None:
    """The relative link from OUT/report/ to a student's feedback page, or None if it has none.

    `folders` ({student id: its folder in OUT}, `store.Store.folders`) gives each student's safe
    folder; without it a student id that can be a folder name is its own folder."""
    folder = folders.get(student) if folders else (student if folder_ok(student) else None)
    return f"{prefix}{quote(folder, safe='')}/feedback.html" if folder else None


def _short(qid: str) -> str:
    return qid.split(".", 1)[-1]


def _sort_key(x: float) -> str:
    """A number as text that list.js's natural sort orders correctly (zero-padded, 6 decimals)."""
    return f"{x + 1e6:015.6f}"


def _message(text: str) -> str:
    return _cap(clean(text), MAX_MESSAGE_CHARS)


@functools.lru_cache(maxsize=None)
def _environment():
    """The Jinja2 environment, made once: it keeps the compiled templates (compiling feedback.html
    costs more than rendering it)."""
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("autograder.publish", "templates"),
                              autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


@functools.lru_cache(maxsize=None)
def _stylesheet() -> str:
    return resources.files("autograder.publish").joinpath("static", "report.css").read_text(encoding="utf-8")


# --- figures --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bin:
    """One bar of the score histogram: totals in [lo, hi) (or exactly `possible` when `full`)."""

    lo: float
    hi: float
    count: int
    full: bool = False

    @property
    def label(self) -> str:
        return f"{_num(self.lo)} (full marks)" if self.full else f"{_num(self.lo)}–<{_num(self.hi)}"


def score_bins(totals: Sequence[float], possible: float, width: float | None = None) -> list[Bin]:
    """The histogram of totals: bars of `width` points (1 point, or possible/30 for large
    totals) over [0, possible), then full marks (total == possible, to 1e-6) as a bar of its own.

    Args:
        totals: each submission's total points (floats >= 0).
        possible: the assignment's total points (> 0).
        width: the bar width in points (default: 1, or possible / 30 if possible > 30).

    Returns:
        `Bin`s in increasing order, the full-marks bar last; counts add up to len(totals).
    """
    if width is None:
        width = 1.0 if possible <= 30 else possible / 30
    n = max(1, math.ceil(possible / width - 1e-9))
    counts = [0] * n
    full = 0
    for t in totals:
        if t >= possible - 1e-6:
            full += 1
        else:
            counts[min(n - 1, max(0, int(math.floor(t / width + 1e-9))))] += 1
    bins = [Bin(i * width, min(possible, (i + 1) * width), c) for i, c in enumerate(counts)]
    return bins + [Bin(possible, possible, full, full=True)]


def draw_score_histogram(ax: Any, totals: Sequence[float], possible: float) -> list[Bin]:
    """Draw `score_bins` on a matplotlib Axes: full marks a separate, hatched and labelled bar.

    Used by the class report and by report.py's ``plots/score_distribution.png``.
    """
    from matplotlib.ticker import MaxNLocator

    bins = score_bins(totals, possible)
    width = bins[0].hi - bins[0].lo
    part = [b for b in bins if not b.full]
    bars = ax.bar([b.lo for b in part], [b.count for b in part], width=width, align="edge",
                  color="#4c72b0", edgecolor="white", label="below full marks")
    full = bins[-1]
    gap = width * 0.6
    fbar = ax.bar([possible + gap], [full.count], width=width, align="edge", color="#2a9d4b",
                  edgecolor="black", hatch="//", label=f"full marks ({_num(possible)})")
    ax.bar_label(bars, labels=[str(b.count) if b.count else "" for b in part], padding=2, fontsize=8)
    ax.bar_label(fbar, labels=[str(full.count)], padding=2, fontsize=8)
    ax.set_xlim(0, possible + gap + width * 1.4)
    ticks = [t for t in range(0, int(possible) + 1, 5 if possible > 10 else 1)]
    ax.set_xticks([*ticks, possible + gap + width / 2],
                  [*(str(t) for t in ticks), "full"])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max(1, max(b.count for b in bins)) * 1.18)
    ax.set(xlabel=f"total points (of {_num(possible)}; bars of {_num(width)} point, full marks apart)",
           ylabel="submissions")
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    return bins


def _figure(width: float, height: float, layout: str | None = "constrained"):
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # Agg, no pyplot global state
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout=layout)
    FigureCanvasAgg(fig)
    return fig


def _histogram_png(totals: Sequence[float], possible: float, path: Path) -> list[Bin]:
    """Draw the class report's histogram to `path`, unless the PNG there already shows these bins
    (a key beside it, ``<path>.key``): a rerun that changed no total draws nothing (~0.1 s)."""
    bins = score_bins(totals, possible)
    key = hashlib.sha256(repr((possible, bins)).encode()).hexdigest()
    stamp = path.with_name(path.name + ".key")
    with contextlib.suppress(OSError):
        if path.is_file() and stamp.read_text() == key:
            return bins
    fig = _figure(7.5, 3.4)
    draw_score_histogram(fig.add_subplot(), totals, possible)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    _atomic_write(path, buffer.getvalue())
    _atomic_write(stamp, key)  # after the picture: a run stopped between the two draws it again
    return bins


def _smooth(values: Sequence[float], window: int) -> list[float]:
    """Moving mean over `window` values (NaN-aware, same length)."""
    import numpy as np

    a = np.asarray(values, dtype=float)
    if window <= 1 or a.size < window:
        return a.tolist()
    ok = np.isfinite(a)
    s = np.convolve(np.where(ok, a, 0.0), np.ones(window), "same")
    n = np.convolve(ok.astype(float), np.ones(window), "same")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / np.maximum(n, 1), np.nan).tolist()


def _tail_mean(values: Sequence[float]) -> float:
    finite = [v for v in values[-max(1, len(values) // 10):] if math.isfinite(v)]
    # each term divided first: a sum of losses near 1.8e308 overflows (fmean raised OverflowError)
    return math.fsum(v / len(finite) for v in finite) if finite else float("nan")


def loss_plot(series: Sequence[tuple[str, Sequence[float]]], title: str, path: Path) -> str:
    """Plot a train case's loss series (the student's against the reference's) into a PNG.

    Args:
        series: `CaseResult.series`: ``(("yours", losses), ("reference", losses))``, one loss
            (mean squared error of the batch, in squared target units) per iteration.
        title: the figure's title.
        path: the PNG to write.

    Returns:
        The alt text: what the plot shows, in words (the last tenth's mean loss of each).
    """
    from matplotlib.ticker import FuncFormatter, NullLocator

    fig = _figure(7.5, 3.2, layout=None)  # fixed margins: a constrained layout draws twice (~2x the time)
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.15, top=0.9)
    ax = fig.add_subplot()
    styles = {"yours": dict(color="#c0392b", linestyle="-"), "reference": dict(color="#1f4e8c", linestyle="--")}
    finite = [v for _, vals in series for v in vals if math.isfinite(v) and v > 0]
    log = bool(finite) and max(finite) / min(finite) > 30
    for name, values in series:
        style = styles.get(name, dict(color="#555555", linestyle=":"))
        xs = range(1, len(values) + 1)
        ax.plot(xs, values, color=style["color"], alpha=0.18, linewidth=0.7)
        window = max(1, len(values) // 40)
        label = ("your train" if name == "yours" else "the reference's train" if name == "reference" else name)
        ax.plot(xs, _smooth(values, window), linewidth=2, label=f"{label} (mean of {window})", **style)
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())  # log-scale minor ticks cost ~1/3 of the drawing
        # "0.01", "1", "100": plain text, not mathtext's 10^n (parsing mathtext cost ~1/8 of a plot)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set(xlabel="iteration", ylabel="batch loss (mean squared error)" + (", log scale" if log else ""))
    ax.set_title(title, fontsize=10, y=1.0)  # a fixed position: no layout pass over the ticks for it
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    _atomic_write(path, buffer.getvalue())
    return loss_alt(series)


def _series_label(name: str) -> str:
    return "your train" if name == "yours" else "the reference's train" if name == "reference" else name


def loss_alt(series: Sequence[tuple[str, Sequence[float]]]) -> str:
    """The alt text of `loss_plot`'s picture: what it shows, in words (the last tenth's mean loss)."""
    words = [f"{_series_label(name)}: {len(values)} iterations, mean loss over the last tenth "
             f"{_tail_mean(values):.4g}" for name, values in series]
    return "Line plot of the training loss per iteration, same data and settings. " + "; ".join(words) + "."


# --- the feedback page ----------------------------------------------------------------------------


def _train_case(q: QuestionResult) -> CaseResult | None:
    return next((c for c in q.cases if c.series), None)


def _feedback_context(result: SubmissionResult, config: GradingConfig, folder: Path | None,
                      redraw: bool = True) -> dict[str, Any]:
    questions = []
    for q in result.questions:
        title = config.questions[q.id].title if q.id in config.questions else ""
        plot = None
        case = _train_case(q)
        if case is not None and folder is not None:
            name = f"loss-{q.id.replace('.', '-')}.png"
            if redraw or not (folder / name).is_file():
                alt = loss_plot(case.series, f"{q.id}: {clean(case.name)}", folder / name)
            else:  # the same losses as when it was drawn (a re-score changes points only)
                alt = loss_alt(case.series)
            plot = {"src": name, "alt": alt, "case": clean(case.name)}
        elif q.id.endswith(".train"):
            plot = {"src": None, "alt": "", "case": ""}
        questions.append({
            "id": q.id, "title": title, "points": _num(q.points), "max": _num(q.max_points),
            "mark": "error" if q.has_error else "passed" if q.passed else "failed",
            "passed": sum(c.outcome is Outcome.PASSED for c in q.cases), "n": len(q.cases),
            "visibility": q.visibility,
            "failures": [{"name": clean(c.name), "outcome": c.outcome.value, "timed_out": c.timed_out,
                          "message": _message(c.message)} for c in q.cases if c.outcome is not Outcome.PASSED],
            "plot": plot,
        })
    printed = clean(result.output)
    return {
        "student": result.student, "total": _num(result.total), "possible": _num(result.possible),
        "status": result.status.value, "status_text": STATUS_TEXT[result.status],
        "isolation_text": ISOLATION_TEXT[result.isolation], "questions": questions,
        "notes": [" ".join(clean(n).split()) for n in result.notes],
        "printed": _cap(printed, config.limits.output_kb * 1024) if printed.strip() else "",
        "assignment": config.assignment,
    }


def write_feedback_html(result: SubmissionResult, config: GradingConfig, path: Path, redraw: bool = True) -> None:
    """Write a student's feedback page (what ``feedback.md`` says, and the loss plots).

    Args:
        result: the graded submission.
        config: grading.yml (question titles, output limit).
        path: the page to write, normally ``OUT/<student>/feedback.html``; the plots
            (``loss-<module>-train.png``) go beside it. The stylesheet is inlined, so the
            student's folder is complete on its own.
        redraw: draw the loss plots again (~0.1 s each); False keeps plots already there.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    context = _feedback_context(result, config, path.parent, redraw)
    html = _environment().get_template("feedback.html").render(**context, css=_stylesheet())
    _atomic_write(path, html)


def has_plots(result: SubmissionResult) -> bool:
    """True when `result`'s feedback page shows a loss plot (a case recorded a series)."""
    return any(c.series for q in result.questions for c in q.cases)


#: From this many pages with plots to draw, `write_reports` draws them in a `PagePool` (its
#: processes cost ~1 s of CPU to start; a page's two plots ~0.2 s).
PAGE_POOL_MIN = 8
_PAGE_CONFIG: GradingConfig | None = None


def _init_page_worker(config: GradingConfig) -> None:
    """A page worker's initializer: Ctrl-C is the main process's; it dies with it; matplotlib now."""
    global _PAGE_CONFIG
    import ctypes
    import signal

    _PAGE_CONFIG = config
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401


def _write_page_job(result: SubmissionResult, path: Path) -> None:
    assert _PAGE_CONFIG is not None
    write_feedback_html(result, _PAGE_CONFIG, path, redraw=True)


class PagePool:
    """Feedback pages with loss plots to draw (~0.1 s of CPU a plot, two a full submission),
    written by `workers` processes of their own instead of the caller's: the main process of a
    grading run records and renders every result serially, and drawing there made it the
    bottleneck of a run on 2 cores (see README, Performance).

    Each page is a rendering of the result handed over (the stored losses; `write_feedback_html`
    with ``redraw=True``), so a page drawn here is byte-identical to one drawn in the caller and
    to a re-render from the store. A page's old ``feedback.html`` is removed when its new one is
    handed over, and a worker writes the plots before the page: a run killed meanwhile leaves no
    page (a rerun renders the missing page) rather than a stale one or one without its plots.

    The workers are forked when the pool is made: make it while the caller has no other thread
    (before a grading run starts its job processes and its warm-up thread; a fork of a process
    whose other thread holds a lock, e.g. the import lock, can hang). A forked worker needs no
    ``if __name__ == "__main__"`` guard in the caller's script, which a spawned one would run
    again. Each worker imports matplotlib (~0.8 s of CPU) while the run grades. `close` waits for
    every page; a page whose worker failed or was stopped (Ctrl-C stops every child of the
    grader) is written by the caller instead. A page that cannot be written there either is left
    out (a rerun tries again) and listed in `failed`: one student's page never fails another's,
    nor the run.

    Args:
        config: grading.yml (question titles, output limit), given to every worker once.
        workers: processes (>= 1; a grading run gives its ``jobs``).
    """

    def __init__(self, config: GradingConfig, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.config, self.workers = config, max(1, workers)
        self._pending: dict[Path, tuple[Any, SubmissionResult]] = {}
        #: (page, why) of the pages that could not be written
        self.failed: list[tuple[Path, str]] = []
        self._pool: Any = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"),
                                              initializer=_init_page_worker, initargs=(config,))
        self._pool.submit(int)  # forks every worker now (a "fork" pool starts them all at its first task)

    def write(self, result: SubmissionResult, path: Path) -> None:
        """Hand over `result`'s feedback page, to be written to `path` (normally
        ``OUT/<folder>/feedback.html``; its plots ``loss-<module>-train.png`` beside it)."""
        path = Path(path)
        for done in [p for p, (f, _) in self._pending.items() if p == path or f.done()]:
            self._finish(done, *self._pending.pop(done))  # the same page again: the later one is left
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        try:
            if self._pool is None:
                raise RuntimeError("the pool is closed")
            self._pending[path] = (self._pool.submit(_write_page_job, result, path), result)
        except Exception:  # the pool is broken (its workers were stopped): write it here
            self._write_here(result, path)

    def _finish(self, path: Path, future: Any, result: SubmissionResult) -> None:
        try:
            future.result()
        except Exception:
            self._write_here(result, path)

    def _write_here(self, result: SubmissionResult, path: Path) -> None:
        try:
            write_feedback_html(result, self.config, path, redraw=True)
        except Exception as exc:
            path.unlink(missing_ok=True)
            self.failed.append((path, f"{type(exc).__name__}: {exc}"))

    def close(self) -> None:
        """Wait until every page handed over is written, then stop the workers."""
        try:
            while self._pending:
                path = next(iter(self._pending))
                self._finish(path, *self._pending.pop(path))
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None

    def __enter__(self) -> PagePool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --- the class report -----------------------------------------------------------------------------


def message_key(message: str) -> str:
    """What similar failure messages share: the first line, its parenthesised and bracketed
    parts (call arguments, shapes, tolerances) shortened to "…", every number to "#"."""
    lines = clean(message).strip().splitlines()
    text = " ".join(lines[0].split()) if lines else ""
    previous = None
    while previous != text:  # innermost first: "(…)" and "[…]" stand in as "\x01" and "\x02"
        previous = text
        text = _PARENS.sub("\x01", _BRACKETS.sub("\x02", text))
    return _NUMBER.sub("#", text).replace("\x01", "(…)").replace("\x02", "[…]")[:300]


def common_failures(results: Sequence[SubmissionResult], qid: str) -> list[dict[str, Any]]:
    """The failures of one question grouped: by diagnosis when a case carries one
    (`CaseResult.diagnoses`), else by `message_key`. Each group: ``kind`` ("diagnosis" or
    "message"), ``title``, ``example`` (one student's message, as that student's feedback shows
    it), ``cases`` (the case names, parameters dropped), ``students`` (sorted ids), ``count``
    (students); diagnoses first, then by count, largest first. Grader errors are not failures
    (see `needs_ta`)."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for r in results:
        q = next((q for q in r.questions if q.id == qid), None)
        if q is None:
            continue
        for c in q.cases:
            if c.outcome is not Outcome.FAILED:
                continue
            diagnoses = tuple(getattr(c, "diagnoses", ()) or ())
            keys = ([("diagnosis", str(d)) for d in diagnoses] if diagnoses
                    else [("message", message_key(c.message))])
            for key in keys:
                g = groups.setdefault(key, {"kind": key[0], "title": key[1], "example": _message(c.message),
                                            "students": set(), "cases": {}})
                g["students"].add(r.student)
                g["cases"][_CASE_PARAMS.sub("", clean(c.name))] = None
    out = [dict(g, students=sorted(g["students"]), count=len(g["students"]), cases=list(g["cases"]))
           for g in groups.values()]
    out.sort(key=lambda g: (g["kind"] != "diagnosis", -g["count"], g["title"]))
    return out


def needs_ta(results: Sequence[SubmissionResult], pairs: Sequence[Any] = (),
             href: Any = feedback_href) -> list[dict[str, Any]]:
    """Submissions a TA should look at, each with its reasons: a grader error, a timeout, no
    gradable module, suspicious files, notes from loading, a similar pair."""
    similar: dict[str, list[tuple[str, str, float, int]]] = defaultdict(list)
    for i, p in enumerate(pairs):
        similar[p.student_a].append((p.student_b, p.module, p.similarity, i))
        similar[p.student_b].append((p.student_a, p.module, p.similarity, i))
    out = []
    for r in sorted(results, key=lambda r: r.student):
        reasons = []
        errors = [f"{q.id}: {clean(c.name)}" for q in r.questions for c in q.cases if c.outcome is Outcome.ERROR]
        if errors:
            reasons.append("grader error (details for the TA in results.json, extra_data.grader_details): "
                           + "; ".join(errors[:5]) + (" …" if len(errors) > 5 else ""))
        timeouts = [f"{q.id}: {clean(c.name)}" for q in r.questions for c in q.cases if c.timed_out]
        if timeouts:
            reasons.append("ran out of time: " + "; ".join(timeouts[:5]))
        if r.status is Status.INVALID:
            reasons.append("invalid: no gradable module was found")
        if r.suspicious:
            reasons.append("suspicious files (ignored): " + ", ".join(clean(s) for s in r.suspicious))
        reasons += ["note: " + " ".join(clean(n).split()) for n in r.notes]
        pairs_here = [{"other": o, "module": m, "similarity": f"{s:.0%}", "index": i}
                      for o, m, s, i in sorted(similar.get(r.student, []), key=lambda x: -x[2])]
        if reasons or pairs_here:
            out.append({"student": r.student, "href": href(r.student), "status": r.status.value,
                        "reasons": reasons, "pairs": pairs_here})
    return out


def _late_penalty(r: SubmissionResult) -> Any:
    return getattr(r, "late_penalty", None)


def _class_context(results: Sequence[SubmissionResult], config: GradingConfig, report_dir: Path,
                   similarity: Any, folders: dict[str, str] | None = None) -> dict[str, Any]:
    href = functools.partial(feedback_href, folders=folders)
    results = sorted(results, key=lambda r: r.student)
    qids = list(config.questions)
    possible = config.total_points
    totals = [r.total for r in results]
    show_late = any(_late_penalty(r) not in (None, 0, 0.0) for r in results)
    rows = []
    for r in results:
        by_id = {q.id: q for q in r.questions}
        cells = []
        for qid in qids:
            q = by_id.get(qid)
            mark = "missing" if q is None else "error" if q.has_error else "full" if q.passed else \
                "zero" if q.points == 0 else "part"
            cells.append({"text": "–" if q is None else _num(q.points),
                          "sort": _sort_key(q.points if q else -1), "mark": mark})
        late = _late_penalty(r)
        rows.append({
            "student": r.student, "href": href(r.student), "cells": cells,
            "total": _num(r.total), "total_sort": _sort_key(r.total), "full": r.total >= r.possible - 1e-6,
            "status": r.status.value, "late": "" if late in (None, 0, 0.0) else str(late),
            "late_sort": _sort_key(float(late) if isinstance(late, (int, float)) else 0.0),
            "notes": [" ".join(clean(n).split()) for n in r.notes],
        })
    questions = []
    for qid in qids:
        qs = [q for r in results for q in r.questions if q.id == qid]
        n = len(results) or 1
        full = sum(q.passed for q in qs)
        questions.append({
            "id": qid, "short": _short(qid), "parts": _short(qid).split("_"), "title": config.questions[qid].title,
            "max": _num(config.questions[qid].points),
            "mean": _num(round(statistics.fmean(q.points for q in qs), 2)) if qs else "–",
            "full": full, "rate": full / n, "rate_text": f"{full / n:.0%}",
            "zero": sum(q.points == 0 for q in qs), "errors": sum(q.has_error for q in qs),
            "groups": common_failures(results, qid),
        })
    bins = _histogram_png(totals, possible, report_dir / "score_distribution.png")
    full_count = bins[-1].count
    alt = (f"Histogram of {len(results)} totals out of {_num(possible)} points: {full_count} with full marks "
           f"(its own bar at the right); " +
           "; ".join(f"{b.count} from {_num(b.lo)} to below {_num(b.hi)}" for b in bins[:-1] if b.count) + ".")
    pairs = list(similarity.pairs) if similarity is not None else []
    status_counts = {s.value: sum(r.status is s for r in results) for s in Status}
    return {
        "assignment": config.assignment, "n": len(results), "possible": _num(possible),
        "mean": _num(round(statistics.fmean(totals), 2)) if totals else "–",
        "median": _num(statistics.median(totals)) if totals else "–",
        "full_count": full_count, "status_counts": status_counts,
        "isolations": sorted({r.isolation.value for r in results}),
        "questions": questions, "rows": rows, "show_late": show_late,
        "modules": [(m, len(list(g))) for m, g in itertools.groupby(qids, key=lambda qid: qid.split(".", 1)[0])],
        "show_notes": any(r["notes"] for r in rows),
        "bins": bins, "histogram_alt": alt,
        "ta": needs_ta(results, pairs, href), "similarity": similarity, "pairs": pairs,
        "href": href, "top": TOP_GROUPS,
    }


def write_class_report(results: Sequence[SubmissionResult], config: GradingConfig, out_dir: Path,
                       similarity: Any = None, folders: dict[str, str] | None = None) -> Path:
    """Write the class report ``<out_dir>/report/index.html`` (see the module docstring).

    Args:
        results: every graded submission (any order; one row each).
        config: grading.yml (questions, their titles and points).
        out_dir: the grading run's OUT folder; the students' feedback pages are linked as
            ``OUT/<student>/feedback.html``.
        similarity: a `similarity.SimilarityResult` (pairs above its threshold, each with a
            side-by-side page written here) or None when no similarity check was run.
        folders: {student id: its folder in OUT} (`store.Store.folders`); default: the id.

    Returns:
        The path of index.html. Assets (one stylesheet, list.js, the table script, the
        histogram PNG) are written beside it under ``report/``.
    """
    report_dir = Path(out_dir) / REPORT_DIR
    assets = report_dir / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    static = resources.files("autograder.publish").joinpath("static")
    for name in ASSETS:
        (assets / name).write_bytes(static.joinpath(name).read_bytes())
    env = _environment()
    context = _class_context(results, config, report_dir, similarity, folders)
    pairs_dir = report_dir / "pairs"
    if pairs_dir.exists():
        shutil.rmtree(pairs_dir)
    if context["pairs"]:
        pairs_dir.mkdir()
        template = env.get_template("pair.html")
        for i, pair in enumerate(context["pairs"]):
            _atomic_write(pairs_dir / f"pair-{i:04d}.html",
                          template.render(pair=pair, index=i, assignment=config.assignment,
                                          threshold=similarity.threshold))
    index = report_dir / "index.html"
    _atomic_write(index, env.get_template("index.html").render(**context))
    return index


# --- results on disk (until the grade store replaces them) -------------------------------------


def _to_plain(result: SubmissionResult) -> dict[str, Any]:
    return json.loads(json.dumps(dataclasses.asdict(result), default=lambda o: o.value))


def _from_plain(cls: type, data: dict[str, Any]) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def _result_from_plain(r: dict[str, Any]) -> SubmissionResult:
    questions = tuple(
        _from_plain(QuestionResult, dict(q, cases=tuple(
            _from_plain(CaseResult, dict(c, outcome=Outcome(c["outcome"]),
                                         series=tuple((n, tuple(v)) for n, v in c.get("series", ())),
                                         **({"diagnoses": tuple(c["diagnoses"])} if "diagnoses" in c else {})))
            for c in q["cases"])))
        for q in r["questions"])
    return _from_plain(SubmissionResult, dict(
        r, status=Status(r["status"]), isolation=Isolation(r["isolation"]), questions=questions,
        notes=tuple(r.get("notes", ())), suspicious=tuple(r.get("suspicious", ()))))


def without_series(result: SubmissionResult) -> SubmissionResult:
    """The result without its loss series (what the class report needs: ~10x smaller)."""
    return dataclasses.replace(result, questions=tuple(
        dataclasses.replace(q, cases=tuple(dataclasses.replace(c, series=()) if c.series else c for c in q.cases))
        for q in result.questions))


def save_results(results: Iterable[SubmissionResult], out: Path) -> Path:
    """Write every result (one JSON object a line, lossless) to ``OUT/report/class-results.jsonl``."""
    path = Path(out) / REPORT_DIR / RESULTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, "".join(json.dumps(_to_plain(r), ensure_ascii=False) + "\n"
                                for r in sorted(results, key=lambda r: r.student)))
    return path


def load_results(out: Path, config: GradingConfig | None = None) -> list[SubmissionResult]:
    """The results of the grading run in `out` (what ``autograder report OUT`` renders), by student.

    Reads OUT's grade store (``grades.sqlite``, scored with `config`, default grading.yml) or,
    without one, ``OUT/report/class-results.jsonl`` (written by `ClassPages` / `write_reports`).

    Raises:
        FileNotFoundError: `out` holds no graded results.
    """
    from ..store.grades import STORE_NAME, Store

    if (Path(out) / STORE_NAME).is_file():  # what a grading run leaves: the grade store
        with Store.open_readonly(Path(out)) as store:
            return store.results(config)
    with open(Path(out) / REPORT_DIR / RESULTS_FILE, encoding="utf-8") as f:
        results = [_result_from_plain(json.loads(line)) for line in f if line.strip()]
    return sorted(results, key=lambda r: r.student)


def load_folders(out: Path) -> dict[str, str] | None:
    """{student id: its folder in OUT} from OUT's grade store, or None when OUT has none."""
    from ..store.grades import STORE_NAME, Store

    if not (Path(out) / STORE_NAME).is_file():
        return None
    with Store.open_readonly(Path(out)) as store:
        return store.folders()


class ClassPages:
    """The HTML pages of a grading run, written as results arrive (memory flat in the number of
    submissions but for a small copy of each result): `add` writes the student's feedback.html
    and its plots and appends the result to class-results.jsonl; `close` writes the class report.
    """

    def __init__(self, out: Path, config: GradingConfig, folders: dict[str, str] | None = None) -> None:
        self.out, self.config, self.folders = Path(out), config, folders
        self.results: list[SubmissionResult] = []
        (self.out / REPORT_DIR).mkdir(parents=True, exist_ok=True)
        self._file = open(self.out / REPORT_DIR / RESULTS_FILE, "w", encoding="utf-8")

    def add(self, result: SubmissionResult, pages: PagePool | None = None) -> None:
        """Write `result`'s feedback page (by `pages` when given and it has plots) and keep it."""
        folder = (self.folders or {}).get(result.student) or (result.student if folder_ok(result.student) else None)
        if folder and pages is not None and has_plots(result):
            pages.write(result, self.out / folder / "feedback.html")
        elif folder:
            write_feedback_html(result, self.config, self.out / folder / "feedback.html")
        self._file.write(json.dumps(_to_plain(result), ensure_ascii=False) + "\n")
        self.results.append(without_series(result))

    def close(self, similarity: Any = None) -> Path:
        """Write the class report (and `similarity`'s result, if any); returns index.html's path."""
        self._file.close()
        if similarity is not None:
            from .similarity import save
            save(similarity, self.out)
        return write_class_report(self.results, self.config, self.out, similarity, self.folders)


def write_reports(results: Sequence[SubmissionResult], config: GradingConfig, out: Path,
                  similarity: Any = None, folders: dict[str, str] | None = None) -> Path:
    """Everything of this module for a list of results: class-results.jsonl, every student's
    feedback.html (with its loss plots; from `PAGE_POOL_MIN` results with plots, drawn by a
    `PagePool` of a process per core) and the class report. Returns index.html's path."""
    import contextlib
    import os

    class_pages = ClassPages(out, config, folders)
    many = sum(map(has_plots, results)) >= PAGE_POOL_MIN
    with PagePool(config, os.cpu_count() or 1) if many else contextlib.nullcontext() as pool:
        for r in sorted(results, key=lambda r: r.student):
            class_pages.add(r, pool)
    return class_pages.close(similarity)
