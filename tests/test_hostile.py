"""Hostile submissions (issue 6): every attack of ``tests/submissions/hostile/`` is contained.

The whole corpus is graded in ONE batch (``autograder.grade.grade``, ``jobs=1``: one slot) together with the
full solution and an ordinary mistake (``tests/submissions/controls/forward_difference``). Each
fixture folder holds only the attack: a module file with the attacking functions and statements,
which the test puts into the reference's module (`_complete`), and the extra files the attack
ships (see ``manifest.yml``). So the fixtures follow the reference (a new question is the
reference's in every fixture), and every question the attack does not target must score exactly
what the reference scores.

To keep the run short (about 30 s on 2 cores; timeouts dominate) the batch is graded with a copy of
``grading.yml`` whose time and resource limits are lower (``QUICK``: 1.5 s per call, 3 s per
``train`` call, 20 s per submission, 384 MB of address space, 16 processes, 4 MB files, 8 MB of
scratch, 16 KB of output); the points, tolerances and questions are the repository's.

What is checked, per fixture: the attacked questions score 0 and the others score what the
reference scores; feedback.md shows the manifest's calm message for the first attacked question
(and its note), and no hidden test code, grader path or hidden expected value (unless the
attack returns a wrong value of the right form: then compare's documented value message, the
worst element got vs expected, is what the student sees); what the attack tried to read appears
in no report of its own; what it printed appears in no other submission's report. For the batch:
the full solution and the mistake get exactly the grade and the feedback they get when graded
alone; the grader returns normally with one gradebook row per submission; nothing is created or
changed outside the report folder and the workers' scratch space; no process of a slot uid
survives the run; the grader's memory stays bounded.

Levels: the corpus is graded at the strongest level the machine offers (``AUTOGRADER_TEST_ISOLATION
=uid`` forces a weaker one). Attacks marked ``needs: sandbox`` are graded only at the ``sandbox``
level, ``needs: uid`` at ``uid`` or ``sandbox``; attacks marked ``harmful`` only after `self_check`
has proved, with `Slot.probe`, that the worker runs as an unprivileged uid of its own inside its
limits. Anything not graded is skipped with the reason. The last tests are regression tests of
engine fixes found with this corpus, driving a `Slot` or a small batch directly (most at the ``uid``
level, the level without a jail, which needs root).
"""
from __future__ import annotations

import csv
import json
import os
import re
import resource
import secrets
import shutil
import stat
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from autograder.run import sandbox
from autograder.config import GradingConfig, load_config
from autograder.grade import GradeSummary, grade
from autograder.authoring.release import Layout, solution_modules
from autograder.publish.report import ISOLATION_TEXT
from autograder.authoring.sample_class import merge
from autograder.results import Isolation
from autograder.run.sandbox import CallFailed, SandboxError, Slot, detect_isolation

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "submissions" / "hostile"
MISTAKE = REPO / "tests" / "submissions" / "controls" / "forward_difference"
SOLUTION = REPO / "solutions" / "nn_from_scratch"
MODULES = ("foundations", "linear_regression", "neural_network")
MANIFEST: dict[str, dict] = yaml.safe_load((CORPUS / "manifest.yml").read_text())
CONTROLS = ("control_full_solution", "control_forward_difference")
SLOT_UIDS = range(sandbox.UID_BASE, sandbox.UID_BASE + sandbox.UID_COUNT)
CANARY = "HOSTILE_CANARY"
#: What must never reach a student: hidden test code, the reference's module, grader internals.
FORBIDDEN = ("def test_", "solutions.nn_from_scratch", "assert ", "Traceback", "hidden_inputs",
             "train_behaviour", "autograder/suites", "autograder.suites", str(REPO))
#: A numeric expected value in a message ("expected 0.25", "got 1.0, expected 0.5", "Worst at").
EXPECTED_NUMBER = re.compile(r"expected[^\n]{0,40}?-?\d+\.\d|Worst at index")
#: The kinds of issue 6 and the attacks the brief names, each of which must have its own fixture.
KINDS = {"forging results", "faking comparisons", "reading answers", "denial of service",
         "escape and persistence"}
NAMED = """write_results_json fake_pytest_summary sys_exit os_exit atexit_exit keyboard_interrupt
system_exit_raise pytest_skip conftest_py pytest_ini pyproject_toml sitecustomize pth_file numpy_shadow
pytest_shadow autograder_shadow lying_eq_object lying_ndarray_subclass patch_numpy_allclose
patch_numpy_testing scalar_for_array broadcastable_shape nan_inf python_list mutate_inputs inspect_frames
gc_scan import_solutions import_tests read_grading_yml read_repo_files read_other_submission
read_proc_environ read_proc_cmdline hardcode_public_inputs infinite_loop sigterm_ignoring_sleep memory_bomb
fork_bomb setsid_escapee thread_bomb stdout_flood disk_fill fd_exhaustion huge_return deep_recursion
ctypes_segfault kill_parent kill_all write_site_packages write_repo write_pycache write_home write_tmp
network_socket spawn_shell import_torch""".split()
#: Bounds on the grader's memory (see test_the_graders_memory_stays_bounded).
FRAME_MB = 64  # the largest reply frame a job process accepts (protocol.MAX_FRAME)


def quick_config() -> GradingConfig:
    """grading.yml with lower time and resource limits (see the module docstring)."""
    base = load_config()
    limits = base.limits.model_copy(update=dict(submission_timeout=20, memory_mb=384, cpu_seconds=10,
                                                processes=16, file_size_mb=4, open_files=64, scratch_mb=8,
                                                output_kb=16))
    questions = {qid: q.model_copy(update={"timeout": 3.0 if q.timeout > 10 else 1.5})
                 for qid, q in base.questions.items()}
    return base.model_copy(update={"limits": limits, "questions": questions})


QUICK = quick_config()
QUESTIONS = list(QUICK.questions)


# -- the self-check before harmful attacks ------------------------------------------------------
def self_check(level: Isolation, config: GradingConfig) -> str:
    """'' if a question's process runs as an unprivileged uid of its own inside its limits, else why not."""
    if level not in (Isolation.UID, Isolation.SANDBOX):
        return f"isolation '{level.value}': the worker has no uid of its own, so its processes are not capped"
    lim = config.limits
    want = {"RLIMIT_AS": lim.memory_mb << 20, "RLIMIT_CPU": lim.cpu_seconds, "RLIMIT_NPROC": lim.processes,
            "RLIMIT_FSIZE": lim.file_size_mb << 20, "RLIMIT_NOFILE": lim.open_files, "RLIMIT_CORE": 0}
    try:
        with Slot(level, lim.model_dump()) as slot:
            info = slot.probe()
    except (SandboxError, OSError) as exc:
        return f"the self-check could not run: {exc}"
    problems = []
    if {info["uid"], info["euid"]} & {0, os.getuid()} or info["uid"] not in SLOT_UIDS:
        problems.append(f"runs as uid {info['uid']}/{info['euid']}")
    if info["groups"]:
        problems.append(f"keeps groups {info['groups']}")
    for name, value in want.items():
        soft, hard = info["rlimits"][name]
        if soft != value or hard == resource.RLIM_INFINITY or hard > value + 1:
            problems.append(f"{name} is {soft}/{hard}, not {value}")
    if level is Isolation.SANDBOX and info["visible_pids"] > 3:
        problems.append(f"sees {info['visible_pids']} processes")
    return "self-check failed: " + "; ".join(problems) if problems else ""


# -- watching the run: files, processes, memory -----------------------------------------------
SITE = next((REPO / ".venv" / "lib").glob("python*/site-packages"), REPO / ".venv")
PROTECTED = [SITE, REPO / "autograder" / "suites", SOLUTION, REPO / "grading.yml", REPO / "tests" / "submissions",
             Path("/root/.bashrc"), Path("/root/.profile")]
SHARED_TOPS = [Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path("/run/lock"), Path("/root"),
               Path("/run/nn-autograder")]


def _entry(path: str) -> tuple | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns, st.st_uid, stat.S_IMODE(st.st_mode))


def snapshot() -> dict[str, tuple]:
    """Every path of the repository (with .venv), of the runtime cache's existing runtimes, and the
    top level of the shared writable folders and of root's home."""
    snap: dict[str, tuple] = {}
    trees = [REPO] + sorted(sandbox.RUNTIME_ROOT.glob("runtime-*"))
    for tree in trees:
        for dirpath, dirnames, filenames in os.walk(tree):
            if dirpath == str(REPO):
                dirnames[:] = [d for d in dirnames if d != ".git"]
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                if (entry := _entry(path)) is not None:
                    snap[path] = entry
    for top in SHARED_TOPS:
        try:
            names = os.listdir(top)
        except OSError:
            continue
        for name in names:
            path = os.path.join(top, name)
            if (entry := _entry(path)) is not None:
                snap[path] = entry
    return snap


def _protected(path: str) -> bool:
    if "__pycache__" in path.split(os.sep):
        return False  # the grader's own bytecode cache (a student cannot write as root)
    return any(path == str(p) or path.startswith(str(p) + os.sep) for p in PROTECTED)


def stray_changes(before: dict[str, tuple], after: dict[str, tuple], uids: set[int]) -> list[str]:
    """Changes a submission could have made: anything owned by a slot uid this run used (`uids`) or
    named 'pwned', and any change in the protected places (site-packages, hidden suites, reference,
    grading.yml, fixtures).

    Other processes on a shared machine legitimately create files in /tmp (other graders' slots
    too) or edit the working tree; those are not flagged.
    """
    out = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        what = "created" if old is None else "deleted" if new is None else "changed"
        owner = (new or old)[3]
        if owner in uids or "pwned" in path or _protected(path):
            out.append(f"{what}: {path} (owner uid {owner})")
    return out


def _status(pid: str) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return dict(line.rstrip("\n").split(":\t", 1) for line in fh if ":\t" in line)
    except (OSError, ValueError):
        return {}


def slot_processes(uids: set[int]) -> list[str]:
    """Live (non-zombie) processes whose real uid is one of `uids`."""
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            st = _status(pid)
            if st and int(st["Uid"].split()[0]) in uids and not st.get("State", "").startswith("Z"):
                out.append(f"{pid} uid {st['Uid'].split()[0]} {st.get('Name', '?')} {st.get('State', '')}")
    return out


class Monitor(threading.Thread):
    """Samples, every 50 ms: the slot uids of this test's descendants, and the peak RSS (VmHWM) of
    its direct children (the grader's job processes)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.halt = threading.Event()
        self.uids: set[int] = set()
        self.job_peak_kb = 0

    def run(self) -> None:
        me = str(os.getpid())
        while not self.halt.wait(0.05):
            table = {pid: _status(pid) for pid in os.listdir("/proc") if pid.isdigit()}
            for pid, st in table.items():
                if not st:
                    continue
                if st.get("PPid") == me and "VmHWM" in st:
                    self.job_peak_kb = max(self.job_peak_kb, int(st["VmHWM"].split()[0]))
                uid = int(st["Uid"].split()[0])
                if uid in SLOT_UIDS:
                    hop, seen = st.get("PPid"), 0
                    while hop and hop != "0" and seen < 64:
                        if hop == me:
                            self.uids.add(uid)
                            break
                        hop, seen = table.get(hop, {}).get("PPid"), seen + 1

    def stop(self) -> None:
        self.halt.set()
        self.join()


# -- the batch ----------------------------------------------------------------------------------
@dataclass
class Batch:
    level: Isolation
    note: str
    harmful: str  # '' when harmful attacks may run, else why not
    skipped: dict[str, str]
    out: Path
    summary: GradeSummary | None = None
    error: BaseException | None = None
    submissions: list[str] = field(default_factory=list)
    rows: dict[str, dict[str, str]] = field(default_factory=dict)
    alone: dict[str, tuple[dict[str, str], str]] = field(default_factory=dict)
    stray: list[str] = field(default_factory=list)
    leftover: list[str] = field(default_factory=list)
    uids: set[int] = field(default_factory=set)
    job_peak_kb: int = 0
    alone_job_peak_kb: int = 0
    rss_before_kb: int = 0
    rss_after_kb: int = 0
    canary: str = ""
    grader_cmdline: str = ""
    seconds: float = 0.0


REFERENCE = solution_modules(Layout(REPO))  # {module: the reference, as a solved release module}


def _complete(src: Path | None, dest: Path) -> None:
    """Build a submission in `dest` from the reference and a fixture (or nothing): a fixture's
    `<module>.py` holds only the attack (its functions replace the reference's of the same name,
    its statements run at import; `autograder.authoring.sample_class.merge`), so the fixture follows the
    reference when a question is added; the fixture's other files are copied as they are."""
    if src is not None:
        shutil.copytree(src, dest)
    dest.mkdir(exist_ok=True)
    for module in MODULES:
        path = dest / f"{module}.py"
        attack = path.read_text(encoding="utf-8") if path.exists() else ""
        path.write_text(merge(REFERENCE[module], attack, str(path)) if attack else REFERENCE[module], encoding="utf-8")


def _gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    forced = os.environ.get("AUTOGRADER_TEST_ISOLATION")  # e.g. "uid": grade the corpus at a weaker level
    level, note = detect_isolation(Isolation(forced) if forced else None)
    harmful = self_check(level, QUICK)
    skipped = {}
    for name, spec in MANIFEST.items():
        needs = spec.get("needs")
        if needs == "sandbox" and level is not Isolation.SANDBOX:
            skipped[name] = f"needs the bubblewrap sandbox; this machine gives '{level.value}' ({note})"
        elif needs == "uid" and level not in (Isolation.UID, Isolation.SANDBOX):
            skipped[name] = f"needs a uid of its own; this machine gives '{level.value}' ({note})"
        elif spec.get("harmful") and harmful:
            skipped[name] = f"harmful, and {harmful}"
    root = tmp_path_factory.mktemp("hostile")
    subs = root / "submissions"
    subs.mkdir()
    for name in MANIFEST:
        if name not in skipped:
            _complete(CORPUS / name, subs / name)
    _complete(None, subs / "control_full_solution")
    _complete(MISTAKE, subs / "control_forward_difference")
    b = Batch(level, note, harmful, skipped, root / "out")
    b.submissions = sorted(p.name for p in subs.iterdir())

    # the controls, each graded alone (the same config): the grade they must also get in the batch
    watch = Monitor()
    watch.start()
    for control in CONTROLS:
        alone_in = root / f"alone-{control}"
        alone_in.mkdir()
        shutil.copytree(subs / control, alone_in / control)
        grade([alone_in], root / f"alone-out-{control}", jobs=1, isolation=level, progress=False, config=QUICK)
        out = root / f"alone-out-{control}"
        b.alone[control] = (_gradebook(out)[control], (out / control / "feedback.md").read_text())
    watch.stop()
    b.alone_job_peak_kb = watch.job_peak_kb

    # the batch
    b.canary = secrets.token_hex(16)
    os.environ[CANARY] = b.canary  # a secret in the grader's environment that no report may show
    with open("/proc/self/cmdline", "rb") as fh:
        b.grader_cmdline = fh.read().replace(b"\0", b" ").decode().strip()
    before = snapshot()
    b.rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    watch = Monitor()
    watch.start()
    started = time.monotonic()
    try:
        # jobs=1 (issue 10): one slot, so whatever an attack leaves behind meets every later submission
        b.summary = grade([subs], b.out, jobs=1, isolation=level, progress=False, config=QUICK)
    except BaseException as exc:  # noqa: BLE001 - reported by test_the_grader_returns_normally
        b.error = exc
    finally:
        b.seconds = time.monotonic() - started
        watch.stop()
        os.environ.pop(CANARY, None)
    b.rss_after_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    b.job_peak_kb, b.uids = watch.job_peak_kb, watch.uids
    b.leftover = slot_processes(b.uids)
    b.stray = stray_changes(before, snapshot(), b.uids)
    if b.error is None:
        b.rows = _gradebook(b.out)
    return b


def _graded(batch: Batch) -> None:
    if batch.error is not None:
        pytest.fail(f"the grader raised {batch.error!r}")


def question_section(feedback: str, qid: str) -> str:
    """The part of feedback.md about question `qid` (from its heading to the next one)."""
    match = re.search(rf"^### .*`{re.escape(qid)}`.*$(.*?)(?=^#{{2,3}} |\Z)", feedback, re.M | re.S)
    assert match, f"no section for {qid} in feedback.md"
    return match.group(0)


def markdown_headings(feedback: str) -> list[str]:
    """The headings of feedback.md outside code blocks (student text must stay inside its blocks)."""
    headings, fence = [], None
    for line in feedback.splitlines():
        if fence is None:
            match = re.match(r"^(`{3,})", line)
            if match:
                fence = match.group(1)
            elif line.startswith("#"):
                headings.append(line)
        elif line == fence:
            fence = None
    assert fence is None, "a code block is never closed"
    return headings


def _reports(batch: Batch, student: str) -> str:
    folder = batch.out / student
    return "\n".join((folder / name).read_text() for name in ("feedback.md", "results.json"))


# -- the tests ------------------------------------------------------------------------------------
def test_the_corpus_covers_every_kind_of_attack():
    assert {spec["kind"] for spec in MANIFEST.values()} == KINDS
    assert not set(NAMED) - set(MANIFEST), "named attacks without a fixture"
    for name, spec in MANIFEST.items():
        folder = CORPUS / name
        assert folder.is_dir(), name
        assert any((folder / f"{m}.py").exists() for m in MODULES), f"{name} has no module"
        assert spec["attacks"] and set(spec["attacks"]) <= set(QUESTIONS), name
        assert spec.get("needs") in (None, "sandbox", "uid"), name


def test_the_grader_returns_normally_with_one_row_per_submission(batch):
    _graded(batch)
    assert sorted(batch.rows) == batch.submissions
    assert sorted(r.student for r in batch.summary.results) == batch.submissions
    assert batch.summary.isolation is batch.level
    for student in batch.submissions:  # every report states the isolation level it got
        feedback = (batch.out / student / "feedback.md").read_text()
        assert f"- Isolation: {ISOLATION_TEXT[batch.level]}" in feedback, feedback[:300]


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_the_attack_is_contained(batch, name):
    if name in batch.skipped:
        pytest.skip(batch.skipped[name])
    _graded(batch)
    spec = MANIFEST[name]
    row = batch.rows[name]
    reference = batch.alone["control_full_solution"][0]
    scores = {q: float(row[q]) for q in QUESTIONS}
    wanted = {q: 0.0 if q in spec["attacks"] else float(reference[q]) for q in QUESTIONS}
    if spec.get("partial"):  # the attacked questions lose some points, not all
        for q in spec["attacks"]:
            assert 0.0 <= scores[q] < float(reference[q]), (q, scores[q])
            wanted[q] = scores[q]
    assert scores == wanted
    assert row["status"] in ("graded", "timeout"), row["status"]

    feedback = (batch.out / name / "feedback.md").read_text()
    results = json.loads((batch.out / name / "results.json").read_text())
    assert results["score"] == pytest.approx(float(row["total"]))
    section = question_section(feedback, spec["attacks"][0])
    assert spec["message"] in section, section
    if spec.get("note"):
        notes = feedback.split("## Notes", 1)[-1]
        assert spec["note"] in notes, feedback
    assert "grader problem" not in feedback
    headings = markdown_headings(feedback)  # what the student printed cannot pose as the report
    assert [h for h in headings if h.startswith("# ")] == [feedback.splitlines()[0]]
    assert len([h for h in headings if h.startswith("### ")]) == len(QUESTIONS)
    assert "\x1b" not in feedback  # (HTML is inert inside a code block)
    shown = feedback + "\n" + json.dumps([t.get("output", "") for t in results.get("tests", [])])
    for text in FORBIDDEN:
        assert text not in shown, f"{text!r} shown to the student"
    if not spec.get("wrong_value"):
        assert not EXPECTED_NUMBER.search(shown), EXPECTED_NUMBER.search(shown).group(0)
    own = _reports(batch, name)
    for leak in spec.get("leaks", []):
        assert leak not in own, f"the attack obtained {leak!r}"
    if name == "read_proc_environ":
        assert batch.canary not in own
    if name == "read_proc_cmdline":
        assert batch.grader_cmdline not in own and str(batch.out) not in own


def test_what_a_submission_prints_stays_in_its_own_report(batch):
    _graded(batch)
    markers = {name: spec["marker"] for name, spec in MANIFEST.items() if spec.get("marker")
               and name not in batch.skipped}
    for student in batch.submissions:
        feedback = (batch.out / student / "feedback.md").read_text()
        for name, marker in markers.items():
            if name != student:
                assert marker not in feedback, f"{name}'s output appears in {student}'s feedback"
        if student not in MANIFEST or "printed more than" not in (MANIFEST[student].get("note") or ""):
            assert "printed more than" not in feedback, f"{student} is told it printed too much"


@pytest.mark.parametrize("control", CONTROLS)
def test_honest_submissions_get_the_grade_they_get_alone(batch, control):
    _graded(batch)
    alone_row, alone_feedback = batch.alone[control]
    assert batch.rows[control] == alone_row
    provenance = "## How this was graded"  # its last section says when: not the same in both runs
    assert (batch.out / control / "feedback.md").read_text().split(provenance)[0] == alone_feedback.split(provenance)[0]
    if control == "control_full_solution":
        assert float(alone_row["total"]) == float(alone_row["possible"])
    else:  # the mistake costs deriv's points only
        assert float(alone_row["foundations.deriv"]) < 2.0 and alone_row["status"] == "graded"
        assert float(alone_row["total"]) >= float(alone_row["possible"]) - 2.0


def test_no_file_is_created_or_changed_outside_the_reports_and_scratch(batch):
    assert batch.stray == []


def test_no_process_of_a_submission_is_left_running(batch):
    """(Of the slot uids this run used: other graders on a shared machine use others.)"""
    assert batch.leftover == [], f"still running after the grader returned: {batch.leftover}"


def test_the_graders_memory_stays_bounded(batch):
    """The grading process keeps gradebook rows only; a job process holds at most a reply frame
    (<= 64 MiB), its decoded copy and the capped output of one submission at a time beyond what an
    honest submission costs. So: the test process grows by < 128 MiB over the batch, and a job
    process peaks below what grading the solution alone took plus 4 frames."""
    _graded(batch)
    assert batch.rss_after_kb - batch.rss_before_kb < 128 << 10
    assert batch.job_peak_kb < batch.alone_job_peak_kb + (4 * FRAME_MB << 10), \
        (batch.job_peak_kb, batch.alone_job_peak_kb)


# -- regression tests of the engine fixes this corpus led to (mostly at the uid level: no jail) ---
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="the uid level needs root")
LIMITS = QUICK.limits.model_dump()


@ROOT_ONLY
def test_planted_lock_files_cannot_make_the_grader_write(tmp_path):
    """A submission at the uid level can write /run/lock (world-writable). Symbolic links named
    like the slot lock files must not make the grader (root) truncate or create their target."""
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    planted = []
    for folder in {Path("/run/lock"), Path("/tmp"), sandbox.LOCK_DIR}:
        for uid in range(sandbox.UID_BASE + 1, sandbox.UID_BASE + 40):
            link = folder / f"nn-autograder-uid-{uid}.lock"
            if not link.exists() and not link.is_symlink() and os.access(folder, os.W_OK) \
                    and folder.stat().st_mode & stat.S_ISVTX:
                link.symlink_to(victim)
                planted.append(link)
    try:
        held = [sandbox._UidLock() for _ in range(3)]
        for lock in held:
            lock.release()
    finally:
        for link in planted:
            link.unlink()
    assert victim.read_text() == "precious\n"
    assert sandbox.LOCK_DIR.stat().st_uid == 0 and not sandbox.LOCK_DIR.stat().st_mode & 0o022


READER = textwrap.dedent('''
    import glob, os
    import numpy as np

    def loss_gradients(forward_info, weights):
        """Reuse another student's loss_gradients from the grader's copies or the slots."""
        for pattern in ("/tmp/nn-autograder-*/*/neural_network.py", "/tmp/nn-autograder-*/*/*/neural_network.py"):
            for path in glob.glob(pattern):
                if os.path.realpath(path) == os.path.realpath(__file__):
                    continue
                try:
                    namespace = {}
                    exec(open(path).read(), namespace)
                    return namespace["loss_gradients"](forward_info, weights)
                except Exception:
                    continue
        raise FileNotFoundError("no other submission found")
''')


@ROOT_ONLY
def test_other_submissions_are_not_readable_at_the_uid_level(tmp_path):
    """The grader's loaded copies of a private class folder must not be readable by a slot uid."""
    class_dir = tmp_path / "class"
    (class_dir / "a_reader").mkdir(parents=True)
    (class_dir / "a_reader" / "neural_network.py").write_text(READER)
    _complete(None, class_dir / "b_victim")
    for student in ("a_reader", "b_victim"):
        for module in ("foundations", "linear_regression"):
            (class_dir / student / f"{module}.py").unlink(missing_ok=True)
    os.chmod(tmp_path, 0o700)
    summary = grade([class_dir], tmp_path / "out", jobs=1, isolation=Isolation.UID, progress=False,
                    config=QUICK, chunk_size=2)
    points = {r.student: r.points for r in summary.results}
    assert points["b_victim"]["neural_network.loss_gradients"] > 0
    assert points["a_reader"]["neural_network.loss_gradients"] == 0


PEEKER = '''
import glob, os, re, time

OUT = {out!r}  # the report folder: on the grader's command line, which /proc shows at the uid level


def deriv(func, input_, diff=0.001):
    """Take the expected value from the report of a student graded earlier in the batch."""
    call = f"deriv({{getattr(func, '__name__', '')}}, {{input_!r}})"
    end = time.monotonic() + 1.2  # the report of the one graded before may still be being written
    while time.monotonic() < end:
        for path in glob.glob(os.path.join(OUT, "*", "feedback.md")):
            try:
                with open(path) as fh:
                    match = re.search(re.escape(call) + r" returned [^;]*; expected (\\S+?) \\(", fh.read())
            except OSError:
                continue
            if match:
                return float(match.group(1))
        time.sleep(0.05)
    return None
'''


@ROOT_ONLY
def test_reports_are_not_readable_while_the_batch_runs(tmp_path):
    """feedback.md shows a wrong value's expected value; at the uid level a submission graded later
    must not be able to read it from the report folder."""
    shared = Path(tempfile.mkdtemp(prefix="hostile-reports-", dir="/tmp"))
    try:
        os.chmod(shared, 0o755)  # a report folder anyone could reach, as a TA's often is
        out = shared / "out"
        _complete(MISTAKE, tmp_path / "class" / "a_mistake")
        (tmp_path / "class" / "b_peeker").mkdir()
        (tmp_path / "class" / "b_peeker" / "foundations.py").write_text(PEEKER.format(out=str(out)))
        summary = grade([tmp_path / "class"], out, jobs=1, isolation=Isolation.UID, progress=False,
                        config=QUICK, chunk_size=1)
        points = {r.student: r.points["foundations.deriv"] for r in summary.results}
        assert "expected" in (out / "a_mistake" / "feedback.md").read_text()
        assert points["b_peeker"] == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o700
    finally:
        shutil.rmtree(shared, ignore_errors=True)


FLOODER = textwrap.dedent('''
    import os, time

    def f():
        if os.fork() == 0:
            while True:
                os.write(1, b"FLOOD " * 10000)
        time.sleep(0.02)
        return 1

    def quiet():
        return 2

    def leave_and_kill_parent():
        with open("left-behind", "w") as fh:
            fh.write("x")
        os.kill(os.getppid(), 9)
        return 1

    def maze():
        os.makedirs("locked/inner")
        with open("locked/inner/note", "w") as fh:
            fh.write("for the next one")
        os.chmod("locked/inner", 0)
        os.chmod("locked", 0)
        home = os.getcwd()
        for _ in range(3000):
            os.mkdir("d")
            os.chdir("d")
        os.chdir(home)
        return 3

    def scratch():
        return sorted(os.listdir("."))
''')


def _best_level() -> Isolation:
    level, _ = detect_isolation()
    return level


@pytest.mark.skipif(_best_level() not in (Isolation.UID, Isolation.SANDBOX), reason="needs a uid of its own")
@pytest.mark.parametrize("level", [Isolation.SANDBOX, Isolation.UID])
def test_output_and_scratch_stay_with_their_submission(tmp_path, level):
    """A child still printing when its question ends must not print into the next submission's
    output; nothing left in the scratch space (by a question that killed the worker, in folders of
    mode 000 or thousands of levels deep) may be seen by the next submission."""
    try:
        detect_isolation(level)
    except SandboxError as exc:
        pytest.skip(str(exc))
    (tmp_path / "mod.py").write_text(FLOODER)
    with Slot(level, LIMITS) as slot:
        slot.stage(tmp_path)
        bled = 0
        for _ in range(4):
            slot.stage(tmp_path)
            slot.begin_question("flood", "mod", {}, time.monotonic() + 5)
            slot.call("f", [], {}, deadline=time.monotonic() + 5)
            slot.finish()
            slot.stage(tmp_path)
            slot.begin_question("quiet", "mod", {}, time.monotonic() + 5)
            slot.call("quiet", [], {}, deadline=time.monotonic() + 5)
            text, dropped = slot.finish()
            bled += bool(text or dropped)
        assert bled == 0
        slot.stage(tmp_path)
        slot.begin_question("leave", "mod", {}, time.monotonic() + 5)
        try:
            slot.call("leave_and_kill_parent", [], {}, deadline=time.monotonic() + 5)
        except CallFailed:
            pass
        slot.finish()
        slot.stage(tmp_path)
        slot.begin_question("look", "mod", {}, time.monotonic() + 5)
        assert slot.call("scratch", [], {}, deadline=time.monotonic() + 5)["value"] == []
        for killed in (False, True):  # cleaned by the zygote, then by the grader after killing it
            slot.stage(tmp_path)
            slot.begin_question("maze", "mod", {}, time.monotonic() + 5)
            assert slot.call("maze", [], {}, deadline=time.monotonic() + 5)["value"] == 3
            if killed:
                slot.stop()
            slot.finish()
            slot.stage(tmp_path)
            slot.begin_question("look", "mod", {}, time.monotonic() + 5)
            assert slot.call("scratch", [], {}, deadline=time.monotonic() + 5)["value"] == []


SURVIVOR = textwrap.dedent('''
    import os, signal

    def kill_others():
        os.kill(-1, signal.SIGKILL)  # the zygote dies; this process (spared by kill(-1)) lives on
        return 1

    def ok():
        return 2
''')


@pytest.mark.skipif(_best_level() is not Isolation.SANDBOX, reason="needs the bubblewrap sandbox")
def test_a_child_left_without_its_zygote_serves_no_later_question(tmp_path):
    """Questions with the same prerequisites share a worker child. If one kills the zygote, the child
    dies with its sandbox a moment later: the next question must get a fresh one, not a crash."""
    (tmp_path / "mod.py").write_text(SURVIVOR)
    with Slot(Isolation.SANDBOX, LIMITS) as slot:
        slot.stage(tmp_path)
        slot.begin_question("key", "mod", {}, time.monotonic() + 5)
        try:  # (the child usually answers before its sandbox goes; on a busy machine it may not)
            slot.call("kill_others", [], {}, deadline=time.monotonic() + 5)
        except CallFailed:
            pass
        time.sleep(0.5)  # the sandbox's init has seen the zygote die and taken the child with it
        if slot.question != "key":  # what execute does before every call
            slot.begin_question("key", "mod", {}, time.monotonic() + 5)
        assert slot.call("ok", [], {}, deadline=time.monotonic() + 5)["value"] == 2


FDS = textwrap.dedent('''
    import os, stat

    def sockets():
        """The sockets this process holds (the zygote's control socket must not be one of them)."""
        out = []
        for name in os.listdir("/proc/self/fd"):
            try:
                if stat.S_ISSOCK(os.fstat(int(name)).st_mode):
                    out.append(int(name))
            except OSError:
                pass
        return out

    def oom_score_adj():
        with open("/proc/self/oom_score_adj") as fh:
            return int(fh.read())

    def no_new_privs():
        with open("/proc/self/status") as fh:
            return next(line.split()[1] for line in fh if line.startswith("NoNewPrivs"))
''')


@pytest.mark.skipif(_best_level() not in (Isolation.UID, Isolation.SANDBOX), reason="needs a uid of its own")
@pytest.mark.parametrize("level", [Isolation.SANDBOX, Isolation.UID])
def test_a_questions_process_holds_only_its_own_socket_dies_first_and_gains_no_privileges(tmp_path, level):
    """A question's process can write only to its own reply socket (never to the zygote's control
    socket), it is the first the out-of-memory killer picks, for good, and setuid programs give it
    no privileges."""
    try:
        detect_isolation(level)
    except SandboxError as exc:
        pytest.skip(str(exc))
    (tmp_path / "mod.py").write_text(FDS)
    with Slot(level, LIMITS) as slot:
        slot.stage(tmp_path)
        slot.begin_question("fds", "mod", {}, time.monotonic() + 5)
        assert len(slot.call("sockets", [], {}, deadline=time.monotonic() + 5)["value"]) == 1
        assert slot.call("oom_score_adj", [], {}, deadline=time.monotonic() + 5)["value"] == 1000
        assert slot.call("no_new_privs", [], {}, deadline=time.monotonic() + 5)["value"] == "1"  # setuid inert


OUTSIDE = textwrap.dedent('''
    import ctypes, os

    PLACES = ("/left", "/var/left", "/run/left", "/dev/shm/left", "/dev/left")
    KEY = 0x6e6e  # a SysV shared memory key

    def plant():
        for path in PLACES:
            try:
                with open(path, "w") as fh:
                    fh.write("from an earlier question")
            except OSError:
                pass
        libc = ctypes.CDLL(None)
        libc.shmget(KEY, 1 << 20, 0o1600)  # IPC_CREAT: a segment that outlives its process
        libc.syscall(248, b"user", b"hostile-note", b"from A", 6, -4)  # add_key to the user keyring
        ctypes.CDLL("librt.so.1").mq_open(b"/hostile-queue", os.O_CREAT | os.O_WRONLY, 0o600, None)
        return 1

    def look():
        found = [path for path in PLACES if os.path.exists(path)]
        libc = ctypes.CDLL(None)
        if libc.shmget(KEY, 0, 0) >= 0:
            found.append("SysV shared memory segment")
        if libc.syscall(249, b"user", b"hostile-note", None, 0) >= 0:  # request_key
            found.append("a key in the user keyring")
        if ctypes.CDLL("librt.so.1").mq_open(b"/hostile-queue", os.O_RDONLY) >= 0:
            found.append("a POSIX message queue")
        return found
''')


@pytest.mark.skipif(_best_level() is not Isolation.SANDBOX, reason="needs the bubblewrap sandbox")
def test_the_jail_has_no_writable_place_but_its_scratch_and_keeps_nothing_between_questions(tmp_path):
    """Inside the jail only the size-capped /tmp is writable: bubblewrap's own root and /dev are
    RAM-backed tmpfs without a size cap, which outlive questions and submissions in a zygote. SysV
    IPC objects (per jail, unbounded) and the uid's keyring keys are removed when a question ends;
    POSIX message queues (which nothing could list to remove) cannot be created."""
    (tmp_path / "mod.py").write_text(OUTSIDE)
    with Slot(Isolation.SANDBOX, LIMITS) as slot:
        slot.stage(tmp_path)
        slot.begin_question("plant", "mod", {}, time.monotonic() + 5)
        slot.call("plant", [], {}, deadline=time.monotonic() + 5)
        slot.finish()
        slot.stage(tmp_path)
        slot.begin_question("look", "mod", {}, time.monotonic() + 5)
        assert slot.call("look", [], {}, deadline=time.monotonic() + 5)["value"] == []


NAMESPACES = textwrap.dedent('''
    import ctypes, os

    def new_user_namespace():
        """unshare(CLONE_NEWUSER | CLONE_NEWNS): 'root' of a namespace of one's own could mount a
        tmpfs without a size cap (memory no limit counts) and reach more of the kernel."""
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(0x10000000 | 0x00020000) == 0:
            return "created"
        return os.strerror(ctypes.get_errno())
''')


@pytest.mark.skipif(_best_level() is not Isolation.SANDBOX, reason="needs the bubblewrap sandbox")
def test_the_jail_cannot_create_user_namespaces(tmp_path):
    (tmp_path / "mod.py").write_text(NAMESPACES)
    with Slot(Isolation.SANDBOX, LIMITS) as slot:
        slot.stage(tmp_path)
        slot.begin_question("ns", "mod", {}, time.monotonic() + 5)
        assert slot.call("new_user_namespace", [], {}, deadline=time.monotonic() + 5)["value"] != "created"


# -- issue 10: nothing a submission starts outlives it ---------------------------------------------
def _batch_with_victims(tmp_path: Path, attack: str, victims: int = 2) -> dict[str, dict[str, str]]:
    """Grade `attack` (a corpus fixture, completed with the reference) first and `victims` copies
    of the full solution after it, with ``jobs=1``: one slot, so a process the attack leaves behind
    meets the victims. Returns the gradebook."""
    subs = tmp_path / "subs"
    subs.mkdir()
    _complete(CORPUS / attack, subs / f"a_{attack}")
    for i in range(victims):
        _complete(None, subs / f"victim_{i}")
    grade([subs], tmp_path / "out", jobs=1, isolation=_best_level(), progress=False, config=QUICK)
    return _gradebook(tmp_path / "out")


@pytest.mark.skipif(_best_level() is not Isolation.SANDBOX, reason="needs the bubblewrap sandbox")
def test_a_submission_cannot_take_over_the_jails_init_and_kill_later_submissions(tmp_path):
    """Issue 10, section 1: `ptrace_init` ptrace-attaches the jail's pid 1 and makes it execve a
    killer of every later worker child. The victims graded after it in the same slot keep full marks."""
    rows = _batch_with_victims(tmp_path, "ptrace_init")
    for name in ("victim_0", "victim_1"):
        assert (rows[name]["status"], rows[name]["total"]) == ("graded", rows[name]["possible"]), rows[name]
    assert rows["a_ptrace_init"]["status"] == "graded"


def test_a_hard_link_to_a_file_the_student_cannot_read_is_refused(tmp_path):
    """Issue 10, section 5: the loader copied hard links, so a submission folder holding a hard link
    to a file only root (the grader) may read handed its content to the student's code."""
    from autograder.intake.load import load
    from autograder.results import SubmissionSource
    secret = tmp_path / "secret.py"
    secret.write_text("ANSWER = 'hidden expected values'\n")
    os.chmod(secret, 0o600)
    sub = tmp_path / "mallory"
    sub.mkdir()
    os.link(secret, sub / "foundations.py")
    loaded = load(SubmissionSource("mallory", sub), tmp_path / "loaded", QUICK.modules)
    assert "foundations" not in loaded.modules
    assert any("foundations.py is a hard link" in note for note in loaded.notes), loaded.notes
    assert not (loaded.directory / "foundations.py").exists()


CMDLINE = textwrap.dedent('''
    def init_cmdline():
        with open("/proc/1/cmdline", "rb") as fh:
            return fh.read().decode(errors="replace")
''')


@pytest.mark.skipif(_best_level() is not Isolation.SANDBOX, reason="needs the bubblewrap sandbox")
def test_the_jail_shows_no_host_path(tmp_path):
    """Issue 10, section 5: bubblewrap's init, the jail's pid 1, showed in /proc/1/cmdline the host
    paths of the slot folder and the runtime it binds."""
    (tmp_path / "mod.py").write_text(CMDLINE)
    with Slot(Isolation.SANDBOX, LIMITS) as slot:
        slot.stage(tmp_path)
        slot.begin_question("q", "mod", {}, time.monotonic() + 5)
        shown = slot.call("init_cmdline", [], {}, deadline=time.monotonic() + 5)["value"]
        assert "worker.py" in shown
        for host in (str(slot.base), str(sandbox.RUNTIME_ROOT), tempfile.gettempdir() + "/"):
            assert host not in shown, shown
