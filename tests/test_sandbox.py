"""The sandboxed worker at every isolation level this machine offers.

``sandbox`` needs root and a working bubblewrap, ``uid`` needs root, ``process`` needs a non-root
user (as root, student code is never run with the grader's uid); levels that are not available
are skipped with the reason.
"""
from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest

from autograder.results import Isolation
from autograder.run.sandbox import (JAIL_ENV, CallFailed, Slot, SandboxError, can_extend, detect_isolation,
                                kill_uid)

LIMITS = dict(memory_mb=1024, cpu_seconds=20, processes=32, file_size_mb=1, open_files=64, scratch_mb=4,
              output_kb=4)


def _available(level: Isolation) -> str:
    try:
        detect_isolation(level)
        return ""
    except SandboxError as exc:
        return str(exc)


LEVELS = [pytest.param(level, marks=pytest.mark.skipif(bool(_available(level)), reason=_available(level) or "-"))
          for level in (Isolation.SANDBOX, Isolation.UID, Isolation.PROCESS)]

STUDENT = textwrap.dedent('''
    import os, signal, sys, time
    import numpy as np
    print("imported")

    def ok(x):
        return np.asarray(x) * 2

    def todo(x):
        raise NotImplementedError

    def bad(x):
        return {"a": 1}["b"]

    def obj():
        return object()

    def bye():
        sys.exit(0)

    def interrupt():
        raise KeyboardInterrupt

    def spin():
        while True:
            pass

    def segv():
        os.kill(os.getpid(), signal.SIGSEGV)

    def chatty():
        print("x" * 20000)
        return 1

    def uses_helper(x):
        return helper(x) + 1

    def helper(x):
        return 0

    def escape():
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(60)
            os._exit(0)
        return 1

    def peek(path):
        try:
            with open(path) as fh:
                return fh.read(20)
        except OSError as exc:
            return type(exc).__name__

    def mutate(a):
        a[:] = 0
        return 1

    def mutate_then_restore(a):
        import threading
        a[:] = 0
        threading.Timer(0.05, lambda: a.__setitem__(slice(None), 1.0)).start()
        return 1

    def pid_and_helper():
        return [os.getpid(), helper(0), float(np.random.rand())]

    def forge_grader_error():
        def forged(exc, submission, phase):
            return {"ok": False, "kind": "grader", "phase": "call", "type": "X", "message": "forged",
                    "where": ""}
        sys.modules["__main__"].describe_exception = forged
        raise ValueError("mine")

    def unblock_output(blocking):
        os.set_blocking(1, blocking)
        return os.get_blocking(1)

    def output_is_blocking():
        return os.get_blocking(1) and os.get_blocking(2)
''')


@pytest.fixture(params=LEVELS)
def slot(request, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mod.py").write_text(STUDENT)
    (tmp_path / "sub" / "broken.py").write_text("def f(:\n    pass\n")
    (tmp_path / "sub" / "loops.py").write_text("while True:\n    pass\n")
    (tmp_path / "sub" / "nocompile.py").write_text(
        "import builtins\n\ndef _mine(*args, **kwargs):\n    raise RuntimeError('compile is mine')\n\n"
        "builtins.compile = _mine\n\ndef helper(x):\n    return 0\n\ndef uses_helper(x):\n    return helper(x) + 1\n")
    (tmp_path / "sub" / "pathbreaker.py").write_text(
        "import sys\nsys.path.pop(0)  # the submission folder\n\ndef f():\n    return 1\n")
    with Slot(request.param, LIMITS) as s:
        s.stage(tmp_path / "sub")
        yield s


def call(slot, fn, *args, question="q", module="mod", inject=None, timeout=5.0, **kw):
    if slot.question != question:
        slot.begin_question(question, module, inject or {}, time.monotonic() + timeout)
    return slot.call(fn, list(args), {}, deadline=time.monotonic() + timeout, **kw)


def test_the_worker_runs_unprivileged_inside_its_limits(slot):
    info = slot.probe()
    assert info["rlimits"]["RLIMIT_AS"][0] == LIMITS["memory_mb"] << 20
    assert info["rlimits"]["RLIMIT_CPU"][0] == LIMITS["cpu_seconds"]
    assert info["rlimits"]["RLIMIT_FSIZE"][0] == LIMITS["file_size_mb"] << 20
    if slot.level is not Isolation.PROCESS:
        assert info["uid"] != 0 and info["euid"] != 0 and info["groups"] == []
        assert info["rlimits"]["RLIMIT_NPROC"][0] == LIMITS["processes"]
    if slot.level is Isolation.SANDBOX:
        assert info["visible_pids"] <= 3
        assert set(info["environ"]) <= set(JAIL_ENV) | {"PWD", "TMPDIR"}


def test_a_value_comes_back_as_plain_data(slot):
    import numpy as np
    reply = call(slot, "ok", np.arange(3.0))
    assert type(reply["value"]) is np.ndarray and reply["value"].tolist() == [0.0, 2.0, 4.0]


@pytest.mark.parametrize("fn,kind,text", [
    ("todo", "not_implemented", ""),
    ("bad", "exception", "KeyError"),
    ("obj", "unencodable", "object"),
    ("bye", "exit", "SystemExit"),
    ("interrupt", "interrupt", "KeyboardInterrupt"),
    ("nothing_here", "missing_function", "no function nothing_here"),
])
def test_failures_are_named(slot, fn, kind, text):
    args = [1.0] if fn in ("todo", "bad") else []
    with pytest.raises(CallFailed) as info:
        call(slot, fn, *args)
    assert info.value.kind == kind
    assert text in info.value.type + info.value.message
    if fn == "bad":
        assert info.value.where.startswith("mod.py, line ")


def test_a_timeout_kills_the_worker_and_the_next_question_runs(slot):
    start = time.monotonic()
    with pytest.raises(CallFailed) as info:
        call(slot, "spin", timeout=0.5)
    assert info.value.kind == "timeout" and time.monotonic() - start < 3
    assert call(slot, "ok", 2.0, question="next")["value"] == 4.0


def test_a_crash_is_reported_with_its_signal(slot):
    with pytest.raises(CallFailed) as info:
        call(slot, "segv")
    assert info.value.kind == "crash" and "SIGSEGV" in info.value.message


def test_import_failures_are_the_students(slot):
    with pytest.raises(CallFailed) as info:
        call(slot, "f", module="broken")
    assert info.value.phase == "import" and info.value.type == "SyntaxError" and "line 1" in info.value.where
    with pytest.raises(CallFailed) as info:
        call(slot, "f", module="loops", question="q2", timeout=0.5)
    assert info.value.kind == "timeout"


def test_prerequisites_traces_stubs_and_inputs(slot):
    import numpy as np
    src = "def helper(x):\n    return 41\n"
    assert call(slot, "uses_helper", 0, inject={"helper": src})["value"] == 42
    reply = call(slot, "uses_helper", 5, trace={"helper": 3})
    assert reply["trace"]["helper"]["calls"] == 1
    assert call(slot, "uses_helper", 0, stub={"helper": 9})["value"] == 10
    a = np.ones(3)
    reply = call(slot, "mutate", a, return_inputs=True)
    assert reply["inputs_after"][0].tolist() == [0.0, 0.0, 0.0] and a.tolist() == [1.0, 1.0, 1.0]


def test_the_callers_arrays_are_read_before_any_process_can_restore_them(slot):
    import numpy as np
    for _ in range(3):
        reply = call(slot, "mutate_then_restore", np.ones(3), return_inputs=True)
        assert reply["inputs_after"][0].tolist() == [0.0, 0.0, 0.0]
    time.sleep(0.1)  # the threads restore memory the grader no longer reads
    assert call(slot, "ok", 2)["value"] == 4


def test_a_call_that_returns_its_inputs_keeps_its_child_where_the_slot_can_be_frozen(slot):
    import numpy as np
    if getattr(slot, "_cg", None) is None or not slot._cg.can_freeze:
        pytest.skip("no cgroup freezer here: the child is closed after such a call")
    first = call(slot, "pid_and_helper")["value"]
    assert call(slot, "mutate", np.ones(3), return_inputs=True)["inputs_after"][0].tolist() == [0.0] * 3
    second = call(slot, "pid_and_helper")["value"]
    assert second[0] == first[0]  # the same child: no fork, no second import
    assert second[2] == first[2]  # whose random state was reset, as a fresh child's is


def test_a_slot_whose_cgroup_folder_vanished_makes_it_again(tmp_path):
    """Seen twice in CI (a v1 ``cpu`` cgroup folder of a slot gone before its zygote started:
    FileNotFoundError, and students' cases became grader errors); the remover was not found. A
    slot now names its cgroups by uid, pid and serial and makes a vanished folder again."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mod.py").write_text(STUDENT)
    with Slot(Isolation.SANDBOX, LIMITS) as s:
        if getattr(s, "_cg", None) is None:
            pytest.skip("no cgroups here")
        assert all(d.name.startswith(f"nn-autograder-slot-{s.uid}-{os.getpid()}-") for d in s._cg.dirs)
        s.stage(tmp_path / "sub")
        s.stop()
        for d in s._cg.dirs:
            d.rmdir()
        assert call(s, "ok", 3)["value"] == 6  # the zygote started in a cgroup made again
        assert all((d / "cgroup.procs").read_text().split() for d in s._cg.dirs)


@pytest.mark.parametrize("open_module,injected,module,inject,ok", [
    ("m", set(), "m", {"f": "src"}, True),           # own questions first, then the dependent ones
    ("m", {"f"}, "m", {"f": "src", "g": "src"}, True),
    ("m", {"f"}, "m", {"f": "src"}, True),
    ("m", {"f"}, "m", {}, False),                    # reference code is never taken away again
    ("m", {"f", "g"}, "m", {"f": "src"}, False),
    ("m", set(), "other", {}, False),                # one module per child
    (None, set(), "m", {}, False),
])
def test_a_child_is_extended_only_by_adding_reference_code(open_module, injected, module, inject, ok):
    assert can_extend(open_module, frozenset(injected), module, inject) is ok


def test_a_dependent_question_extends_the_child_and_an_own_question_gets_a_fresh_one(slot):
    src = "def helper(x):\n    return 41\n"
    own_pid, own_helper, own_random = call(slot, "pid_and_helper", question="mod:")["value"]
    dep_pid, dep_helper, dep_random = call(slot, "pid_and_helper", question="mod:helper",
                                           inject={"helper": src})["value"]
    assert (own_helper, dep_helper) == (0, 41)
    assert dep_pid == own_pid  # the same child, the reference added to it
    assert dep_random == own_random  # its random state reset, as a fresh child's
    again_pid, again_helper, again_random = call(slot, "pid_and_helper", question="mod:")["value"]
    assert again_helper == 0 and again_pid != own_pid and again_random == own_random
    text, _ = slot.finish()
    assert text.count("imported") == 2  # imported once per child


def test_no_failure_the_worker_reports_is_a_grader_error(slot):
    # everything in the worker is the student's: a forged "grader" kind is the student's exception
    with pytest.raises(CallFailed) as info:
        call(slot, "forge_grader_error")
    assert info.value.kind == "exception"
    # reference code that cannot be put in place (the student's module replaced compile()) is the
    # student's failure at import, with a hint, in a fresh child and in an extended one alike
    src = "def helper(x):\n    return 41\n"
    for questions in (["nc:helper"], ["nc:", "nc:helper"]):
        slot.end_question()
        with pytest.raises(CallFailed) as info:
            for q in questions:
                call(slot, "uses_helper", 0, question=q, module="nocompile",
                     inject={"helper": src} if q.endswith("helper") else None)
        assert info.value.kind == "exception" and info.value.phase == "import", questions
        assert "reference versions" in info.value.message and "compile is mine" in info.value.message


def test_a_module_s_side_effects_stay_in_its_own_child(slot):
    assert call(slot, "f", question="pb:", module="pathbreaker")["value"] == 1
    assert call(slot, "ok", 2.0, question="q")["value"] == 4.0  # its own child imports mod.py


def test_output_made_non_blocking_by_one_child_is_blocking_in_the_next(slot):
    assert call(slot, "unblock_output", False)["value"] is False
    slot.end_question()
    assert call(slot, "output_is_blocking")["value"] is True
    assert call(slot, "chatty")["value"] == 1  # prints 20 KB: would fail on a non-blocking full pipe


def test_output_is_captured_and_capped(slot):
    call(slot, "chatty")
    text, dropped = slot.finish()
    assert text.startswith("imported\n") and len(text) <= LIMITS["output_kb"] << 10 and dropped > 10000


def test_no_process_of_a_question_survives_it(slot):
    if slot.level is Isolation.PROCESS:
        pytest.skip("without a uid of its own, a setsid() grandchild can outlive its question")
    call(slot, "escape")
    slot.end_question()
    time.sleep(0.2)
    zygote = slot._proc.pid
    leftover = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != zygote:
            try:
                status = Path(f"/proc/{entry.name}/status").read_text()
            except OSError:
                continue
            uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
            if uid == slot.uid and "State:\tZ" not in status:
                leftover.append(entry.name)
    # the zygote itself (and bwrap's init in a pid namespace) stay; nothing the student started
    assert len(leftover) <= 2, leftover
    if slot.level is Isolation.SANDBOX:
        assert call(slot, "peek", str(Path(__file__)), question="p")["value"] == "FileNotFoundError"
        assert call(slot, "peek", "/etc/passwd", question="p")["value"] == "FileNotFoundError"


# -- issue 10: a slot's memory, processes and CPU are capped as a whole -----------------------------
ROOT_LEVELS = [p for p in LEVELS if p.values[0] is not Isolation.PROCESS]

SLOT_HOG = textwrap.dedent('''
    import ctypes, os, signal, time
    import numpy as np

    def memfd(n, mib):
        """Files in RAM beside the address-space limit: n memfd_create files of mib MiB each."""
        libc = ctypes.CDLL(None, use_errno=True)
        made = 0
        for i in range(n):
            fd = libc.memfd_create(b"hog", 0)
            if fd < 0:
                return f"refused after {made}: {os.strerror(ctypes.get_errno())}"
            os.ftruncate(fd, mib << 20)
            os.pwrite(fd, b"x" * (mib << 20), 0)
            made += 1
        return f"made {made}"

    def forked_hogs(n, mib):
        """n processes each holding mib MiB (each under its own address-space limit): how many held it."""
        pids = []
        for _ in range(n):
            pid = os.fork()
            if pid == 0:
                try:
                    a = np.ones(mib << 17)  # mib MiB of float64, touched
                    time.sleep(1.5)
                    os._exit(0 if a[-1] == 1 else 1)
                except BaseException:
                    os._exit(1)
            pids.append(pid)
        return sum(os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) == 0 for p in pids)

    def empty_files(n):
        """Kernel memory through inodes: n empty files in the scratch space; how many were made."""
        for i in range(n):
            try:
                open(f"f{i}", "w").close()
            except OSError:
                return i
        return n

    def abstract_socket():
        import socket
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(b"\\0nn-autograder-relay")
            return "bound"
        except OSError as exc:
            return type(exc).__name__
''')


@pytest.fixture(params=ROOT_LEVELS)
def hog_slot(request, tmp_path):
    (tmp_path / "hog.py").write_text(SLOT_HOG)
    with Slot(request.param, dict(LIMITS, memory_mb=384, scratch_mb=8)) as s:
        s.stage(tmp_path)
        yield s


def test_memfd_files_cannot_hold_memory_beside_the_address_space_limit(hog_slot):
    """Issue 10, section 4: memfd_create files (40 x 16 MiB) held 640 MiB outside RLIMIT_AS."""
    got = call(hog_slot, "memfd", 40, 16, module="hog", timeout=20)["value"]
    assert got == "refused after 0: Operation not permitted"


def test_a_slots_processes_share_one_memory_cap(hog_slot):
    """Issue 10, section 4: 4 processes of 300 MiB each (each under its 384 MiB address space) held
    1.2 GiB for one slot; with the slot's cgroup (384 + 8 + 96 MiB) at most one holds it."""
    held = call(hog_slot, "forked_hogs", 4, 300, module="hog", timeout=30)["value"]
    assert held <= 1
    cg = hog_slot._cg
    assert cg is not None
    if cg.version == 1:
        peak = int((cg.dirs[0] / "memory.max_usage_in_bytes").read_text())
        assert peak <= (384 + 8 + 96) << 20


def test_the_scratch_space_caps_its_inodes(hog_slot):
    """Issue 10, section 4: 300,000 empty files in the 32 MiB scratch cost ~300 MiB of kernel memory."""
    from autograder.run.sandbox import SCRATCH_INODES
    made = call(hog_slot, "empty_files", 20_000, module="hog", timeout=30)["value"]
    assert made < SCRATCH_INODES <= 4096


def test_no_abstract_unix_socket_can_relay_between_submissions(hog_slot):
    assert call(hog_slot, "abstract_socket", module="hog")["value"] == "PermissionError"


def test_each_isolation_layer_is_reported(hog_slot):
    layers = hog_slot.layers()
    assert set(layers) == {"jail", "seccomp", "cgroups", "scratch"}
    assert layers["seccomp"].startswith("present") and layers["cgroups"].startswith("present")
    assert layers["scratch"].startswith("present")
    assert layers["jail"].startswith("present" if hog_slot.level is Isolation.SANDBOX else "missing")


BUSY = textwrap.dedent('''
    import os, time

    def busy_sessions(n, seconds):
        """n processes, each in a session (a scheduler autogroup) of its own, spinning for seconds."""
        for _ in range(n):
            if os.fork() == 0:
                os.setsid()
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    pass
                os._exit(0)
        return n

    def work(n):
        """A correct but slow student: n rounds of pure-Python arithmetic; its CPU seconds."""
        start = time.process_time()
        total = 0
        for i in range(n):
            total += i * i % 7
        return time.process_time() - start
''')


@pytest.mark.slow
@pytest.mark.skipif(bool(_available(Isolation.UID)), reason="needs root")
def test_busy_processes_of_one_slot_cost_another_slots_student_no_timeout(tmp_path):
    """Issue 10, section 4: 24 busy processes, each in its own session, made the other slot's correct
    submissions 10-30x slower. With one CPU per slot (and deadlines that do not charge the time
    others kept a slot waiting) a student needing ~0.5 s of CPU meets a 3 s deadline."""
    level = Isolation.SANDBOX if not _available(Isolation.SANDBOX) else Isolation.UID
    (tmp_path / "busy.py").write_text(BUSY)
    with Slot(level, LIMITS) as hog, Slot(level, LIMITS) as victim:
        hog.stage(tmp_path)
        victim.stage(tmp_path)
        call(victim, "work", 10, module="busy")
        calibrate = time.monotonic()
        cpu = call(victim, "work", 3_000_000, module="busy", timeout=30)["value"]
        alone = time.monotonic() - calibrate
        rounds = int(3_000_000 * 0.5 / max(cpu, 1e-3))  # ~0.5 s of CPU
        call(hog, "busy_sessions", 24, 15, module="busy")
        time.sleep(0.5)
        started = time.monotonic()
        call(victim, "work", rounds, module="busy", timeout=3.0)  # raises CallFailed("timeout") if starved
        print(f"alone {alone:.2f} s for {cpu:.2f} s CPU; beside the hog {time.monotonic() - started:.2f} s "
              f"(deadline extended by {victim.deadline_extended:.2f} s)")


@pytest.mark.skipif(bool(_available(Isolation.UID)), reason="needs root")
def test_doctor_reports_each_layer(capsys):
    from autograder.cli import main
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    lines = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in out.splitlines()[:5]}
    assert set(lines) == {"isolation", "jail", "seccomp", "cgroups", "scratch"}
    for layer in ("seccomp", "cgroups", "scratch"):
        assert lines[layer].split(":")[0] in ("present", "missing"), lines[layer]
