"""Mistake signatures (autograder/judge/diagnose.py): each one's fixture gets its hint, the reference
and the accepted variants get none, and a random wrong answer gets only the generic message."""
from __future__ import annotations

import numpy as np
import pytest

from autograder.judge import diagnose
from solutions.nn_from_scratch import foundations as F, linear_regression as LR, neural_network as NN

TOL = dict(rtol=1e-6, atol=1e-9)
d = F.deriv


def ids(question, got, expected, inputs, key=None):
    return [s.id for s in diagnose.find(question, got, expected, inputs, key=key, **TOL)]


def lr_case(seed=0, n=7, dim=3):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, dim)), rng.normal(loc=2.0, size=(n, 1))
    w = {"W": rng.normal(size=(dim, 1)), "B": rng.normal(size=(1, 1))}
    info = LR.forward(X, y, w)[0]
    return info, w, LR.loss_gradients(info, w)


def nn_case(seed=0, n=6, dim=4, h=5):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, dim)), rng.normal(loc=2.0, size=(n, 1))
    w = {"W1": rng.normal(size=(dim, h)), "B1": rng.normal(size=(1, h)), "W2": rng.normal(size=(h, 1)),
         "B2": rng.normal(size=(1, 1))}
    info = NN.forward(X, y, w)[0]
    return info, w, NN.loss_gradients(info, w)


X3 = np.array([1.3, -0.7, 2.0])
X23 = np.array([[0.4, -1.2, 0.8], [1.5, -0.3, 0.9]])
W32 = np.array([[0.5, -1.0], [0.2, 0.7], [-0.6, 1.1]])


def test_forward_difference():
    inputs = {"func": F.sigmoid, "input_": X3, "diff": 0.001}
    got = (F.sigmoid(X3 + 0.001) - F.sigmoid(X3)) / 0.001
    assert ids("foundations.deriv", got, d(F.sigmoid, X3), inputs) == ["forward_difference"]
    assert "central difference" in diagnose.signature("forward_difference").hint


def test_integer_truncation():
    x = np.array(3)
    expected = d(F.sigmoid, x)
    got = np.zeros_like(x)  # np.zeros_like(input_) filled in: the integer dtype cuts 0.045 to 0
    got[()] = expected
    assert ids("foundations.deriv", got, expected, {"func": F.sigmoid, "input_": x}) == ["integer_truncation"]


def test_averaged_not_summed_names_n():
    info, w, g = lr_case()
    inputs = {"forward_info": info, "weights": w}
    assert ids("linear_regression.loss_gradients", g["B"] / 7, g["B"], inputs, key="B") == ["averaged_not_summed"]
    hint = diagnose.signature("averaged_not_summed").hint
    assert "n times too small" in hint and "sums the gradient over the batch, it does not average it" in hint


@pytest.mark.parametrize("factor,signature", [(0.5, "missing_factor_2"), (2.0, "extra_factor_2"),
                                              (-1.0, "sign_flipped")])
def test_constant_ratios(factor, signature):
    info, w, g = nn_case()
    inputs = {"forward_info": info, "weights": w}
    assert ids("neural_network.loss_gradients", factor * g["W1"], g["W1"], inputs, key="W1") == [signature]
    expected = F.matrix_function_backward_sum_1(X23, W32, F.sigmoid)
    assert ids("foundations.matrix_function_backward_sum_1", factor * expected, expected,
               {"X": X23, "W": W32, "sigma": F.sigmoid}) == [signature]


def test_transposed():
    expected = F.matrix_function_backward_sum_2(X23, W32, F.sigmoid)
    got = d(F.sigmoid, X23 @ W32).T @ X23  # grace_kim's mistake
    assert ids("foundations.matrix_function_backward_sum_2", got, expected,
               {"X": X23, "W": W32, "sigma": F.sigmoid}) == ["transposed"]


def test_elementwise_not_matmul():
    info, w, g = lr_case()
    got = info["X"] * (-2 * (info["y"] - info["P"]))
    assert ids("linear_regression.loss_gradients", got, g["W"], {"forward_info": info, "weights": w},
               key="W") == ["elementwise_not_matmul"]


def test_derivative_at_the_wrong_point():
    chain = [F.leaky_relu, F.square, F.sigmoid]
    x = np.array([1.3, -0.7, 2.0])
    got = d(chain[2], chain[0](x)) * d(chain[1], chain[0](x)) * d(chain[0], x)  # f3' at f1(x)
    assert ids("foundations.chain_deriv_3", got, F.chain_deriv_3(chain, x), {"chain": chain, "x": x}) == \
        ["derivative_at_wrong_point"]
    got = d(F.sigmoid, F.sigmoid(X23 @ W32)) @ W32.T
    assert ids("foundations.matrix_function_backward_sum_1", got,
               F.matrix_function_backward_sum_1(X23, W32, F.sigmoid), {"X": X23, "W": W32, "sigma": F.sigmoid}) == \
        ["derivative_at_wrong_point"]


def test_sigma_prime_at_the_output():
    info, w, g = nn_case()
    O1 = info["O1"]
    s = F.sigmoid(O1)
    dLdO1 = -2 * (info["y"] - info["P"]) @ w["W2"].T
    got = info["X"].T @ (dLdO1 * s * (1 - s))
    assert ids("neural_network.loss_gradients", got, g["W1"], {"forward_info": info, "weights": w}, key="W1") == \
        ["sigma_prime_at_output"]


@pytest.mark.parametrize("key,make,signature", [
    ("B", lambda dLdP, dLdN1: dLdP, "bias_not_summed"),
    ("B1", lambda dLdP, dLdN1: dLdN1.sum(axis=1), "bias_summed_wrong_axis"),
    ("B1", lambda dLdP, dLdN1: np.array(dLdN1.sum()), "bias_summed_twice"),
])
def test_bias_sums(key, make, signature):
    if key == "B":
        info, w, g = lr_case()
        question, dLdN1 = "linear_regression.loss_gradients", None
    else:
        info, w, g = nn_case()
        question = "neural_network.loss_gradients"
        dLdN1 = (-2 * (info["y"] - info["P"]) @ w["W2"].T) * info["O1"] * (1 - info["O1"])
    got = make(-2 * (info["y"] - info["P"]), dLdN1)
    assert ids(question, got, g[key], {"forward_info": info, "weights": w}, key=key) == [signature]


def test_no_hint_for_the_reference_accepted_variants_or_a_random_answer():
    info, w, g = nn_case()
    inputs = {"forward_info": info, "weights": w}
    rng = np.random.default_rng(5)
    for key, value in g.items():
        assert ids("neural_network.loss_gradients", value, value, inputs, key=key) == []
        assert ids("neural_network.loss_gradients", value.ravel(), value, inputs, key=key) == []  # (h,) bias shape
        assert ids("neural_network.loss_gradients", value.astype(np.float32), value, inputs, key=key) == []
        assert ids("neural_network.loss_gradients", rng.normal(size=value.shape), value, inputs, key=key) == []
    x = np.array([1.3, -0.7, 2.0])
    for question, expected, inputs in [
        ("foundations.deriv", d(F.sigmoid, x), {"func": F.sigmoid, "input_": x}),
        ("foundations.chain_deriv_2", F.chain_deriv_2([F.sigmoid, F.square], x), {"chain": [F.sigmoid, F.square], "x": x}),
        ("foundations.matrix_function_backward_sum_2", F.matrix_function_backward_sum_2(X23, W32, F.square),
         {"X": X23, "W": W32, "sigma": F.square}),
    ]:
        assert ids(question, expected, expected, inputs) == []
        assert ids(question, expected + rng.normal(size=np.shape(expected)), expected, inputs) == []


def test_a_formula_that_equals_the_right_answer_on_the_inputs_never_matches():
    # leaky_relu last after positive values: its slope is 1 at f1(x) and at f2(f1(x)) alike
    chain = [F.square, F.sigmoid, F.leaky_relu]
    x = np.array([1.3, -0.7, 2.0])
    expected = F.chain_deriv_3(chain, x)
    assert ids("foundations.chain_deriv_3", expected, expected, {"chain": chain, "x": x}) == []


def test_every_signature_has_a_hint_and_a_known_question():
    questions = {"*", "foundations.deriv", "foundations.chain_deriv_2", "foundations.chain_deriv_3",
                 "foundations.multiple_inputs_add_backward", "foundations.matrix_function_backward_1",
                 "foundations.matrix_function_backward_sum_1", "foundations.matrix_function_backward_sum_2",
                 "linear_regression.loss_gradients", "linear_regression.train", "neural_network.loss_gradients",
                 "neural_network.train"}
    for sig in diagnose.SIGNATURES:
        assert sig.hint.strip() and set(sig.questions) <= questions, sig.id


def test_summary_counts_each_signature_once_per_submission_and_question():
    from autograder.publish.report import diagnosis_counts
    from autograder.results import CaseResult, Isolation, Outcome, QuestionResult, Status, SubmissionResult

    def result(student, *case_diagnoses):
        cases = tuple(CaseResult("linear_regression.loss_gradients", f"c{i}", Outcome.FAILED, diagnoses=d)
                      for i, d in enumerate(case_diagnoses))
        q = QuestionResult("linear_regression.loss_gradients", 0.0, 4.0, "visible", cases)
        return SubmissionResult(student, Status.GRADED, (q,), Isolation.SANDBOX)

    results = [result("a", ("averaged_not_summed",), ("averaged_not_summed",)),  # two cases, one student
               result("b", ("averaged_not_summed", "sign_flipped")), result("c", ())]
    assert diagnosis_counts(results) == {"linear_regression.loss_gradients": {"averaged_not_summed": 2,
                                                                              "sign_flipped": 1}}
    running: dict = {}
    for r in results:
        diagnosis_counts([r], into=running)
    assert running == diagnosis_counts(results)
