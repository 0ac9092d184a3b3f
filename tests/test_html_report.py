"""html_report.py: the class report and the feedback pages, read in a real headless browser.

The browser is Debian's chromium (``/usr/bin/chromium``, installed by .ci/run) driven by
Playwright; nothing is downloaded. Without it the browser tests are skipped with the reason.
Screenshots of the class report and of one feedback page are written to ``out/test-artifacts/``.
"""
from __future__ import annotations

import dataclasses
import math
import multiprocessing
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from autograder.publish import html_report
from autograder.config import GradingConfig, QuestionConfig
from autograder.results import CaseResult, Isolation, Outcome, QuestionResult, Status, SubmissionResult
from autograder.publish.similarity import SimilarityResult, SimilarPair

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "out" / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
SCRIPT_ID = "<script>alert(1)</script>"           # cannot be a folder: no feedback page, shown as text
IMG_ID = "<img src=x onerror=alert(2)>&amp;"      # a folder name: has a feedback page

CONFIG = GradingConfig(
    assignment="demo",
    modules=["foundations", "linear_regression"],
    questions={
        "foundations.deriv": QuestionConfig(points=2, rtol=1e-6, atol=1e-9, timeout=10, visibility="visible",
                                            title="numerical derivative"),
        "linear_regression.loss_gradients": QuestionConfig(points=4, rtol=1e-6, atol=1e-9, timeout=10,
                                                           visibility="visible"),
        "linear_regression.train": QuestionConfig(points=4, rtol=1e-4, atol=1e-6, timeout=30, visibility="hidden"),
    },
)
P, F, E = Outcome.PASSED, Outcome.FAILED, Outcome.ERROR
REFERENCE = tuple(30.0 * math.exp(-i / 40) + 5 for i in range(200))
DIVERGING = tuple(30.0 * math.exp(i / 60) for i in range(200))
BIAS_MESSAGE = ("loss_gradients(forward_info, weights) for a batch of {n} rows: the entry 'B' is an array of "
                "shape ({n}, 1); expected shape (1, 1).")


def q(qid: str, *cases: CaseResult) -> QuestionResult:
    spec = CONFIG.questions[qid]
    passed = sum(c.outcome is P for c in cases)
    return QuestionResult(qid, round(spec.points * passed / len(cases), 6), spec.points, spec.visibility, cases)


def case(qid: str, outcome: Outcome, message: str = "", name: str = "a case", **kw) -> CaseResult:
    return CaseResult(qid, name, outcome, message, **kw)


def submission(student: str, *, deriv=P, grads=P, train: Outcome = P, series=(("yours", REFERENCE),
               ("reference", REFERENCE)), status=Status.GRADED, notes=(), output="", suspicious=(),
               n_rows=7) -> SubmissionResult:
    return SubmissionResult(student, status, (
        q("foundations.deriv", case("foundations.deriv", P, name="deriv(square, 3.0)"),
          case("foundations.deriv", deriv, "" if deriv is P else "deriv(sigmoid, 0.5) returned 0.2351; expected "
               "0.2350037 (abs error 1e-4).", name="deriv(sigmoid, x) (0.5)", timed_out=False)),
        q("linear_regression.loss_gradients",
          case("linear_regression.loss_gradients", grads, "" if grads is P else BIAS_MESSAGE.format(n=n_rows),
               name=f"loss_gradients on a batch ({n_rows}; 3)")),
        q("linear_regression.train",
          case("linear_regression.train", train, "" if train is P else
               "linear_regression.train(...) on the lesson's training data: the loss did not fall.",
               name="train on the lesson's data", series=series)),
    ), Isolation.SANDBOX, notes=notes, output=output, suspicious=suspicious)


CLASS = [
    submission("ada"),
    submission("bo", grads=F, n_rows=7),
    submission("cy", grads=F, n_rows=12, train=F, series=(("yours", DIVERGING), ("reference", REFERENCE))),
    submission("dee", deriv=F),
    submission(SCRIPT_ID, grads=F, n_rows=9, notes=(f"a note about {SCRIPT_ID}",)),
    submission(IMG_ID, train=F, series=(), output="</pre><script>alert(3)</script>\nloss 3.2\n",
               suspicious=("conftest.py",)),
    SubmissionResult("eve", Status.ERROR, (
        q("foundations.deriv", case("foundations.deriv", E, "The grader failed on this test case.",
                                    detail="KeyError: 'hidden_expected_value_42' in the hidden test")),
        q("linear_regression.loss_gradients", case("linear_regression.loss_gradients", P)),
        q("linear_regression.train", case("linear_regression.train", F, "Your code ran out of time.",
                                          timed_out=True)),
    ), Isolation.SANDBOX),
]
PAIR = SimilarPair("ada", "bo", "linear_regression", 0.91, 0.88, 120,
                   "def <span class='highlight-red'>f(x):\n    return x</span>\n# &lt;b&gt;",
                   "def <span class='highlight-green'>g(y):\n    return y</span>\n")


# --- plain functions --------------------------------------------------------------------------------


def test_full_marks_is_a_bar_of_its_own():
    bins = html_report.score_bins([0.0, 28.8, 29.6, 29.9, 30.0, 30.0], 30)
    assert bins[-1].full and bins[-1].count == 2
    assert bins[28].lo == 28 and bins[28].count == 1   # 28.8 is not lumped with 30
    assert bins[29].count == 2                          # 29.6 and 29.9
    assert bins[0].count == 1 and sum(b.count for b in bins) == 6
    assert len(bins) == 31


def test_the_drawn_histogram_keeps_full_marks_apart():
    """report.py's plots/score_distribution.png draws with this function (it lumped 28.5-30 before)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    html_report.draw_score_histogram(ax, [28.8, 30.0, 30.0, 12.0], 30)
    heights = {round(p.get_x()): p.get_height() for p in ax.patches if p.get_height()}
    assert heights[28] == 1 and heights[12] == 1
    assert sorted(heights.values()) == [1, 1, 2]   # the full-marks bar holds the two 30s only


def test_similar_messages_share_a_group_and_different_ones_do_not():
    key = html_report.message_key
    assert key(BIAS_MESSAGE.format(n=7)) == key(BIAS_MESSAGE.format(n=12))
    assert key("deriv(sigmoid, 0.5) returned 0.2351; expected 0.235") == key(
        "deriv(square, array of shape (3,)) returned 1.5; expected 2")
    assert key("chain_deriv_2() is not implemented yet") == "chain_deriv_2(…) is not implemented yet"
    assert key(BIAS_MESSAGE.format(n=7)) != key("loss_gradients() is not implemented yet (it raises "
                                                "NotImplementedError).")


def test_common_failures_group_students_and_use_diagnoses():
    groups = html_report.common_failures(CLASS, "linear_regression.loss_gradients")
    assert [(g["kind"], g["count"], g["students"]) for g in groups] == [("message", 3, sorted(["bo", "cy", SCRIPT_ID]))]

    @dataclasses.dataclass(frozen=True)
    class Diagnosed(CaseResult):  # the field another branch adds to CaseResult
        diagnoses: tuple[str, ...] = ()

    diagnosed = dataclasses.replace(CLASS[1], questions=(CLASS[1].questions[0], q(
        "linear_regression.loss_gradients",
        Diagnosed("linear_regression.loss_gradients", "c", F, BIAS_MESSAGE.format(n=7),
                  diagnoses=("bias gradient not summed over the batch",))), CLASS[1].questions[2]))
    groups = html_report.common_failures([diagnosed, CLASS[2]], "linear_regression.loss_gradients")
    assert groups[0]["kind"] == "diagnosis" and groups[0]["title"] == "bias gradient not summed over the batch"
    assert groups[0]["students"] == ["bo"] and groups[1]["students"] == ["cy"]


def test_needs_a_ta_lists_errors_timeouts_suspicious_files_and_pairs():
    ta = {t["student"]: t for t in html_report.needs_ta(CLASS, [PAIR])}
    assert set(ta) == {"ada", "bo", "eve", IMG_ID, SCRIPT_ID}
    assert any("grader error" in r for r in ta["eve"]["reasons"])
    assert any("ran out of time" in r for r in ta["eve"]["reasons"])
    assert not any("hidden_expected_value_42" in r for r in ta["eve"]["reasons"])  # detail stays out
    assert ta[IMG_ID]["reasons"] == ["suspicious files (ignored): conftest.py"]
    assert ta["ada"]["pairs"][0]["other"] == "bo" and ta["ada"]["pairs"][0]["similarity"] == "91%"


def test_results_round_trip_through_load_results(tmp_path):
    html_report.save_results(CLASS, tmp_path)
    assert html_report.load_results(tmp_path) == sorted(CLASS, key=lambda r: r.student)
    pages = html_report.ClassPages(tmp_path / "pages", CONFIG)
    for r in CLASS:
        pages.add(r)
    pages.close()
    assert html_report.load_results(tmp_path / "pages") == sorted(CLASS, key=lambda r: r.student)
    assert all(not c.series for r in pages.results for q in r.questions for c in q.cases)  # kept small


def test_feedback_page_says_what_feedback_md_says(tmp_path):
    from autograder.publish.report import feedback_markdown

    result = CLASS[2]  # cy: a wrong gradient and a diverging train
    page = tmp_path / "cy" / "feedback.html"
    html_report.write_feedback_html(result, CONFIG, page)
    text = page.read_text()
    md = feedback_markdown(result, CONFIG)
    for line in ("loss did not fall", "the entry 'B' is an array of shape (12, 1)", "2 / 10 points",
                 "numerical derivative"):
        assert line.replace("'", "&#39;") in text and line in md
    plot = tmp_path / "cy" / "loss-linear_regression-train.png"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'src="loss-linear_regression-train.png"' in text
    assert "mean loss over the last tenth" in text  # the alt text says what the plot shows


def _files(folder: Path) -> dict[str, bytes]:
    return {str(f.relative_to(folder)): f.read_bytes() for f in sorted(folder.rglob("*")) if f.is_file()}


def test_a_page_pool_writes_the_pages_and_plots_the_caller_would(tmp_path):
    """The pool's forked processes draw what this process draws, byte for byte."""
    students = [CLASS[0], CLASS[2]]  # ada: a loss that falls; cy: one that diverges
    for r in students:
        html_report.write_feedback_html(r, CONFIG, tmp_path / "here" / r.student / "feedback.html")
    (tmp_path / "pool" / "cy").mkdir(parents=True)
    (tmp_path / "pool" / "cy" / "feedback.html").write_text("a page of an earlier run")
    before = set(multiprocessing.active_children())
    with html_report.PagePool(CONFIG, 2) as pool:
        assert len(set(multiprocessing.active_children()) - before) == 2  # forked when made
        for r in students:
            pool.write(r, tmp_path / "pool" / r.student / "feedback.html")
        assert not (tmp_path / "pool" / "cy" / "feedback.html").exists() or \
            (tmp_path / "pool" / "cy" / "feedback.html").read_text() != "a page of an earlier run"
    here, there = _files(tmp_path / "here"), _files(tmp_path / "pool")
    assert sorted(there) == ["ada/feedback.html", "ada/loss-linear_regression-train.png",
                             "cy/feedback.html", "cy/loss-linear_regression-train.png"]
    assert there == here
    assert there["ada/loss-linear_regression-train.png"] != there["cy/loss-linear_regression-train.png"]
    assert set(multiprocessing.active_children()) <= before  # closed: its processes are gone


def test_pages_handed_to_a_stopped_pool_are_written_by_the_caller(tmp_path):
    """Ctrl-C stops every child of the grader (grade._stop_pool), the page processes too."""
    result = CLASS[2]
    html_report.write_feedback_html(result, CONFIG, tmp_path / "here" / "cy" / "feedback.html")
    before = set(multiprocessing.active_children())
    pool = html_report.PagePool(CONFIG, 1)
    for process in set(multiprocessing.active_children()) - before:
        process.terminate()
        process.join(10)
    pool.write(result, tmp_path / "pool" / "cy" / "feedback.html")
    pool.close()
    assert _files(tmp_path / "pool") == _files(tmp_path / "here")


def test_a_page_that_cannot_be_drawn_is_listed_and_spares_the_others(tmp_path):
    bad = submission("bad", series=(("yours", ("not a number",)),))
    with html_report.PagePool(CONFIG, 1) as pool:
        pool.write(bad, tmp_path / "bad" / "feedback.html")
        pool.write(CLASS[0], tmp_path / "ada" / "feedback.html")
    assert [(p.parent.name, why.split(":")[0]) for p, why in pool.failed] == [("bad", "TypeError")]
    assert not (tmp_path / "bad" / "feedback.html").exists()
    assert sorted(_files(tmp_path / "ada")) == ["feedback.html", "loss-linear_regression-train.png"]


def test_report_draws_many_pages_in_a_pool_as_it_would_here(tmp_path):
    """``autograder report OUT`` (write_reports): from PAGE_POOL_MIN pages with plots, a PagePool."""
    many = [dataclasses.replace(CLASS[2], student=f"s{i}") for i in range(html_report.PAGE_POOL_MIN)]
    html_report.write_feedback_html(many[0], CONFIG, tmp_path / "here" / "s0" / "feedback.html")
    html_report.write_reports(many, CONFIG, tmp_path / "out")
    here = _files(tmp_path / "here" / "s0")
    for i in range(len(many)):  # the same page but for the student id
        page = _files(tmp_path / "out" / f"s{i}")
        assert page["loss-linear_regression-train.png"] == here["loss-linear_regression-train.png"]
        assert page["feedback.html"].replace(f"s{i}".encode(), b"ID") == here["feedback.html"].replace(b"s0", b"ID")


def test_losses_near_the_largest_float_draw_and_describe_without_an_error(tmp_path):
    """Hostile: train returned losses of 1e308 (finite, so recorded for the plot): the alt text's mean
    overflowed (OverflowError in statistics.fmean), the feedback page failed, and grade replaced the
    student's whole result by a grader error. Now the page is written and the mean is the true one."""
    huge = tuple([1e308] * 200)
    for yours in (huge, tuple(v if i % 2 else -v for i, v in enumerate(huge)), tuple([1.7976931348623157e308] * 200)):
        result = submission("max", train=F, series=(("yours", yours), ("reference", REFERENCE)))
        html_report.write_feedback_html(result, CONFIG, tmp_path / "max" / "feedback.html")
        assert (tmp_path / "max" / "loss-linear_regression-train.png").read_bytes()[:4] == b"\x89PNG"
    assert html_report._tail_mean(huge) == 1e308 and html_report._tail_mean((1e308, -1e308) * 10) == 0.0
    assert "mean loss over the last tenth 1.798e+308" in (tmp_path / "max" / "feedback.html").read_text()


def test_a_student_id_that_is_no_folder_name_gets_no_link():
    assert html_report.feedback_href(SCRIPT_ID) is None
    assert html_report.feedback_href(IMG_ID) == "../%3Cimg%20src%3Dx%20onerror%3Dalert%282%29%3E%26amp%3B/feedback.html"
    assert html_report.feedback_href("report") is None


# --- in the browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    similarity = SimilarityResult(0.6, (PAIR,), 14, 0.2)
    (out / "gradebook.csv").write_text("student\n")  # linked from the report (written by report.py)
    html_report.write_reports(CLASS, CONFIG, out, similarity)
    return out


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (Debian's chromium; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install .[dev])")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


class Page:
    """A page opened from the file system, with every request, console message and dialog seen."""

    def __init__(self, browser, path: Path) -> None:
        self.requests, self.console, self.dialogs, self.errors = [], [], [], []
        self.page = browser.new_page(viewport={"width": 1280, "height": 860})
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.as_uri(), wait_until="load")

    def check_loaded_cleanly(self) -> None:
        assert self.errors == [] and [m for m in self.console if m[0] in ("error", "warning")] == []
        assert self.dialogs == []
        assert self.requests and all(u.startswith("file://") for u in self.requests), self.requests

    def check_images_and_links(self, links_expected: bool = True) -> None:
        images = self.page.eval_on_selector_all("img", "els => els.map(e => [e.src, e.complete && e.naturalWidth, e.alt])")
        assert images
        for src, width, alt in images:
            assert width and alt, src
        links = self.page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        assert bool(links) == links_expected
        for href in links:
            url = urlparse(href)
            assert url.scheme == "file", href
            target = Path(unquote(url.path))
            assert target.is_file(), href
            if url.fragment and target == Path(urlparse(self.page.url).path):
                assert self.page.locator(f"[id='{url.fragment}']").count() == 1, href


def test_class_report_in_the_browser(browser, out):
    index = out / "report" / "index.html"
    view = Page(browser, index)
    page = view.page
    view.check_loaded_cleanly()
    view.check_images_and_links()

    # the hostile ids are text, not markup
    assert SCRIPT_ID in page.locator("tbody.list th.c-student").all_inner_texts()
    assert page.get_by_role("rowheader", name=SCRIPT_ID, exact=True).count() == 2  # gradebook, TA table
    assert page.get_by_role("link", name=IMG_ID, exact=True).count() >= 1
    assert page.locator("script").count() == 2  # list.js and the table's script, nothing else

    def totals() -> list[float]:
        return [float(t) for t in page.locator("tbody.list td.c-total").all_inner_texts()]

    page.click("#sort-total")
    first = totals()
    page.click("#sort-total")
    second = totals()
    assert first == sorted(first) or first == sorted(first, reverse=True)
    assert second == first[::-1] and len(first) == len(CLASS) and first[0] != first[-1]
    assert page.locator("th[aria-sort]").count() == 1

    page.fill("#search", "ada")
    assert page.locator("tbody.list tr").count() == 1
    page.fill("#search", "")
    page.select_option("#status-filter", "error")
    assert page.locator("tbody.list th.c-student").all_inner_texts() == ["eve"]
    page.select_option("#status-filter", "")

    text = page.inner_text("body")
    assert "hidden_expected_value_42" not in text  # a grader error's detail is for results.json only
    assert "3 students" in text                    # the bias-shape failure, grouped
    view.check_loaded_cleanly()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "class-report.png"), full_page=True)
    print(f"screenshot: {ARTIFACTS / 'class-report.png'}")

    pair = Page(browser, out / "report" / "pairs" / "pair-0000.html")
    pair.check_loaded_cleanly()
    assert pair.page.locator(".highlight-red").count() == 1 and "# <b>" in pair.page.inner_text("pre.code")


def test_feedback_pages_in_the_browser(browser, out):
    for student in ("cy", IMG_ID):
        view = Page(browser, out / student / "feedback.html")
        view.check_loaded_cleanly()
        if student == "cy":
            view.check_images_and_links(links_expected=False)  # a student's folder stands alone
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            view.page.screenshot(path=str(ARTIFACTS / "feedback-cy.png"), full_page=True)
            print(f"screenshot: {ARTIFACTS / 'feedback-cy.png'}")
        else:
            assert IMG_ID in view.page.inner_text("h1")
            assert "</pre><script>alert(3)</script>" in view.page.inner_text("main")
            assert "No loss plot" in view.page.inner_text("main")


# --- end to end ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_class_histogram_is_drawn_again_only_when_its_bins_change(tmp_path):
    """A rerun that changed nothing drew the class report's histogram again every time (about half
    of a nothing-changed rerun's class report at N = 1,000, by cProfile)."""
    png = tmp_path / "report" / "score_distribution.png"
    html_report.write_class_report(CLASS, CONFIG, tmp_path)
    first = png.stat()
    html_report.write_class_report(CLASS, CONFIG, tmp_path)
    assert (png.stat().st_ino, png.stat().st_mtime_ns) == (first.st_ino, first.st_mtime_ns)  # not drawn again
    before = png.read_bytes()
    html_report.write_class_report([dataclasses.replace(CLASS[0], student="extra"), *CLASS], CONFIG, tmp_path)
    assert png.read_bytes() != before  # a bar grew by one
    png.unlink()
    html_report.write_class_report(CLASS, CONFIG, tmp_path)
    assert png.read_bytes() == before  # drawn again when it is missing


def test_grade_writes_the_report_and_report_rebuilds_it(tmp_path):
    """Real grading of three sample students: the losses travel from the hidden suite to the plot."""
    subs = tmp_path / "subs"
    for name in ("ada_nwosu", "hugo_lambert", "sofia_rossi"):
        shutil.copytree(ROOT / "data" / "submissions" / name, subs / name)
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out), "-q",
                          "--jobs", "1", "--similarity"], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    results = {r.student: r for r in html_report.load_results(out)}
    train = next(q for q in results["ada_nwosu"].questions if q.id == "neural_network.train")
    series = dict(next(c for c in train.cases if c.series).series)
    assert len(series["yours"]) == len(series["reference"]) == 800
    assert series["yours"][-1] < series["yours"][0]
    for module in ("linear_regression", "neural_network"):
        assert (out / "ada_nwosu" / f"loss-{module}-train.png").is_file()
    assert not list((out / "sofia_rossi").glob("loss-*.png"))  # nothing submitted: no plot
    index = out / "report" / "index.html"
    index.unlink()
    rebuilt = subprocess.run([sys.executable, "-m", "autograder", "report", str(out)], capture_output=True,
                             text=True, cwd=ROOT)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "hugo_lambert" in index.read_text()
    assert (out / "report" / "sources" / "ada_nwosu" / "neural_network.py").is_file()
    # --similarity: hugo's code is ada's with one mistake; sofia submitted no module
    from autograder.publish import similarity
    pairs = {(p.student_a, p.student_b) for p in similarity.load(out).pairs}
    assert pairs == {("ada_nwosu", "hugo_lambert")}
    assert "pairs/pair-0000.html" in index.read_text()  # the rebuilt report keeps the pairs


@pytest.mark.slow
def test_a_rerender_from_the_store_is_byte_identical_to_the_run_that_graded(tmp_path, monkeypatch):
    """The grading run hands its feedback pages to a PagePool; rendered again from the store in
    this process (a rerun that finds them deleted) and by ``autograder report OUT``, every file
    of a student's folder and the gradebook are the same bytes."""
    from autograder import grade as grading
    from autograder.cli import main

    subs = tmp_path / "subs"
    shutil.copytree(ROOT / "data" / "submissions" / "ada_nwosu", subs / "ada_nwosu")
    (subs / "sofia_rossi").mkdir()  # a second student (a class), quick to grade: nothing submitted
    shutil.copy(ROOT / "data" / "submissions" / "ada_nwosu" / "foundations.py", subs / "sofia_rossi")
    out = tmp_path / "out"
    monkeypatch.setattr(grading, "PAGE_POOL_MIN", 1)  # its pages are drawn by the pool
    assert grading.grade([subs], out, jobs=2, progress=False).graded == 2
    graded = {name: _files(out / name) for name in ("ada_nwosu", "sofia_rossi")}
    gradebook = (out / "gradebook.csv").read_bytes()
    assert sorted(graded["ada_nwosu"]) == ["feedback.html", "feedback.md", "loss-linear_regression-train.png",
                                           "loss-neural_network-train.png", "results.json"]
    ada = graded["ada_nwosu"]
    assert ada["loss-neural_network-train.png"] != ada["loss-linear_regression-train.png"]

    for name in graded:
        for f in (out / name).iterdir():
            f.unlink()
    monkeypatch.setattr(grading, "PAGE_POOL_MIN", 10 ** 6)  # drawn again here, from the store
    summary = grading.grade([subs], out, jobs=2, progress=False)
    assert (summary.graded, summary.reused) == (0, 2)
    assert {name: _files(out / name) for name in graded} == graded
    assert (out / "gradebook.csv").read_bytes() == gradebook

    for name in graded:
        for f in (out / name).glob("*.png"):
            f.unlink()
    assert main(["report", str(out)]) == 0  # the feedback pages and their plots, from the store
    assert {name: _files(out / name) for name in graded} == graded


def test_report_without_graded_results_is_a_usage_error(tmp_path):
    from autograder.cli import main

    assert main(["report", str(tmp_path)]) == 2
    assert main(["similarity", str(tmp_path)]) == 2
