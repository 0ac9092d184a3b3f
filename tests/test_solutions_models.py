"""Do the reference models (linear_regression.py, neural_network.py) compute and train correctly?

Gradients are checked against finite differences of the summed squared error; train against a
hand-written gradient descent, its batching, its random draws, its flags and its inputs.
"""
from __future__ import annotations

import numpy as np
import pytest

from solutions.nn_from_scratch import linear_regression as LR
from solutions.nn_from_scratch import neural_network as NN

MODELS = [LR, NN]
MODEL_IDS = ["linear", "network"]


def make_weights(model, n_features, hidden=5):
    return model.init_weights(n_features) if model is LR else model.init_weights(n_features, hidden)


def data(n=9, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=(d, 1)) + 0.3 * rng.normal(size=(n, 1)) + 2.0
    return X, y


def summed_squared_error(model, X, y, weights):
    _, mean_loss = model.forward(X, y, weights)
    return X.shape[0] * mean_loss


# ---- init_weights, forward, predict ----------------------------------------------------------

def test_linear_init_weights_shapes_and_draw_order():
    np.random.seed(5)
    weights = LR.init_weights(3)
    np.random.seed(5)
    expected_W, expected_B = np.random.randn(3, 1), np.random.randn(1, 1)
    assert set(weights) == {"W", "B"}
    np.testing.assert_array_equal(weights["W"], expected_W)
    np.testing.assert_array_equal(weights["B"], expected_B)


def test_network_init_weights_shapes_and_draw_order():
    np.random.seed(5)
    weights = NN.init_weights(3, hidden_size=4)
    np.random.seed(5)
    expected = [np.random.randn(3, 4), np.random.randn(1, 4), np.random.randn(4, 1), np.random.randn(1, 1)]
    assert list(weights) == ["W1", "B1", "W2", "B2"]
    for key, value in zip(["W1", "B1", "W2", "B2"], expected):
        np.testing.assert_array_equal(weights[key], value)
    assert NN.init_weights(13)["B1"].shape == (1, 13)  # hidden_size defaults to 13


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_init_weights_refuses_a_non_positive_size(model):
    with pytest.raises(ValueError, match="positive integer"):
        model.init_weights(0)


def test_linear_forward_values_keys_and_mean_loss():
    X, y = data()
    weights = {"W": np.array([[1.0], [-2.0], [0.5], [0.0]]), "B": np.array([[3.0]])}
    info, loss = LR.forward(X, y, weights)
    assert set(info) == {"X", "N", "P", "y"}
    np.testing.assert_allclose(info["N"], X @ weights["W"], rtol=1e-14)
    np.testing.assert_allclose(info["P"], X @ weights["W"] + 3.0, rtol=1e-14)
    assert type(loss) is float
    assert loss == pytest.approx(np.mean((y - info["P"]) ** 2), rel=1e-14)
    np.testing.assert_allclose(LR.predict(X, weights), info["P"], rtol=1e-14)


def test_network_forward_values_keys_and_mean_loss():
    X, y = data()
    np.random.seed(1)
    weights = NN.init_weights(4, hidden_size=3)
    info, loss = NN.forward(X, y, weights)
    assert set(info) == {"X", "M1", "N1", "O1", "M2", "P", "y"}
    O1 = 1 / (1 + np.exp(-(X @ weights["W1"] + weights["B1"])))
    P = O1 @ weights["W2"] + weights["B2"]
    np.testing.assert_allclose(info["O1"], O1, rtol=1e-14)
    np.testing.assert_allclose(info["P"], P, rtol=1e-14)
    assert type(loss) is float
    assert loss == pytest.approx(np.mean((y - P) ** 2), rel=1e-14)
    np.testing.assert_allclose(NN.predict(X, weights), P, rtol=1e-14)


def test_shape_errors_name_both_shapes():
    X, y = np.ones((5, 3)), np.ones((5, 1))
    with pytest.raises(ValueError, match=r"X \(5, 3\) and W \(4, 1\) cannot be multiplied"):
        LR.forward(X, y, {"W": np.ones((4, 1)), "B": np.ones((1, 1))})
    with pytest.raises(ValueError, match=r"X \(5, 3\) and y \(5,\)"):
        LR.forward(X, np.ones(5), {"W": np.ones((3, 1)), "B": np.ones((1, 1))})
    with pytest.raises(ValueError, match=r"B has shape \(1,\)"):
        LR.predict(X, {"W": np.ones((3, 1)), "B": np.ones(1)})
    good = {"W1": np.ones((3, 2)), "B1": np.ones((1, 2)), "W2": np.ones((2, 1)), "B2": np.ones((1, 1))}
    with pytest.raises(ValueError, match=r"X \(5, 3\) and W1 \(4, 2\) cannot be multiplied"):
        NN.forward(X, y, {**good, "W1": np.ones((4, 2))})
    with pytest.raises(ValueError, match=r"B1 has shape \(1, 3\)"):
        NN.predict(X, {**good, "B1": np.ones((1, 3))})
    with pytest.raises(ValueError, match=r"W1 \(3, 2\) and W2 \(3, 1\)"):
        NN.forward(X, y, {**good, "W2": np.ones((3, 1))})
    with pytest.raises(ValueError, match=r"X \(5, 3\) and y \(4, 1\)"):
        NN.forward(X, np.ones((4, 1)), good)


# ---- loss_gradients against finite differences of the summed squared error --------------------

@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_loss_gradients_match_finite_differences_of_the_summed_error(model):
    X, y = data(n=7, d=4, seed=3)
    np.random.seed(11)
    weights = make_weights(model, 4, hidden=5)
    info, _ = model.forward(X, y, weights)
    grads = model.loss_gradients(info, weights)
    assert set(grads) == set(weights)
    step = 1e-6
    for key, value in weights.items():
        assert grads[key].shape == value.shape, key  # B (1, 1), B1 (1, h): one value per unit
        for index in np.ndindex(value.shape):
            up = {k: v.copy() for k, v in weights.items()}
            down = {k: v.copy() for k, v in weights.items()}
            up[key][index] += step
            down[key][index] -= step
            expected = (summed_squared_error(model, X, y, up)
                        - summed_squared_error(model, X, y, down)) / (2 * step)
            assert grads[key][index] == pytest.approx(expected, rel=1e-6, abs=1e-5), (key, index)


def test_hidden_bias_gradient_keeps_one_value_per_unit():
    X, y = data(n=7, d=4, seed=3)
    np.random.seed(11)
    weights = NN.init_weights(4, hidden_size=5)
    info, _ = NN.forward(X, y, weights)
    dLdB1 = NN.loss_gradients(info, weights)["B1"]
    dLdN1 = (-2 * (y - info["P"])) @ weights["W2"].T * info["O1"] * (1 - info["O1"])
    np.testing.assert_allclose(dLdB1, dLdN1.sum(axis=0, keepdims=True), rtol=1e-12)
    assert len(np.unique(np.round(dLdB1, 12))) == 5


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_loss_gradients_scale_with_the_batch_not_the_mean(model):
    """Stacking a batch twice doubles the summed-error gradients but not the mean loss."""
    X, y = data(n=6, d=3, seed=4)
    np.random.seed(2)
    weights = make_weights(model, 3, hidden=4)
    info, loss = model.forward(X, y, weights)
    info2, loss2 = model.forward(np.vstack([X, X]), np.vstack([y, y]), weights)
    grads, grads2 = model.loss_gradients(info, weights), model.loss_gradients(info2, weights)
    assert loss2 == pytest.approx(loss, rel=1e-12)
    for key in weights:
        np.testing.assert_allclose(grads2[key], 2 * grads[key], rtol=1e-12)


# ---- train ---------------------------------------------------------------------------------------

def hand_written_linear_gd(X, y, n_iter, learning_rate, seed):
    np.random.seed(seed)
    W, B = np.random.randn(X.shape[1], 1), np.random.randn(1, 1)
    for _ in range(n_iter):
        residual = y - (X @ W + B)
        W = W - learning_rate * (X.T @ (-2 * residual))
        B = B - learning_rate * np.sum(-2 * residual)
    return {"W": W, "B": B}


def hand_written_network_gd(X, y, n_iter, learning_rate, seed, hidden):
    np.random.seed(seed)
    W1, B1 = np.random.randn(X.shape[1], hidden), np.random.randn(1, hidden)
    W2, B2 = np.random.randn(hidden, 1), np.random.randn(1, 1)
    for _ in range(n_iter):
        O1 = 1 / (1 + np.exp(-(X @ W1 + B1)))
        error = -2 * (y - (O1 @ W2 + B2))
        back = (error @ W2.T) * O1 * (1 - O1)
        W1, B1 = W1 - learning_rate * X.T @ back, B1 - learning_rate * back.sum(axis=0)
        W2, B2 = W2 - learning_rate * O1.T @ error, B2 - learning_rate * error.sum()
    return {"W1": W1, "B1": B1, "W2": W2, "B2": B2}


@pytest.mark.parametrize("batch_size", [9, 50])  # the whole data, or more than it
def test_full_batch_linear_training_is_plain_gradient_descent(batch_size):
    X, y = data(n=9, d=4)
    got = LR.train(X, y, n_iter=25, learning_rate=0.01, batch_size=batch_size, return_weights=True, seed=7)
    expected = hand_written_linear_gd(X, y, 25, 0.01, seed=7)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-10)


@pytest.mark.parametrize("batch_size", [9, 50])
def test_full_batch_network_training_is_plain_gradient_descent(batch_size):
    X, y = data(n=9, d=4)
    got = NN.train(X, y, n_iter=25, learning_rate=0.01, batch_size=batch_size, return_weights=True,
                   seed=7, hidden_size=3)
    expected = hand_written_network_gd(X, y, 25, 0.01, seed=7, hidden=3)
    for key in expected:
        assert got[key].shape == expected[key].shape
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-10)


@pytest.fixture
def recorded_batches(monkeypatch):
    """Patch a model's module-global forward to record each batch's first column (the row ids)."""
    batches = []

    def install(model):
        original = model.forward

        def spy(X_batch, y_batch, weights):
            batches.append(X_batch[:, 0].copy())
            return original(X_batch, y_batch, weights)

        monkeypatch.setattr(model, "forward", spy)
        return batches

    return install


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_batches_keep_their_size_after_a_short_last_batch(model, recorded_batches):
    X, y = data(n=10, d=3)
    X[:, 0] = np.arange(10)  # row ids
    batches = recorded_batches(model)
    model.train(X, y, n_iter=8, learning_rate=0.001, batch_size=4, seed=3)
    assert [len(b) for b in batches] == [4, 4, 2, 4, 4, 2, 4, 4]
    # each pass over the data uses every row exactly once
    np.testing.assert_array_equal(np.sort(np.concatenate(batches[0:3])), np.arange(10))
    np.testing.assert_array_equal(np.sort(np.concatenate(batches[3:6])), np.arange(10))


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_random_draws_are_seed_then_init_then_permutations(model, recorded_batches):
    X, y = data(n=10, d=3)
    X[:, 0] = np.arange(10)
    batches = recorded_batches(model)
    model.train(X, y, n_iter=6, learning_rate=0.001, batch_size=4, seed=3)
    np.random.seed(3)
    make_weights(model, 3, hidden=13)
    first = np.random.permutation(10)
    second = first[np.random.permutation(10)]  # the shuffled rows are shuffled again
    np.testing.assert_array_equal(np.concatenate(batches[:3]), first)
    np.testing.assert_array_equal(np.concatenate(batches[3:]), second)


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_train_goes_through_the_module_global_functions(model, monkeypatch):
    X, y = data(n=10, d=3)
    calls = {"init": 0, "grads": 0}
    original_init, original_grads = model.init_weights, model.loss_gradients

    def init_spy(*args, **kwargs):
        calls["init"] += 1
        return original_init(*args, **kwargs)

    def grads_spy(forward_info, weights):
        calls["grads"] += 1
        return original_grads(forward_info, weights)

    monkeypatch.setattr(model, "init_weights", init_spy)
    monkeypatch.setattr(model, "loss_gradients", grads_spy)
    model.train(X, y, n_iter=7, learning_rate=0.001, batch_size=4)
    assert calls == {"init": 1, "grads": 7}


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_train_leaves_the_callers_arrays_alone(model):
    X, y = data(n=10, d=3)
    X_copy, y_copy = X.copy(), y.copy()
    X.flags.writeable = False  # any write into them raises
    y.flags.writeable = False
    model.train(X, y, n_iter=12, learning_rate=0.001, batch_size=4)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_all_four_return_flag_combinations(model):
    X, y = data(n=10, d=3)
    kwargs = dict(n_iter=6, learning_rate=0.001, batch_size=4, seed=1)
    both = model.train(X, y, return_losses=True, return_weights=True, **kwargs)
    losses_only = model.train(X, y, return_losses=True, **kwargs)
    weights_only = model.train(X, y, return_weights=True, **kwargs)
    assert model.train(X, y, **kwargs) is None
    losses, weights = both
    assert isinstance(losses, list) and len(losses) == 6
    assert all(type(value) is float for value in losses)
    assert losses_only == losses
    assert isinstance(weights_only, dict) and set(weights_only) == set(weights)
    for key in weights:
        np.testing.assert_array_equal(weights_only[key], weights[key])


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_losses_are_the_batch_mean_errors_before_each_update(model):
    X, y = data(n=8, d=3)
    losses = model.train(X, y, n_iter=1, learning_rate=0.001, batch_size=8, return_losses=True, seed=2)
    np.random.seed(2)
    start_weights = make_weights(model, 3, hidden=13)
    _, expected = model.forward(X, y, start_weights)  # a full batch: order does not matter
    assert losses[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_seed_argument_makes_training_reproducible(model):
    X, y = data(n=10, d=3)
    kwargs = dict(n_iter=9, learning_rate=0.001, batch_size=4, return_weights=True)
    np.random.seed(123)  # the global state before the call must not matter
    first = model.train(X, y, seed=5, **kwargs)
    np.random.seed(456)
    again = model.train(X, y, seed=5, **kwargs)
    other = model.train(X, y, seed=6, **kwargs)
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])
    assert any(not np.array_equal(first[key], other[key]) for key in first)


def test_network_train_sizes_its_weights_from_the_X_it_is_given():
    X, y = data(n=10, d=5)
    weights = NN.train(X, y, n_iter=3, learning_rate=0.001, batch_size=4, return_weights=True, hidden_size=6)
    assert weights["W1"].shape == (5, 6)
    assert weights["B1"].shape == (1, 6)
    assert weights["W2"].shape == (6, 1)
    assert weights["B2"].shape == (1, 1)


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_training_lowers_the_loss(model):
    X, y = data(n=40, d=3)
    losses = model.train(X, y, n_iter=400, learning_rate=0.002, batch_size=10, return_losses=True)
    assert np.mean(losses[-20:]) < 0.5 * np.mean(losses[:20])


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
@pytest.mark.parametrize("bad, message", [
    (dict(batch_size=0), "batch_size"),
    (dict(batch_size=2.5), "batch_size"),
    (dict(n_iter=-1), "n_iter"),
])
def test_train_refuses_bad_settings(model, bad, message):
    X, y = data(n=10, d=3)
    with pytest.raises(ValueError, match=message):
        model.train(X, y, **bad)


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_train_refuses_mismatched_data(model):
    with pytest.raises(ValueError, match=r"X \(10, 3\) and y \(9, 1\)"):
        model.train(np.ones((10, 3)), np.ones((9, 1)))
    with pytest.raises(ValueError, match="no rows"):
        model.train(np.ones((0, 3)), np.ones((0, 1)))
