"""Mistake signatures: name the mistake behind a wrong result, in plain words.

Runs in the trusted grader process, after a hidden case found a value or shape mismatch. Each
`Signature` is data: an id (counted per question in ``summary.json``), the questions it applies
to, a hint for the student (the lesson's convention, never a hidden expected value) and,
usually, the *wrong formula* itself: ``candidates(evidence)`` returns what a submission with
that mistake would have returned on the case's inputs. A wrong result that equals one of them
(same number of elements, values within the tolerance below) gets the signature's hint; a
result that equals none gets the generic message of `autograder.judge.compare` only. A candidate that
equals the right answer on these inputs never matches (it could not tell the two apart).

Signatures without candidates (``inputs_modified``, the ``train_*`` ones) are attached by the
check that detects them (`autograder/suites/hidden_support.py`, the train behaviour cases).

Adding one: append a `Signature` to `SIGNATURES` with a unique id, its question ids (``"*"``
for every question), a hint, and a function of `Evidence` returning the wrong results (a list;
empty when the signature does not apply to this case). Tests: ``tests/test_diagnose.py`` has a
fixture per signature that must get its hint, and checks that the reference gets none.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

#: Tolerance of a match between a wrong result and a candidate (relative, absolute).
MATCH_RTOL, MATCH_ATOL = 1e-5, 1e-8


@dataclass(frozen=True)
class Evidence:
    """What a signature may look at: the case's inputs and results (all trusted copies).

    Attributes:
        question: the question id, e.g. ``"linear_regression.loss_gradients"``.
        got: the student's result (the dict entry `key` of a dict result).
        expected: the reference result (the entry `key`).
        inputs: the call's inputs by argument name; lesson functions as callables
            (``{"func": sigmoid, "input_": x, "diff": 0.001}``), ``forward_info`` and ``weights``
            as dicts of arrays.
        key: the dict entry being checked (``"B1"``), or None.
    """

    question: str
    got: Any
    expected: Any
    inputs: Mapping[str, Any]
    key: str | None = None


@dataclass(frozen=True)
class Signature:
    """One known mistake: its id, where it applies, a hint, and the wrong formula."""

    id: str
    questions: tuple[str, ...]
    hint: str
    candidates: Callable[[Evidence], Sequence[Any]] | None = None
    keys: tuple[str, ...] = field(default=())  # dict entries it applies to; () = any or none


# -- the wrong formulas -----------------------------------------------------------------------------
def _ratio(factor: float) -> Callable[[Evidence], list]:
    return lambda ev: [factor * np.asarray(ev.expected, dtype=float)]


def _rows(ev: Evidence) -> int:
    return int(np.shape(ev.inputs["forward_info"]["X"])[0])


def _averaged(ev: Evidence) -> list:
    return [np.asarray(ev.expected, dtype=float) / _rows(ev)] if _rows(ev) > 1 else []


def _forward_difference(ev: Evidence) -> list:
    f, x, h = ev.inputs["func"], ev.inputs["input_"], ev.inputs.get("diff", 0.001)
    return [(f(x + h) - f(x)) / h, (f(x) - f(x - h)) / h]


def _truncated(ev: Evidence) -> list:
    x = ev.inputs.get("input_")
    if type(x) is not np.ndarray or x.dtype.kind not in "iu":
        return []
    return [np.trunc(np.asarray(ev.expected, dtype=float))]


def _transposed(ev: Evidence) -> list:
    e = np.asarray(ev.expected)
    return [e.T] if e.ndim == 2 and e.shape[0] != e.shape[1] else []


def _dsig(f: Callable, x: Any, h: float = 0.001) -> Any:
    return (f(x + h) - f(x - h)) / (2 * h)


def _chain_wrong_points(ev: Evidence) -> list:
    chain, x = ev.inputs["chain"], ev.inputs["x"]
    if len(chain) == 2:
        f1, f2 = chain
        return [_dsig(f2, x) * _dsig(f1, x), _dsig(f2, x) * _dsig(f1, f1(x))]
    f1, f2, f3 = chain
    u1, u2 = f1(x), f2(f1(x))
    return [_dsig(f3, u1) * _dsig(f2, u1) * _dsig(f1, x),   # f3' at f1(x)
            _dsig(f3, x) * _dsig(f2, x) * _dsig(f1, x),     # every slope at x
            _dsig(f3, u2) * _dsig(f2, x) * _dsig(f1, x),    # f2' at x
            _dsig(f3, u1) * _dsig(f2, x) * _dsig(f1, x)]


def _add_wrong_points(ev: Evidence) -> list:
    x, y, s = ev.inputs["x"], ev.inputs["y"], ev.inputs["sigma"]
    return [(_dsig(s, x), _dsig(s, y)), (_dsig(s, x), _dsig(s, x))]


def _matrix_wrong_points(ev: Evidence) -> list:
    X, W, s = ev.inputs["X"], ev.inputs["W"], ev.inputs["sigma"]
    N = X @ W
    wrong = [_dsig(s, s(N)), s(N)]  # sigma' at sigma(N); sigma(N) itself instead of its slope
    if ev.question.endswith("sum_2"):
        return [X.T @ d for d in wrong]
    return [d @ W.T for d in wrong]


def _lr_parts(ev: Evidence) -> dict:
    fi = ev.inputs["forward_info"]
    return {"X": fi["X"], "dLdP": -2.0 * (fi["y"] - fi["P"])}


def _nn_parts(ev: Evidence) -> dict:
    fi, w = ev.inputs["forward_info"], ev.inputs["weights"]
    dLdP = -2.0 * (fi["y"] - fi["P"])
    dLdO1 = dLdP @ w["W2"].T
    return {"X": fi["X"], "O1": fi["O1"], "N1": fi["N1"], "dLdP": dLdP, "dLdO1": dLdO1,
            "dLdN1": dLdO1 * fi["O1"] * (1 - fi["O1"])}


def _elementwise(ev: Evidence) -> list:
    if ev.question == "linear_regression.loss_gradients" and ev.key == "W":
        p = _lr_parts(ev)
        return [p["X"] * p["dLdP"]]
    if ev.question == "neural_network.loss_gradients" and ev.key == "W2":
        p = _nn_parts(ev)
        return [p["O1"] * p["dLdP"]]
    if ev.question == "neural_network.loss_gradients" and ev.key == "W1":
        p = _nn_parts(ev)
        return [p["X"] * p["dLdN1"].sum(axis=1, keepdims=True)]
    return []


def _nn_sigma_wrong_point(ev: Evidence) -> list:
    p = _nn_parts(ev)
    s = 1.0 / (1.0 + np.exp(-p["O1"]))
    dLdN1 = p["dLdO1"] * s * (1 - s)  # sigma' at O1 instead of at N1
    return [p["X"].T @ dLdN1] if ev.key == "W1" else [dLdN1.sum(axis=0, keepdims=True)]


def _bias_parts(ev: Evidence) -> Any:
    if ev.question == "linear_regression.loss_gradients":
        return _lr_parts(ev)["dLdP"]
    p = _nn_parts(ev)
    return p["dLdN1"] if ev.key == "B1" else p["dLdP"]


def _not_summed(ev: Evidence) -> list:
    return [_bias_parts(ev)]


def _wrong_axis(ev: Evidence) -> list:
    d = _bias_parts(ev)
    return [d.sum(axis=1)] if d.shape[1] > 1 else []  # one column: axis=1 changes nothing


def _twice(ev: Evidence) -> list:
    d = _bias_parts(ev)
    return [np.array(d.sum())] if d.shape[1] > 1 else []


MODELS = ("linear_regression.loss_gradients", "neural_network.loss_gradients")
CHAINS = ("foundations.chain_deriv_2", "foundations.chain_deriv_3")
MATRIX = ("foundations.matrix_function_backward_1", "foundations.matrix_function_backward_sum_1",
          "foundations.matrix_function_backward_sum_2")

#: The registry. Order matters only for the order of hints in a message.
SIGNATURES: tuple[Signature, ...] = (
    Signature("forward_difference", ("foundations.deriv",),
              "you used a one-sided difference, (f(x + diff) - f(x)) / diff; the lesson's deriv is the "
              "central difference (f(x + diff) - f(x - diff)) / (2 * diff).", _forward_difference),
    Signature("integer_truncation", ("foundations.deriv",),
              "your result was cut to whole numbers: for an integer input such as np.array(3), an output "
              "array made from the input (np.zeros_like(input_), input_.copy()) keeps its integer dtype. "
              "Compute the result from float values.", _truncated),
    Signature("averaged_not_summed", MODELS,
              "your gradient is n times too small (n = rows in the batch): the lesson sums the gradient "
              "over the batch, it does not average it.", _averaged),
    Signature("missing_factor_2", ("*",),
              "your result is half the expected value: a factor 2 is missing (the lesson's loss is the "
              "summed squared error, so dL/dP = -2 (y - P)).", _ratio(0.5)),
    Signature("extra_factor_2", ("*",),
              "your result is twice the expected value: a factor 2 is counted twice (the central "
              "difference divides by 2 * diff; dL/dP = -2 (y - P) has one factor 2).", _ratio(2.0)),
    Signature("sign_flipped", ("*",),
              "every value has the opposite sign: check the sign of the first step (dL/dP = -2 (y - P), "
              "with y - P, not P - y) or the order of a difference.", _ratio(-1.0)),
    Signature("transposed", ("*",),
              "your result is the transpose of the expected one: check the order of the matrix product "
              "and where the transpose goes (the lesson's dL/dW = Xᵀ @ dL/dN, dL/dX = dL/dN @ Wᵀ).",
              _transposed),
    Signature("elementwise_not_matmul", MODELS,
              "your result looks like an elementwise product (*) where the lesson uses a matrix product "
              "(np.dot): dL/dW = Xᵀ @ dL/dN adds up the contributions of every row of the batch.",
              _elementwise, keys=("W", "W1", "W2")),
    Signature("derivative_at_wrong_point", CHAINS + ("foundations.multiple_inputs_add_backward",) + MATRIX,
              "a derivative is taken at the wrong point: in the chain rule each function's derivative is "
              "evaluated at that function's own input (f2′ at f1(x), σ′ at X @ W or at x + y), not at x "
              "or at an output.", None),
    Signature("sigma_prime_at_output", ("neural_network.loss_gradients",),
              "σ′ is evaluated at the wrong point: the lesson's dO1/dN1 is σ(N1) (1 - σ(N1)), which is "
              "O1 (1 - O1); applying σ′ to O1 again is wrong.", _nn_sigma_wrong_point, keys=("W1", "B1")),
    Signature("bias_not_summed", MODELS,
              "your bias gradient has one row per example: the bias is added to every row, so its gradient "
              "sums over the rows (axis=0, keepdims=True).", _not_summed, keys=("B", "B1", "B2")),
    Signature("bias_summed_wrong_axis", MODELS,
              "your bias gradient is summed over the wrong axis: sum over the rows (axis=0), which leaves "
              "one value per bias.", _wrong_axis, keys=("B", "B1", "B2")),
    Signature("bias_summed_twice", ("neural_network.loss_gradients",),
              "your dL/dB1 is one number: it was summed over the rows and then again over the hidden units "
              "(the lesson's own code does this). Sum over the rows only: one value per hidden unit.",
              _twice, keys=("B1",)),
    Signature("inputs_modified", ("*",),
              "your function changed its input in place (-=, += or np.random.shuffle on an array it was "
              "given, or a new key in forward_info): work on new arrays and leave the caller's alone."),
    Signature("train_wrong_start", ("linear_regression.train", "neural_network.train"),
              "your train did not start from the weights init_weights(X.shape[1]) draws after "
              "np.random.seed(seed): start from exactly those."),
    Signature("train_not_gradient_descent", ("linear_regression.train", "neural_network.train"),
              "from its own starting weights, your train did not take the steps of gradient descent: "
              "each update is weights[key] -= learning_rate * grads[key], one per iteration."),
    Signature("train_never_reshuffles", ("linear_regression.train", "neural_network.train"),
              "your train walks the rows in the same order in every pass: draw a new permutation each time "
              "a pass over the data is used up."),
    Signature("train_batch_shrinks", ("linear_regression.train", "neural_network.train"),
              "your batch size shrinks for good after a short last batch (the lesson's train overwrites "
              "batch_size): keep batch_size and make only the last batch of a pass shorter."),
    Signature("train_shuffles_x_y_apart", ("linear_regression.train", "neural_network.train"),
              "your train shuffles X and y with different permutations, so the targets no longer belong "
              "to their rows: index both with the same permutation."),
    Signature("train_modifies_caller_arrays", ("linear_regression.train", "neural_network.train"),
              "your train changes the caller's X or y (np.random.shuffle works in place): shuffle a copy, "
              "X[perm] makes one."),
)

_BY_ID = {s.id: s for s in SIGNATURES}
if len(_BY_ID) != len(SIGNATURES):  # pragma: no cover - a registry mistake
    raise RuntimeError("duplicate signature id")

# the wrong evaluation points differ per question family
_WRONG_POINTS: dict[str, Callable[[Evidence], list]] = {
    "foundations.chain_deriv_2": _chain_wrong_points,
    "foundations.chain_deriv_3": _chain_wrong_points,
    "foundations.multiple_inputs_add_backward": _add_wrong_points,
    **{q: _matrix_wrong_points for q in MATRIX},
}


def signature(signature_id: str) -> Signature:
    """The registered signature with this id. Raises KeyError for an unknown id."""
    return _BY_ID[signature_id]


def _flat(value: Any) -> np.ndarray | None:
    """A float array of a number, an array, or a tuple of arrays (flattened, concatenated)."""
    try:
        if type(value) in (tuple, list):
            parts = [_flat(v) for v in value]
            return None if any(p is None for p in parts) else np.concatenate(parts)
        a = np.asarray(value)
        if a.dtype.kind not in "iuf":
            return None
        return a.astype(float).ravel()
    except (TypeError, ValueError):
        return None


def _same(a: Any, b: Any, rtol: float = MATCH_RTOL, atol: float = MATCH_ATOL) -> bool:
    fa, fb = _flat(a), _flat(b)
    if fa is None or fb is None or fa.size != fb.size or fa.size == 0:
        return False
    with np.errstate(all="ignore"):
        return bool(np.all(np.abs(fa - fb) <= atol + rtol * np.abs(fb)))


def _applies(sig: Signature, question: str, key: str | None) -> bool:
    if "*" not in sig.questions and question not in sig.questions:
        return False
    return not sig.keys or key in sig.keys


def find(question: str, got: Any, expected: Any, inputs: Mapping[str, Any], *, key: str | None = None,
         rtol: float = 0.0, atol: float = 0.0) -> list[Signature]:
    """The signatures whose wrong formula gives `got` on this case.

    Args:
        question: the question id.
        got: the student's (wrong) result, or the entry `key` of it; plain data from the worker.
        expected: the reference result (or its entry `key`).
        inputs: the call's inputs by argument name (see `Evidence`).
        key: the dict entry, if a dict result is checked entry by entry.
        rtol, atol: the case's tolerances; a candidate that the right answer would pass with them
            is skipped (it cannot tell the mistake from the right answer).

    Returns:
        The matching signatures, in registry order; empty when none matches. A signature whose
        formula fails on these inputs (an exception) simply does not match.
    """
    ev = Evidence(question, got, expected, inputs, key)
    found = []
    for sig in SIGNATURES:
        if not _applies(sig, question, key):
            continue
        formula = sig.candidates or (_WRONG_POINTS.get(question) if sig.id == "derivative_at_wrong_point" else None)
        if formula is None:
            continue
        try:
            with np.errstate(all="ignore"):
                candidates = list(formula(ev))
        except Exception:  # a formula that does not fit these inputs does not match
            continue
        for cand in candidates:
            if _same(cand, expected, max(rtol, MATCH_RTOL), max(atol, MATCH_ATOL)):
                continue
            if _same(got, cand):
                found.append(sig)
                break
    return found
