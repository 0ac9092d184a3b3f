"""The hidden suites themselves: what the handout promises about them, and their inputs."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SUITES = ROOT / "autograder" / "suites"
HANDOUT = (ROOT / "assignments" / "nn_from_scratch" / "README.md").read_text()


def suite(name: str):
    sys.path.insert(0, str(SUITES))  # the suites import their shared train_behaviour module
    try:
        spec = importlib.util.spec_from_file_location(f"hidden_{name}", SUITES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(SUITES))


@pytest.mark.parametrize("name,label", [("test_linear_regression", "linear regression"),
                                        ("test_neural_network", "network")])
def test_the_handout_states_the_lesson_data_thresholds_the_suites_use(name, label):
    model = suite(name).MODEL
    expected = f"{model.lesson_mse:g}\n({label}, {model.lesson_iters} iterations)" if label == "linear regression" \
        else f"{model.lesson_mse:g} ({label}, {model.lesson_iters} iterations)"
    assert expected in HANDOUT


def test_the_reference_reaches_the_thresholds_with_a_margin():
    tb = suite("train_behaviour")
    for name in ("test_linear_regression", "test_neural_network"):
        module = suite(name)
        model = getattr(module, "LESSON_MODEL", module.MODEL)
        assert tb.reference_mse(model) < 0.92 * model.lesson_mse, name


def test_hidden_inputs_are_not_the_public_ones():
    foundations = suite("test_foundations")
    public = "\n".join(p.read_text() for p in (ROOT / "assignments/nn_from_scratch/tests").glob("*.py"))
    for spec in foundations.SPECS.values():
        for build in spec.cases.values():
            for inputs in build(np.random.default_rng(7)):
                for value in inputs.values():
                    if isinstance(value, np.ndarray) and value.ndim:
                        assert f"{value.flat[0]:.6f}" not in public and np.all(np.abs(value) > 0)


def test_hidden_inputs_follow_the_secret_and_the_code(tmp_path, monkeypatch):
    hs = suite("hidden_support")
    folders = iter(range(100))

    class Loaded:  # what the `submission` fixture holds: a folder with the student's modules
        def __init__(self, text):
            self.directory = tmp_path / f"sub{next(folders)}"
            self.directory.mkdir()
            (self.directory / "foundations.py").write_text(text)

    def draw(sub, label="deriv"):
        return hs.hidden_rng(sub, "foundations", label).normal(size=3)

    monkeypatch.setenv(hs.SECRET_FILE_ENV, str(tmp_path / "no such file"))
    hs.course_secret.cache_clear()
    assert hs.course_secret() == hs.DEVELOPMENT_SECRET
    a, a_again, b = Loaded("x = 1\n"), Loaded("x = 1\n"), Loaded("x = 2\n")
    first = draw(a)
    np.testing.assert_array_equal(first, draw(a_again))  # same code, same inputs (any run, any job)
    assert not np.allclose(first, draw(b))  # changed code, new inputs
    assert not np.allclose(first, draw(a, "chain"))  # every case its own
    # the secret lives in the file $AUTOGRADER_SECRET_FILE names: another secret, other inputs
    secret = tmp_path / "secret"
    secret.write_bytes(b"course secret 2026\n")
    monkeypatch.setenv(hs.SECRET_FILE_ENV, str(secret))
    hs.course_secret.cache_clear()
    try:
        assert hs.course_secret() == b"course secret 2026"
        assert not np.allclose(first, draw(Loaded("x = 1\n")))
    finally:
        hs.course_secret.cache_clear()


def test_the_secret_never_enters_the_worker():
    """The worker is started with an empty environment and sent only the inputs: no code path of
    the worker or the sandbox reads the secret file or its variable."""
    for name in ("worker.py", "sandbox.py", "protocol.py"):
        text = (ROOT / "autograder" / "run" / name).read_text()
        assert "AUTOGRADER_SECRET" not in text and "hidden_support" not in text and "course_secret" not in text


@pytest.mark.parametrize("name", ["test_linear_regression", "test_neural_network"])
def test_lesson_data_is_perturbed_per_submission_and_the_reference_still_passes(name):
    tb = suite("train_behaviour")
    module = suite(name)
    model = getattr(module, "LESSON_MODEL", module.MODEL)
    X_public = tb.perturbed_split(None)[0]
    for seed in range(3):
        X_train, X_test, y_train, y_test = tb.perturbed_split(np.random.default_rng(seed))
        assert not np.allclose(X_train, X_public)
        w = model.ref.train(X_train, y_train, n_iter=model.lesson_iters, learning_rate=0.001, batch_size=23,
                            return_weights=True, seed=42, **model.extra_kwargs)
        assert float(np.mean((model.ref.predict(X_test, w) - y_test) ** 2)) < 0.92 * model.lesson_mse
        # weights trained ahead on the public data do not fit the perturbed data
        w_public = model.ref.train(X_public, tb.perturbed_split(None)[2], n_iter=model.lesson_iters,
                                   learning_rate=0.001, batch_size=23, return_weights=True, seed=42,
                                   **model.extra_kwargs)
        assert float(np.mean((model.ref.predict(X_test, w_public) - y_test) ** 2)) > model.lesson_mse
