"""An instructor adds a question in one place, as the README's "Adding a question" says, and
nothing else needs a hand edit: in a copy of the repository, `multiple_inputs_multiply_backward`
gets its solution with markers, a public check, a hidden case and a grading.yml entry; then
`autograder release` regenerates the release and the sample class, `autograder validate` passes,
the repository's own fast tests of what was generated pass, and a few students of the sample
class get the grades their expectations (tests/sample_class_expected.yml) give under the new
grading.yml.
"""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
QID = "foundations.multiple_inputs_multiply_backward"

SOLUTION = '''

def multiple_inputs_multiply(x: np.ndarray, y: np.ndarray, sigma: ArrayFunction) -> np.ndarray:
    """Multiply two inputs, then apply ``sigma``: ``s = σ(x · y)``, element by element.

    Args:
        x, y: numbers or arrays of one shape, float.
        sigma: an elementwise function.

    Returns:
        Same shape as ``x``.
    """
    return sigma(x * y)


def multiple_inputs_multiply_backward(
    x: np.ndarray, y: np.ndarray, sigma: ArrayFunction
) -> Tuple[np.ndarray, np.ndarray]:
    """Partial derivatives of ``s = σ(x · y)`` by ``x`` and by ``y``.

    With ``a = x · y``: ``∂s/∂x = σ'(a) · y`` and ``∂s/∂y = σ'(a) · x``; ``σ'`` comes from ``deriv``.

    Args:
        x, y: numbers or arrays of one shape, float.
        sigma: an elementwise function.

    Returns:
        ``(dsdx, dsdy)``, each of the shape of ``x``.
    """
    # BEGIN SOLUTION
    # HINT: the product passes its incoming slope to each input times the other input.
    dsda = deriv(sigma, x * y)
    return dsda * y, dsda * x
    # END SOLUTION
'''

PUBLIC_CHECK = '''

@question("foundations.multiple_inputs_multiply_backward")
def test_multiple_inputs_multiply_backward_with_square():
    """For σ = square, s = (x y)²: ∂s/∂x = 2 x y², ∂s/∂y = 2 x² y."""
    f = student("foundations")
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.5, -2.5])
    description = f"multiple_inputs_multiply_backward({x.tolist()}, {y.tolist()}, square)"
    got = call(description, f.multiple_inputs_multiply_backward, x.copy(), y.copy(), f.square)
    expect_tuple(got, (2 * x * y ** 2, 2 * x ** 2 * y), rtol=1e-6, atol=1e-7, call=description,
                 names=("ds/dx", "ds/dy"))
'''

HIDDEN_CASE = '''

SPECS["foundations.multiple_inputs_multiply_backward"] = Spec(
    "multiple_inputs_multiply_backward", ("x", "y", "sigma"), {
        "sigmoid": lambda r: [{"x": mixed(r, 3), "y": normal(r, 3), "sigma": "sigmoid"}],
        "leaky_relu": lambda r: [{"x": mixed(r, 3), "y": mixed(r, 3), "sigma": "leaky_relu"}],
    }, names=("dsdx", "dsdy"))


@pytest.mark.parametrize("case", _cases("foundations.multiple_inputs_multiply_backward"))
def test_multiple_inputs_multiply_backward(request, student, check, hidden, case):
    """multiple_inputs_multiply_backward: both partial derivatives of sigma(x * y)"""
    run_case(request, student, check, hidden, "foundations.multiple_inputs_multiply_backward", case)
'''

ENTRY = f"""  {QID}:
    points: 3
    requires: [foundations.deriv]
"""

STUDENTS = ("ada_nwosu", "bilal_haddad", "farid_rahimi", "chen_wei", "tomas_novak")


def files_of_the_repository() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.split("\n")
    return [p for p in listed if p and not p.startswith(("bench/", "tests/submissions/")) and (ROOT / p).is_file()]


def run(repo: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, *args], cwd=repo, capture_output=True, text=True, env=env,
                          timeout=timeout)


def expected_totals(repo: Path) -> dict[str, dict[str, float]]:
    """Each of `STUDENTS`' points per question, from the copy's grading.yml and expectations."""
    config = yaml.safe_load((repo / "grading.yml").read_text(encoding="utf-8"))
    students = yaml.safe_load((repo / "tests" / "sample_class_expected.yml").read_text(encoding="utf-8"))["students"]
    out = {}
    for student in STUDENTS:
        want, points = students[student], {}
        for qid, q in config["questions"].items():
            entry = (want.get("questions", {}).get(qid) or want.get("modules", {}).get(qid.partition(".")[0])
                     or want.get("all_questions"))
            points[qid] = q["points"] * (entry["earns"] if entry else 1)
        out[student] = points
    return out


def test_adding_a_question_needs_no_hand_edit(tmp_path: Path):
    repo = tmp_path / "repo"
    for name in files_of_the_repository():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, repo / name)

    # the instructor's three edits (and a public check), nothing else
    with open(repo / "solutions/nn_from_scratch/foundations.py", "a", encoding="utf-8") as f:
        f.write(SOLUTION)
    with open(repo / "solutions/nn_from_scratch/public_tests/test_foundations.py", "a", encoding="utf-8") as f:
        f.write(PUBLIC_CHECK)
    with open(repo / "autograder/suites/test_foundations.py", "a", encoding="utf-8") as f:
        f.write(HIDDEN_CASE)
    grading = (repo / "grading.yml").read_text(encoding="utf-8")
    grading = grading.replace("  linear_regression.loss_gradients:\n", ENTRY + "  linear_regression.loss_gradients:\n", 1)
    (repo / "grading.yml").write_text(grading, encoding="utf-8")

    which = run(repo, "-c", "import autograder; print(autograder.__file__)")
    assert which.stdout.strip() == str(repo / "autograder" / "__init__.py"), "the copy's grader must run"
    released = run(repo, "-m", "autograder", "release")
    assert released.returncode == 0, released.stderr
    assert "12 TODO blocks, 12 questions" in released.stdout
    assert "the sample class" in released.stdout
    handout = (repo / "assignments/nn_from_scratch/README.md").read_text(encoding="utf-8")
    assert f"| `{QID}` | 3 |" in handout and "`multiple_inputs_multiply`: Multiply two inputs" in handout
    notebook = (repo / "assignments/nn_from_scratch/nn_from_scratch.ipynb").read_text(encoding="utf-8")
    assert f'check(\\"{QID}\\");' in notebook
    assert "multiple_inputs_multiply_backward" in (repo / "data/submissions/ada_nwosu/foundations.py").read_text()

    validated = run(repo, "-m", "autograder", "validate")
    assert validated.returncode == 0, validated.stderr
    assert "12 questions, 33 points" in validated.stdout

    # the repository's fast tests of what is generated, in the copy, unchanged
    tests = run(repo, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow",
                "tests/test_release.py", "tests/test_config.py", "tests/test_cli.py", "tests/test_validate.py",
                timeout=600)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]

    # a few students of the regenerated sample class, graded with the new grading.yml
    graded = run(repo, "-m", "autograder", "grade", *[str(p) for s in STUDENTS
                                                      for p in (repo / "data/submissions").glob(f"{s}*")],
                 "--out", str(tmp_path / "out"), "-q")
    assert graded.returncode == 0, graded.stderr
    with open(tmp_path / "out" / "gradebook.csv", newline="", encoding="utf-8") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    want = expected_totals(repo)
    for student in STUDENTS:
        got = {qid: float(rows[student][qid]) for qid in want[student]}
        assert got == pytest.approx(want[student]), student
        assert float(rows[student]["total"]) == pytest.approx(sum(want[student].values()))
        assert float(rows[student]["possible"]) == 33
    assert float(rows["ada_nwosu"][QID]) == 3 and float(rows["bilal_haddad"][QID]) == 0
    assert float(rows["farid_rahimi"][QID]) == 3, "graded with the reference deriv (requires)"
