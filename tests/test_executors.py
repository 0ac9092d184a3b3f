"""executors.py: the executor seam of grade.py; the dask.distributed executor on a real LocalCluster.

* `pack`/`unpack`: what is sent to a remote worker re-creates, there, what the load step sees
  here (every sample submission and a folder with links, FIFOs, big and nested files).
* ``autograder grade --scheduler local:2`` gives the sample class the very reports the local
  process pool gives it (gradebook.csv, every results.json but its timing, every feedback.md).
* A dask worker process killed (SIGKILL) while it grades a chunk: the chunk is graded again on
  a worker, and every submission gets exactly one result, with its right grade.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from autograder.config import load_config
from autograder import cli
from autograder.run.executors import Packed, grade_packed_chunk, grader_fingerprint, pack, parse_scheduler, unpack
from autograder.grade import _chunks, _run_pool, grade
from autograder.intake.load import load
from autograder.intake.locate import locate
from autograder.results import SubmissionSource
from autograder.run.sandbox import detect_isolation

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
CLASS = ROOT / "data" / "submissions"
CONFIG = load_config()
EXPECTED = yaml.safe_load((ROOT / "tests" / "sample_class_expected.yml").read_text())["students"]
from test_sample_class import TOTALS  # noqa: E402  (expected totals, computed from grading.yml)


def _loaded_view(loaded) -> tuple:
    files = {p.name: p.read_bytes() for p in sorted(loaded.directory.iterdir())}
    return loaded.student, loaded.modules, loaded.notes, loaded.suspicious, files


# -- pack / unpack ---------------------------------------------------------------------------------
def test_every_sample_submission_loads_the_same_after_pack_and_unpack(tmp_path):
    sources, _ = locate([CLASS], CONFIG.modules)
    assert len(sources) == 20
    for n, source in enumerate(sources):
        here = load(source, tmp_path / f"here-{n}", CONFIG.modules)
        packed = pack(source)
        assert isinstance(packed, Packed)
        (tmp_path / f"remote-{n}").mkdir()
        there = load(unpack(packed, tmp_path / f"remote-{n}"), tmp_path / f"there-{n}", CONFIG.modules)
        assert _loaded_view(there) == _loaded_view(here), source.student


def test_a_folder_with_links_fifos_big_and_nested_files_loads_the_same(tmp_path):
    top = tmp_path / "alice"
    (top / "hw" / "deep").mkdir(parents=True)
    (top / "hw" / "foundations.py").write_text("def square(x):\n    return x ** 2\n")
    (top / "hw" / "conftest.py").write_text("import os\n")
    (top / "hw" / "helper.py").write_text("X = 1\n")
    (top / "hw" / "deep" / "notes.txt").write_text("hello\n")
    with open(top / "hw" / "weights.bin", "wb") as f:
        f.truncate(30 << 20)  # 30 MiB: not sent, re-created sparse with its size
    (top / "hw" / "neural_network.py").symlink_to("/etc/passwd")
    os.mkfifo(top / "hw" / "pipe")
    here = load(SubmissionSource("alice", top), tmp_path / "here", CONFIG.modules)
    packed = pack(SubmissionSource("alice", top))
    sent = {rel: (kind, data is not None, size) for rel, kind, data, size in packed.tree}
    assert sent["hw/weights.bin"] == ("file", False, 30 << 20)
    assert sent["hw/neural_network.py"] == ("symlink", False, 0)
    assert sent["hw/pipe"] == ("other", False, 0)
    assert sent["hw/foundations.py"][:2] == ("file", True)
    assert not any(data and b"root:" in data for _, _, data, _ in packed.tree)  # the link is not followed
    (tmp_path / "remote").mkdir()
    there = load(unpack(packed, tmp_path / "remote"), tmp_path / "there", CONFIG.modules)
    assert _loaded_view(there) == _loaded_view(here)
    assert "hw/conftest.py" in " ".join(here.suspicious) or any("conftest" in s for s in here.suspicious)


def test_unpack_refuses_paths_that_leave_its_folder(tmp_path):
    for bad in ("../x.py", "/etc/x.py", "a/../../x.py"):
        with pytest.raises(ValueError):
            unpack(Packed("eve", "eve", tree=((bad, "file", b"x", 1),)), tmp_path)
    with pytest.raises(ValueError):
        unpack(Packed("eve", "../eve.py", data=b"x", size=1), tmp_path)


def test_bad_scheduler_is_a_usage_error(tmp_path, capsys):
    for bad in ("local:0", "local:two", "local:-1", "somewhere:8786", "tcp://"):
        assert cli.main(["grade", str(CLASS / "ada_nwosu"), "--out", str(tmp_path / "out"), "-q",
                         "--scheduler", bad]) == 2
        assert f"--scheduler {bad}: expected" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # refused before anything was graded or written
    assert parse_scheduler("local:3") == 3
    assert parse_scheduler("tls://10.0.0.1:8786") == "tls://10.0.0.1:8786"


# -- the sample class on a LocalCluster ------------------------------------------------------------
def _results(out: Path) -> dict[str, dict]:
    data = {}
    for path in sorted(out.glob("*/results.json")):
        d = json.loads(path.read_text())
        d.pop("execution_time")
        provenance = d["extra_data"].get("provenance") or {}  # when it was graded differs, not by what
        provenance.pop("graded_at", None)
        for q in (provenance.get("questions") or {}).values():
            q.pop("graded_at", None)
        data[path.parent.name] = d
    return data


@pytest.mark.slow
def test_local_cluster_gives_the_local_pools_reports(tmp_path):
    local = grade([CLASS], tmp_path / "local", jobs=2, progress=False)
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(CLASS), "--out", str(tmp_path / "dask"),
                           "-q", "--scheduler", "local:2"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "graded 20, reused 0" in proc.stdout
    assert (tmp_path / "dask" / "gradebook.csv").read_text() == (tmp_path / "local" / "gradebook.csv").read_text()
    assert {r.student: r.total for r in local.results} == TOTALS
    here, there = _results(tmp_path / "local"), _results(tmp_path / "dask")
    assert len(there) == 20 and there == here
    for student in here:  # the last section says when it was graded: not the same in both runs
        assert ((tmp_path / "dask" / student / "feedback.md").read_text().split("## How this was graded")[0]
                == (tmp_path / "local" / student / "feedback.md").read_text().split("## How this was graded")[0])
    # the similarity check's copies of each one's modules are kept too (the main process had none:
    # the workers loaded the submissions; `autograder similarity` compared 0 files)
    sources = sorted(p.relative_to(tmp_path / "local") for p in (tmp_path / "local" / "report" / "sources").glob("*/*.py"))
    assert len(sources) > 40
    assert sorted(p.relative_to(tmp_path / "dask") for p in (tmp_path / "dask" / "report" / "sources").glob("*/*.py")) == sources


@pytest.mark.slow
def test_a_worker_killed_mid_chunk_loses_nothing_and_counts_nothing_twice(tmp_path):
    level, _ = detect_isolation()
    sources, _ = locate([CLASS], CONFIG.modules)
    # every student but the one whose code loops forever (10 s a run), twice over
    base = [s for s in sources if s.student != "quentin_moreau"]
    batch = [SubmissionSource(f"{s.student}--{k}", s.path) for k in range(2) for s in base]
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
    killed: list[tuple[str, int, tuple]] = []
    got: list[tuple[str, float, str]] = []
    try:
        observer = distributed.Client(cluster.scheduler_address)
        pids = observer.run(os.getpid)
        lock = threading.Lock()

        def on_result(result) -> None:
            got.append((result.student, result.total, result.status.value))
            with lock:
                if killed:
                    return
                busy = {w: tasks for w, tasks in observer.processing().items() if tasks}
                if busy:  # kill a worker process that is grading a chunk right now
                    worker, tasks = sorted(busy.items())[0]
                    os.kill(pids[worker], signal.SIGKILL)
                    killed.append((worker, pids[worker], tuple(tasks)))

        # as `autograder grade --scheduler tcp://HOST:PORT` does
        _run_pool(_chunks(list(enumerate(batch)), 2, None), CONFIG, level, 2, tmp_path / "work", on_result,
                  scheduler=cluster.scheduler_address)
        observer.close()
    finally:
        cluster.close()
    assert killed, "no worker was busy when the first result came back"
    students = [s for s, _, _ in got]
    assert len(students) == len(set(students)) == len(batch)  # nothing lost, nothing twice
    for student, total, status in got:
        name = student.split("--")[0]
        assert (total, status) == (TOTALS[name], EXPECTED[name].get("status", "graded")), student


def test_a_worker_with_other_grading_code_refuses_to_grade(tmp_path):
    for package in ("autograder", "solutions"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    code = "from autograder.run.executors import grader_fingerprint; print(grader_fingerprint())"

    def fingerprint_of(tree: Path) -> str:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}).stdout.strip()

    assert fingerprint_of(tmp_path) == grader_fingerprint()  # another checkout of the same code
    suite = tmp_path / "autograder" / "suites" / "test_foundations.py"
    suite.write_text(suite.read_text() + "\n# changed\n")
    assert fingerprint_of(tmp_path) != grader_fingerprint()
    level, _ = detect_isolation()
    with pytest.raises(RuntimeError, match="grading code differs"):
        grade_packed_chunk([], CONFIG, level, fingerprint_of(tmp_path))


def test_a_local_job_process_killed_mid_chunk_keeps_what_it_sent_and_counts_nothing_twice(tmp_path):
    """The local pool streams each submission's result as it is done: a job process killed
    (SIGKILL) in the middle of its chunk loses only what it had not sent; the rest of its chunk
    (and of the other job's, whose pool broke) is graded again, and every submission gets
    exactly one result, with its right grade."""
    import multiprocessing

    level, _ = detect_isolation()
    sources, _ = locate([CLASS], CONFIG.modules)
    batch = [s for s in sources if s.student != "quentin_moreau"][:8]
    killed: list[int] = []
    got: list[tuple[str, float, str]] = []

    def on_result(result) -> None:
        got.append((result.student, result.total, result.status.value))
        if not killed:  # the first result: both job processes are in their chunk of 4
            victim = sorted(p.pid for p in multiprocessing.active_children())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    _run_pool(_chunks(list(enumerate(batch)), 2, 4), CONFIG, level, 2, tmp_path / "work", on_result)
    assert killed
    students = [s for s, _, _ in got]
    assert len(students) == len(set(students)) == len(batch)  # nothing lost, nothing twice
    for student, total, status in got:
        assert (total, status) == (TOTALS[student], EXPECTED[student].get("status", "graded")), student
