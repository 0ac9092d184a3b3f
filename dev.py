"""The repository's two commands, on a machine that has only Python 3.11.

    python3 dev.py grade     # grade the bundled sample class into out/sample-class/
    python3 dev.py test      # run the test suite
    python3 dev.py release   # regenerate assignments/ and build dist/nn_from_scratch.zip

Each command first makes (once) a virtual environment in .venv/ with the project and its
dependencies installed from PyPI, then runs inside it. `grade` and `release` install only what
grading needs (plus the `cluster` extra when `--scheduler` is given); `test` adds the `test`
extra (scikit-learn, dask.distributed). The benchmark's tools are in the `bench` extra. Extra arguments are passed on:
`python3 dev.py test -k release`, `python3 dev.py grade --jobs 1`.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"


def _python(extras: frozenset[str] = frozenset()) -> Path:
    """Create .venv and install the project with `extras` into it, unless pyproject.toml is
    unchanged and those extras are already installed. The stamp holds the pyproject hash on its
    first line and the installed extras on the next ones."""
    if sys.version_info < (3, 11):
        sys.exit(f"dev.py: Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = STAMP.read_text().splitlines() if STAMP.exists() else []
    have = frozenset(stamp[1:]) if stamp[:1] == [want] else None
    if have is None or not extras <= have:
        extras = extras | (have or frozenset())
        if not (BIN / "python").exists():
            print("dev.py: creating .venv/ ...", flush=True)
            venv.EnvBuilder(with_pip=True).create(VENV)
        print("dev.py: installing the project and its dependencies (first run only) ...", flush=True)
        subprocess.run([str(BIN / "python"), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
        target = f"{ROOT}[{','.join(sorted(extras))}]" if extras else str(ROOT)
        subprocess.run([str(BIN / "python"), "-m", "pip", "install", "-q", "-e", target], check=True)
        STAMP.write_text("\n".join([want, *sorted(extras)]) + "\n")
    return BIN / "python"


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"grade", "test", "release"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "test":
        extras = frozenset({"test"})
    elif any(a == "--scheduler" or a.startswith("--scheduler=") for a in rest):
        extras = frozenset({"cluster"})
    else:
        extras = frozenset()
    python = str(_python(extras))
    if command == "grade":
        cmd = [python, "-m", "autograder", "grade", "data/submissions", "--out", "out/sample-class", *rest]
    elif command == "release":
        cmd = [python, "-m", "autograder", "release", "--zip", "dist/nn_from_scratch.zip", *rest]
    else:
        cmd = [python, "-m", "pytest", *rest]
    return subprocess.run(cmd, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
