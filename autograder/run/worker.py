"""The worker: the only place where student code runs. Standard library and numpy only.

It is started by `sandbox.py` inside the sandbox (an unprivileged uid, resource limits and, where
available, a bubblewrap jail) as::

    python -I -S -B worker.py --ctl-fd N --submission DIR --scratch DIR [--site DIR] [--kill-all]

and runs as a *zygote*: it imports numpy once, then for every child the grader opens (one per
module of a submission, see `sandbox.can_extend`) it forks a fresh one. The child closes the
zygote's control socket, lowers its resource limits, imports the student's module from the
read-only submission folder, puts in place the reference versions of the question's
prerequisites (sent as source by the grader, also later, when the module's dependent questions
start), answers calls over its own socket (whose other end the zygote hands to the grader with
SCM_RIGHTS) and is killed with every process it started when the grader closes it. Nothing it
returns is trusted: the grader decodes replies with `protocol.decode`, which accepts plain data
only, and no failure it reports is ever taken for a grader error.

Hidden tests, expected values, the solutions and grading.yml never reach this process.
"""
from __future__ import annotations

import __future__
import argparse
import copy
import importlib
import json
import mmap  # loaded in the zygote: a child whose student code used up its files could not load it
import os
import resource
import signal
import socket
import stat
import sys
import time
import traceback

if __package__:  # imported by the grader itself (the in-process "floor" of the benchmark)
    from . import protocol
else:  # started as a script in the sandbox: protocol.py sits beside it; -I leaves both off sys.path
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if "--site" in sys.argv:  # the runtime's own site folder, which holds numpy and nothing else
        sys.path.insert(1, sys.argv[sys.argv.index("--site") + 1])
    import protocol  # type: ignore[no-redef]

import numpy as np  # noqa: E402  (loaded once in the zygote, shared by every child)
import numpy.random  # noqa: E402,F401  (numpy loads it lazily: ~20 ms a child would pay)
import random  # noqa: E402
import typing  # noqa: E402,F401  (what student modules commonly import)


# The lesson functions a grader may pass by name (e.g. deriv("square", 2.0)): declared under
# `callables` in grading.yml; their reference source arrives with a child's prerequisites, under
# the key CALLABLE_PREFIX + name (see `inject`), and is filled in here.
CALLABLE_PREFIX = "callable:"
LESSON_FUNCTIONS: dict = {}


def _set_limit(which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    value = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(which, (value, value))


def apply_limits(limits: dict, dedicated_uid: bool) -> None:
    """Lower this process's resource limits (irreversibly: soft = hard)."""
    _set_limit(resource.RLIMIT_AS, int(limits["memory_mb"]) << 20)
    cpu = int(limits["cpu_seconds"])
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU, then SIGKILL
    _set_limit(resource.RLIMIT_FSIZE, int(limits["file_size_mb"]) << 20)
    _set_limit(resource.RLIMIT_NOFILE, int(limits["open_files"]))
    _set_limit(resource.RLIMIT_CORE, 0)
    _set_limit(resource.RLIMIT_MSGQUEUE, 0)  # POSIX message queues outlive questions; nobody needs one
    if dedicated_uid:  # NPROC counts every process of the uid: only safe for a uid of our own
        _set_limit(resource.RLIMIT_NPROC, int(limits["processes"]))


def _safe_str(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:  # a student exception whose __str__ raises
        text = "<the exception's message could not be shown>"
    return text[:2000]


def describe_exception(exc: BaseException, submission: str, phase: str) -> dict:
    """A plain-data account of an exception raised by student code (no grader frames)."""
    kind = "exception"
    if isinstance(exc, NotImplementedError):
        kind = "not_implemented"
    elif isinstance(exc, SystemExit):
        kind = "exit"
    elif isinstance(exc, KeyboardInterrupt):
        kind = "interrupt"
    where = ""
    if isinstance(exc, SyntaxError):
        where = f"{os.path.basename(exc.filename or '?')}, line {exc.lineno}"
    else:
        try:
            frames = [f for f in traceback.extract_tb(exc.__traceback__)
                      if f.filename.startswith(submission + os.sep)]
        except BaseException:
            frames = []
        if frames:
            f = frames[-1]
            where = f"{os.path.basename(f.filename)}, line {f.lineno}, in {f.name}"
    return {"ok": False, "kind": kind, "phase": phase, "type": type(exc).__name__,
            "message": exc.msg if isinstance(exc, SyntaxError) else _safe_str(exc), "where": where}


def _resolve(arg):
    """Lesson functions travel by name: "sigmoid" or ["square", "sigmoid"]; other strings stay."""
    if type(arg) is str and arg in LESSON_FUNCTIONS:
        return LESSON_FUNCTIONS[arg]
    if type(arg) in (list, tuple) and arg and all(type(a) is str and a in LESSON_FUNCTIONS for a in arg):
        return [LESSON_FUNCTIONS[a] for a in arg]
    return arg


def _plain(arg):
    if callable(arg):
        return None
    if type(arg) is list and any(callable(a) for a in arg):
        return None
    return arg


def _tracer(original, log: dict):
    def traced(*args, **kwargs):
        log["calls"] += 1
        if len(log["args"]) < log["cap"]:
            log["args"].append([np.array(a, copy=True) for a in args if isinstance(a, np.ndarray)])
        return original(*args, **kwargs)
    return traced


def _stub(value):
    return lambda *args, **kwargs: copy.deepcopy(value)


def _failure(kind: str, message: str, type_: str = "") -> dict:
    return {"ok": False, "kind": kind, "type": type_, "message": message, "where": "", "phase": "call"}


def invoke(module, header: dict, payload: dict, submission: str) -> tuple[dict, dict | None]:
    """Run one call into the student's module.

    Args:
        module: the student's imported module.
        header: ``fn`` (function name), optional ``return_inputs`` (bool) and ``trace``
            ({function name: how many calls to record}).
        payload: ``args`` (list), ``kwargs`` (dict) and ``stub`` ({function name: value it must
            return}); strings naming lesson functions are resolved from `LESSON_FUNCTIONS`.
        submission: the submission folder (to keep grader frames out of tracebacks).

    Returns:
        (header, reply): ``{"ok": True}`` and ``{"value": ..., "inputs_after"?: [...],
        "trace"?: {...}}``, or a failure header (``ok`` False, ``kind``, ``type``, ``message``,
        ``where``) and None.
    """
    name = header.get("fn", "")
    fn = getattr(module, name, None)
    if not callable(fn):
        return _failure("missing_function", f"{module.__name__}.py has no function {name}()",
                        "AttributeError"), None
    args = [_resolve(a) for a in payload.get("args", [])]
    kwargs = {k: _resolve(v) for k, v in payload.get("kwargs", {}).items()}
    saved, logs = {}, {}
    for target, value in payload.get("stub", {}).items():
        saved[target] = getattr(module, target, None)
        setattr(module, target, _stub(value))
    for target, cap in header.get("trace", {}).items():
        original = getattr(module, target, None)
        if callable(original):
            saved.setdefault(target, original)
            logs[target] = {"calls": 0, "cap": int(cap), "args": []}
            setattr(module, target, _tracer(original, logs[target]))
    try:
        result = fn(*args, **kwargs)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are failures too
        return describe_exception(exc, submission, "call"), None
    finally:
        for target, value in saved.items():
            setattr(module, target, value)
    reply = {"value": result}
    if header.get("return_inputs"):
        reply["inputs_after"] = [_plain(a) for a in args]
    if logs:
        reply["trace"] = {k: {"calls": v["calls"], "args": v["args"]} for k, v in logs.items()}
    return {"ok": True}, reply


def handle_call(module, header: dict, payload: dict, submission: str, limit: int) -> bytes:
    """Run one call (see `invoke`) and encode the reply frame, at most ``limit`` bytes.

    The reply carries the request's ``call`` tag, so the grader never takes a frame the student's
    code wrote into the socket earlier for the answer to a later call.
    """
    head, reply = invoke(module, header, payload, submission)
    tag = {"call": header.get("call")}
    try:
        return protocol.encode({**head, **tag}, reply, limit=limit)
    except protocol.EncodeError as exc:
        return protocol.encode({**_failure("unencodable", f"returned {exc}"), **tag})
    except BaseException as exc:  # e.g. MemoryError while encoding a huge array
        return protocol.encode({**_failure("unencodable", "returned a value that could not be sent "
                                           f"back ({type(exc).__name__})", type(exc).__name__), **tag})


def probe() -> dict:
    """What the sandbox looks like from inside (for the grader's self-check)."""
    names = {n: getattr(resource, n) for n in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE",
                                               "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_CORE")}
    pids = [p for p in os.listdir("/proc") if p.isdigit()] if os.path.isdir("/proc") else []
    status = {}
    try:
        with open("/proc/self/status") as fh:
            status = dict(line.rstrip("\n").split(":\t", 1) for line in fh if ":\t" in line)
    except OSError:
        pass
    try:
        with open("/proc/self/cgroup") as fh:
            cgroups = [line.strip() for line in fh]
    except OSError:
        cgroups = []
    try:
        scratch = os.statvfs(".")
        inodes = scratch.f_files
    except OSError:
        inodes = 0
    return {"seccomp": status.get("Seccomp", "").strip(), "no_new_privs": status.get("NoNewPrivs", "").strip(),
            "cgroups": cgroups, "scratch_inodes": inodes, "pid": os.getpid(), "ppid": os.getppid(),
            "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
            "rlimits": {n: list(resource.getrlimit(v)) for n, v in names.items()},
            "visible_pids": len(pids), "environ": sorted(os.environ),
            "python": sys.version.split()[0], "numpy": np.__version__}


def inject(module, sources: dict[str, str]) -> None:
    """Put reference versions of a question's prerequisites into the student's module.

    Args:
        module: the student's module.
        sources: {function name: source code defining it (and any helper it needs)}; a name
            ``CALLABLE_PREFIX + f`` puts ``f`` into `LESSON_FUNCTIONS` instead of the module.
    """
    namespace = {"np": np, "numpy": np, **LESSON_FUNCTIONS}
    for name, source in sources.items():
        code = compile(source, f"<reference {name}>", "exec", dont_inherit=True,
                       flags=__future__.annotations.compiler_flag)  # annotations stay strings
        exec(code, namespace)
        if name.startswith(CALLABLE_PREFIX):  # a callable passed by name: the table, not the module
            bare = name[len(CALLABLE_PREFIX):]
            LESSON_FUNCTIONS[bare] = namespace[bare]
        else:
            setattr(module, name, namespace[name])


def inject_failure(exc: BaseException) -> dict:
    """The failure header for reference code that could not be put in place.

    The grader checks that its reference source compiles before sending it, so in this process
    only the student's code can make it fail (a module that replaces ``compile``, ``exec`` or
    numpy's functions, for instance): the student's failure, at import, never a grader error.
    """
    return {"ok": False, "kind": "exception", "phase": "import", "type": type(exc).__name__, "where": "",
            "message": f"the grader's reference versions of the functions this question builds on could not "
                       f"be put in place ({type(exc).__name__}: {_safe_str(exc)}); does your module "
                       "replace Python's or numpy's own functions?"}


def run_child(sock: socket.socket, header: dict, payload: dict, opts) -> None:
    """Body of a child: limits, import, prerequisites, then serve calls (and more prerequisites)."""
    os.setpgid(0, 0)
    for fd in (1, 2):  # the output pipe is shared with the zygote: an earlier child may have made it
        try:           # non-blocking, and a print would then fail in this one (another submission's)
            os.set_blocking(fd, True)
        except OSError:
            pass
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    apply_limits(header["limits"], opts.kill_all)
    os.chdir(opts.scratch)
    os.environ["TMPDIR"] = opts.scratch
    np.random.seed(0)  # every child (and every extension of one) starts from the same random state
    random.seed(0)
    limit = int(header.get("max_frame", protocol.MAX_FRAME))
    if header.get("probe"):
        protocol.send(sock, protocol.encode({"ok": True}, probe()))
        return
    sys.path.insert(0, opts.submission)
    try:
        module = importlib.import_module(header["module"])
    except BaseException as exc:
        protocol.send(sock, protocol.encode(describe_exception(exc, opts.submission, "import")))
        return
    try:
        inject(module, payload.get("inject", {}))
    except BaseException as exc:
        protocol.send(sock, protocol.encode(inject_failure(exc)))
        return
    protocol.send(sock, protocol.encode({"ok": True, "op": "ready"}))
    while True:
        try:
            header, payload = protocol.recv(sock)
        except (EOFError, OSError, protocol.ProtocolError):
            return
        if header.get("op") == "inject":  # the next question needs more reference functions
            protocol.send(sock, extend(module, header, payload or {}))
            continue
        if header.get("shared"):
            try:
                payload = map_shared(sock, header["shared"], payload or {})
            except (OSError, ValueError, TypeError, IndexError):
                return
        protocol.send(sock, handle_call(module, header, payload or {}, opts.submission, limit))


def map_shared(sock: socket.socket, positions: list, payload: dict) -> dict:
    """Receive the memory files the grader sent after a call frame (one per position in
    `positions`, see `sandbox._shared_arrays`) and make each of those arguments an array on its
    file's memory, shared with the grader, which reads it after the call.

    Returns:
        the payload with those arguments replaced.
    """
    _, fds, _, _ = socket.recv_fds(sock, 1, len(positions))
    args = list(payload.get("args", []))
    for i, fd in zip(positions, fds):
        like = np.asarray(args[i])
        memory = mmap.mmap(fd, like.nbytes, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        os.close(fd)
        args[i] = np.frombuffer(memory, dtype=like.dtype).reshape(like.shape)
    return {**payload, "args": args}


def extend(module, header: dict, payload: dict) -> bytes:
    """Add reference functions to the open child (`sandbox.can_extend` says when the grader may
    ask) and reset the random state, as a fresh child starts; the reply carries the request's tag."""
    tag = {"call": header.get("call")}
    try:
        inject(module, payload.get("inject", {}))
    except BaseException as exc:
        return protocol.encode({**inject_failure(exc), **tag})
    np.random.seed(0)
    random.seed(0)
    return protocol.encode({"ok": True, "op": "ready", **tag})


def _kill_everything_else(child: int, kill_all: bool) -> None:
    if kill_all:  # a uid of our own (and a pid namespace, in the sandbox): every other process goes
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for target in (lambda: os.killpg(child, signal.SIGKILL), lambda: os.kill(child, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass


def _until_alone(kill_all: bool, patience: float = 1.0) -> None:
    """Kill and reap every other process of our uid, waiting (briefly) until they are gone: killed
    processes may still be finishing a write, and what they print must reach the grader before it
    takes the output. They all descend from us and we adopt orphans (`_set_not_dumpable`), so we
    are alone once no child is left (kill(-1) itself says nothing: without a pid namespace it
    counts every process on the machine)."""
    end = time.monotonic() + patience
    while kill_all and time.monotonic() < end:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return
        time.sleep(0.002)


def wipe(folder: str, passes: int = 1_000_000) -> None:
    """Empty `folder`, whatever a question's code left in it: links (removed, never followed),
    folders made unreadable (mode 000), trees thousands of levels deep. Never raises.

    Works with two open folders at a time: each pass moves the content of the folders at the top
    up to the top, then removes what is empty, so depth costs passes, not recursion or fds.
    """
    try:
        top = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    lifted = 0
    try:
        for _ in range(passes):
            progress = False
            for name in os.listdir(top):
                try:
                    if not stat.S_ISDIR(os.stat(name, dir_fd=top, follow_symlinks=False).st_mode):
                        os.unlink(name, dir_fd=top)
                        progress = True
                        continue
                    try:
                        os.rmdir(name, dir_fd=top)
                        progress = True
                        continue
                    except OSError:
                        pass
                    os.chmod(name, 0o700, dir_fd=top)  # a folder (just checked): nothing else runs now
                    sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=top)
                    try:
                        for inner in os.listdir(sub):
                            try:  # moving a folder rewrites its "..": it must be writable
                                if stat.S_ISDIR(os.stat(inner, dir_fd=sub, follow_symlinks=False).st_mode):
                                    os.chmod(inner, 0o700, dir_fd=sub)
                                lifted += 1
                                os.rename(inner, f".wipe-{lifted}", src_dir_fd=sub, dst_dir_fd=top)
                                progress = True
                            except OSError:
                                continue
                    finally:
                        os.close(sub)
                except OSError:
                    continue
            if not progress:
                break
    except OSError:
        pass
    finally:
        os.close(top)


def clear_kernel_state() -> None:
    """Remove what our uid keeps in the kernel beyond its processes: SysV IPC objects (shared
    memory, message queues, semaphores) and the keys of its user keyrings.

    They outlive the processes that made them (IPC memory is capped by no limit) and would reach
    the next question or submission (per jail in the sandbox, per machine without one).
    """
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        libc.syscall.restype = ctypes.c_long
    except Exception:
        return
    uid = os.getuid()
    for kind, remove in (("shm", lambda i: libc.shmctl(i, 0, None)), ("msg", lambda i: libc.msgctl(i, 0, None)),
                         ("sem", lambda i: libc.semctl(i, 0, 0))):  # 0 = IPC_RMID
        try:
            with open(f"/proc/sysvipc/{kind}") as fh:
                header, *rows = [line.split() for line in fh]
            at_uid = header.index("uid")
        except (OSError, ValueError):
            continue
        for row in rows:
            try:
                if int(row[at_uid]) == uid:
                    remove(int(row[1]))
            except (ValueError, IndexError):
                continue
    for keyring in (-4, -5):  # KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING
        libc.syscall(250, 7, ctypes.c_long(keyring))  # keyctl(KEYCTL_CLEAR, keyring)


def _set_not_dumpable() -> None:
    """Keep same-uid children from ptrace-ing the zygote or reading its memory, adopt their orphans
    (a setsid() escapee), so that closing a question reaps them at once (`_until_alone`) instead of
    waiting for init to, and let no child gain privileges through a setuid program (bubblewrap sets
    this in the jail; without a jail nothing did)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER = 36
        libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS = 38 (inherited, irreversible)
    except Exception:
        pass


def install_seccomp(fd: int) -> None:
    """Install the seccomp filter the grader sends through `fd` (a pipe holding a classic BPF
    program, ``struct sock_filter`` records of 8 bytes; see `sandbox.seccomp_program`) on this
    process, for good: every process it forks inherits it, and no process can remove it.

    Raises:
        OSError: the kernel refused the program (the grader then gets no "ready" and stops).
    """
    import ctypes
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    program = b"".join(chunks)

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    buf = ctypes.create_string_buffer(program, len(program))
    prog = SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_char_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(38, 1, None, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:
        err = ctypes.get_errno()  # PR_SET_NO_NEW_PRIVS = 38; PR_SET_SECCOMP = 22, SECCOMP_MODE_FILTER = 2
        raise OSError(err, f"seccomp: {os.strerror(err)}")


def zygote(ctl: socket.socket, opts) -> None:
    """Serve the grader: open / close / exit, forking a fresh child at each open."""
    _set_not_dumpable()
    if opts.kill_all:  # left by the questions of a zygote that was killed (uid level: per machine)
        clear_kernel_state()
    if opts.seccomp_fd is not None:  # before any student code: every child inherits the filter
        install_seccomp(opts.seccomp_fd)
    child = 0
    protocol.send(ctl, protocol.encode({"op": "ready", "pid": os.getpid(), "uid": os.getuid(),
                                        "numpy": np.__version__}))
    while True:
        try:
            header, payload = protocol.recv(ctl)
        except (EOFError, OSError, protocol.ProtocolError):
            os._exit(0)
        op = header.get("op")
        if op == "open":
            mine, theirs = socket.socketpair()
            pid = os.fork()
            if pid == 0:
                status = 0
                try:
                    ctl.close()
                    mine.close()
                    run_child(theirs, header, payload or {}, opts)
                except BaseException:
                    status = 70
                finally:
                    os._exit(status)
            theirs.close()
            socket.send_fds(ctl, [b"F"], [mine.fileno()])
            mine.close()
            child = pid
            protocol.send(ctl, protocol.encode({"op": "opened", "pid": pid}))
        elif op == "close":
            code = None
            if child:
                _kill_everything_else(child, opts.kill_all)
                _, status = os.waitpid(child, 0)
                code = os.waitstatus_to_exitcode(status)
                child = 0
            while True:  # reap whatever else we adopted
                try:
                    if os.waitpid(-1, os.WNOHANG)[0] == 0:
                        break
                except ChildProcessError:
                    break
            _until_alone(opts.kill_all)
            if opts.kill_all:  # a uid of our own: its IPC objects and keys are the questions'
                clear_kernel_state()
            wipe(opts.scratch)
            protocol.send(ctl, protocol.encode({"op": "closed", "exit": code}))
        else:
            os._exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ctl-fd", type=int, required=True)
    parser.add_argument("--submission", required=True)
    parser.add_argument("--scratch", required=True)
    parser.add_argument("--site", help="folder holding numpy (already put on sys.path)")
    parser.add_argument("--kill-all", action="store_true",
                        help="this uid is ours alone: kill(-1) after each child")
    parser.add_argument("--seccomp-fd", type=int, help="a pipe holding the seccomp filter to install")
    opts = parser.parse_args(argv)
    sys.dont_write_bytecode = True
    ctl = socket.socket(fileno=opts.ctl_fd)
    zygote(ctl, opts)


if __name__ == "__main__":
    main()
