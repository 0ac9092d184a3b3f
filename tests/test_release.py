"""The student release (`autograder release`): generated from solutions/, committed, shipped as a zip.

Subprocess tests run the release's own `check.py` and pytest with this interpreter, in temporary
folders outside the repository, as a student would.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.authoring import release as rel
from autograder.config import load_config

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "release" / "markers"
SOLUTIONS = ROOT / "solutions" / "nn_from_scratch"
COMMITTED = ROOT / "assignments" / "nn_from_scratch"
GRADED_MODULES = ("foundations", "linear_regression", "neural_network")
QUESTION_IDS = tuple(load_config(ROOT / "grading.yml").questions)
STATUS_LINE = re.compile(r"^(PASSED|FAILED|NOT IMPLEMENTED|CHECKER ERROR|NO PUBLIC CHECK)\s+(\S+)", re.M)


@pytest.fixture(scope="module")
def built() -> rel.Release:
    return rel.build_release(rel.Layout(ROOT))


@pytest.fixture(scope="module")
def student_zip(built: rel.Release, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("zip") / "nn_from_scratch.zip"
    rel.build_zip(built.files, path)
    return path


@pytest.fixture(scope="module")
def unpacked(student_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zip unpacked into an empty folder, as a student gets it."""
    target = tmp_path_factory.mktemp("student")
    with zipfile.ZipFile(student_zip) as archive:
        archive.extractall(target)
    return target / "nn_from_scratch"


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "PYTHON"))}
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=60, env=env)


def statuses(output: str) -> dict[str, str]:
    return {qid: status for status, qid in STATUS_LINE.findall(output)}


def with_solutions(release_dir: Path, target: Path) -> Path:
    """A copy of the release with the reference modules in place of the stubs."""
    shutil.copytree(release_dir, target)
    for module in GRADED_MODULES:
        shutil.copy(SOLUTIONS / f"{module}.py", target / f"{module}.py")
    return target


# ------------------------------------------------------------------------------- markers


def test_every_legal_marker_layout_renders_as_the_golden_stub():
    """Hints, code after the block, END after the last statement, methods, nested functions,
    sibling imports, and a marker-like string in a docstring all give the expected stub."""
    source = (FIXTURES / "good.py").read_text(encoding="utf-8")
    blocks = rel.parse_markers(source, "good.py")
    assert [b.function for b in blocks] == ["with_hint", "block_is_last", "Model.fit", "outer.inner"]
    assert blocks[0].hint == ("first hint line", "second hint line")
    assert blocks[0].code == ("result = twice(total) * LIMIT", "result = h.twice(result)")
    stub = rel.render_stub(source, blocks, module="good", modules=["good", "helpers"], filename="good.py")
    assert stub == (FIXTURES / "good.expected.py").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "fixture, line, message",
    [
        ("unclosed", 2, "BEGIN SOLUTION is never closed"),
        ("nested", 4, "BEGIN SOLUTION inside another solution block (opened at line 2)"),
        ("outside", 3, "BEGIN SOLUTION outside a function"),
        ("duplicate", 7, "a second solution block in f() (the first begins at line 3)"),
        ("end_without_begin", 3, "END SOLUTION without a BEGIN SOLUTION"),
        ("crosses_functions", 8, "END SOLUTION is not in f()"),
        ("misspelled", 2, "malformed solution marker '# Begin Solution'"),
        ("shares_a_line", 2, "a solution marker must be on a line of its own"),
        ("empty", 2, "empty solution block in f()"),
        ("unbalanced_indent", 5, "END SOLUTION is indented differently"),
    ],
)
def test_a_broken_marker_is_an_error_naming_file_and_line(fixture, line, message):
    """Each malformed layout is a ReleaseError "<file>:<line>: <what>"."""
    source = (FIXTURES / f"{fixture}.py").read_text(encoding="utf-8")
    filename = f"solutions/nn_from_scratch/{fixture}.py"
    with pytest.raises(rel.ReleaseError) as error:
        rel.parse_markers(source, filename)
    assert str(error.value).startswith(f"{filename}:{line}: ")
    assert message in str(error.value)


def copy_inputs(target: Path) -> Path:
    """The release's inputs copied into a scratch repository (solutions, grading.yml, data, comparator)."""
    shutil.copytree(SOLUTIONS, target / "solutions" / "nn_from_scratch",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "grading.yml", target / "grading.yml")
    (target / "data").mkdir()
    shutil.copy(ROOT / "data" / "boston_house_prices.csv", target / "data")
    (target / "autograder" / "judge").mkdir(parents=True)
    shutil.copy(ROOT / "autograder" / "judge" / "compare.py", target / "autograder" / "judge")
    return target


@pytest.mark.parametrize("fixture, line", [("unclosed", 2), ("nested", 4), ("outside", 3), ("duplicate", 7)])
def test_a_broken_marker_in_the_solutions_fails_the_release_and_writes_nothing(tmp_path, capsys, fixture, line):
    """`autograder release` exits 1 naming file:line; the old release folder and zip are untouched."""
    repo = copy_inputs(tmp_path / "repo")
    foundations = repo / "solutions" / "nn_from_scratch" / "foundations.py"
    given = foundations.read_text(encoding="utf-8")
    broken = (FIXTURES / f"{fixture}.py").read_text(encoding="utf-8")
    foundations.write_text(given + "\n\n" + broken, encoding="utf-8")
    line += len(given.splitlines()) + 2
    out = tmp_path / "assignments"
    (out / "nn_from_scratch").mkdir(parents=True)
    (out / "nn_from_scratch" / "old.txt").write_text("the previous release")
    zip_path = tmp_path / "dist" / "nn.zip"
    parser = argparse.ArgumentParser()
    rel.add_release_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["release", "--out", str(out), "--zip", str(zip_path), "--root", str(repo)])
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert f"solutions/nn_from_scratch/foundations.py:{line}: " in err
    assert "nothing was written" in err
    assert sorted(p.name for p in out.rglob("*")) == ["nn_from_scratch", "old.txt"]
    assert not zip_path.exists() and not zip_path.parent.exists()


def test_a_graded_question_without_a_solution_block_fails_the_release(tmp_path):
    """grading.yml grades a function that has no block: students would get the answer."""
    repo = copy_inputs(tmp_path / "repo")
    grading = repo / "grading.yml"
    grading.write_text(grading.read_text(encoding="utf-8") + "  foundations.sigmoid:\n    points: 1\n", encoding="utf-8")
    with pytest.raises(rel.ReleaseError, match=r"foundations\.py:1: grading\.yml grades foundations\.sigmoid"):
        rel.build_release(rel.Layout(repo))


def test_a_solution_line_copied_into_a_public_check_fails_the_release(tmp_path):
    """The release refuses to ship a file that contains a line of a solution block."""
    repo = copy_inputs(tmp_path / "repo")
    leaky = repo / "solutions" / "nn_from_scratch" / "public_tests" / "test_leaky.py"
    leaky.write_text("# the answer:\n# dLdW1 = np.dot(np.transpose(X), dLdM1)\n", encoding="utf-8")
    with pytest.raises(rel.ReleaseError, match=r"tests/test_leaky\.py: 'dLdW1 = np\.dot"):
        rel.build_release(rel.Layout(repo))


# ------------------------------------------------------------------------------- the committed release


def test_the_committed_release_is_exactly_what_the_release_step_generates(built):
    """assignments/nn_from_scratch/ is byte for byte the release of the current solutions/."""
    on_disk = {
        p.relative_to(COMMITTED).as_posix(): p.read_bytes()
        for p in sorted(COMMITTED.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".pytest_cache" not in p.parts
    }
    stale = sorted(name for name in set(on_disk) | set(built.files) if on_disk.get(name) != built.files.get(name))
    assert not stale, f"assignments/ is out of date in {stale}: run `autograder release` and commit the result"


def test_every_graded_question_is_a_todo_that_raises_not_implemented(built):
    """Each question id <module>.<function> of grading.yml is a stub whose body ends in the raise."""
    for qid in QUESTION_IDS:
        module, function = qid.split(".")
        tree = ast.parse(built.files[f"{module}.py"])
        node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
        last = node.body[-1]
        assert isinstance(last, ast.Raise) and ast.unparse(last.exc) == (
            f"NotImplementedError('{function}: not implemented yet')"
        ), qid


def test_stubs_keep_the_solutions_signatures_and_docstrings(built):
    """Same functions, signatures and docstrings in stub and solution; given code is kept."""
    for module in (*GRADED_MODULES, "data"):
        solution = ast.parse((SOLUTIONS / f"{module}.py").read_text(encoding="utf-8"))
        stub = ast.parse(built.files[f"{module}.py"])

        def api(tree):
            return {
                n.name: (ast.unparse(n.args), ast.get_docstring(n))
                for n in ast.walk(tree)
                if isinstance(n, ast.FunctionDef)
            }

        assert api(stub) == api(solution), module
        assert ast.get_docstring(stub) == ast.get_docstring(solution)


def test_the_release_holds_the_promised_files_and_nothing_else(built):
    names = set(built.files)
    assert {f"{m}.py" for m in (*GRADED_MODULES, "data")} <= names
    assert {"README.md", "nn_from_scratch.ipynb", "check.py", "requirements.txt", "pytest.ini",
            "data/boston_house_prices.csv", "tests/_compare.py", "tests/conftest.py"} <= names
    assert built.files["tests/_compare.py"] == (ROOT / "autograder" / "judge" / "compare.py").read_bytes()
    assert built.files["data/boston_house_prices.csv"] == (ROOT / "data" / "boston_house_prices.csv").read_bytes()
    assert built.files["requirements.txt"].decode().split() == ["numpy>=1.26", "pytest>=8"]
    assert all(not n.startswith(("solutions/", "autograder/")) for n in names)


def test_the_handout_lists_every_question_with_its_points(built):
    readme = built.files["README.md"].decode()
    for qid, question in load_config(ROOT / "grading.yml").questions.items():
        assert re.search(rf"^\| `{re.escape(qid)}` \| {question.points:g} \|", readme, re.M), qid
    assert "{{" not in readme
    for phrase in ("summed", "−2 (y − P)", "python check.py", "--notebook", "hidden checks", "rtol"):
        assert phrase in readme, phrase


# ------------------------------------------------------------------------------- notebook


def test_the_notebook_rebuilds_each_stub_module(built):
    """Every module cell names its module (metadata and a %%module first line); joined, they are
    the stub. The other code cells (setup, checks, training) are marked for the grader to skip."""
    notebook = json.loads(built.files["nn_from_scratch.ipynb"])
    assert notebook["nbformat"] == 4
    ids = [cell["id"] for cell in notebook["cells"]]
    assert len(ids) == len(set(ids))
    rebuilt: dict[str, list[str]] = {}
    skipped = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        assert cell["outputs"] == [] and cell["execution_count"] is None
        if cell["metadata"]["autograder"].get("skip"):
            assert source.splitlines()[0] == rel.SKIP_LINE
            skipped.append(source.splitlines()[1])
            continue
        module = cell["metadata"]["autograder"]["module"]
        assert source.splitlines()[0] == f"%%module {module}"
        rebuilt.setdefault(module, []).append(source.split("\n", 1)[1])
    assert list(rebuilt) == list(GRADED_MODULES)
    for module, parts in rebuilt.items():
        stub = ast.parse(built.files[f"{module}.py"])
        stub.body = stub.body[1:]  # the module docstring is the section's markdown cell
        assert ast.dump(ast.parse("\n\n".join(parts))) == ast.dump(stub), module
    # one check cell per question, in grading.yml's order, after the setup cell; the training cell last
    assert skipped[1:-1] == [f'check("{q.id}");' for q in built.questions]
    assert "from check import check, notebook_setup" in "".join(notebook["cells"][1]["source"])
    assert "load_lesson_split" in "".join(notebook["cells"][-1]["source"])


def test_each_question_has_its_markdown_cell(built):
    """What to implement, the shapes (the docstring's Args), the points, before the question's cell."""
    notebook = json.loads(built.files["nn_from_scratch.ipynb"])
    markdown = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown"]
    for q in built.questions:
        cell = next(m for m in markdown if m.startswith(f"### `{q.id}`"))
        assert f"({rel._points(q.points)})" in cell.splitlines()[0]
        assert "Args:" in cell and "Returns:" in cell, q.id
    assert any("Hint:" in m for m in markdown)


def _run_notebook(text: str, folder: Path):
    """Execute a notebook in ``folder`` with a real Jupyter kernel (nbclient + ipykernel)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.reads(text, as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}}).execute()
    checks = {}
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.startswith(rel.SKIP_LINE + "\ncheck("):
            qid = cell.source.split('"')[1]
            checks[qid] = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
    return notebook, checks


@pytest.fixture(scope="module")
def release_folder(built, tmp_path_factory):
    folder = tmp_path_factory.mktemp("release") / "nn_from_scratch"
    for name, content in built.files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    return folder


@pytest.mark.slow
def test_the_notebook_runs_in_jupyter_with_the_stubs(built, release_folder):
    """Top to bottom in a real kernel: every check cell says NOT IMPLEMENTED, nothing raises."""
    notebook, checks = _run_notebook(built.files["nn_from_scratch.ipynb"].decode(), release_folder)
    assert list(checks) == [q.id for q in built.questions]
    for qid, text in checks.items():
        assert text.startswith("NOT IMPLEMENTED") and qid in text, (qid, text)
    training = "".join(o.get("text", "") for o in notebook.cells[-1].outputs)
    assert "linear_regression: train: not implemented yet" in training


@pytest.mark.slow
def test_the_notebook_runs_in_jupyter_with_the_solutions(built, release_folder):
    """The same notebook filled with the reference: every check passes, the models are kept apart
    (each part's train calls its own forward), and the training cell prints both test MSEs."""
    layout = rel.Layout(ROOT)
    text = rel.build_notebook(rel.solution_modules(layout), built.questions)
    content = json.loads(text)  # at the very end, once the network's forward exists: linear again
    content["cells"].append({"cell_type": "code", "id": "apart", "metadata": {}, "execution_count": None,
                             "outputs": [], "source": 'print("APART", check("linear_regression.train"))'})
    notebook, checks = _run_notebook(json.dumps(content), release_folder)
    apart = "".join(o.get("text", "") for o in notebook.cells[-1].outputs)
    assert "APART PASSED" in apart, apart
    assert list(checks) == [q.id for q in built.questions]
    for qid, text in checks.items():
        assert text.startswith("PASSED") and qid in text, (qid, text)
    training = "".join(o.get("text", "") for o in notebook.cells[-2].outputs)
    mse = dict(re.findall(r"(\w+): test MSE ([\d.]+)", training))
    assert set(mse) == {"linear_regression", "neural_network"}
    assert float(mse["linear_regression"]) < 27 and float(mse["neural_network"]) < 27


def test_the_committed_sample_class_is_what_its_source_builds():
    """data/submissions/ is generated (`autograder release`) from solutions/ and data/sample_class/."""
    from autograder.authoring.sample_class import TARGET, build_class

    generated = build_class(ROOT)
    committed = {p.relative_to(ROOT / TARGET).as_posix(): p.read_bytes()
                 for p in sorted((ROOT / TARGET).rglob("*")) if p.is_file()}
    assert sorted(committed) == sorted(generated), "run `autograder release` and commit data/submissions/"
    stale = [name for name in generated if committed[name] != generated[name]]
    assert not stale, f"run `autograder release` and commit data/submissions/: {stale} differ"


def test_a_student_is_the_reference_plus_their_own_functions():
    from autograder.authoring.sample_class import merge

    base = 'import numpy as np\n\n\ndef f(x):\n    return 1\n\n\ndef g(x):\n    return 2\n'
    merged = merge(base, '"""why"""\nimport torch\n\n\ndef g(x):\n    return 3\n\n\ndef h():\n    pass\n')
    namespace: dict = {}
    assert merged.index("import torch") < merged.index("def f")
    exec(merged.replace("import torch", ""), namespace)
    assert namespace["f"](0) == 1 and namespace["g"](0) == 3 and "h" in namespace and "why" not in merged


def test_the_release_is_deterministic(built, student_zip, tmp_path):
    again = rel.build_release(rel.Layout(ROOT))
    assert again.files == built.files
    second = tmp_path / "again.zip"
    rel.build_zip(again.files, second)
    assert second.read_bytes() == student_zip.read_bytes()


# ------------------------------------------------------------------------------- the zip


def test_the_zip_holds_only_the_release_folder(built, student_zip):
    with zipfile.ZipFile(student_zip) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert names == [f"nn_from_scratch/{n}" for n in sorted(built.files)]
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
    for name in names:
        assert "solutions/" not in name and "suites" not in name and not name.endswith("grading.yml"), name
        assert "public_tests" not in name and "__pycache__" not in name, name


def solution_lines() -> set[str]:
    """Every non-blank, non-comment line inside a BEGIN/END SOLUTION block, stripped, minus the
    lines that also appear outside the blocks (given code, such as `f1, f2 = chain`)."""
    inside, outside = set(), set()
    for path in sorted(SOLUTIONS.glob("*.py")):
        in_block = False
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if text in ("# BEGIN SOLUTION", "# END SOLUTION"):
                in_block = text == "# BEGIN SOLUTION"
            elif text and not text.startswith("#"):
                (inside if in_block else outside).add(text)
    return inside - outside


def test_no_line_of_a_solution_body_is_in_any_file_of_the_zip(student_zip):
    secrets = solution_lines()
    assert len(secrets) > 50  # the blocks were found
    with zipfile.ZipFile(student_zip) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8", errors="replace")
            found = sorted(line for line in secrets if line in text)
            assert not found, f"{name} contains solution code: {found[:3]}"


# ------------------------------------------------------------------------------- the student's commands


def test_unpacked_zip_reports_every_question_not_implemented(unpacked):
    """`python check.py` in the unpacked zip: every question NOT IMPLEMENTED, no checker error."""
    result = run(["check.py"], cwd=unpacked)
    assert result.returncode == 1, result.stdout + result.stderr
    assert statuses(result.stdout) == {qid: "NOT IMPLEMENTED" for qid in QUESTION_IDS}
    assert "Traceback" not in result.stdout + result.stderr
    n = len(QUESTION_IDS)
    assert f"0 of {n} questions pass the public checks; 0 failed, {n} not implemented yet" in result.stdout


def test_unpacked_zip_pytest_says_not_implemented_without_tracebacks(unpacked):
    result = run(["-m", "pytest"], cwd=unpacked)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "error" not in result.stdout.lower().replace("mean squared error", "")
    for qid in QUESTION_IDS:
        assert f"{qid}: NOT IMPLEMENTED YET" in result.stdout, qid
    assert "Traceback" not in result.stdout


def test_unpacked_zip_data_loader_finds_the_shipped_table(unpacked):
    code = "import data; parts = data.load_lesson_split(); print([p.shape for p in parts])"
    result = run(["-c", code], cwd=unpacked)
    assert result.stdout.strip() == "[(354, 13), (152, 13), (354, 1), (152, 1)]", result.stderr


def test_public_checks_pass_on_the_solutions(unpacked, tmp_path):
    folder = with_solutions(unpacked, tmp_path / "solved")
    result = run(["check.py"], cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert statuses(result.stdout) == {qid: "PASSED" for qid in QUESTION_IDS}
    result = run(["-m", "pytest"], cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_notebook_reads_the_code_cells(unpacked, tmp_path):
    """`check.py --notebook`: the stub notebook is not implemented; a notebook of the solutions passes."""
    result = run(["check.py", "--notebook", "nn_from_scratch.ipynb"], cwd=unpacked)
    assert result.returncode == 1, result.stdout + result.stderr
    assert set(statuses(result.stdout).values()) == {"NOT IMPLEMENTED"}
    sources = {m: (SOLUTIONS / f"{m}.py").read_text(encoding="utf-8") for m in GRADED_MODULES}
    solved = tmp_path / "solved.ipynb"
    solved.write_text(rel.build_notebook(sources, ()), encoding="utf-8")
    result = run(["check.py", "--notebook", str(solved)], cwd=unpacked)
    assert result.returncode == 0, result.stdout + result.stderr
    assert statuses(result.stdout) == {qid: "PASSED" for qid in QUESTION_IDS}


def with_untagged_cell(notebook: Path, source: str, target: Path) -> Path:
    """A copy of ``notebook`` with a code cell without `# module:` right after the first module cell."""
    content = json.loads(notebook.read_text(encoding="utf-8"))
    first = next(i for i, c in enumerate(content["cells"]) if c["cell_type"] == "code")
    cell = {"cell_type": "code", "id": "experiment", "metadata": {}, "execution_count": None,
            "outputs": [], "source": source}
    content["cells"].insert(first + 1, cell)
    target.write_text(json.dumps(content), encoding="utf-8")
    return target


def test_check_notebook_reads_cells_as_the_grader_does(unpacked, tmp_path):
    """An untagged cell never joins the cell above: it belongs to the part whose functions it
    defines again, or it is left out with a note; magics are commented out."""
    sources = {m: (SOLUTIONS / f"{m}.py").read_text(encoding="utf-8") for m in GRADED_MODULES}
    solved = tmp_path / "solved.ipynb"
    solved.write_text(rel.build_notebook(sources, ()), encoding="utf-8")
    guarded = with_untagged_cell(solved, "%matplotlib inline\nif __name__ == '__main__':\n    raise SystemExit\n",
                                 tmp_path / "guarded.ipynb")
    result = run(["check.py", "--notebook", str(guarded), "foundations"], cwd=unpacked)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "has no module line and defines nothing a module has: it was left out" in result.stdout
    left_in = with_untagged_cell(solved, "raise RuntimeError('an experiment left in')\n", tmp_path / "left.ipynb")
    result = run(["check.py", "--notebook", str(left_in), "deriv"], cwd=unpacked)
    assert result.returncode == 0, result.stdout
    redefined = with_untagged_cell(solved, "def deriv(func, input_, diff=0.001):\n"
                                   "    return (func(input_ + diff) - func(input_)) / diff\n", tmp_path / "again.ipynb")
    content = json.loads(redefined.read_text(encoding="utf-8"))  # the cell after the foundations cells
    cell = next(c for c in content["cells"] if c["id"] == "experiment")
    content["cells"].remove(cell)
    last = max(i for i, c in enumerate(content["cells"])
               if c["cell_type"] == "code" and c["metadata"].get("autograder", {}).get("module") == "foundations")
    content["cells"].insert(last + 1, cell)
    redefined.write_text(json.dumps(content), encoding="utf-8")
    result = run(["check.py", "--notebook", str(redefined), "deriv"], cwd=unpacked)
    assert result.returncode == 1
    assert statuses(result.stdout) == {"foundations.deriv": "FAILED"}


WITHOUT_IPYTHON = ("import runpy, sys; sys.modules['IPython'] = sys.modules['nbformat'] = None; "
                   "sys.argv = ['check.py'] + sys.argv[1:]; runpy.run_path('check.py', run_name='__main__')")


@pytest.mark.parametrize("ipython", [True, False], ids=["with IPython", "numpy and pytest alone"])
def test_check_notebook_keeps_what_the_grader_keeps(unpacked, tmp_path, ipython, monkeypatch):
    """`check.py --notebook` reads a notebook with the grader's own reader (definitions mode): a
    training run, a download and an endless loop at the top level of a module's cell are skipped
    and listed, a magic is dropped, and the notes are the grader's, word for word; with IPython or
    without it (a student's environment has numpy and pytest alone)."""
    from autograder.intake.load import _reference_functions
    from autograder.intake.notebook import read_notebook

    sources = {m: (SOLUTIONS / f"{m}.py").read_text(encoding="utf-8") for m in GRADED_MODULES}
    solved = tmp_path / "solved.ipynb"
    solved.write_text(rel.build_notebook(sources, ()), encoding="utf-8")
    content = json.loads(solved.read_text(encoding="utf-8"))
    last = max(i for i, c in enumerate(content["cells"])
               if c["cell_type"] == "code" and c["metadata"].get("autograder", {}).get("module") == "foundations")
    content["cells"].insert(last + 1, {
        "cell_type": "code", "id": "training", "metadata": {}, "execution_count": None, "outputs": [],
        "source": "%%module foundations\n%matplotlib inline\nimport urllib.request\n"
                  "urllib.request.urlretrieve('https://example.org/big.bin', 'big.bin')\n"
                  "losses = [deriv(square, x) for x in range(10)]\nwhile True:\n    pass\n"})
    trained = tmp_path / "trained.ipynb"
    trained.write_text(json.dumps(content), encoding="utf-8")
    args = ["check.py", "--notebook", str(trained), "foundations"]
    result = run(args if ipython else ["-c", WITHOUT_IPYTHON, *args[1:]], cwd=unpacked)
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(statuses(result.stdout).values()) == {"PASSED"}
    if not ipython:  # the same reader without IPython: the same notes
        monkeypatch.setitem(sys.modules, "IPython.core.inputtransformer2", None)
    grader = read_notebook(trained.read_bytes(), "trained.ipynb", list(GRADED_MODULES), _reference_functions())
    skipped = next(n for n in grader.notes if n.startswith("foundations.py (from trained.ipynb): the grader keeps"))
    assert "line 4: urllib.request.urlretrieve(" in skipped and "line 6: while True:" in skipped
    assert "line 2: %matplotlib inline" in skipped  # a call, skipped with the rest
    for note in grader.notes:
        assert note in result.stdout


def test_check_notebook_reports_a_bad_notebook(unpacked, tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [', encoding="utf-8")
    result = run(["check.py", "--notebook", str(broken)], cwd=unpacked)
    assert "broken.ipynb is not a notebook: it is not valid JSON (line 1, column 12: " in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert set(statuses(result.stdout).values()) == {"NOT IMPLEMENTED"}  # the .py stubs beside it


def test_a_wrong_answer_gets_a_calm_message_with_a_hint(unpacked, tmp_path):
    """A forward difference in deriv: FAILED, the call, got vs expected, the tolerance and the hint."""
    folder = with_solutions(unpacked, tmp_path / "wrong")
    module = folder / "foundations.py"
    source = module.read_text(encoding="utf-8")
    wrong = source.replace("func(input_ - diff)) / (2 * diff)", "func(input_)) / diff")
    assert wrong != source
    module.write_text(wrong, encoding="utf-8")
    result = run(["check.py", "deriv"], cwd=folder)
    assert result.returncode == 1
    assert statuses(result.stdout) == {"foundations.deriv": "FAILED"}
    assert "deriv(square, 2) returned 4.000999999999699; expected 3.9999999999995595" in result.stdout
    assert "rtol=1e-06, atol=1e-09" in result.stdout and "Hint: " in result.stdout
    assert "Traceback" not in result.stdout


def test_release_says_which_files_it_removed(tmp_path, capsys):
    """The release folder is generated: a file of the instructor's in it was removed with no word
    (found by the fresh-clone trial). It is still removed, and the command says so."""
    parser = argparse.ArgumentParser()
    rel.add_release_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["release", "--out", str(tmp_path / "out")])
    assert args.func(args) == 0
    capsys.readouterr()
    (tmp_path / "out" / "nn_from_scratch" / "my_notes.txt").write_text("notes")
    (tmp_path / "out" / "nn_from_scratch" / "__pycache__").mkdir()
    (tmp_path / "out" / "nn_from_scratch" / "__pycache__" / "x.pyc").write_bytes(b"")
    assert args.func(args) == 0
    err = capsys.readouterr().err
    assert err == (f"autograder release: warning: {tmp_path / 'out' / 'nn_from_scratch'}/ is generated: 1 file(s) "
                   "in it that the release does not write were removed: my_notes.txt (keep your own files "
                   "outside it)\n")
    assert not (tmp_path / "out" / "nn_from_scratch" / "my_notes.txt").exists()
    assert args.func(args) == 0 and capsys.readouterr().err == ""


def test_cli_hook_writes_the_release_and_the_zip(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    rel.add_release_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["release", "--out", str(tmp_path / "out"), "--zip", str(tmp_path / "d" / "s.zip")])
    assert args.func is rel.run_release and args.func(args) == 0
    assert "wrote" in capsys.readouterr().out
    written = {p.relative_to(tmp_path / "out" / "nn_from_scratch").as_posix()
               for p in (tmp_path / "out" / "nn_from_scratch").rglob("*") if p.is_file()}
    assert written == set(rel.build_release(rel.Layout(ROOT)).files)
    assert zipfile.ZipFile(tmp_path / "d" / "s.zip").testzip() is None
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["nn_from_scratch"]  # no staging left


def test_release_takes_another_grading_yml_and_validates_it_first(tmp_path, capsys):
    """`autograder release --config FILE`: the handout's points come from that file; a file the
    hidden suites do not match is refused before anything is written."""
    parser = argparse.ArgumentParser()
    rel.add_release_command(parser.add_subparsers(dest="command"))
    text = (ROOT / "grading.yml").read_text(encoding="utf-8")
    other = tmp_path / "other.yml"
    other.write_text(text.replace("  foundations.deriv:\n    points: 2", "  foundations.deriv:\n    points: 5"))
    args = parser.parse_args(["release", "--out", str(tmp_path / "out"), "--config", str(other)])
    assert args.func(args) == 0, capsys.readouterr().err
    handout = (tmp_path / "out" / "nn_from_scratch" / "README.md").read_text(encoding="utf-8")
    total = load_config(other).total_points
    assert "| `foundations.deriv` | 5 |" in handout and f"worth {total:g} points" in handout
    broken = tmp_path / "broken.yml"
    broken.write_text(text.replace("questions:\n", "questions:\n  foundations.chain_length_2:\n    points: 1\n", 1))
    args = parser.parse_args(["release", "--out", str(tmp_path / "out2"), "--config", str(broken)])
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert "question foundations.chain_length_2 has no hidden test case" in err and "nothing was written" in err
    assert not (tmp_path / "out2").exists()


def test_the_student_zip_is_readable_by_others_as_the_umask_allows(built, tmp_path):
    """dist/nn_from_scratch.zip is handed out (a web server, a shared folder): it was written with
    mkstemp's 0600, so nobody but its owner could read it."""
    previous = os.umask(0o022)
    try:
        rel.build_zip(built.files, tmp_path / "nn_from_scratch.zip")
    finally:
        os.umask(previous)
    assert (tmp_path / "nn_from_scratch.zip").stat().st_mode & 0o777 == 0o644
