"""gradescope.py: ``autograder export gradescope`` and a simulated Gradescope run of its zip.

The zip is unpacked into a temporary folder laid out like Gradescope's (``source/``,
``submission/``, ``results/``, ``run_autograder`` at the top); ``setup.sh`` runs its checks with
this environment's Python (``AUTOGRADER_PYTHON``: no install from the network), and
``run_autograder`` grades the full solution, the untouched stubs and one typical mistake. Each
``results.json`` must be the one ``autograder grade`` writes for the same submission (but its
timing), under a grading.yml baked into the zip that differs from the repository's.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from autograder.config import load_config
from autograder.publish.gradescope import export_gradescope, pinned_requirements, run, unpack_zip
from autograder.grade import grade
from autograder.run.sandbox import detect_isolation

ROOT = Path(__file__).resolve().parents[1]
CLASS = ROOT / "data" / "submissions"
#: the full solution, the untouched stubs, one typical mistake (forward difference in deriv)
STUDENTS = ("ada_nwosu", "bilal_haddad", "farid_rahimi")


@pytest.fixture(scope="module")
def baked(tmp_path_factory) -> tuple[Path, Path]:
    """A grading.yml unlike the repository's (deriv worth 5 points) and the zip made with it."""
    tmp = tmp_path_factory.mktemp("gs")
    spec = yaml.safe_load((ROOT / "grading.yml").read_text())
    spec["questions"]["foundations.deriv"]["points"] = 5
    config = tmp / "grading.yml"
    config.write_text(yaml.safe_dump(spec, sort_keys=False))
    proc = subprocess.run([sys.executable, "-m", "autograder", "export", "gradescope", "-o", str(tmp / "autograder.zip"),
                           "--config", str(config)], capture_output=True, text=True, cwd=tmp, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return config, tmp / "autograder.zip"


def test_the_zip_holds_gradescopes_entry_points_pinned_lean_requirements_and_the_baked_config(baked):
    config, zip_path = baked
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        for script in ("setup.sh", "run_autograder"):
            mode = archive.getinfo(script).external_attr >> 16
            assert stat.S_ISREG(mode) and mode & 0o111, script
        assert archive.read("grading.yml") == config.read_bytes()
        requirements = archive.read("requirements.txt").decode().split()
    assert {"autograder/suites/test_foundations.py", "solutions/nn_from_scratch/foundations.py",
            "data/boston_house_prices.csv", "pyproject.toml"} <= names
    assert not any("__pycache__" in n for n in names)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+==[^=\s]+", line) for line in requirements)
    pinned = {line.split("==")[0].lower() for line in requirements}
    assert {"numpy", "pytest", "otter-grader", "pyyaml", "pydantic"} <= pinned
    # the lean set: none of the test and benchmark extras' own packages
    assert not pinned & {"scikit-learn", "distributed", "ipykernel"}
    assert requirements == pinned_requirements()


def test_setup_sh_checks_the_zip_even_when_started_from_the_repository(baked, tmp_path):
    # the README's "try a zip without Gradescope" runs setup.sh from the repository's root, where
    # `python -m` would import the repository's autograder/ instead of the unpacked source/
    _, zip_path = baked
    root = tmp_path / "gs"
    unpack_zip(zip_path, root)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True,
                           env=env, cwd=ROOT, timeout=300)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "setup check" not in setup.stdout + setup.stderr


@pytest.mark.slow
def test_simulated_gradescope_run_gives_autograder_grades_results(baked, tmp_path):
    config_path, zip_path = baked
    config = load_config(config_path)
    root = tmp_path / "autograder"
    unpack_zip(zip_path, root)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True,
                           env=env, cwd=root / "source", timeout=300)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    level, _ = detect_isolation()
    assert f"isolation: {level.value}" in setup.stdout

    batch = tmp_path / "batch"
    batch.mkdir()
    for student in STUDENTS:
        shutil.copytree(CLASS / student, batch / student)
    expected = grade([batch], tmp_path / "out", config=config, progress=False)
    assert [r.total for r in expected.results] == [30 + 3, 0, 30 + 3 - 5]

    env.pop("AUTOGRADER_PYTHON")
    for student in STUDENTS:
        shutil.rmtree(root / "submission")
        shutil.copytree(CLASS / student, root / "submission")
        (root / "results" / "results.json").unlink(missing_ok=True)
        proc = subprocess.run([str(root / "run_autograder")], capture_output=True, text=True, env=env,
                              cwd="/", timeout=300)
        assert proc.returncode == 0, proc.stderr
        got = json.loads((root / "results" / "results.json").read_text())
        want = json.loads((tmp_path / "out" / student / "results.json").read_text())
        assert got["execution_time"] > 0
        note = got["extra_data"].pop("isolation_note")
        assert note == expected.isolation_note
        got.pop("execution_time"), want.pop("execution_time")
        for d in (got, want):  # when each was graded and the folder it came in differ; what graded it
            provenance = d["extra_data"].get("provenance") or {}  # (the tests' hashes) must not
            provenance.pop("graded_at", None)
            provenance.pop("content", None)
            for q in (provenance.get("questions") or {}).values():
                q.pop("graded_at", None)
        assert got == want, student
        assert got["extra_data"]["isolation"] == level.value
        assert {t["name"] for t in got["tests"]} and all(
            {"name", "score", "max_score", "status", "output", "visibility"} <= set(t) for t in got["tests"])
        assert got["stdout_visibility"] == "hidden"


def test_a_run_that_cannot_grade_still_writes_results_json(tmp_path):
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)  # no grading.yml, no submission folder
    data = run(root)
    written = json.loads((root / "results" / "results.json").read_text())
    assert written == data
    assert written["score"] == 0.0 and written["tests"] == []
    assert written["extra_data"]["status"] == "error"
    assert "not your fault" in written["output"]
    assert "grading.yml" in written["extra_data"]["grader_details"]
