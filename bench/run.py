"""The grader's benchmark: `autograder grade` against the floor and against otter-grader.

    .venv/bin/python bench/run.py                        # 200 submissions, 5 repeats
    .venv/bin/python bench/run.py --n 1000 --only-full   # the "1,000 full submissions" target

What it does (one invocation, everything side by side, since the machine may be shared):

1. Generates ``--n`` submissions into a temporary folder: ~44 % copies of the reference solution,
   ~45 % "sample": the sample class's students (data/submissions/: its typical mistakes, its
   contained failures, a zip, a notebook), in turn, classified by tests/sample_class_expected.yml
   (a few generated mistakes if the class is not there), ~10 % the bare release stubs, and ~1 %
   that time out (``--only-full``: the solution only).
2. ``--repeat`` times, one after the other: the floor (bench/floor.py: the same hidden checks on
   the same submissions in one process, no isolation, no reports), ``autograder grade --jobs 1``,
   ``autograder grade --jobs <cores>``, and otter-grader's own ``otter run`` on ``--otter-n``
   of the submissions, one at a time, with bench/otter/tests (the same questions and cases).
   Timings are medians over the repeats; ratios are medians of the per-repeat ratios. The
   grader's two runs swap places every other repeat (``--jobs 1`` first, then ``--jobs N``
   first), so that a machine that slows down or speeds up during a repeat favours neither. The
   submissions that time out are left out of these runs (the floor cannot stop an endless loop);
   they are accounted for by one extra run on the whole set, reported on its own row.
3. Once: ``autograder grade`` on ``--scale-n`` submissions (the mix repeated), to see whether the
   grader's memory grows with N; and the student's public check (``python check.py`` in a copy
   of the release with the solution filled in), timed ``--repeat`` times.
4. Prints one table and writes bench/results.json (``--output``).

Peak memory is the kernel's high-water mark (VmHWM in /proc/PID/status) of the grader's main
process, of its job processes and of the sandboxed workers (the zygote and the per-question
children, found by their command line), sampled every 50 ms during the runs.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
SOLUTIONS = ROOT / "solutions" / "nn_from_scratch"
RELEASE = ROOT / "assignments" / "nn_from_scratch"
SAMPLE_CLASS = ROOT / "data" / "submissions"
SAMPLE_EXPECTED = ROOT / "tests" / "sample_class_expected.yml"
MODULES = ("foundations", "linear_regression", "neural_network")
PYTHON = sys.executable
BIN = Path(sys.executable).parent

# Typical mistakes, used only when the sample class is not there: (name, module, old, new).
GENERATED_MISTAKES = [
    ("deriv-forward-difference", "foundations",
     "return (func(input_ + diff) - func(input_ - diff)) / (2 * diff)",
     "return (func(input_ + diff) - func(input_)) / diff"),
    ("chain-rule-at-x", "foundations", "return deriv(f2, inner) * deriv(f1, x)",
     "return deriv(f2, x) * deriv(f1, x)"),
    ("syntax-error", "foundations", "    N = np.dot(X, W)\n    dSdN = deriv(sigma, N)",
     "    N = np.dot(X, W\n    dSdN = deriv(sigma, N)"),
    ("gradient-without-factor-2", "linear_regression", "dLdP = -2.0 * (y - P)", "dLdP = -1.0 * (y - P)"),
    ("unpaired-shuffle", "linear_regression", "X_shuffled, y_shuffled = X[order], y[order]",
     "X_shuffled, y_shuffled = X[order], y[np.random.permutation(n_rows)]"),
    ("lesson-bias-gradient", "neural_network",
     'dLdB1 = (dLdN1 * np.ones_like(weights["B1"])).sum(axis=0, keepdims=True)',
     'dLdB1 = np.full_like(weights["B1"], dLdN1.sum())'),
    ("no-reshuffle", "neural_network",
     "            X_shuffled, y_shuffled = X_shuffled[order], y_shuffled[order]\n", ""),
]
GENERATED_TIMEOUT = ("endless-top-level-loop", "neural_network",
                     "\n\nwhile True:  # a training run left at the top level, never ending\n    pass\n")


# -- the submissions --------------------------------------------------------------------------------
def _modules(folder: Path) -> dict[str, str]:
    return {m: (folder / f"{m}.py").read_text(encoding="utf-8") for m in MODULES}


def _write(folder: Path, modules: dict[str, str]) -> None:
    folder.mkdir(parents=True)
    for name, text in modules.items():
        (folder / f"{name}.py").write_text(text, encoding="utf-8")


def _mutated(name: str, module: str, old: str, new: str) -> dict[str, str]:
    files = _modules(SOLUTIONS)
    if old not in files[module]:
        raise SystemExit(f"bench: the generated mistake {name!r} no longer applies to solutions/{module}.py")
    files[module] = files[module].replace(old, new, 1)
    return files


def _sample_class() -> tuple[list[Path], list[Path]] | None:
    """(typical submissions, submissions that time out) of the sample class, or None."""
    if not (SAMPLE_CLASS.is_dir() and SAMPLE_EXPECTED.is_file()):
        return None
    import yaml

    expected = yaml.safe_load(SAMPLE_EXPECTED.read_text())["students"]
    entries = {}
    for entry in SAMPLE_CLASS.iterdir():
        stem = entry.name.rsplit(".", 1)[0] if entry.is_file() else entry.name
        if stem in expected:
            entries[stem] = entry
    if not entries:
        return None
    typical = [entries[s] for s in sorted(entries) if expected[s]["status"] != "timeout"]
    timeouts = [entries[s] for s in sorted(entries) if expected[s]["status"] == "timeout"]
    return typical, timeouts


def _copy_entry(entry: Path, dest_dir: Path, name: str) -> None:
    if entry.is_dir():
        shutil.copytree(entry, dest_dir / name)
    else:
        shutil.copy2(entry, dest_dir / (name + "".join(entry.suffixes[-1:])))


def generate(base: Path, n: int, only_full: bool, seed: int) -> dict[str, Any]:
    """Write the submissions: base/comparable (no timeouts), base/timeouts, base/all (both)."""
    rng = random.Random(seed)
    comparable, timeouts_dir = base / "comparable", base / "timeouts"
    comparable.mkdir(parents=True)
    timeouts_dir.mkdir()
    full, stubs = _modules(SOLUTIONS), _modules(RELEASE)
    sample = _sample_class()
    if only_full:
        plan = ["full"] * n
    else:
        n_timeout = max(1, round(n * 0.01))
        n_stub = max(1, round(n * 0.10))
        n_sample = round(n * 0.45)
        plan = (["timeout"] * n_timeout + ["stub"] * n_stub + ["sample"] * n_sample
                + ["full"] * (n - n_timeout - n_stub - n_sample))
    numbers = list(range(1, len(plan) + 1))
    rng.shuffle(numbers)  # student ids in a random order, as in a class: kinds are mixed in every chunk
    kinds: dict[str, int] = {}
    sample_i = timeout_i = 0
    names: dict[str, list[str]] = {"full": [], "stub": [], "sample": [], "timeout": []}
    for kind, number in zip(plan, numbers):
        name = f"s{number:04d}-{kind}"
        dest = timeouts_dir if kind == "timeout" else comparable
        if kind == "full":
            _write(dest / name, full)
        elif kind == "stub":
            _write(dest / name, stubs)
        elif kind == "sample":
            if sample:
                entry = sample[0][sample_i % len(sample[0])]
                name += "-" + entry.name.split(".")[0]
                _copy_entry(entry, dest, name)
            else:
                mistake = GENERATED_MISTAKES[sample_i % len(GENERATED_MISTAKES)]
                name += "-" + mistake[0]
                _write(dest / name, _mutated(*mistake))
            sample_i += 1
        else:
            if sample and sample[1]:
                entry = sample[1][timeout_i % len(sample[1])]
                name += "-" + entry.name.split(".")[0]
                _copy_entry(entry, dest, name)
            else:
                label, module, tail = GENERATED_TIMEOUT
                name += "-" + label
                files = dict(full)
                files[module] += tail
                _write(dest / name, files)
            timeout_i += 1
        kinds[kind] = kinds.get(kind, 0) + 1
        names[kind].append(name)
    all_dir = base / "all"
    shutil.copytree(comparable, all_dir)
    for entry in timeouts_dir.iterdir():
        (shutil.copytree if entry.is_dir() else shutil.copy2)(entry, all_dir / entry.name)
    return {"comparable": comparable, "all": all_dir, "kinds": kinds, "names": names,
            "sample_source": ("the sample class (data/submissions/), its students that do not time out"
                              if sample else "generated typical mistakes (no sample class found)"),
            "n_comparable": n - kinds.get("timeout", 0)}


def replicate(source: Path, dest: Path, total: int) -> None:
    """dest/ gets `total` submissions: the entries of source/ repeated under new names."""
    entries = sorted(source.iterdir())
    dest.mkdir()
    for i in range(total):
        entry = entries[i % len(entries)]
        _copy_entry(entry, dest, f"r{i:05d}-{entry.name.split('.')[0]}")


# -- measuring a command --------------------------------------------------------------------------
def _read_status(pid: int) -> dict[str, str]:
    out = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("PPid", "VmHWM", "Uid"):
                out[key] = value.strip()
    return out


def _children(pid: int) -> list[int]:
    kids = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                kids += [int(k) for k in fh.read().split()]
    except OSError:
        pass
    return kids


CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> tuple[float, float]:
    """(own CPU seconds, CPU seconds of its reaped children) of a live process."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime) / CLOCK_TICK, (cutime + cstime) / CLOCK_TICK


class MemorySampler(threading.Thread):
    """Peak VmHWM (MB) of a process tree, by role: the main process, job processes, workers; and
    the CPU time of the sandboxed zygotes with their reaped per-question children (the sandbox's
    pid namespace keeps them out of our own RUSAGE_CHILDREN)."""

    def __init__(self, root: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak = {"main": 0.0, "job": 0.0, "worker": 0.0}
        self.workers_seen = 0
        self.zygote_cpu: dict[int, float] = {}
        self._cmd: dict[int, str] = {}
        self._halt = threading.Event()

    def _role(self, pid: int, parent: int) -> str | None:
        if pid not in self._cmd:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    self._cmd[pid] = fh.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                return None
            if self._is_worker(pid):
                self.workers_seen += 1
        cmd = self._cmd[pid]
        if pid == self.root:
            return "main"
        if self._is_worker(pid):
            return "worker"
        if parent == self.root and cmd == self._cmd.get(self.root):
            return "job"
        return None

    def _is_worker(self, pid: int) -> bool:
        """A Python process running worker.py (not the bwrap process whose arguments name it)."""
        argv = self._cmd.get(pid, "").split()
        return len(argv) > 1 and "python" in Path(argv[0]).name and any(a.endswith("/worker.py") for a in argv)

    def sample(self) -> None:
        stack = [(self.root, 0)]
        while stack:
            pid, parent = stack.pop()
            role = self._role(pid, parent)
            if role:
                try:
                    hwm = _read_status(pid).get("VmHWM", "0 kB").split()[0]
                    self.peak[role] = max(self.peak[role], int(hwm) / 1024)
                    if role == "worker" and not self._is_worker(parent):  # a zygote
                        own, reaped = _cpu_of(pid)
                        self.zygote_cpu[pid] = own + reaped
                except (OSError, ValueError):
                    pass
            stack += [(kid, pid) for kid in _children(pid)]

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            self.sample()

    def stop(self) -> dict[str, float]:
        self._halt.set()
        self.join()
        return {k: round(v, 1) for k, v in self.peak.items()}


def measure(cmd: list[str], cwd: Path | None = None, env: dict | None = None,
            sample: bool = True) -> dict[str, Any]:
    """Run `cmd`; its wall time, exit status, output tail and peak memory by role."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    sampler = MemorySampler(proc.pid) if sample else None
    if sampler:
        sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    peaks = sampler.stop() if sampler else {}
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if sampler:
        cpu += sum(sampler.zygote_cpu.values())
    return {"seconds": seconds, "rc": proc.returncode, "stdout": out.decode(errors="replace")[-3000:],
            "stderr": err.decode(errors="replace")[-3000:], "peak_mb": peaks, "cpu_seconds": cpu,
            "load_after": round(os.getloadavg()[0], 2)}


def _require(result: dict, what: str, ok=(0,)) -> dict:
    if result["rc"] not in ok:
        raise SystemExit(f"bench: {what} failed (exit {result['rc']}):\n{result['stdout']}\n{result['stderr']}")
    return result


def gradebook_totals(out: Path) -> dict[str, float]:
    with open(out / "gradebook.csv", newline="") as fh:
        return {row["student"]: float(row["total"]) for row in csv.DictReader(fh)}


def run_grader(folder: Path, jobs: int, work: Path, tag: str) -> dict[str, Any]:
    out = work / f"out-{tag}"
    shutil.rmtree(out, ignore_errors=True)
    result = _require(measure([PYTHON, "-m", "autograder", "grade", str(folder), "--out", str(out),
                               "--jobs", str(jobs), "-q"], cwd=ROOT), f"autograder grade --jobs {jobs}")
    result["totals"] = gradebook_totals(out)
    with open(out / "summary.json") as fh:
        result["status_counts"] = json.load(fh)["status_counts"]
    shutil.rmtree(out, ignore_errors=True)
    return result


def run_floor(folder: Path, work: Path) -> dict[str, Any]:
    target = work / "floor.json"
    result = _require(measure([PYTHON, str(BENCH / "floor.py"), str(folder), str(target)], cwd=ROOT),
                      "the floor")
    result.update(json.loads(target.read_text()))
    return result


# -- otter-grader, the peer ---------------------------------------------------------------------
def otter_available() -> str:
    """"" if otter run can work here, else why not."""
    otter = BIN / "otter"
    if not otter.exists():
        return "otter-grader is not installed in this environment"
    probe = subprocess.run([PYTHON, "-c", "import ipykernel, otter"], capture_output=True)
    if probe.returncode:
        return ('otter run needs its [grading] extra: .venv/bin/pip install "otter-grader[grading]==7.0.0" '
                "(python3 dev.py test installs it with the dev extra)")
    return ""


def prepare_otter(work: Path, folder: Path, names: list[str]) -> tuple[Path, list[Path]]:
    """The autograder zip from bench/otter/tests, and one bundled .py per chosen submission."""
    check = subprocess.run([PYTHON, str(BENCH / "otter" / "make_tests.py"), "--check"], capture_output=True,
                           text=True)
    if check.returncode:
        raise SystemExit("bench: " + check.stderr.strip())
    base = work / "otter"
    shutil.copytree(BENCH / "otter" / "tests", base / "tests")
    subprocess.run([str(BIN / "otter"), "generate", "--no-requirements", "--no-environment", "--no-config",
                    "-t", "tests", "-o", "autograder.zip"], cwd=base, check=True, capture_output=True)
    from autograder.config import load_config
    from autograder.intake.load import load
    from autograder.intake.locate import locate

    modules = load_config().modules
    sources = {s.student: s for s in locate([folder], modules)[0]}
    bundles = []
    for i, name in enumerate(names):
        loaded = load(sources[name], base / "loaded" / f"{i:03d}", modules)
        code = {m: (loaded.directory / f"{m}.py").read_bytes().decode("utf-8") for m in loaded.modules}  # newlines as they are (they seed the hidden inputs)
        bundle = base / f"{name}.py"
        bundle.write_text("# The student's modules in one file: otter run grades exactly one .py per "
                          "submission (see bench/otter/peer.py).\nSOURCES = " + repr(code) + "\n")
        bundles.append(bundle)
    return base / "autograder.zip", bundles


def run_otter(zip_path: Path, bundles: list[Path], tag: str) -> dict[str, Any]:
    base = zip_path.parent
    seconds, cpu, totals, peak = 0.0, 0.0, {}, 0.0
    for bundle in bundles:
        out = base / f"out-{tag}-{bundle.stem}"
        out.mkdir()
        result = _require(measure([str(BIN / "otter"), "run", "--no-logo", "-a", str(zip_path), "-o", str(out),
                                   str(bundle)], cwd=base), f"otter run {bundle.name}")
        seconds += result["seconds"]
        cpu += result["cpu_seconds"]
        peak = max(peak, result["peak_mb"].get("main", 0.0))
        data = json.loads((out / "results.json").read_text())
        totals[bundle.stem] = round(sum(t.get("score") or 0.0 for t in data["tests"]), 6)
        shutil.rmtree(out)
    return {"seconds": seconds, "cpu_seconds": cpu, "totals": totals, "peak_mb": {"main": peak},
            "load_after": round(os.getloadavg()[0], 2)}


# -- the public check -----------------------------------------------------------------------------
def prepare_check(work: Path) -> Path:
    release = work / "release"
    shutil.copytree(RELEASE, release)
    for m in MODULES:
        shutil.copy2(SOLUTIONS / f"{m}.py", release / f"{m}.py")
    return release


# -- the machine --------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    import numpy

    from autograder.run.sandbox import detect_isolation

    level, note = detect_isolation()
    return {"nproc": os.cpu_count(), "cpu": model, "ram_gb": mem_gb, "python": platform.python_version(),
            "numpy": numpy.__version__, "kernel": platform.release(),
            "isolation": level.value + (f" ({note})" if note else ""),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


# -- the report ----------------------------------------------------------------------------------
def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def _fmt(x: Any, spec: str = ".2f") -> str:
    return "–" if x is None else format(x, spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="submissions to generate (default 200)")
    parser.add_argument("--repeat", type=int, default=5, help="repeats of every timed run (default 5)")
    parser.add_argument("--only-full", action="store_true", help="only copies of the full solution")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="'all cores' (default: nproc)")
    parser.add_argument("--otter-n", type=int, default=5, help="submissions graded by otter run (0: skip)")
    parser.add_argument("--scale-n", type=int, default=1000,
                        help="one extra run on this many submissions, for memory against N (0: skip)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=BENCH / "results.json")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args(argv)
    if args.n < 1 or args.repeat < 1:
        parser.error("--n and --repeat must be at least 1")

    info = machine()
    print(f"machine: {info['nproc']} cores, {info['cpu']}, {info['ram_gb']} GB; Python {info['python']}, "
          f"numpy {info['numpy']}; isolation {info['isolation']}; load {info['load_average_at_start']}",
          flush=True)
    work = Path(tempfile.mkdtemp(prefix="nn-bench-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    try:
        return _run(args, info, work)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def _run(args: argparse.Namespace, info: dict, work: Path) -> int:
    mix = generate(work / "submissions", args.n, args.only_full, args.seed)
    comparable, n_cmp = mix["comparable"], mix["n_comparable"]
    print(f"submissions: {args.n} ({', '.join(f'{v} {k}' for k, v in sorted(mix['kinds'].items()))}; "
          f"'sample' ones from {mix['sample_source']})", flush=True)
    jobs_all = max(1, args.jobs)

    why_not_otter = otter_available() if args.otter_n else "skipped (--otter-n 0)"
    otter_zip, bundles = None, []
    if not why_not_otter:
        chosen: list[str] = []
        pools = [mix["names"][k] for k in ("full", "sample", "stub") if mix["names"][k]]
        while len(chosen) < args.otter_n:
            before = len(chosen)
            for pool in pools:
                left = [x for x in pool if x not in chosen]
                if left and len(chosen) < args.otter_n:
                    chosen.append(left[0])
            if len(chosen) == before:
                break
        otter_zip, bundles = prepare_otter(work, comparable, chosen)
    else:
        print(f"otter: {why_not_otter}", flush=True)
    release = prepare_check(work)

    runs: dict[str, list[dict]] = {"floor": [], "jobs1": [], "jobsN": [], "otter": [], "check": []}
    for r in range(args.repeat):
        runs["floor"].append(run_floor(comparable, work))
        order = ["jobs1", "jobsN"] if r % 2 == 0 else ["jobsN", "jobs1"]
        for key in order:
            if key == "jobs1":
                runs["jobs1"].append(run_grader(comparable, 1, work, "jobs1"))
            elif jobs_all > 1:
                runs["jobsN"].append(run_grader(comparable, jobs_all, work, "jobsN"))
        if otter_zip:
            runs["otter"].append(run_otter(otter_zip, bundles, f"r{r}"))
        runs["check"].append(_require(measure([PYTHON, "check.py"], cwd=release, sample=False),
                                      "the public check"))
        last = {k: v[-1] for k, v in runs.items() if v}
        print(f"repeat {r + 1}/{args.repeat}: " + ", ".join(f"{k} {v['seconds']:.1f} s" for k, v in last.items())
              + f" (1-min load average after each: {', '.join(str(v.get('load_after', '?')) for v in last.values())})",
              flush=True)
    if jobs_all == 1:
        runs["jobsN"] = runs["jobs1"]

    extra: dict[str, dict] = {}
    if mix["kinds"].get("timeout"):
        extra["with_timeouts"] = run_grader(mix["all"], jobs_all, work, "all")
        print(f"with timeouts: {extra['with_timeouts']['seconds']:.1f} s", flush=True)
    if args.scale_n and args.scale_n > n_cmp:
        scale_dir = work / "submissions" / "scale"
        replicate(comparable, scale_dir, args.scale_n)
        extra["scale"] = run_grader(scale_dir, jobs_all, work, "scale")
        shutil.rmtree(scale_dir, ignore_errors=True)
        print(f"scale ({args.scale_n} submissions): {extra['scale']['seconds']:.1f} s", flush=True)

    results = summarize(args, info, mix, runs, extra, jobs_all, why_not_otter, len(bundles))
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    print(f"\nwritten: {args.output}")
    return 0


def summarize(args, info, mix, runs, extra, jobs_all, why_not_otter, n_otter) -> dict[str, Any]:
    n_cmp = mix["n_comparable"]
    t = {k: [x["seconds"] for x in v] for k, v in runs.items()}
    med = {k: _median(v) for k, v in t.items()}
    cpu = {k: [x.get("cpu_seconds") for x in v] for k, v in runs.items()}
    med_cpu = {k: _median([c for c in v if c is not None]) for k, v in cpu.items()}

    def paired(a: str, b: str, fn) -> float | None:
        pairs = [fn(x, y) for x, y in zip(t[a], t[b])]
        return _median(pairs)

    floor_ratio_1 = paired("jobs1", "floor", lambda g, f: g / f)
    floor_ratio_n = paired("jobsN", "floor", lambda g, f: g / f)
    per_otter = (lambda s: s / n_otter) if n_otter else None
    otter_ratio_n = paired("jobsN", "otter", lambda g, o: (n_cmp / g) / (n_otter / o)) if n_otter else None
    otter_ratio_1 = paired("jobs1", "otter", lambda g, o: (n_cmp / g) / (n_otter / o)) if n_otter else None
    scaling = paired("jobs1", "jobsN", lambda one, many: one / many)

    def peaks(key: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for run in runs[key]:
            for role, mb in run.get("peak_mb", {}).items():
                out[role] = max(out.get(role, 0.0), mb)
        return out

    floor_totals = runs["floor"][0]["totals"]
    mismatches = {}
    for key in ("jobs1", "jobsN"):
        for run in runs[key]:
            for student, total in run["totals"].items():
                if abs(floor_totals.get(student, -1) - total) > 1e-6:
                    mismatches[student] = {"grader": total, "floor": floor_totals.get(student)}
    otter_mismatches = {}
    for run in runs["otter"]:
        for student, total in run["totals"].items():
            ours = runs["jobs1"][0]["totals"].get(student)
            if ours is None or abs(ours - total) > 1e-6:
                otter_mismatches[student] = {"otter": total, "grader": ours}

    rows = [
        {"run": "floor: 1 process, no isolation, no reports", "submissions": n_cmp, "seconds": med["floor"],
         "peak_mb": peaks("floor"), "ratio_floor": 1.0},
        {"run": "autograder grade --jobs 1", "submissions": n_cmp, "seconds": med["jobs1"],
         "peak_mb": peaks("jobs1"), "ratio_floor": floor_ratio_1, "ratio_otter": otter_ratio_1},
    ]
    if jobs_all > 1:
        rows.append({"run": f"autograder grade --jobs {jobs_all}", "submissions": n_cmp, "seconds": med["jobsN"],
                     "peak_mb": peaks("jobsN"), "ratio_floor": floor_ratio_n, "ratio_otter": otter_ratio_n})
    if n_otter:
        rows.append({"run": f"otter run, one submission at a time ({n_otter} of them)", "submissions": n_otter,
                     "seconds": med["otter"], "peak_mb": peaks("otter"),
                     "ratio_floor": (med["otter"] / n_otter) / (med["floor"] / n_cmp)})
    if "with_timeouts" in extra:
        x = extra["with_timeouts"]
        n_all = sum(mix["kinds"].values())
        rows.append({"run": f"autograder grade --jobs {jobs_all}, with the {mix['kinds']['timeout']} that time out "
                            "(once)", "submissions": n_all, "seconds": x["seconds"], "peak_mb": x["peak_mb"],
                     "status_counts": x["status_counts"]})
    if "scale" in extra:
        x = extra["scale"]
        rows.append({"run": f"autograder grade --jobs {jobs_all}, N={args.scale_n} (once)",
                     "submissions": args.scale_n, "seconds": x["seconds"], "peak_mb": x["peak_mb"]})
    cpu_key = {rows[0]["run"]: "floor", rows[1]["run"]: "jobs1"}
    if jobs_all > 1:
        cpu_key[rows[2]["run"]] = "jobsN"
    if n_otter:
        cpu_key[next(r["run"] for r in rows if r["run"].startswith("otter run"))] = "otter"
    for row in rows:
        key = cpu_key.get(row["run"])
        if key:
            row["cpu_seconds"] = med_cpu[key]
            pairs = [c / f for c, f in zip(cpu[key], cpu["floor"]) if c and f]
            row["cpu_ratio_floor"] = _median(pairs) * (n_cmp / row["submissions"] if key == "otter" else 1)
        elif row["run"].startswith("autograder"):
            x = extra["with_timeouts" if "time out" in row["run"] else "scale"]
            row["cpu_seconds"] = x.get("cpu_seconds")
        row["cpu_seconds_per_submission"] = (row["cpu_seconds"] / row["submissions"]
                                             if row.get("cpu_seconds") else None)
        row["per_second"] = row["submissions"] / row["seconds"] if row["seconds"] else None
        row["seconds_per_submission"] = row["seconds"] / row["submissions"] if row["seconds"] else None

    main_n = peaks("jobsN").get("main")
    main_scale = extra.get("scale", {}).get("peak_mb", {}).get("main")
    worker_peak = max([peaks(k).get("worker", 0.0) for k in ("jobs1", "jobsN")]
                      + [x.get("peak_mb", {}).get("worker", 0.0) for x in extra.values()])
    scale_seconds = extra.get("scale", {}).get("seconds")
    targets = [
        {"target": "throughput vs otter run (all cores)", "value": otter_ratio_n, "goal": ">= 50",
         "met": None if otter_ratio_n is None else otter_ratio_n >= 50},
        {"target": "time vs the floor (--jobs 1 / floor)", "value": floor_ratio_1, "goal": "<= 1.5",
         "met": floor_ratio_1 <= 1.5},
        {"target": f"--jobs {jobs_all} throughput / --jobs 1", "value": scaling,
         "goal": f">= {1 + 0.8 * (jobs_all - 1):.1f}", "met": scaling >= 1 + 0.8 * (jobs_all - 1) if jobs_all > 1 else None},
        {"target": "a worker's peak memory (MB)", "value": worker_peak, "goal": "< 150", "met": 0 < worker_peak < 150},
        {"target": f"grader main process memory, N={n_cmp} -> N={args.scale_n} (MB)",
         "value": [main_n, main_scale], "goal": "flat (< +10 %)",
         "met": None if not (main_n and main_scale) else main_scale <= 1.1 * main_n},
        {"target": "public check, python check.py (s)", "value": med["check"], "goal": "< 2", "met": med["check"] < 2},
    ]
    if args.only_full:
        projected = med["jobsN"] * 1000 / n_cmp
        targets.insert(2, {"target": f"1,000 full submissions, --jobs {jobs_all} (s)",
                           "value": med["jobsN"] if n_cmp == 1000 else projected,
                           "goal": "< 120" + ("" if n_cmp == 1000 else f" (projected from N={n_cmp})"),
                           "met": (med["jobsN"] if n_cmp == 1000 else projected) < 120})
    elif scale_seconds and args.scale_n == 1000:
        targets.insert(2, {"target": f"1,000 submissions of the mix, --jobs {jobs_all} (s, once)",
                           "value": scale_seconds, "goal": "< 120 (the target is for full ones: --only-full)",
                           "met": None})
    return {
        "machine": info,
        "settings": {"n": args.n, "repeat": args.repeat, "only_full": args.only_full, "jobs_all": jobs_all,
                     "otter_n": n_otter, "scale_n": args.scale_n, "seed": args.seed, "mix": mix["kinds"],
                     "sample_source": mix["sample_source"], "compared_submissions": n_cmp,
                     "otter": why_not_otter or "otter run " + _otter_version()},
        "table": rows,
        "public_check_seconds": med["check"],
        "targets": targets,
        "validation": {"grader_vs_floor_total_mismatches": mismatches,
                       "otter_vs_grader_total_mismatches": otter_mismatches},
        "raw_seconds": t,
        "load_average_after_each_run": {k: [x.get("load_after") for x in v] for k, v in runs.items()},
        "floor_grading_seconds": [x.get("grading_seconds") for x in runs["floor"]],
        "raw_cpu_seconds": cpu,
        "extra": {k: {"seconds": v["seconds"], "cpu_seconds": v["cpu_seconds"], "peak_mb": v["peak_mb"],
                      "status_counts": v["status_counts"], "load_after": v["load_after"]}
                  for k, v in extra.items()},
    }


def _otter_version() -> str:
    try:
        from importlib.metadata import version
        return version("otter-grader")
    except Exception:
        return "?"


def print_table(res: dict[str, Any]) -> None:
    print()
    head = f"{'run':<62} {'subs':>5} {'wall s':>7} {'subs/s':>7} {'s/sub':>7} {'x floor':>8} {'x otter':>8} " \
           f"{'main MB':>8} {'job MB':>7} {'worker MB':>9} {'CPU s/sub':>9} {'CPU x floor':>11}"
    print(head)
    print("-" * len(head))
    for row in res["table"]:
        p = row.get("peak_mb", {})
        print(f"{row['run']:<62} {row['submissions']:>5} {_fmt(row['seconds'], '.1f'):>7} "
              f"{_fmt(row['per_second']):>7} {_fmt(row['seconds_per_submission'], '.3f'):>7} "
              f"{_fmt(row.get('ratio_floor')):>8} {_fmt(row.get('ratio_otter'), '.1f'):>8} "
              f"{_fmt(p.get('main') or None, '.0f'):>8} {_fmt(p.get('job') or None, '.0f'):>7} "
              f"{_fmt(p.get('worker') or None, '.0f'):>9} {_fmt(row.get('cpu_seconds_per_submission'), '.3f'):>9} "
              f"{_fmt(row.get('cpu_ratio_floor')):>11}")
    print(f"{'public check: python check.py, solution filled in':<62} {'':>5} "
          f"{_fmt(res['public_check_seconds'], '.2f'):>7}")
    print("\nx floor: wall time over the floor's (medians of per-repeat ratios); x otter: submissions per "
          "second over otter run's.\nCPU: user+sys seconds of every process of the run, sandboxed workers "
          "included (less sensitive than wall time to other load on the machine); CPU x floor per submission.")
    print("\ntargets:")
    for t in res["targets"]:
        value = t["value"]
        text = " -> ".join(_fmt(v, ".1f") for v in value) if isinstance(value, list) else _fmt(value, ".2f")
        mark = {True: "met", False: "NOT MET", None: "n/a"}[t["met"]]
        print(f"  {t['target']:<58} {text:>14}  goal {t['goal']:<12} {mark}")
    v = res["validation"]
    differ = v["grader_vs_floor_total_mismatches"]
    print("\nsame totals as the floor: " + ("yes" if not differ else
          f"all but {len(differ)} ({', '.join(sorted({k.split('-', 2)[-1] for k in differ}))}): the floor "
          "hands student code the hidden test's own arrays, so a function that changes its arguments in "
          "place also changes what the floor compares with; the grader sends copies and catches it"))
    print("otter's totals equal ours: " + ("yes" if not v["otter_vs_grader_total_mismatches"]
                                           else str(v["otter_vs_grader_total_mismatches"])))


if __name__ == "__main__":
    sys.exit(main())
