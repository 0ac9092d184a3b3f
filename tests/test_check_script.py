"""The student's `check.py` (autograder/release_templates/check.py), run as students run it."""
from __future__ import annotations

from pathlib import Path

from test_release import built, run, statuses, student_zip, unpacked, with_solutions  # noqa: F401 (fixtures)


def with_forward_difference(unpacked: Path, target: Path) -> Path:  # noqa: F811
    folder = with_solutions(unpacked, target)
    module = folder / "foundations.py"
    source = module.read_text(encoding="utf-8")
    wrong = source.replace("func(input_ - diff)) / (2 * diff)", "func(input_)) / diff")
    assert wrong != source
    module.write_text(wrong, encoding="utf-8")
    return folder


def test_a_question_that_fails_because_of_a_failing_prerequisite_says_so(unpacked, tmp_path):  # noqa: F811
    folder = with_forward_difference(unpacked, tmp_path / "wrong")
    result = run(["check.py", "foundations"], cwd=folder)
    lines = {line.split()[1]: line for line in result.stdout.splitlines() if line.startswith("FAILED")}
    assert "3 of 3 checks failed" in lines["foundations.deriv"]
    for qid in ("foundations.chain_deriv_2", "foundations.chain_deriv_3", "foundations.matrix_function_backward_1"):
        assert "depends on your deriv, which fails its own checks: fix deriv first" in lines[qid], lines[qid]
    # the chain rule's own hint would send the student after a mistake that is not there
    assert "evaluate f2's slope at f1(x)" not in result.stdout


def test_verbose_names_each_check_once(unpacked, tmp_path):  # noqa: F811
    folder = with_forward_difference(unpacked, tmp_path / "wrong")
    result = run(["check.py", "deriv", "-v"], cwd=folder)
    assert statuses(result.stdout) == {"foundations.deriv": "FAILED"}
    title = "deriv(square, 2) is 3.9999999999995595, as the lesson prints."
    assert result.stdout.count(title) == 1, result.stdout
    assert "    - failed: " + title in result.stdout and "Check: " not in result.stdout
    assert "deriv(square, 2) returned 4.000999999999699" in result.stdout


def test_the_release_ships_no_finite_difference_helper():
    """Pasted in as loss_gradients, a helper that nudges every weight earned full marks (issue 13):
    the public checks carry measured numbers instead, and pretend gradients while train runs."""
    release = Path(__file__).resolve().parents[1] / "assignments" / "nn_from_scratch"
    assert not (release / "tests" / "_numeric.py").exists()
    for path in [release / "check.py", *(release / "tests").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for marker in ("np.ndindex", "numerical_gradient", "nudged_weights", "summed_error_gradients"):
            assert marker not in text, (path.name, marker)
