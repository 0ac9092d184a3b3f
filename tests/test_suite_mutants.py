"""Mutation testing of the hidden suites: every hidden case tells each common wrong formula apart.

For every question, `MUTANTS` lists the common wrong formulas (a factor evaluated at the wrong
point, a factor missing, operands transposed or swapped, an elementwise instead of a matrix
product, a sum over the wrong axis, off by 2, by 1/n or in sign). For each hidden case, on the
inputs of several submissions (seeds), the mutant's result must fail the case's comparison with
the question's rtol/atol (or fail to compute at all), unless `ONLY` says the mistake can only
show on some cases (ignoring ``diff`` shows only when ``diff`` is not the default; an integer
dtype only on integer inputs).
"""
from __future__ import annotations

import numpy as np
import pytest

from autograder.judge.compare import StudentFailure, expect_array, expect_dict, expect_scalar, expect_tuple
from autograder.config import load_config
from solutions.nn_from_scratch import foundations as F, linear_regression as LR, neural_network as NN
from test_suites import ROOT, suite

CONFIG = load_config(ROOT / "grading.yml")
SEEDS = range(5)
d = F.deriv


def _h(kw):
    return kw.get("diff", 0.001)


MUTANTS = {
    "foundations.deriv": {
        "forward difference": lambda func, input_, **kw: (func(input_ + _h(kw)) - func(input_)) / _h(kw),
        "backward difference": lambda func, input_, **kw: (func(input_) - func(input_ - _h(kw))) / _h(kw),
        "divided by diff, not 2 diff (off by 2)":
            lambda func, input_, **kw: (func(input_ + _h(kw)) - func(input_ - _h(kw))) / _h(kw),
        "diff ignored": lambda func, input_, **kw: d(func, input_),
        "sign flipped": lambda func, input_, **kw: -d(func, input_, _h(kw)),
        "integer dtype kept (truncation)":
            lambda func, input_, **kw: np.asarray(d(func, input_, _h(kw))).astype(np.asarray(input_).dtype),
    },
    "foundations.chain_deriv_2": {
        "f2' at x": lambda chain, x: d(chain[1], x) * d(chain[0], x),
        "f1' at f1(x)": lambda chain, x: d(chain[1], chain[0](x)) * d(chain[0], chain[0](x)),
        "f1' missing": lambda chain, x: d(chain[1], chain[0](x)),
        "f2' missing": lambda chain, x: d(chain[0], x),
        "chain reversed (f1 after f2)": lambda chain, x: d(chain[0], chain[1](x)) * d(chain[1], x),
        "sum instead of product": lambda chain, x: d(chain[1], chain[0](x)) + d(chain[0], x),
        "off by 2": lambda chain, x: 2 * F.chain_deriv_2(chain, x),
        "sign flipped": lambda chain, x: -F.chain_deriv_2(chain, x),
    },
    "foundations.chain_deriv_3": {
        "f3' at f1(x)": lambda c, x: d(c[2], c[0](x)) * d(c[1], c[0](x)) * d(c[0], x),
        "f3' at x": lambda c, x: d(c[2], x) * d(c[1], c[0](x)) * d(c[0], x),
        "f2' at x": lambda c, x: d(c[2], c[1](c[0](x))) * d(c[1], x) * d(c[0], x),
        "every slope at x": lambda c, x: d(c[2], x) * d(c[1], x) * d(c[0], x),
        "f1' missing": lambda c, x: d(c[2], c[1](c[0](x))) * d(c[1], c[0](x)),
        "f2' missing": lambda c, x: d(c[2], c[1](c[0](x))) * d(c[0], x),
        "f3' missing": lambda c, x: d(c[1], c[0](x)) * d(c[0], x),
        "chain reversed": lambda c, x: F.chain_deriv_3(c[::-1], x),
        "sum instead of product": lambda c, x: d(c[2], c[1](c[0](x))) + d(c[1], c[0](x)) + d(c[0], x),
        "off by 2": lambda c, x: 2 * F.chain_deriv_3(c, x),
        "sign flipped": lambda c, x: -F.chain_deriv_3(c, x),
    },
    "foundations.multiple_inputs_add_backward": {
        "sigma' at x and at y, not at x + y": lambda x, y, sigma: (d(sigma, x), d(sigma, y)),
        "sigma' at x for both": lambda x, y, sigma: (d(sigma, x), d(sigma, x)),
        "sigma(x + y) instead of its slope": lambda x, y, sigma: (sigma(x + y), sigma(x + y)),
        "off by 2": lambda x, y, sigma: tuple(2 * g for g in F.multiple_inputs_add_backward(x, y, sigma)),
        "sign flipped": lambda x, y, sigma: tuple(-g for g in F.multiple_inputs_add_backward(x, y, sigma)),
    },
    "foundations.matrix_function_backward_1": {
        "sigma' at sigma(N)": lambda X, W, sigma: d(sigma, sigma(X @ W)) @ W.T,
        "sigma(N) instead of its slope": lambda X, W, sigma: sigma(X @ W) @ W.T,
        "sigma' missing": lambda X, W, sigma: np.ones((X.shape[0], 1)) @ W.T,
        "W not transposed": lambda X, W, sigma: d(sigma, X @ W) @ W,
        "X instead of W (elementwise)": lambda X, W, sigma: d(sigma, X @ W) * X,
        "off by 2": lambda X, W, sigma: 2 * F.matrix_function_backward_1(X, W, sigma),
        "sign flipped": lambda X, W, sigma: -F.matrix_function_backward_1(X, W, sigma),
    },
    "foundations.matrix_function_backward_sum_1": {
        "sigma' at sigma(N)": lambda X, W, sigma: d(sigma, sigma(X @ W)) @ W.T,
        "sigma' missing": lambda X, W, sigma: np.ones((X.shape[0], W.shape[1])) @ W.T,
        "W not transposed": lambda X, W, sigma: d(sigma, X @ W) @ W,
        "X.T on the left (the dL/dW formula)": lambda X, W, sigma: X.T @ d(sigma, X @ W),
        "elementwise instead of a matrix product": lambda X, W, sigma: d(sigma, X @ W) * W.T,
        "off by 2": lambda X, W, sigma: 2 * F.matrix_function_backward_sum_1(X, W, sigma),
        "sign flipped": lambda X, W, sigma: -F.matrix_function_backward_sum_1(X, W, sigma),
    },
    "foundations.matrix_function_backward_sum_2": {
        "transposed (dL/dN.T @ X)": lambda X, W, sigma: d(sigma, X @ W).T @ X,
        "sigma' at sigma(N)": lambda X, W, sigma: X.T @ d(sigma, sigma(X @ W)),
        "sigma' missing": lambda X, W, sigma: X.T @ np.ones((X.shape[0], W.shape[1])),
        "X not transposed": lambda X, W, sigma: X @ d(sigma, X @ W),
        "elementwise instead of a matrix product": lambda X, W, sigma: X.T * d(sigma, X @ W),
        "off by 2": lambda X, W, sigma: 2 * F.matrix_function_backward_sum_2(X, W, sigma),
        "sign flipped": lambda X, W, sigma: -F.matrix_function_backward_sum_2(X, W, sigma),
    },
}

#: Mistakes that can only show on some cases, by construction.
ONLY = {
    ("foundations.deriv", "diff ignored"): {"sigmoid, on a 2x3 array with diff=0.1"},
    ("foundations.deriv", "integer dtype kept (truncation)"):
        {"sigmoid, at the lesson's integer inputs np.array(3) and np.array(4)"},
}

FOUNDATIONS = suite("test_foundations")


def separated(spec, inputs, mutant, tol) -> bool:
    resolved = FOUNDATIONS.resolve(inputs)
    expected = spec.reference(inputs)
    args = [resolved[p] for p in spec.params]
    kwargs = {k: v for k, v in resolved.items() if k not in spec.params}
    try:
        with np.errstate(all="ignore"):
            got = mutant(*args, **kwargs)
    except Exception:  # the mistake does not even compute: the case fails it
        return True
    try:
        if spec.names:
            expect_tuple(got, expected, names=spec.names, call="m()", **tol)
        elif np.ndim(expected) == 0:
            expect_scalar(got, float(expected), call="m()", **tol)
        else:
            expect_array(got, np.asarray(expected), call="m()", **tol)
    except StudentFailure:
        return True
    return False


@pytest.mark.parametrize("qid", list(MUTANTS))
def test_every_hidden_case_separates_every_listed_mistake(qid):
    spec = FOUNDATIONS.SPECS[qid]
    q = CONFIG.question(qid)
    tol = dict(rtol=q.rtol, atol=q.atol)
    assert set(spec.cases) and MUTANTS[qid]
    missed = []
    for name, mutant in MUTANTS[qid].items():
        cases = ONLY.get((qid, name), set(spec.cases))
        assert cases <= set(spec.cases), (qid, name)
        for case in cases:
            for seed in SEEDS:
                for inputs in spec.cases[case](np.random.default_rng(seed)):
                    if not separated(spec, inputs, mutant, tol):
                        missed.append((name, case, seed))
    assert not missed, f"{qid}: cases that do not separate a listed mistake: {missed[:10]}"


@pytest.mark.parametrize("qid", list(MUTANTS))
def test_the_reference_passes_every_hidden_case(qid):
    spec = FOUNDATIONS.SPECS[qid]
    q = CONFIG.question(qid)
    reference = getattr(F, spec.function)
    for case in spec.cases:
        for seed in SEEDS[:3]:
            for inputs in spec.cases[case](np.random.default_rng(seed)):
                assert not separated(spec, inputs, reference, dict(rtol=q.rtol, atol=q.atol)), (case, seed)


# -- loss_gradients: the mistakes of each entry ---------------------------------------------------
def lr_mutants(info, w):
    X, P, y = info["X"], info["P"], info["y"]
    dLdP = -2 * (y - P)
    n = X.shape[0]
    return {
        "W": {"no factor 2": X.T @ (-(y - P)), "mean, not sum": X.T @ dLdP / n, "sign flipped": X.T @ (2 * (y - P)),
              "elementwise X * dL/dP": X * dLdP},
        "B": {"not summed": dLdP, "mean, not sum": dLdP.sum(axis=0, keepdims=True) / n,
              "no factor 2": (-(y - P)).sum(axis=0, keepdims=True),
              "sign flipped": (2 * (y - P)).sum(axis=0, keepdims=True)},
    }


def nn_mutants(info, w):
    X, P, y, O1, N1 = info["X"], info["P"], info["y"], info["O1"], info["N1"]
    dLdP = -2 * (y - P)
    dLdO1 = dLdP @ w["W2"].T
    dLdN1 = dLdO1 * O1 * (1 - O1)
    s = 1 / (1 + np.exp(-O1))
    n = X.shape[0]
    return {
        "W1": {"no factor 2": X.T @ (dLdN1 / 2), "sigma' at O1": X.T @ (dLdO1 * s * (1 - s)),
               "sigma' missing": X.T @ dLdO1, "mean, not sum": X.T @ dLdN1 / n},
        "B1": {"summed twice": np.array(dLdN1.sum()), "not summed": dLdN1, "wrong axis": dLdN1.sum(axis=1),
               "mean, not sum": dLdN1.mean(axis=0, keepdims=True), "sigma' at O1": (dLdO1 * s * (1 - s)).sum(axis=0)},
        "W2": {"no factor 2": O1.T @ (dLdP / 2), "N1 instead of O1": N1.T @ dLdP,
               "mean, not sum": O1.T @ dLdP / n, "elementwise O1 * dL/dP": O1 * dLdP},
        "B2": {"not summed": dLdP, "no factor 2": (dLdP / 2).sum(axis=0, keepdims=True),
               "sign flipped": -dLdP.sum(axis=0, keepdims=True), "mean, not sum": dLdP.mean(axis=0, keepdims=True)},
    }


@pytest.mark.parametrize("name,ref,mutants,alt", [
    ("test_linear_regression", LR, lr_mutants, {"B": [(1,)]}),
    ("test_neural_network", NN, nn_mutants, {"B1": [(5,)], "B2": [(1,)]}),
])
def test_each_entry_case_separates_the_mistakes_of_its_entry(name, ref, mutants, alt):
    module = suite(name)
    q = CONFIG.question(f"{ref.__name__.rsplit('.', 1)[1]}.loss_gradients")
    for label, (n, dim) in module.BATCHES.items():
        for seed in SEEDS:
            info, weights = module.batch(np.random.default_rng(seed), n, dim)
            expected = ref.loss_gradients(info, weights)
            for key, wrong in mutants(info, weights).items():
                expect_dict({**expected}, expected, keys=[key], rtol=q.rtol, atol=q.atol, call="g()",
                            alt_shapes=alt)
                for mistake, value in wrong.items():
                    with pytest.raises(StudentFailure):
                        expect_dict({**expected, key: value}, expected, keys=[key], rtol=q.rtol, atol=q.atol,
                                    call="g()", alt_shapes=alt)
                    # a mistake in one entry costs that entry only
                    others = [k for k in expected if k != key]
                    expect_dict({**expected, key: value}, expected, keys=others, rtol=q.rtol, atol=q.atol,
                                call="g()", alt_shapes=alt)


@pytest.mark.parametrize("name,ref", [("test_linear_regression", LR), ("test_neural_network", NN)])
def test_the_backprop_case_separates_finite_differences(name, ref):
    """A loss_gradients made of finite differences of a fresh forward pass ignores forward_info's
    cache: the same gradients for a stale and a fresh forward_info. Backprop gives two results."""
    hs = suite("hidden_support")
    module = suite(name)

    def finite_differences(info, weights, step=1e-6):
        X, y = info["X"], info["y"]
        grads = {}
        for key, value in weights.items():
            g = np.zeros_like(value)
            for idx in np.ndindex(value.shape):
                up = {k: v.copy() for k, v in weights.items()}
                down = {k: v.copy() for k, v in weights.items()}
                up[key][idx] += step
                down[key][idx] -= step
                loss = lambda w: float(np.sum((y - ref.forward(X, y, w)[0]["P"]) ** 2))  # noqa: E731
                g[idx] = (loss(up) - loss(down)) / (2 * step)
            grads[key] = g
        return grads

    for seed in SEEDS[:3]:
        stale, fresh, moved = module.stale_pair(np.random.default_rng(seed), 8, 3)
        keys = list(moved)
        # finite differences are right on a fresh forward_info ...
        for k, v in finite_differences(fresh, moved).items():
            np.testing.assert_allclose(v, ref.loss_gradients(fresh, moved)[k], rtol=1e-5, atol=1e-5)
        # ... and ignore the cache
        with pytest.raises(StudentFailure, match="ignores forward_info's cached values"):
            hs.check_uses_cache(finite_differences(stale, moved), finite_differences(fresh, moved), keys, call="g()")
        hs.check_uses_cache(ref.loss_gradients(stale, moved), ref.loss_gradients(fresh, moved), keys, call="g()")
        # the gate every case runs first fails finite differences only; None or zeros keep their own messages
        with pytest.raises(StudentFailure):
            hs.check_uses_cache(finite_differences(stale, moved), finite_differences(fresh, moved), keys,
                                call="g()", strict=False)
        zeros = {k: np.zeros_like(v) for k, v in moved.items()}
        hs.check_uses_cache(None, None, keys, call="g()", strict=False)
        hs.check_uses_cache(zeros, zeros, keys, call="g()", strict=False)
        with pytest.raises(StudentFailure):
            hs.check_uses_cache(zeros, zeros, keys, call="g()")
        # a backprop with a mistake (no factor 2) still reads the cache: that mistake costs the entry cases only
        half = {k: v / 2 for k, v in ref.loss_gradients(stale, moved).items()}
        hs.check_uses_cache(half, {k: v / 2 for k, v in ref.loss_gradients(fresh, moved).items()}, keys, call="g()")


def test_a_modified_input_is_seen_by_the_grader():
    hs = suite("hidden_support")
    module = suite("test_linear_regression")
    info, weights = module.batch(np.random.default_rng(0), 5, 2)
    before = [hs._copy(info), hs._copy(weights)]
    after_info = hs._copy(info)
    after_info["P"] -= after_info["y"]  # the -= on forward_info['P'] of issue 13
    assert hs.changed_inputs(before, [after_info, weights], ["forward_info", "weights"]) == ["forward_info['P']"]
    assert hs.changed_inputs(before, [hs._copy(info), weights], ["forward_info", "weights"]) == []
    assert hs.changed_inputs(before, None, ["forward_info", "weights"]) == ["forward_info", "weights"]
