"""similarity.py: copydetect flags near-copies, not independent correct solutions.

Fixtures: two independent correct solutions from the sample class (``ada_nwosu``, written close
to the lesson, and ``elena_petrova``, explicit loops and ``default_rng``), and a disguised copy
of ada's made here: every function reordered, its local names renamed, comments dropped and the
code reformatted (``ast.unparse``).
"""
from __future__ import annotations

import ast
import builtins
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.publish import similarity

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "submissions"
MODULES = ("foundations", "linear_regression", "neural_network")


class _Rename(ast.NodeTransformer):
    """Rename every name a module binds itself (arguments, locals, its own functions)."""

    def __init__(self, keep: set[str]) -> None:
        self.keep = keep

    def _new(self, name: str) -> str:
        return name if name in self.keep or name.startswith("__") else f"my_{name}_v"

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self._new(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self._new(node.arg)
        return node


def disguised_copy(code: str) -> str:
    """The same code with its top-level functions in reverse order, local and argument names
    renamed (the public function names, imports and builtins kept) and comments dropped."""
    tree = ast.parse(code)
    keep = set(dir(builtins)) | {"np", "numpy", "Callable", "Dict", "List", "Tuple", "Union", "Optional",
                                 "ndarray", "Array", "Weights"}
    keep |= {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    keep |= {a.asname or a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
             for a in n.names}
    keep |= {t.id for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
             for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
    head = [n for n in tree.body if not isinstance(n, ast.FunctionDef)]
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)][::-1]
    for f in functions:
        _Rename(keep).visit(f)
    tree.body = head + functions
    return ast.unparse(ast.fix_missing_locations(tree))


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sources")
    for student in ("ada_nwosu", "elena_petrova"):
        shutil.copytree(SAMPLE / student, root / student)
    (root / "copy_of_ada").mkdir()
    for module in MODULES:
        original = (SAMPLE / "ada_nwosu" / f"{module}.py").read_text()
        copied = disguised_copy(original)
        assert copied != original and "my_" in copied
        (root / "copy_of_ada" / f"{module}.py").write_text(copied)
    return root


@pytest.fixture(scope="module")
def found(sources) -> similarity.SimilarityResult:
    return similarity.check(sources, jobs=1)


def test_a_disguised_copy_is_flagged_in_every_module(found):
    flagged = {(p.student_a, p.student_b, p.module): p for p in found.pairs}
    for module in MODULES:
        pair = flagged[("ada_nwosu", "copy_of_ada", module)]
        assert pair.similarity >= 0.75, (module, pair.similarity_a, pair.similarity_b)
        assert "highlight-red" in pair.code_a and "highlight-green" in pair.code_b


def test_independent_correct_solutions_are_not_flagged(found):
    students = {(p.student_a, p.student_b) for p in found.pairs}
    assert ("ada_nwosu", "elena_petrova") not in students
    assert ("copy_of_ada", "elena_petrova") not in students
    assert found.files == 9


def test_the_released_stubs_make_nobody_similar(tmp_path):
    """Two untouched release stubs share all their code, all of it boilerplate."""
    for student in ("stub_a", "stub_b"):
        shutil.copytree(SAMPLE / "bilal_haddad", tmp_path / student)
    assert similarity.check(tmp_path, jobs=1).pairs == ()
    without = similarity.check(tmp_path, jobs=1, boilerplate=tmp_path / "none")
    assert {p.module for p in without.pairs} == set(MODULES)  # the boilerplate is what keeps them apart


def test_highlighted_code_is_escaped(tmp_path):
    code = (SAMPLE / "ada_nwosu" / "linear_regression.py").read_text() + "\n# </pre><script>alert(1)</script>\n"
    for student in ("a", "b"):
        (tmp_path / student).mkdir()
        (tmp_path / student / "linear_regression.py").write_text(code)
    (pair,) = similarity.check(tmp_path, jobs=1).pairs
    assert "<script>" not in pair.code_a and "&lt;script&gt;" in pair.code_a


def test_keep_sources_copies_only_the_gradable_modules(tmp_path):
    loaded = tmp_path / "loaded"
    shutil.copytree(SAMPLE / "ada_nwosu", loaded)
    (loaded / "notes.txt").write_text("x")
    similarity.keep_sources([("ada_nwosu", loaded), ("gone", tmp_path / "missing")], tmp_path / "out", MODULES)
    kept = tmp_path / "out" / similarity.SOURCES
    assert sorted(p.name for p in kept.iterdir()) == ["ada_nwosu"]
    assert sorted(p.name for p in (kept / "ada_nwosu").iterdir()) == [f"{m}.py" for m in MODULES]


@pytest.mark.slow
def test_similarity_command_flags_and_changes_no_grade(tmp_path, sources, found):
    """`autograder similarity OUT` on a graded OUT: the pairs go into the class report; grades stay."""
    from autograder.publish import html_report
    from autograder.config import load_config
    from autograder.results import Isolation, Status, SubmissionResult

    out = tmp_path / "out"
    results = [SubmissionResult(s, Status.GRADED, (), Isolation.SANDBOX) for s in ("ada_nwosu", "copy_of_ada",
                                                                                    "elena_petrova")]
    html_report.write_reports(results, load_config(), out)
    shutil.copytree(sources, out / similarity.SOURCES)
    before = (out / "report" / html_report.RESULTS_FILE).read_text()
    run = subprocess.run([sys.executable, "-m", "autograder", "similarity", str(out)], capture_output=True,
                         text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "ada_nwosu / copy_of_ada" in run.stdout and "elena_petrova" not in run.stdout.split("pairs at")[1]
    index = (out / "report" / "index.html").read_text()
    assert "pairs/pair-0000.html" in index and (out / "report" / "pairs" / "pair-0000.html").is_file()
    assert (out / "report" / html_report.RESULTS_FILE).read_text() == before  # no grade changed
    assert similarity.load(out).pairs == found.pairs  # the same scores on every run


@pytest.fixture(scope="module")
def sample_class(tmp_path_factory, sources) -> Path:
    """The sample class's folder submissions (mostly one solution with one mistake each: many
    pairs near the threshold) and the disguised copy of ada's."""
    root = tmp_path_factory.mktemp("class")
    for student in sorted(p for p in SAMPLE.iterdir() if p.is_dir()):
        for module in MODULES:
            if (student / f"{module}.py").is_file():
                (root / student.name).mkdir(exist_ok=True)
                shutil.copyfile(student / f"{module}.py", root / student.name / f"{module}.py")
    shutil.copytree(sources / "copy_of_ada", root / "copy_of_ada")
    return root


@pytest.fixture(scope="module")
def uncached(sample_class) -> similarity.SimilarityResult:
    found = similarity.check(sample_class, jobs=2, cache=False)
    assert not (sample_class / similarity.CACHE_FILE).exists()
    return found


def test_the_candidate_filter_loses_no_pair(sample_class, uncached):
    """Every pair that copydetect's `compare_files` scores at or above the threshold when every
    pair is compared is flagged by `check`, which compares only the candidate pairs."""
    from copydetect.detector import compare_files

    files = sorted(sample_class.glob("*/*.py"))
    fps, _ = similarity._fingerprints([str(f) for f in files], similarity.default_boilerplate(), 2)
    everything, compared = set(), 0
    for i, a in enumerate(files):
        for j in range(i + 1, len(files)):
            b = files[j]
            if a.stem == b.stem and a.parent != b.parent:
                compared += 1
                _, (sim_a, sim_b), _ = compare_files(fps[i], fps[j])
                if max(sim_a, sim_b) >= uncached.threshold:
                    everything.add((a.parent.name, b.parent.name, a.stem))
    assert compared > 400 and len(everything) > 50  # a real population of pairs, many of them flagged
    flagged = {(p.student_a, p.student_b, p.module) for p in uncached.pairs}
    assert len(flagged) + uncached.more == len(everything)
    assert flagged <= everything
    assert {("ada_nwosu", "copy_of_ada", m) for m in MODULES} <= flagged  # the planted near-copy


def test_a_rerun_fingerprints_only_the_changed_files(sample_class, uncached, tmp_path):
    import hashlib

    shutil.copytree(sample_class, tmp_path / "class")
    root = tmp_path / "class"
    files = sorted(root.glob("*/*.py"))
    distinct = len({hashlib.sha256(f.read_bytes()).digest() for f in files})
    first = similarity.check(root, jobs=2)
    assert (root / similarity.CACHE_FILE).is_file()
    assert (first.files, first.fingerprinted) == (len(files), distinct)
    assert first.pairs == uncached.pairs  # fingerprints from the cache score as fresh ones

    again = similarity.check(root, jobs=2)
    assert again.fingerprinted == 0 and again.pairs == first.pairs

    # two files change, one student is added with a file equal to another's, one student leaves
    for changed in (root / "ada_nwosu" / "neural_network.py", root / "elena_petrova" / "foundations.py"):
        changed.write_text(changed.read_text() + "\n\ndef helper(x):\n    return x * 2 + 1\n")
    (root / "zoe_new").mkdir()
    shutil.copyfile(root / "grace_kim" / "foundations.py", root / "zoe_new" / "foundations.py")
    gone = len(list((root / "tomas_novak").glob("*.py")))
    shutil.rmtree(root / "tomas_novak")
    rerun = similarity.check(root, jobs=2)
    assert rerun.files == len(files) + 1 - gone and rerun.fingerprinted == 2
    assert ("grace_kim", "zoe_new", "foundations") in {(p.student_a, p.student_b, p.module) for p in rerun.pairs}
    fresh = similarity.check(root, jobs=2, cache=False)
    assert rerun.pairs == fresh.pairs and rerun.more == fresh.more


def test_a_cache_made_with_other_settings_is_not_used(sample_class, tmp_path):
    shutil.copytree(sample_class / "ada_nwosu", tmp_path / "class" / "ada_nwosu")
    shutil.copytree(sample_class / "copy_of_ada", tmp_path / "class" / "copy_of_ada")
    root = tmp_path / "class"
    assert similarity.check(root, jobs=1).fingerprinted == 6
    assert similarity.check(root, jobs=1).fingerprinted == 0
    assert similarity.check(root, jobs=1, boilerplate=tmp_path / "none").fingerprinted == 6  # other boilerplate
    (root / similarity.CACHE_FILE).write_bytes(b"not a database")
    damaged = similarity.check(root, jobs=1)
    assert damaged.fingerprinted == 6 and {p.module for p in damaged.pairs} == set(MODULES)


@pytest.mark.parametrize("mode", ["definitions", "execute"])
def test_a_notebook_is_compared_by_its_cells_not_by_the_graders_loader(tmp_path, mode):
    """Hostile: the module rebuilt from a notebook passes each cell's code to a loader as a string,
    which copydetect ignores; a copy submitted as a notebook was never flagged, and two different
    notebooks were (they shared the loader). keep_sources keeps the cells' code instead."""
    from autograder.intake.notebook import read_notebook

    def notebook(code: str) -> bytes:
        import nbformat
        from nbformat import v4

        return nbformat.writes(v4.new_notebook(cells=[v4.new_code_cell("%%module linear_regression\n" + code)])).encode()

    original = (SAMPLE / "ada_nwosu" / "linear_regression.py").read_text()
    other = (SAMPLE / "elena_petrova" / "linear_regression.py").read_text()
    loaded = {"ada_py": original.encode()}
    for student, code in (("copy_nb", disguised_copy(original)), ("other_nb", other)):
        built = read_notebook(notebook(code), f"{student}.ipynb", MODULES, mode=mode)
        loaded[student] = built.modules["linear_regression"][0]
    for student, data in loaded.items():
        (tmp_path / "loaded" / student).mkdir(parents=True)
        (tmp_path / "loaded" / student / "linear_regression.py").write_bytes(data)
    similarity.keep_sources([(s, tmp_path / "loaded" / s) for s in loaded], tmp_path / "out", MODULES)
    pairs = {(p.student_a, p.student_b) for p in similarity.check(tmp_path / "out" / similarity.SOURCES, jobs=1).pairs}
    assert pairs == {("ada_py", "copy_nb")}
