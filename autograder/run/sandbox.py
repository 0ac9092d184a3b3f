"""Running student code isolated: the worker runtime, the isolation levels and the slot that
drives one sandboxed worker (see `worker.py` for the other side).

Levels, strongest first (`results.Isolation`), chosen by `detect_isolation`:

* ``sandbox`` — root and a working ``bwrap``: the worker runs as a uid of its own per parallel slot
  (locked, so two graders never share one), with resource limits, inside a bubblewrap jail: new
  pid/net/ipc/uts/user namespaces, a read-only view of ``/usr``, the worker runtime and the one
  submission being graded, a size-capped tmpfs as the only writable place, an empty environment.
* ``uid`` — root without bubblewrap: the same uid and limits, no namespaces.
* ``process`` — not root (macOS, a laptop, some containers): a separate process with limits.
* ``none`` — imported into the grader process: only for the benchmark's floor.

The worker's interpreter must be executable by the slot's uid; a Python under root's home (mode
0700, as pyenv installs it) is not. `prepare_runtime` therefore builds, once per Python/numpy
version, a root-owned, world-readable runtime outside it: numpy copied from the grader's own
environment (so both sides run the same numpy) and the worker's two files. Only numpy is there,
so a submission cannot import torch or jax instead of writing its own backward pass.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import importlib.util
import os
import random
import secrets
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import protocol
from ..results import Isolation

HERE = Path(__file__).resolve().parent
RUNTIME_ROOT = Path(os.environ.get("AUTOGRADER_RUNTIME_DIR", "/var/cache/nn-autograder"))
UID_BASE, UID_COUNT = 61000, 1000  # slot uids; none needs an /etc/passwd entry
#: How long the zygote may take to close a question (kill, reap, wipe: milliseconds, at most ~1 s
#: while killed processes die). A question's code can SIGSTOP the zygote: then this is what it costs.
CLOSE_SECONDS = 3.0
# Slot uid locks live in a folder only root can write: in a world-writable one (/run/lock, /tmp) a
# submission running at the uid level could plant a symbolic link that root would follow.
LOCK_DIR = Path("/run/nn-autograder") if Path("/run").is_dir() else RUNTIME_ROOT / "locks"
JAIL_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8",
            "LANG": "C.UTF-8", "HOME": "/tmp", "PATH": "/usr/bin:/bin"}


def can_extend(open_module: str | None, injected: frozenset[str], module: str,
               inject: dict[str, str]) -> bool:
    """Whether the child that serves `open_module` with the reference versions of `injected` may
    go on to serve a question of `module` whose prerequisites are `inject`.

    Only by adding reference code, never by taking it away: the child must hold the same module
    and no reference function the new question does not ask for. A question is never graded in a
    child that holds the reference of the function it grades (no question requires itself), and a
    question graded with the student's own functions (no prerequisites) gets a child with no
    reference code at all. Grading a module's own questions first and its dependent ones after
    (the order `execute` sorts items in) thus costs one child per module instead of two.
    """
    return open_module == module and injected <= inject.keys()


class SandboxError(RuntimeError):
    """The grader could not start or talk to its worker: a grader error, not the student's."""


class CallFailed(Exception):
    """A call into student code did not return a value. The student's failure, not the grader's.

    Attributes:
        kind: ``timeout``, ``crash``, ``exception``, ``not_implemented``, ``exit``, ``interrupt``,
            ``missing_function``, ``missing_module``, ``unencodable`` or ``protocol``: always the
            student's (a grader fault is any other exception, never a CallFailed).
        message: what happened, in words a student understands.
        type: the exception's class name, if any. where: ``file, line N, in f`` of the student's
            code, if known. phase: ``import`` or ``call``.
    """

    def __init__(self, kind: str, message: str, *, type: str = "", where: str = "", phase: str = "call"):
        super().__init__(message)
        self.kind, self.message, self.type, self.where, self.phase = kind, message, type, where, phase


@dataclass(frozen=True)
class Runtime:
    """What the worker needs to start: an interpreter the slot uid can run, and its files.

    Attributes:
        python: the interpreter (absolute path as seen from outside the jail).
        worker_dir: folder holding ``worker.py`` and ``protocol.py``.
        site: folder holding numpy alone (put on the worker's sys.path), or None to use the
            interpreter's own site-packages (``process`` level).
        root: the runtime folder to bind read-only into the jail, or None.
    """

    python: Path
    worker_dir: Path
    site: Path | None
    root: Path | None


def _world_usable(path: Path) -> bool:
    """True if every folder above `path` can be searched and the file read by any user."""
    path = path.resolve()
    try:
        if not path.stat().st_mode & 0o005:
            return False
        return all(p.stat().st_mode & 0o001 for p in path.parents)
    except OSError:
        return False


def _system_python() -> Path | None:
    """A world-usable interpreter with the grader's major.minor version, or None."""
    want = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [Path("/usr/bin") / want, Path("/usr/local/bin") / want]
    if _world_usable(Path(sys.base_prefix) / "lib"):  # the grader's own, unless under a 0700 home
        candidates.insert(0, Path(sys.base_prefix) / "bin" / want)
    for candidate in candidates:
        if candidate.exists() and _world_usable(candidate.resolve()):
            return candidate.resolve()
    return None


def _runtime_key(python: Path) -> str:
    h = hashlib.sha256()
    h.update(str(python).encode())
    h.update(np.__version__.encode())
    for name in ("worker.py", "protocol.py"):
        h.update((HERE / name).read_bytes())
    return h.hexdigest()[:16]


def prepare_runtime(level: Isolation) -> Runtime:
    """Build (once, under a lock) and return the worker runtime for `level`.

    For ``process`` and ``none`` the grader's own interpreter and files are used. For ``uid`` and
    ``sandbox`` a root-owned, world-readable copy lives in ``/var/cache/nn-autograder`` (or
    ``$AUTOGRADER_RUNTIME_DIR``): ``site/`` with numpy copied from the grader's environment and
    ``worker/`` with ``worker.py`` and ``protocol.py``.

    Raises:
        SandboxError: no interpreter of the grader's version is usable by an unprivileged uid.
    """
    if level in (Isolation.PROCESS, Isolation.NONE):
        return Runtime(Path(sys.executable), HERE, None, None)
    python = _system_python()
    if python is None:
        raise SandboxError(f"no python{sys.version_info.major}.{sys.version_info.minor} that an "
                           "unprivileged user can run (install the Debian package python3 or "
                           "run as a non-root user)")
    root = RUNTIME_ROOT / f"runtime-{_runtime_key(python)}"
    if not (root / ".complete").exists():
        RUNTIME_ROOT.mkdir(parents=True, exist_ok=True)
        os.chmod(RUNTIME_ROOT, 0o755)
        with open(RUNTIME_ROOT / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (root / ".complete").exists():
                _build_runtime(root)
    return Runtime(python, root / "worker", root / "site", root)


def _build_runtime(root: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=root.name + ".", dir=root.parent))
    try:
        spec = importlib.util.find_spec("numpy")
        numpy_dir = Path(spec.origin).parent
        (tmp / "site").mkdir()
        shutil.copytree(numpy_dir, tmp / "site" / "numpy",
                        ignore=shutil.ignore_patterns("__pycache__", "tests", "*.pyc"))
        libs = numpy_dir.parent / "numpy.libs"  # the wheel's vendored OpenBLAS, when there is one
        if libs.is_dir():
            shutil.copytree(libs, tmp / "site" / "numpy.libs")
        (tmp / "worker").mkdir()
        for name in ("worker.py", "protocol.py"):
            shutil.copy2(HERE / name, tmp / "worker" / name)
        for dirpath, dirnames, filenames in os.walk(tmp):
            os.chmod(dirpath, 0o755)
            for f in filenames:
                p = os.path.join(dirpath, f)
                os.chmod(p, 0o755 if os.access(p, os.X_OK) else 0o644)
        (tmp / ".complete").write_text("ok\n")
        if root.exists():
            shutil.rmtree(root)
        tmp.rename(root)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


@functools.cache
def _bwrap_has(option: str) -> bool:
    """Whether this bubblewrap knows `option` (its --help lists it)."""
    try:
        r = subprocess.run(["bwrap", "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return option in r.stdout + r.stderr


def _bwrap_works() -> bool:
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return False
    try:
        r = subprocess.run([bwrap, "--unshare-all", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin",
                            "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                            "--proc", "/proc", "--dev", "/dev", "--", "/usr/bin/true"],
                           user=UID_BASE + UID_COUNT - 1, group=UID_BASE + UID_COUNT - 1, extra_groups=[],
                           env={"PATH": "/usr/bin"}, capture_output=True, timeout=10)
        return r.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


#: System calls a worker never needs and student code must not make (errno EPERM): reaching other
#: processes (ptrace, process_vm_*, pidfd_getfd, kcmp, process_madvise), memory no limit counts
#: (memfd_create and memfd_secret: files in RAM beside the address-space limit; SysV IPC and POSIX
#: queues: objects that outlive their process), sockets (abstract unix sockets relay data between
#: submissions; the jail has no network anyway), new namespaces, and kernel surfaces numpy never
#: uses (bpf, perf_event_open, io_uring, userfaultfd, keyrings, mounts, modules).
SECCOMP_DENY = (
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp", "process_madvise",
    "process_mrelease", "move_pages", "migrate_pages",
    "memfd_create", "memfd_secret", "shmget", "msgget", "semget", "mq_open",
    "socket", "unshare", "setns",
    "bpf", "perf_event_open", "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd",
    "keyctl", "add_key", "request_key", "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsmount",
    "fsconfig", "fspick", "move_mount", "open_tree", "mount_setattr", "open_by_handle_at",
    "name_to_handle_at", "fanotify_init", "init_module", "finit_module", "delete_module", "kexec_load",
    "kexec_file_load", "acct", "swapon", "swapoff", "reboot", "quotactl", "lookup_dcookie", "uselib",
)
#: clone() flags that make a namespace (CLONE_NEWNS ... CLONE_NEWNET, CLONE_NEWTIME).
CLONE_NEW = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x80)


@functools.cache
def seccomp_program() -> bytes | None:
    """The worker's seccomp filter as a classic BPF program (``struct sock_filter`` array, 8 bytes
    an instruction), built with libseccomp (through ``pyseccomp``) for this machine's architecture;
    None where libseccomp or pyseccomp is missing.

    Every call in `SECCOMP_DENY` fails with EPERM, as does a ``clone`` with any `CLONE_NEW` flag;
    ``clone3`` (whose flags a filter cannot read) fails with ENOSYS, so libc falls back to
    ``clone``. Everything else is allowed. Calls of another architecture kill the process
    (libseccomp's default). The worker installs it in the zygote (`worker.install_seccomp`)
    before any student code runs, so every process a submission starts inherits it for good.
    """
    try:
        import pyseccomp as sc
        flt = sc.SyscallFilter(sc.ALLOW)
        for name in SECCOMP_DENY:
            try:
                flt.add_rule(sc.ERRNO(errno.EPERM), name)
            except (OSError, ValueError, RuntimeError):  # a call this kernel/libseccomp does not know
                continue
        for flag in CLONE_NEW:
            flt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
        flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
        with tempfile.TemporaryFile() as fh:
            flt.export_bpf(fh)
            fh.seek(0)
            return fh.read()
    except Exception:  # noqa: BLE001 - no libseccomp.so.2 (macOS), or a binding that cannot load it
        return None


def detect_isolation(requested: Isolation | None = None) -> tuple[Isolation, str]:
    """Choose the strongest isolation this machine allows, or check a requested one.

    Returns:
        (level, reason): ``reason`` says why a stronger level was not used ("" when the best).

    Raises:
        SandboxError: `requested` is stronger than what this machine allows.
    """
    if requested is Isolation.NONE:
        return Isolation.NONE, "isolation turned off (benchmark floor only)"
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    if not root:
        level, reason = Isolation.PROCESS, "not running as root: no separate uid, no bubblewrap jail"
    elif not _bwrap_works():
        level, reason = Isolation.UID, "bubblewrap is missing or cannot create namespaces here"
    else:
        level, reason = Isolation.SANDBOX, ""
    if root and requested is Isolation.PROCESS:
        raise SandboxError("as root, student code never runs with the grader's uid: use "
                           "--isolation uid or sandbox, or run the grader as an ordinary user")
    order = [Isolation.PROCESS, Isolation.UID, Isolation.SANDBOX]
    if requested is not None and order.index(requested) > order.index(level):
        raise SandboxError(f"isolation '{requested.value}' is not available: {reason}")
    if requested is not None and requested is not level:
        reason = f"isolation '{requested.value}' requested"
        level = requested
    if level in (Isolation.UID, Isolation.SANDBOX):  # the layers under the jail (see Slot.layers)
        missing = []
        if seccomp_program() is None:
            missing.append("no seccomp filter (libseccomp or pyseccomp missing)")
        if not cgroup_support()[0]:
            missing.append("no cgroups: memory and processes capped per process, not per slot; "
                           "deadlines by wall clock")
        reason = "; ".join(filter(None, [reason, *missing]))
    return level, reason


def _sweep_stale_slots(uid: int, keep: Path) -> None:
    """Remove the slot folders of `uid` that a grader which never closed its slot left behind.

    Their submission folder is readable by `uid`: the next student graded under it could read the
    copies of other students' code in them. We hold `uid`'s lock, so no live grader uses them.
    """
    for base in Path(tempfile.gettempdir()).glob("nn-autograder-slot-*"):
        try:
            if base != keep and not base.is_symlink() and base.stat().st_uid == 0 \
                    and os.lstat(base / "submission").st_gid == uid:
                _unmount(base / "scratch")
                _remove(base)
        except OSError:
            continue


def _lock_dir() -> Path:
    """LOCK_DIR, created if needed; refused unless it is a real folder that only root can write."""
    try:
        LOCK_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
        info = os.lstat(LOCK_DIR)
    except OSError as exc:
        raise SandboxError(f"cannot use the lock folder {LOCK_DIR}: {exc}") from None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise SandboxError(f"the lock folder {LOCK_DIR} must be a folder owned by root that only root can write")
    return LOCK_DIR


def _uids_in_use() -> set[int]:
    """Real uids of every process on the machine."""
    used = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/status") as fh:
                    used.update(int(line.split()[1]) for line in fh if line.startswith("Uid:"))
            except (OSError, ValueError, IndexError):
                continue
    return used


# -- cgroups: memory, processes and CPU per slot ------------------------------------------------
CGROUP_CONTROLLERS = ("memory", "pids", "cpu")
#: How long `SlotCgroup.freeze` waits for the kernel to freeze a slot before giving up (seconds).
FREEZE_SECONDS = 0.5
#: inodes of a slot's scratch tmpfs: 300,000 empty files would otherwise cost ~300 MiB of kernel memory
SCRATCH_INODES = 4096
#: the zygote (numpy loaded, ~40 MB) and bubblewrap, on top of what one student process may use
SLOT_OVERHEAD_MB = 96
#: how long a reading of the slot's CPU time and CPU pressure serves as the start of a call's window
FAIR_MARK_SECONDS = 0.5


def _cgroup_mounts() -> tuple[Path | None, dict[str, Path]]:
    """(the cgroup v2 mount, {v1 controller: its mount}) from /proc/self/mountinfo."""
    v2, v1 = None, {}
    try:
        with open("/proc/self/mountinfo") as fh:
            for line in fh:
                left, _, right = line.partition(" - ")
                fstype, _, options = (right.split() + ["", "", ""])[:3]
                mount = Path(left.split()[4])
                if fstype == "cgroup2" and v2 is None:
                    v2 = mount
                elif fstype == "cgroup":
                    for opt in options.split(","):
                        if opt in ("memory", "pids", "cpu", "cpuacct", "freezer"):
                            v1.setdefault(opt, mount)
    except OSError:
        pass
    return v2, v1


def _own_cgroup(version: int, controller: str = "") -> str:
    """This process's cgroup path in the v2 hierarchy or in `controller`'s v1 one ("/" if unknown)."""
    try:
        with open("/proc/self/cgroup") as fh:
            for line in fh:
                num, ctrls, path = line.rstrip("\n").split(":", 2)
                if (version == 2 and num == "0") or (version == 1 and controller in ctrls.split(",")):
                    return path
    except OSError:
        pass
    return "/"


def cgroup_support() -> tuple[int, str]:
    """Which cgroup version gives a slot its memory, pids and cpu controllers here (root only).

    Returns:
        (2, "") for cgroup v2 with the three controllers available to this process's cgroup;
        (1, "") for writable v1 hierarchies of memory, pids, cpu and cpuacct (as on this machine,
        beside an empty unified mount); (0, why) when neither is usable.
    """
    if not (hasattr(os, "geteuid") and os.geteuid() == 0):
        return 0, "not running as root"
    v2, v1 = _cgroup_mounts()
    if v2 is not None:
        own = v2 / _own_cgroup(2).lstrip("/")
        try:
            available = set((own / "cgroup.controllers").read_text().split())
        except OSError:
            available = set()
        if set(CGROUP_CONTROLLERS) <= available and os.access(own, os.W_OK):
            return 2, ""
    need = ("memory", "pids", "cpu", "cpuacct")
    missing = [c for c in need if c not in v1 or not os.access(v1[c] / _own_cgroup(1, c).lstrip("/"), os.W_OK)]
    if not missing:
        return 1, ""
    return 0, f"no writable cgroup v2 with {'/'.join(CGROUP_CONTROLLERS)}, and no writable v1 " \
              f"{', '.join(missing)}"


#: Slots made by this process so far (part of each slot's cgroup name).
_SLOT_SERIAL = [0]


def _remove_stale(parent: Path, name: str) -> None:
    """Remove the cgroups of earlier slots of the same uid under `parent` (a grader killed before
    it cleaned up leaves them): ``name`` is ``nn-autograder-slot-<uid>-<pid>-<serial>`` and this
    process holds the uid's lock (`_UidLock`), so every other cgroup of that uid is stale."""
    prefix = name.rsplit("-", 2)[0]
    for stale in (*parent.glob(prefix + "-*-*"), parent / prefix):
        if stale.name == name or not stale.is_dir():
            continue
        for state, thawed in (("freezer.state", "THAWED"), ("cgroup.freeze", "0")):  # frozen ones cannot die
            with contextlib.suppress(OSError):
                (stale / state).write_text(thawed)
        with contextlib.suppress(OSError, ValueError):
            for pid in (stale / "cgroup.procs").read_text().split():
                with contextlib.suppress(OSError):
                    os.kill(int(pid), signal.SIGKILL)
        with contextlib.suppress(OSError):
            stale.rmdir()


class SlotCgroup:
    """One cgroup per slot (v2, or one per v1 hierarchy) holding every process of its sandbox.

    Caps what the slot's processes use together: memory (``memory.max`` / ``memory.limit_in_bytes``,
    shared memory, tmpfs pages and kernel memory included; no swap), processes (``pids.max``) and
    CPU (``cpu.max`` / ``cpu.cfs_quota_us``: one core at most). Reads the CPU time they used
    (``cpu.stat`` / ``cpuacct.usage``) and, with v2, how long they waited for a CPU (``cpu.pressure``).

    Args:
        name: the cgroup's name (one per slot: its uid, the grader's pid and a serial number),
            created under this process's own cgroup.
        memory_mb, processes: the caps.

    Raises:
        OSError: a cgroup could not be created or configured.
    """

    def __init__(self, name: str, memory_mb: int, processes: int) -> None:
        self._made_with = (name, memory_mb, processes)
        self._make(name, memory_mb, processes)

    def _make(self, name: str, memory_mb: int, processes: int) -> None:
        """Create (or re-create) the cgroup folders and write the caps (see the class)."""
        self.version, _ = cgroup_support()
        v2, v1 = _cgroup_mounts()
        memory = str(memory_mb << 20)
        self.dirs: list[Path] = []
        if self.version == 2:
            parent = v2 / _own_cgroup(2).lstrip("/")
            # a v2 cgroup with processes cannot enable controllers for its children: ours lives in a
            # leaf of its own parent... so the slot goes beside this process, under its parent
            parent = parent.parent if (parent / "cgroup.procs").read_text().strip() else parent
            try:
                (parent / "cgroup.subtree_control").write_text("+memory +pids +cpu")
            except OSError:
                pass
            d = parent / name
            _remove_stale(parent, name)
            d.mkdir(exist_ok=True)
            self.dirs = [d]
            self._write(d, "memory.max", memory)
            self._write(d, "memory.swap.max", "0", optional=True)
            self._write(d, "pids.max", str(processes))
            self._write(d, "cpu.max", "100000 100000")
            self._usage = (d / "cpu.stat", "usage_usec", 1e-6)
            self._freeze = (d / "cgroup.freeze", "1", "0", d / "cgroup.events", "frozen 1")
        elif self.version == 1:
            if "freezer" in v1:  # a grader killed while its slot was frozen left the slot's processes frozen
                _remove_stale(v1["freezer"] / _own_cgroup(1, "freezer").lstrip("/"), name)
            for controller in ("memory", "pids", "cpu", "cpuacct"):
                d = v1[controller] / _own_cgroup(1, controller).lstrip("/") / name
                _remove_stale(d.parent, name)
                d.mkdir(exist_ok=True)
                if d not in self.dirs:
                    self.dirs.append(d)
            mem, pids, cpu, acct = (v1[c] / _own_cgroup(1, c).lstrip("/") / name
                                    for c in ("memory", "pids", "cpu", "cpuacct"))
            self._write(mem, "memory.limit_in_bytes", memory)
            self._write(mem, "memory.memsw.limit_in_bytes", memory, optional=True)
            self._write(pids, "pids.max", str(processes))
            self._write(cpu, "cpu.cfs_period_us", "100000")
            self._write(cpu, "cpu.cfs_quota_us", "100000")
            self._usage = (acct / "cpuacct.usage", "", 1e-9)
            if "freezer" in v1:  # optional: without it a question is closed instead of frozen
                try:
                    fz = v1["freezer"] / _own_cgroup(1, "freezer").lstrip("/") / name
                    fz.mkdir(exist_ok=True)
                    if fz not in self.dirs:
                        self.dirs.append(fz)
                    self._freeze = (fz / "freezer.state", "FROZEN", "THAWED", fz / "freezer.state", "FROZEN")
                except OSError:
                    pass
        else:
            raise OSError(errno.ENOTSUP, "no usable cgroups")
        self.thaw()  # a slot of the same uid left frozen by a grader that was killed

    #: (file to write, freeze value, thaw value, file to read, text it holds once frozen); None: no freezer
    _freeze: tuple[Path, str, str, Path, str] | None = None

    @property
    def can_freeze(self) -> bool:
        """Whether the slot's processes can be frozen (cgroup v2 ``cgroup.freeze``, v1 freezer)."""
        return self._freeze is not None

    def freeze(self, timeout: float = FREEZE_SECONDS) -> bool:
        """Stop every process of the slot (none can run, fork or write memory until `thaw`).

        Returns:
            True once the kernel reports the cgroup frozen; False (thawed again) if it does not
            within `timeout` seconds or cannot be asked (the caller then kills the processes).
        """
        if self._freeze is None:
            return False
        control, frozen_value, _, state, frozen_text = self._freeze
        end = time.monotonic() + timeout
        try:
            control.write_text(frozen_value)
            while True:
                text = state.read_text()
                if frozen_text in text.split("\n") or text.strip() == frozen_text:
                    return True
                if time.monotonic() >= end:
                    break
                time.sleep(0.0002)
        except OSError:
            pass
        self.thaw()
        return False

    def thaw(self) -> None:
        """Let the slot's processes run again after `freeze`."""
        if self._freeze is not None:
            with contextlib.suppress(OSError):
                self._freeze[0].write_text(self._freeze[2])

    @staticmethod
    def _write(folder: Path, name: str, value: str, optional: bool = False) -> None:
        try:
            (folder / name).write_text(value)
        except OSError:
            if not optional:
                raise

    def add(self, pid: int) -> None:
        """Move process `pid` (and, in v1, only it: its later children follow) into the slot's cgroups.

        A cgroup folder found gone (seen twice in CI: ``FileNotFoundError`` on a v1 ``cpu`` folder,
        and a student's case became a grader error) is made again with the same caps, once.
        """
        for attempt in (1, 2):
            try:
                for d in self.dirs:
                    try:
                        (d / "cgroup.procs").write_text(str(pid))
                    except ProcessLookupError:
                        return
                return
            except FileNotFoundError:
                if attempt == 2:
                    raise
                self._make(*self._made_with)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the slot's processes used so far, in seconds."""
        path, key, scale = self._usage
        try:
            text = path.read_text()
        except OSError:
            return 0.0
        if not key:
            return int(text) * scale
        for line in text.splitlines():
            if line.startswith(key + " "):
                return int(line.split()[1]) * scale
        return 0.0

    def stall_seconds(self) -> float | None:
        """How long (total, seconds) some process of the slot (v2) or of the machine (v1, from
        /proc/pressure/cpu) was ready to run but waited for a CPU; None without PSI."""
        paths = [self.dirs[0] / "cpu.pressure"] if self.version == 2 else []
        for path in paths + [Path("/proc/pressure/cpu")]:
            try:
                first = path.read_text().splitlines()[0]
                return int(first.rsplit("total=", 1)[1]) * 1e-6
            except (OSError, IndexError, ValueError):
                continue
        return None

    def remove(self) -> None:
        """Kill what is left in the cgroups and remove them."""
        self.thaw()  # a frozen process cannot die
        for d in self.dirs:
            for _ in range(50):
                try:
                    pids = [int(p) for p in (d / "cgroup.procs").read_text().split()]
                except OSError:
                    pids = []
                for pid in pids:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                try:
                    d.rmdir()
                    break
                except OSError:
                    time.sleep(0.01)


class _UidLock:
    """An exclusive claim on one slot uid for this process's lifetime (flock on a lock file).

    A uid that still has processes (left by a grader that crashed, or by one that locks elsewhere)
    is not free: its processes could reach the next submission graded under it.
    """

    def __init__(self) -> None:
        folder = _lock_dir()
        busy = _uids_in_use()
        for uid in range(UID_BASE + 1, UID_BASE + UID_COUNT - 1):
            if uid in busy:
                continue
            try:  # never follow a link, never truncate
                fd = os.open(folder / f"nn-autograder-uid-{uid}.lock",
                             os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            except OSError:
                continue
            fh = os.fdopen(fd, "w")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                fh.close()
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    continue
                raise
            self.uid, self._fh = uid, fh
            return
        raise SandboxError("no free slot uid")

    def release(self) -> None:
        self._fh.close()


def kill_uid(uid: int) -> int:
    """SIGKILL every process whose real uid is `uid` (root only). Returns how many were found."""
    found = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status") as fh:
                for line in fh:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            found += 1
                            os.kill(int(entry.name), signal.SIGKILL)
                        break
        except (OSError, ValueError):
            continue
    return found


@contextlib.contextmanager
def _oom_victims(privileged: bool):
    """Processes started inside are the first the kernel kills when the machine runs out of memory.

    RLIMIT_AS caps each process, not a slot: forked processes may together hold `processes` times
    `memory_mb` (32 GiB with grading.yml's defaults). If that exhausts the machine, the out-of-memory
    killer must pick student code, not the grader or anything else running there. Set by root
    (CAP_SYS_RESOURCE), the score is also the floor the children inherit: they cannot lower it.
    """
    path = "/proc/self/oom_score_adj"
    old = None
    if privileged:
        try:
            with open(path) as fh:
                old = fh.read().strip()
            with open(path, "w") as fh:
                fh.write("1000")
        except OSError:
            old = None
    try:
        yield
    finally:
        if old is not None:
            with open(path, "w") as fh:
                fh.write(old)


def _wipe(folder: Path) -> None:
    """Empty a scratch folder (see `worker.wipe`: links are removed, never followed).

    Not `shutil.rmtree`: it recurses, and a question's code can nest folders thousands deep.
    """
    from .worker import wipe
    wipe(str(folder))


def _remove(folder: Path) -> None:
    """Remove a slot folder, whatever a question's code left in its scratch space."""
    _wipe(folder)
    try:
        os.rmdir(folder)
    except OSError:
        pass


def _mount_scratch(folder: Path, uid: int, size_mb: int) -> bool:
    """Mount a tmpfs capped at `size_mb` MiB and `SCRATCH_INODES` inodes, owned by `uid`, on
    `folder` (root only). False if it cannot be mounted (the jail then makes its own /tmp, capped
    in size only; at the uid level the scratch folder stays on the host's /tmp)."""
    options = f"size={size_mb}m,nr_inodes={SCRATCH_INODES},mode=0700,uid={uid},gid={uid},nosuid,nodev"
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "nn-autograder-scratch", str(folder)],
                           capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return r.returncode == 0


def _unmount(folder: Path) -> None:
    """Detach a scratch tmpfs (lazily: a process of the slot may still hold a file open)."""
    if os.path.ismount(folder):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=10)


def _process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (from /proc/PID/task/TID/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return out


class _OutputTap(threading.Thread):
    """Drains the worker's stdout/stderr without ever blocking it; keeps the first `cap` bytes.

    Reads happen under the lock, so `take` can first read whatever the pipe still holds: output a
    question's processes wrote before they were killed goes to that submission, never the next.
    """

    CHUNK, BURST = 65536, 16  # bytes per read; reads per lock hold (a flood must not starve take)

    def __init__(self, fd: int, cap: int) -> None:
        super().__init__(daemon=True)
        self.fd, self.cap = fd, cap
        self.buf, self.dropped = bytearray(), 0
        self.lock = threading.Lock()
        self.eof = False
        os.set_blocking(fd, False)

    def _read(self, reads: int) -> None:
        """Read up to `reads` chunks that are already in the pipe (lock held)."""
        for _ in range(reads):
            try:
                chunk = os.read(self.fd, self.CHUNK)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self.eof = True  # run() closes the fd
                return
            room = max(self.cap - len(self.buf), 0)
            self.buf += chunk[:room]
            self.dropped += max(len(chunk) - room, 0)

    def run(self) -> None:
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        try:
            while True:
                poller.poll()
                with self.lock:
                    if not self.eof:
                        self._read(self.BURST)
                    if self.eof:
                        break
        finally:
            os.close(self.fd)

    def take(self) -> tuple[str, int]:
        """What was printed so far (including what is still in the pipe), and the bytes dropped."""
        with self.lock:
            if not self.eof:
                self._read(64)  # at most 4 MiB: more than a pipe holds once the writers are dead
            text, dropped = self.buf.decode("utf-8", "replace"), self.dropped
            self.buf, self.dropped = bytearray(), 0
        return text, dropped


class Slot:
    """One parallel grading slot: a long-lived sandboxed zygote and the worker child it serves.

    Use: ``stage(folder)`` the submission, then `begin_question` and `call` any number of times
    (the open child is extended for the next question when `can_extend` allows it, else a fresh
    one is forked), then `finish` to collect the student's output.
    A timeout or a dead zygote tears the whole sandbox down; the next call starts a new one.

    Args:
        level: the isolation level (from `detect_isolation`).
        limits: ``memory_mb``, ``cpu_seconds``, ``processes``, ``file_size_mb``, ``open_files``,
            ``scratch_mb``, ``output_kb`` (grading.yml ``limits``).
    """

    def __init__(self, level: Isolation, limits: dict[str, Any]) -> None:
        if level is Isolation.NONE:
            raise ValueError("Slot runs isolated workers; use InProcessSlot for isolation 'none'")
        self.level, self.limits = level, dict(limits)
        self.runtime = prepare_runtime(level)
        self.base = Path(tempfile.mkdtemp(prefix="nn-autograder-slot-"))
        os.chmod(self.base, 0o755)
        self.submission_dir = self.base / "submission"
        self.scratch_dir = self.base / "scratch"
        self.submission_dir.mkdir()
        self.scratch_dir.mkdir()
        self._uid_lock = _UidLock() if level in (Isolation.UID, Isolation.SANDBOX) else None
        self.uid = self._uid_lock.uid if self._uid_lock else os.getuid()
        if self._uid_lock:
            _sweep_stale_slots(self.uid, keep=self.base)
            os.chown(self.submission_dir, 0, self.uid)
            os.chmod(self.submission_dir, 0o750)
            os.chown(self.scratch_dir, self.uid, self.uid)
            os.chmod(self.scratch_dir, 0o700)
        self._scratch_mounted = self._uid_lock is not None and _mount_scratch(
            self.scratch_dir, self.uid, int(self.limits["scratch_mb"]))
        self._cg: SlotCgroup | None = None
        if self._uid_lock is not None and cgroup_support()[0]:
            try:
                # a name of this slot's own: no other process's cleanup can remove a live slot's cgroup
                _SLOT_SERIAL[0] += 1
                self._cg = SlotCgroup(f"nn-autograder-slot-{self.uid}-{os.getpid()}-{_SLOT_SERIAL[0]}",
                                      int(self.limits["memory_mb"]) + int(self.limits["scratch_mb"])
                                      + SLOT_OVERHEAD_MB, int(self.limits["processes"]) + 8)
            except OSError:
                self._cg = None
        self._proc: subprocess.Popen | None = None
        self._ctl: socket.socket | None = None
        self._tap: _OutputTap | None = None
        self._child: socket.socket | None = None
        self._question: str | None = None
        self._module: str | None = None  # the module the open child imported
        self._injected: frozenset[str] = frozenset()  # the reference functions put in it
        self.restarts = 0
        self.output_lost = 0
        #: seconds added to deadlines for the time others kept the slot from running (`_wait_fairly`)
        self.deadline_extended = 0.0
        self._fair_mark: tuple[float, float, float | None] | None = None
        #: install `seccomp_program` in the worker (where libseccomp is there; see `layers`)
        self.seccomp = True

    # -- the zygote ---------------------------------------------------------------------------
    def _command(self, ctl_fd: int) -> list[str]:
        rt = self.runtime
        if self.level is Isolation.SANDBOX:
            args = ["--ctl-fd", str(ctl_fd), "--submission", "/submission", "--scratch", "/tmp",
                    "--kill-all", "--site", "/runtime/site"]
            # --as-pid-1: the zygote itself is the jail's pid 1 (not bubblewrap's init, which ran as the
            # slot uid, dumpable, survived every question and could be ptraced and made to exec a
            # program by a submission); it is not dumpable, kill(-1) from it reaches every other
            # process of the jail, and when it dies the kernel kills the whole jail
            cmd = ["bwrap", "--unshare-all", "--as-pid-1", "--die-with-parent", "--new-session",
                   "--cap-drop", "ALL", "--ro-bind", "/usr", "/usr"]
            if _bwrap_has("--disable-userns"):  # bubblewrap >= 0.8: no namespaces of the student's own
                cmd[2:2] = ["--unshare-user", "--disable-userns"]
            for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
                top = Path("/") / name
                if top.is_symlink():
                    cmd += ["--symlink", os.readlink(top), str(top)]
                elif top.is_dir():
                    cmd += ["--ro-bind", str(top), str(top)]
            cmd += ["--ro-bind", str(rt.root), "/runtime", "--ro-bind", str(self.submission_dir), "/submission"]
            if self._scratch_mounted:  # our tmpfs, capped in size and inodes (bwrap's --tmpfs caps size only)
                cmd += ["--bind", str(self.scratch_dir), "/tmp"]
            else:
                cmd += ["--size", str(int(self.limits["scratch_mb"]) << 20), "--tmpfs", "/tmp"]
            cmd += ["--proc", "/proc", "--dev", "/dev", "--chdir", "/tmp", "--clearenv"]
            for key, value in JAIL_ENV.items():
                cmd += ["--setenv", key, value]
            # bubblewrap's own root and /dev are tmpfs without a size cap (half the RAM), writable by
            # the jail's user: read-only, the capped /tmp stays the only writable place
            cmd += ["--remount-ro", "/dev", "--remount-ro", "/"]
            return cmd + ["--", str(rt.python), "-I", "-S", "-B", "-u", "/runtime/worker/worker.py", *args]
        args = ["--ctl-fd", str(ctl_fd), "--submission", str(self.submission_dir),
                "--scratch", str(self.scratch_dir)]
        if self.level is Isolation.UID:
            return [str(rt.python), "-I", "-S", "-B", "-u", str(rt.worker_dir / "worker.py"), *args,
                    "--kill-all", "--site", str(rt.site)]
        return [str(rt.python), "-I", "-B", "-u", str(rt.worker_dir / "worker.py"), *args]

    def start(self) -> None:
        """Start the zygote and wait for it to say it is ready (numpy loaded)."""
        ours, theirs = socket.socketpair()
        out_r, out_w = os.pipe()
        passed = [theirs.fileno()]
        program = seccomp_program() if self.seccomp else None
        if program is not None:  # the filter goes to the worker through a pipe (far below its 64 KiB)
            filter_r, filter_w = os.pipe()
            os.write(filter_w, program)
            os.close(filter_w)
            passed.append(filter_r)
        kwargs: dict[str, Any] = {}
        if self._uid_lock:
            kwargs = {"user": self.uid, "group": self.uid, "extra_groups": []}
        env = {"PATH": "/usr/bin:/bin"} if self.level is Isolation.SANDBOX else dict(JAIL_ENV)
        if self.level is not Isolation.SANDBOX:
            env["HOME"] = str(self.scratch_dir)
        try:
            with _oom_victims(self._uid_lock is not None):
                command = self._command(theirs.fileno())
                if program is not None:
                    command += ["--seccomp-fd", str(filter_r)]
                self._proc = subprocess.Popen(
                    command, pass_fds=passed, stdin=subprocess.DEVNULL,
                    stdout=out_w, stderr=out_w, env=env, cwd=str(self.scratch_dir),
                    start_new_session=True, **kwargs)
        except OSError as exc:
            raise SandboxError(f"could not start the worker: {exc}") from exc
        finally:
            theirs.close()
            os.close(out_w)
            if program is not None:
                os.close(filter_r)
        self._ctl = ours
        self._tap = _OutputTap(out_r, int(self.limits["output_kb"]) << 10)
        self._tap.start()
        try:
            header, _ = protocol.recv(ours, deadline=time.monotonic() + 30)
        except (TimeoutError, EOFError, OSError, protocol.ProtocolError) as exc:
            text, _ = self._tap.take()
            self.stop()
            raise SandboxError(f"the worker did not start ({type(exc).__name__}): {text[-2000:]}") from None
        if header.get("op") != "ready":
            self.stop()
            raise SandboxError(f"unexpected first message from the worker: {header}")
        if self._cg is not None:  # before any child is forked: every one is born in the cgroup
            for pid in _process_tree(self._proc.pid):
                self._cg.add(pid)

    def stop(self) -> None:
        """Kill the zygote, everything it started, and every process of the slot's uid."""
        for sock in (self._child, self._ctl):
            if sock is not None:
                sock.close()
        self._child = self._ctl = None
        self._question = None
        if self._proc is not None:
            targets = [self._proc.pid]
            if self.level is not Isolation.SANDBOX and getattr(self, "_child_pid", 0):
                targets.append(self._child_pid)  # its own process group (no pid namespace here)
            for pgid in targets:
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            self._child_pid = 0
            if self._uid_lock:
                kill_uid(self.uid)
            self._proc.wait()
            self._proc = None
            _wipe(self.scratch_dir)  # the zygote wipes it after each child, unless it was killed
        if self._tap is not None:
            self._tap.join(timeout=2)
            text, dropped = self._tap.take()
            self._pending_output = getattr(self, "_pending_output", "") + text
            self.output_lost += dropped

    def close(self) -> None:
        """Stop the slot for good and remove its folders."""
        self.stop()
        if self._cg is not None:
            self._cg.remove()
        if self._scratch_mounted:
            _unmount(self.scratch_dir)
        if self._uid_lock:
            self._uid_lock.release()
        _remove(self.base)

    def __enter__(self) -> "Slot":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- submissions and questions -------------------------------------------------------------
    def stage(self, folder: Path) -> None:
        """Make `folder`'s .py files the submission the worker sees (read-only for it)."""
        self.end_question()
        for entry in self.submission_dir.iterdir():
            entry.unlink()
        for src in sorted(folder.glob("*.py")):
            dst = self.submission_dir / src.name
            shutil.copyfile(src, dst)
            if self._uid_lock:
                os.chown(dst, 0, self.uid)
            os.chmod(dst, 0o640 if self._uid_lock else 0o644)
        self.output_lost = 0
        self._pending_output = ""

    def _ctl_request(self, header: dict, payload: Any = None, *, deadline: float) -> dict:
        assert self._ctl is not None
        protocol.send(self._ctl, protocol.encode(header, payload))
        reply, _ = protocol.recv(self._ctl, deadline=deadline)
        return reply

    def begin_question(self, question: str, module: str, inject: dict[str, str], deadline: float) -> None:
        """Serve `question`: in the open child if `can_extend` allows it (adding the missing
        reference functions), else in a fresh worker child that imports the student's `module`.

        Raises:
            CallFailed: the module could not be imported (syntax error, exception, timeout,
                crash), reported as the student's failure.
        """
        if self._child is not None and self.question is not None \
                and can_extend(self._module, self._injected, module, inject):
            if self._extend(question, inject):
                return
        housekeeping = time.monotonic()
        self.end_question()
        limits = {k: self.limits[k] for k in ("memory_mb", "cpu_seconds", "processes", "file_size_mb",
                                              "open_files")}
        for attempt in (1, 2):  # a zygote killed by an earlier question's code is replaced once
            if self._proc is None or self._proc.poll() is not None:
                self.stop()
                self.start()
            # closing the last question and (re)starting the sandbox are the grader's time, not this
            # question's: an earlier question (or submission) that stopped the zygote must not eat it
            deadline += time.monotonic() - housekeeping
            housekeeping = time.monotonic()
            try:
                protocol.send(self._ctl, protocol.encode({"op": "open", "module": module, "limits": limits},
                                                         {"inject": inject}))
                self._ctl.settimeout(max(deadline - time.monotonic(), 0.001))
                _, fds, _, _ = socket.recv_fds(self._ctl, 1, 1)
                if len(fds) != 1:
                    raise protocol.ProtocolError("no socket received from the worker")
                header, _ = protocol.recv(self._ctl, deadline=deadline)
                break
            except (TimeoutError, EOFError, OSError, protocol.ProtocolError):
                self.stop()
                if attempt == 2 or time.monotonic() >= deadline:
                    raise CallFailed("crash", f"the worker stopped while loading {module}.py twice in a "
                                     "row (does your module kill other processes?)", phase="import") from None
        self._child_pid = int(header.get("pid", 0))
        self._child = socket.socket(fileno=fds[0])
        self._question, self._module, self._injected = question, module, frozenset(inject)
        reply = self._receive(deadline, during=f"importing {module}.py")
        if not reply[0].get("ok"):
            self.end_question()
            raise _failure(reply[0])

    def _extend(self, question: str, inject: dict[str, str]) -> bool:
        """Put the reference functions of `inject` the open child lacks into it and reset its
        random state, as a fresh child would start. False if the child did not confirm within
        `CLOSE_SECONDS` (it is then closed, and the caller forks a fresh one)."""
        tag = secrets.token_hex(8)
        missing = {name: src for name, src in inject.items() if name not in self._injected}
        try:
            protocol.send(self._child, protocol.encode({"op": "inject", "call": tag}, {"inject": missing}))
            head, _ = protocol.recv(self._child, deadline=time.monotonic() + CLOSE_SECONDS, limit=1 << 16)
        except (TimeoutError, EOFError, OSError, protocol.ProtocolError):
            head = {}
        if head.get("call") != tag or not head.get("ok"):
            self.end_question()
            return False
        self._question, self._injected = question, frozenset(inject)
        return True

    def end_question(self) -> None:
        """Kill the open child and everything it started; wipe the scratch space."""
        if self._child is None:
            return
        self._child.close()
        self._child, self._question = None, None
        try:
            self._ctl_request({"op": "close"}, deadline=time.monotonic() + CLOSE_SECONDS)
        except (TimeoutError, EOFError, OSError, protocol.ProtocolError):
            self.stop()

    @property
    def question(self) -> str | None:
        """The question (worker key) whose child is open; None when there is none, or when the
        zygote has died meanwhile: a question's code can kill it (kill(-1)), and the child it
        leaves behind dies with its sandbox, so the next question must not be served by it."""
        if self._question is not None and not self._zygote_alive():
            return None
        return self._question

    def _zygote_alive(self) -> bool:
        if self._ctl is None:
            return False
        poller = select.poll()
        poller.register(self._ctl, select.POLLIN)
        if not poller.poll(0):
            return True  # nothing to read, no hang-up
        try:
            return self._ctl.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
        except BlockingIOError:
            return True
        except OSError:
            return False

    def _wait_fairly(self, deadline: float) -> float:
        """Wait until the open child has something to say; return the deadline, extended by the
        time the slot was kept from running by others (so another slot's or program's CPU use never
        costs this student a timeout).

        At the wall deadline, the child is charged only for what it could use: if the slot's CPU
        time during the wait is less than the wall time, and CPU pressure (PSI: the slot's own with
        cgroup v2, the machine's with v1) shows that runnable work waited for a CPU meanwhile, the
        deadline moves by the smaller of the two, up to the wait's own length once more (at most
        twice the wall time in all). A child that sleeps on an idle machine, or that used the CPU
        it was given, times out at the wall deadline as before. Without cgroups: wall clock only.
        """
        if self._cg is None:
            return deadline
        budget = max(deadline - time.monotonic(), 0.0)
        # the readings (~0.1 ms) are taken at most every FAIR_MARK_SECONDS, not at every call: the
        # window then starts a little before this call, which the credit's cap (budget) bounds
        if self._fair_mark is None or time.monotonic() - self._fair_mark[0] > FAIR_MARK_SECONDS:
            self._fair_mark = (time.monotonic(), self._cg.cpu_seconds(), self._cg.stall_seconds())
        started, cpu0, stall0 = self._fair_mark
        credit_left = budget
        while True:
            left = deadline - time.monotonic()
            if left > 0 and select.select([self._child], [], [], left)[0]:
                return deadline
            if left > 0:
                continue
            if stall0 is None or credit_left <= 0:
                return deadline
            wall = time.monotonic() - started
            cpu = self._cg.cpu_seconds() - cpu0
            stall = (self._cg.stall_seconds() or 0.0) - stall0
            credit = min(wall - cpu, stall, credit_left)
            if credit < 0.05:
                return deadline
            self.deadline_extended += credit
            credit_left -= credit
            cpu0, stall0 = cpu0 + cpu, stall0 + stall  # charge each stretch once
            started = time.monotonic()
            self._fair_mark = None
            deadline = started + credit

    def _receive(self, deadline: float, during: str) -> tuple[dict, Any]:
        assert self._child is not None
        try:
            deadline = self._wait_fairly(deadline)
            return protocol.recv(self._child, deadline=deadline,
                                 limit=int(self.limits.get("max_frame_mb", 64)) << 20)
        except TimeoutError:
            self.stop()
            raise CallFailed("timeout", f"your code ran out of time while {during}") from None
        except (EOFError, OSError):
            code = self._exit_code()
            raise CallFailed("crash", f"your code ended the Python process while {during}"
                             f"{_describe_exit(code)}") from None
        except protocol.ProtocolError as exc:
            self.end_question()
            raise CallFailed("protocol", f"your code sent back data the grader cannot read "
                             f"while {during} ({exc})") from None

    def _exit_code(self) -> int | None:
        """After the child died: ask the zygote how it ended (restarting it if it died too)."""
        self._child.close()
        self._child, self._question = None, None
        try:
            reply = self._ctl_request({"op": "close"}, deadline=time.monotonic() + CLOSE_SECONDS)
            return reply.get("exit")
        except (TimeoutError, EOFError, OSError, protocol.ProtocolError):
            self.stop()
            return None

    def call(self, fn: str, args: list, kwargs: dict, *, deadline: float, return_inputs: bool = False,
             trace: dict[str, int] | None = None, stub: dict[str, Any] | None = None) -> dict:
        """Call ``fn(*args, **kwargs)`` in the open child, in the current question's module.

        Args:
            fn: function name in the student's module.
            args, kwargs: plain data (see `protocol`); strings name lesson functions.
            deadline: `time.monotonic()` instant by which the call must return.
            return_inputs: also send back the positional arguments as they are after the call.
            trace: {function name: n}: record the array arguments of the first n calls the
                student's code makes to that module-level function (e.g. ``forward``).
            stub: {function name: value}: that module-level function returns a copy of value.

        Returns:
            ``{"value": ..., "inputs_after"?: [...], "trace"?: {name: {"calls", "args"}}}``.

        Raises:
            CallFailed: the call raised, timed out, crashed or returned something unusable.
        """
        if self._child is None:
            raise SandboxError("call() outside a question")
        tag = secrets.token_hex(8)  # unpredictable: a frame written ahead of time cannot answer this call
        header = {"op": "call", "fn": fn, "return_inputs": return_inputs, "trace": trace or {}, "call": tag}
        shared = _shared_arrays(args) if return_inputs else {}
        if shared:
            header["shared"] = sorted(shared)
        try:
            protocol.send(self._child, protocol.encode(header, {"args": args, "kwargs": kwargs,
                                                                "stub": stub or {}}))
            if shared:  # the arrays' memory, after the frame: the child maps it as the arguments
                socket.send_fds(self._child, [b"M"], [fd for fd, _ in shared.values()])
        except OSError:
            _close_shared(shared)
            code = self._exit_code()
            raise CallFailed("crash", f"your code ended the Python process{_describe_exit(code)}") from None
        try:
            head, reply = self._receive(deadline, during=f"running {fn}()")
        except BaseException:
            _close_shared(shared)
            raise
        if shared:
            # the caller's arrays as they are after the call, read here while no process of the
            # question can run (nothing can restore them after the reply): every process of the slot
            # is frozen, the memory read and the slot thawed; without a freezer (or if freezing
            # fails) every process of the question is killed first instead, as a closed child is
            frozen = self._cg is not None and self._cg.freeze()
            if not frozen:
                self.end_question()
            try:
                trusted = {i: _read_shared(fd, arr) for i, (fd, arr) in shared.items()}
            finally:
                if frozen:
                    self._cg.thaw()
            _close_shared(shared)
            if frozen and self._child is not None and self._question is not None:
                # the next case starts from the random state a fresh child would have (`_extend`)
                self._extend(self._question, dict.fromkeys(self._injected, ""))
            if head.get("call") == tag and head.get("ok") and type(reply) is dict:
                after = reply.get("inputs_after")
                after = list(after) if type(after) is list and len(after) == len(args) else [None] * len(args)
                for i, value in trusted.items():
                    after[i] = value
                reply["inputs_after"] = after
        if head.get("call") != tag:  # a frame forged by the student's code (or a stale one)
            self.end_question()
            raise CallFailed("protocol", f"your code sent back data the grader cannot read while running "
                             f"{fn}() (a reply that does not answer this call)")
        if not head.get("ok"):
            raise _failure(head)
        if type(reply) is not dict or "value" not in reply:
            self.end_question()
            raise CallFailed("protocol", "your code sent back data the grader cannot read")
        return reply

    def finish(self) -> tuple[str, int]:
        """End the submission: close its question, return (output, bytes of output dropped)."""
        self.end_question()
        text = getattr(self, "_pending_output", "")
        if self._tap is not None:
            more, dropped = self._tap.take()
            text += more
            self.output_lost += dropped
        self._pending_output = ""
        return text, self.output_lost

    def layers(self) -> dict[str, str]:
        """Each isolation layer as ``present`` (with what it is) or ``missing: why``, checked from
        inside a worker child (`probe`): ``jail`` (bubblewrap), ``seccomp`` (the filter), ``cgroups``
        (memory, pids and CPU per slot), ``scratch`` (the scratch tmpfs's inode cap)."""
        info = self.probe()
        out = {}
        out["jail"] = ("present: bubblewrap (new user/pid/net/ipc/uts namespaces; the zygote is pid 1)"
                       if self.level is Isolation.SANDBOX and info.get("pid") == 2 and info.get("ppid") == 1
                       else f"missing: isolation '{self.level.value}'")
        if info.get("seccomp") == "2":
            out["seccomp"] = f"present: {len(SECCOMP_DENY)} system calls and namespace clones refused"
        else:
            out["seccomp"] = "missing: " + ("libseccomp or pyseccomp not found" if seccomp_program() is None
                                            else f"the worker reports seccomp mode {info.get('seccomp')!r}")
        if self._cg is not None and any(f"nn-autograder-slot-{self.uid}" in line for line in info.get("cgroups", [])):
            out["cgroups"] = (f"present: v{self._cg.version}, memory {int(self.limits['memory_mb']) + int(self.limits['scratch_mb']) + SLOT_OVERHEAD_MB} MiB, "
                              f"{int(self.limits['processes']) + 8} processes, 1 CPU per slot")
        else:
            support, why = cgroup_support()
            out["cgroups"] = "missing: " + (why or "the slot's cgroup could not be created") + \
                "; memory and processes are capped per process (RLIMIT_AS, RLIMIT_NPROC), and memfd_create " \
                "is refused by seccomp"
        out["scratch"] = (f"present: tmpfs of {self.limits['scratch_mb']} MiB and {SCRATCH_INODES} inodes"
                          if self._scratch_mounted else
                          "missing: no inode cap" + ("" if self.level is Isolation.SANDBOX else
                                                     " and no size cap (a folder of the host's /tmp)"))
        return out

    def probe(self) -> dict:
        """Self-check: what a worker child sees (uid, limits, visible pids, environment)."""
        self.end_question()
        if self._proc is None:
            self.start()
        limits = {k: self.limits[k] for k in ("memory_mb", "cpu_seconds", "processes", "file_size_mb",
                                              "open_files")}
        deadline = time.monotonic() + 10
        protocol.send(self._ctl, protocol.encode({"op": "open", "probe": True, "limits": limits}, {}))
        self._ctl.settimeout(10)
        _, fds, _, _ = socket.recv_fds(self._ctl, 1, 1)
        protocol.recv(self._ctl, deadline=deadline)
        self._child = socket.socket(fileno=fds[0])
        self._question = "__probe__"
        head, info = protocol.recv(self._child, deadline=deadline)
        self.end_question()
        return info


def _shared_arrays(args: list) -> dict[int, tuple[int, np.ndarray]]:
    """{position: (memfd, array)} for each numeric ndarray among `args`: a file in memory holding
    its bytes, which the worker child maps as that argument (`worker.map_shared`), so that the
    grader reads the caller's arrays after the call itself instead of trusting the child's account
    of them (issue 10: a submission patched the worker's reporting to hide an in-place shuffle).
    Empty where memfd_create is missing (not Linux)."""
    out = {}
    if not hasattr(os, "memfd_create"):
        return out
    for i, a in enumerate(args):
        if type(a) is np.ndarray and a.nbytes and a.dtype.kind in protocol.NUMERIC_KINDS:
            fd = os.memfd_create("nn-autograder-arg", os.MFD_CLOEXEC)
            data = np.ascontiguousarray(a).tobytes()
            os.pwrite(fd, data, 0)
            out[i] = (fd, a)
    return out


def _read_shared(fd: int, like: np.ndarray) -> np.ndarray:
    data = os.pread(fd, like.nbytes, 0)
    return np.frombuffer(data, dtype=like.dtype).reshape(like.shape).copy()


def _close_shared(shared: dict[int, tuple[int, np.ndarray]]) -> None:
    for fd, _ in shared.values():
        with contextlib.suppress(OSError):
            os.close(fd)
    shared.clear()


def _describe_exit(code: int | None) -> str:
    if code is None:
        return ""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hints = {"SIGKILL": " (killed: out of memory, CPU time or processes)",
                 "SIGXCPU": " (out of CPU time)", "SIGSEGV": " (a segmentation fault)",
                 "SIGXFSZ": " (a file grew beyond its limit)"}
        return f": it was stopped by {name}{hints.get(name, '')}"
    return f" (exit code {code})"


_KIND_TEXT = {
    "not_implemented": "is not implemented yet (it raises NotImplementedError)",
    "exit": "called exit() or sys.exit()",
    "interrupt": "raised KeyboardInterrupt",
}


def _failure(head: dict) -> CallFailed:
    """A worker's failure header as a CallFailed (all fields coerced to str: they are untrusted).

    Everything in the worker's process is the student's to change, so no kind it reports can make
    a grader error: a header claiming ``grader`` (or anything unknown) is an ``exception``.
    """
    def text(key: str, default: str = "") -> str:  # a str, or the default: str() of a list nested
        value = head.get(key, default)             # 900 deep would raise RecursionError
        return value if type(value) is str else default

    kind = text("kind", "exception")
    if kind not in {"not_implemented", "exit", "interrupt", "exception", "missing_function", "unencodable"}:
        kind = "exception"
    return CallFailed(kind, text("message")[:2000], type=text("type")[:100], where=text("where")[:300],
                      phase=text("phase", "call")[:10])


class InProcessSlot:
    """The same interface as `Slot` with no isolation at all: student code runs in this process.

    Only for measuring the floor in the benchmark: never for grades.
    """

    level = Isolation.NONE

    def __init__(self, limits: dict[str, Any] | None = None) -> None:
        from . import worker
        self._worker = worker
        self._folder: Path | None = None
        self._module = None
        self._question: str | None = None
        self._injected: frozenset[str] = frozenset()
        self.restarts = 0

    def stage(self, folder: Path) -> None:
        self.end_question()
        self._folder = folder

    @property
    def question(self) -> str | None:
        return self._question

    def begin_question(self, question: str, module: str, inject: dict[str, str], deadline: float) -> None:
        if self._module is not None and can_extend(self._module.__name__, self._injected, module, inject):
            self._worker.inject(self._module, {k: v for k, v in inject.items() if k not in self._injected})
            np.random.seed(0)
            random.seed(0)
            self._question, self._injected = question, frozenset(inject)
            return
        self.end_question()
        np.random.seed(0)  # as in the worker: every question starts from the same random state
        random.seed(0)
        path = self._folder / f"{module}.py"
        if not path.exists():
            raise CallFailed("exception", f"No module named '{module}'", type="ModuleNotFoundError",
                             phase="import")
        spec = importlib.util.spec_from_file_location(module, path)
        mod = importlib.util.module_from_spec(spec)
        saved = sys.modules.get(module)
        sys.modules[module] = mod
        sys.path.insert(0, str(self._folder))
        try:
            spec.loader.exec_module(mod)
        except BaseException as exc:
            raise _failure(self._worker.describe_exception(exc, str(self._folder), "import")) from None
        finally:
            sys.path.remove(str(self._folder))
            if saved is None:
                sys.modules.pop(module, None)
            else:
                sys.modules[module] = saved
        self._worker.inject(mod, inject)
        self._module, self._question, self._injected = mod, question, frozenset(inject)

    def end_question(self) -> None:
        self._module, self._question, self._injected = None, None, frozenset()

    def call(self, fn: str, args: list, kwargs: dict, *, deadline: float, return_inputs: bool = False,
             trace: dict[str, int] | None = None, stub: dict[str, Any] | None = None) -> dict:
        head, reply = self._worker.invoke(self._module, {"fn": fn, "return_inputs": return_inputs,
                                                         "trace": trace or {}},
                                          {"args": args, "kwargs": kwargs, "stub": stub or {}},
                                          str(self._folder))
        if not head.get("ok"):
            raise _failure(head)
        return reply

    def finish(self) -> tuple[str, int]:
        self.end_question()
        return "", 0

    def close(self) -> None:
        self.end_question()

    def __enter__(self) -> "InProcessSlot":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
