"""Does the lesson's pipeline, rerun here, print the lesson's table, and what does each fix change?

The replica (``tests/lesson_replica.py``) trains with the lesson's call-site settings
(``n_iter=10000, learning_rate=0.001, batch_size=23``, seed 42 inside ``train``). Matching the
lesson's figures to ten digits shows that the data, the split and the settings are the lesson's.
The replica's switches then measure each fix, and the reference (``solutions/``) must land
exactly on the "everything fixed" figures that the README reports.

All figures are test-set MSE and R², compared with a relative tolerance of 1e-9 (the last digits
move with the BLAS build).
"""
from __future__ import annotations

import importlib.util
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from solutions.nn_from_scratch import data as D
from solutions.nn_from_scratch import linear_regression as LR
from solutions.nn_from_scratch import neural_network as NN


def _load_replica():
    """Import tests/lesson_replica.py by its path (independent of how pytest imports tests)."""
    path = Path(__file__).with_name("lesson_replica.py")
    spec = importlib.util.spec_from_file_location("lesson_replica", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("lesson_replica", module)
    spec.loader.exec_module(module)
    return module


R = _load_replica()
REL = 1e-9

# (MSE, R²) on the 152 test rows.
LESSON_LINEAR = (21.962219458334552, 0.7052569177141323)
LESSON_NETWORK = (10.839123211769357, 0.8545339831990069)
LESSON_SKLEARN = (21.517444231177276, 0.7112260057484923)

# The lesson's pipeline with some of its departures switched off (measured with the replica).
LINEAR_SHRINK_FIXED = (21.28856867166861, 0.7142976209828937)
NETWORK_VARIANTS = {
    # (shrink_batch, double_sum_bias, drop_two): figures
    (True, True, True): LESSON_NETWORK,
    (True, False, True): (11.941688105375393, 0.8397370554213679),   # bias fixed only
    (False, True, True): (9.5352704254757, 0.8720322870388479),      # batch shrink fixed only
    (True, True, False): (9.844620546561798, 0.8678806661898075),    # factor 2 restored only
    (False, False, True): (13.397048812065885, 0.820205445633865),   # both bugs fixed, no 2
    (False, False, False): (13.844556471105923, 0.8141996871073998), # everything fixed
}

# The reference (solutions/) with the lesson's settings, seed 42.
REFERENCE_LINEAR = (21.28856867166861, 0.7142976209828937)
REFERENCE_NETWORK = (13.844556471105738, 0.8141996871074022)
REFERENCE_LINEAR_LEAK_FREE = (21.29122132058701, 0.7142620212148505)
REFERENCE_NETWORK_LEAK_FREE = (13.683994598661014, 0.8163545012541112)


def assert_figures(got, expected):
    assert got[0] == pytest.approx(expected[0], rel=REL), f"MSE {got[0]!r} != {expected[0]!r}"
    assert got[1] == pytest.approx(expected[1], rel=REL), f"R² {got[1]!r} != {expected[1]!r}"


@lru_cache(maxsize=None)
def lesson_data():
    return R.load_lesson_data()


@lru_cache(maxsize=None)
def replica_linear(shrink_batch=True):
    X_train, X_test, y_train, y_test = lesson_data()
    _, weights = R.linear_train(X_train, y_train, return_losses=True, return_weights=True,
                                shrink_batch=shrink_batch, **R.LESSON_SETTINGS)
    return R.figures(R.linear_predict, weights, X_test, y_test)


@lru_cache(maxsize=None)
def replica_network(shrink_batch=True, double_sum_bias=True, drop_two=True):
    X_train, X_test, y_train, y_test = lesson_data()
    _, weights = R.network_train(X_train, y_train, return_losses=True, return_weights=True,
                                 hidden_size=13, shrink_batch=shrink_batch,
                                 double_sum_bias=double_sum_bias, drop_two=drop_two,
                                 **R.LESSON_SETTINGS)
    return R.figures(R.network_predict, weights, X_test, y_test)


def reference(model, leak_free=False):
    X_train, X_test, y_train, y_test = D.load_lesson_split(leak_free=leak_free)
    weights = model.train(X_train, y_train, return_weights=True, seed=42, **R.LESSON_SETTINGS)
    return R.figures(model.predict, weights, X_test, y_test)


# ---- the lesson's table ----------------------------------------------------------------------

def test_replica_reproduces_the_lessons_linear_regression():
    assert_figures(replica_linear(), LESSON_LINEAR)


def test_replica_reproduces_the_lessons_network():
    assert_figures(replica_network(), LESSON_NETWORK)


def test_scikit_learn_linear_regression_on_the_lessons_split():
    X_train, X_test, y_train, y_test = lesson_data()
    model = LinearRegression().fit(X_train, y_train)
    assert_figures(R.figures(lambda X, m: m.predict(X), model, X_test, y_test), LESSON_SKLEARN)


# ---- the effect of each fix --------------------------------------------------------------------

def test_linear_regression_without_the_batch_shrink():
    assert_figures(replica_linear(shrink_batch=False), LINEAR_SHRINK_FIXED)


@pytest.mark.parametrize("flags", list(NETWORK_VARIANTS), ids=lambda f: "shrink={}-doublesum={}-drop2={}".format(*f))
def test_network_variants(flags):
    assert_figures(replica_network(*flags), NETWORK_VARIANTS[flags])


def test_reference_linear_regression_reaches_the_documented_figures():
    got = reference(LR)
    assert_figures(got, REFERENCE_LINEAR)
    assert_figures(got, replica_linear(shrink_batch=False))  # only the batch fix matters


def test_reference_network_reaches_the_documented_figures():
    got = reference(NN)
    assert_figures(got, REFERENCE_NETWORK)
    assert_figures(got, replica_network(False, False, False))  # = the lesson with every fix


def test_reference_with_the_leak_free_split():
    assert_figures(reference(LR, leak_free=True), REFERENCE_LINEAR_LEAK_FREE)
    assert_figures(reference(NN, leak_free=True), REFERENCE_NETWORK_LEAK_FREE)


# ---- the replica really has the lesson's bugs ----------------------------------------------------

@pytest.fixture
def small():
    X_train, _, y_train, _ = lesson_data()
    return X_train, y_train


@pytest.mark.parametrize("train", [R.linear_train, R.network_train], ids=["linear", "network"])
def test_replica_return_flags_fail_as_in_the_lesson(train, small):
    X, y = small
    with pytest.raises(UnboundLocalError):
        train(X, y, n_iter=2, return_weights=True)
    assert train(X, y, n_iter=2, return_losses=True) is None


def test_replica_batch_size_shrinks_for_good(small, monkeypatch):
    X, y = small
    sizes = []
    original = R.linear_forward

    def spy(X_batch, y_batch, weights):
        sizes.append(len(X_batch))
        return original(X_batch, y_batch, weights)

    monkeypatch.setattr(R, "linear_forward", spy)
    R.linear_train(X, y, n_iter=15 + 1 + 39 + 1 + 5, learning_rate=0.001, batch_size=23)
    # 354 rows: 15 batches of 23, one of 9; then 9 for good: 39 of 9, one of 3; then 3 for good
    assert sizes == [23] * 15 + [9] + [9] * 39 + [3] + [3] * 5


def test_replica_network_reads_the_global_X_train(small, monkeypatch):
    X, y = small
    monkeypatch.setattr(R, "X_train", np.ones((4, 5)))
    with pytest.raises(ValueError):  # weights sized for 5 features meet X with 13
        R.network_train(X, y, n_iter=1, return_losses=True, return_weights=True)
    weights = NN.train(X, y, n_iter=1, return_weights=True)  # the reference uses its argument
    assert weights["W1"].shape == (13, 13)


def test_replica_hidden_bias_gradient_is_one_number(small):
    X, y = small
    np.random.seed(0)
    weights = R.network_init_weights(13, 13)
    info, _ = R.network_forward(X[:23], y[:23], weights)
    assert np.shape(R.make_network_loss_gradients()(info, weights)["B1"]) == ()
    assert NN.loss_gradients(NN.forward(X[:23], y[:23], weights)[0], weights)["B1"].shape == (1, 13)
