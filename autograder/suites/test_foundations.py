"""Hidden test cases of foundations.py: derivatives, the chain rule, matrix backward passes.

Each case's inputs are drawn for each submission from the course secret and a hash of the
submission's ``foundations.py`` (`hidden_support.hidden_rng`), so no student can collect them;
their ranges are chosen so that every case tells the right answer from the common wrong
formulas (listed and checked in ``tests/test_suite_mutants.py``): magnitudes avoid 0.5 and 1
(where 2x = 1 or x² = |x|) and arrays mix signs (so leaky_relu's two slopes both count).
Expected values come from the reference in `solutions/`, computed here, in the grader; a
question whose function calls `deriv` is graded with the reference `deriv` in place
(grading.yml ``requires``), so a wrong `deriv` costs its own points only. Every call must leave
its inputs unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import hidden_support as hs
from solutions.nn_from_scratch import foundations as ref

LESSON = {"square": ref.square, "sigmoid": ref.sigmoid, "leaky_relu": ref.leaky_relu}


# -- input generators -----------------------------------------------------------------------------
def magnitudes(rng: np.random.Generator, size) -> np.ndarray:
    """Magnitudes in [0.6, 0.9] or [1.2, 2.2]: away from 0, 0.5 and 1."""
    low = rng.uniform(0.6, 0.9, size=size)
    high = rng.uniform(1.2, 2.2, size=size)
    return np.where(rng.random(size=size) < 0.5, low, high)


def number(rng: np.random.Generator) -> float:
    return float(magnitudes(rng, ()) * rng.choice([-1.0, 1.0]))


def mixed(rng: np.random.Generator, shape) -> np.ndarray:
    """An array whose signs alternate (both signs always present), magnitudes as above."""
    size = int(np.prod(shape))
    signs = np.where(np.arange(size) % 2 == 0, 1.0, -1.0) * rng.choice([-1.0, 1.0])
    return (magnitudes(rng, size) * signs).reshape(shape)


def normal(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.normal(size=shape)


# -- the questions ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    """One question: its function, argument names, and its cases (id -> inputs for one rng)."""

    function: str
    params: tuple[str, ...]
    cases: dict[str, Callable[[np.random.Generator], list[dict]]]
    names: tuple[str, ...] | None = None  # a tuple result's item names

    def reference(self, inputs: dict):
        resolved = resolve(inputs)
        return getattr(ref, self.function)(*(resolved[p] for p in self.params if p in resolved),
                                           **{k: v for k, v in resolved.items() if k not in self.params})


def resolve(inputs: dict) -> dict:
    """Lesson functions by name -> the reference callables (for reference values and diagnoses)."""
    out = {}
    for k, v in inputs.items():
        if isinstance(v, str):
            out[k] = LESSON[v]
        elif isinstance(v, list):
            out[k] = [LESSON[n] for n in v]
        else:
            out[k] = v
    return out


SPECS: dict[str, Spec] = {
    "foundations.deriv": Spec("deriv", ("func", "input_"), {
        "square, at a number": lambda r: [{"func": "square", "input_": number(r)}],
        "sigmoid, on an array": lambda r: [{"func": "sigmoid", "input_": mixed(r, 3)}],
        "sigmoid, on a 2x3 array with diff=0.1": lambda r: [{"func": "sigmoid", "input_": mixed(r, (2, 3)),
                                                             "diff": 0.1}],
        "sigmoid, at the lesson's integer inputs np.array(3) and np.array(4)":
            lambda r: [{"func": "sigmoid", "input_": np.array(3)}, {"func": "sigmoid", "input_": np.array(4)}],
    }),
    "foundations.chain_deriv_2": Spec("chain_deriv_2", ("chain", "x"), {
        "sigmoid then square, on an array": lambda r: [{"chain": ["sigmoid", "square"], "x": mixed(r, 3)}],
        "square then sigmoid, at a number": lambda r: [{"chain": ["square", "sigmoid"], "x": number(r)}],
    }),
    "foundations.chain_deriv_3": Spec("chain_deriv_3", ("chain", "x"), {
        "leaky_relu, square, sigmoid, on an array":
            lambda r: [{"chain": ["leaky_relu", "square", "sigmoid"], "x": mixed(r, 4)}],
        "square, sigmoid, sigmoid, at a number": lambda r: [{"chain": ["square", "sigmoid", "sigmoid"], "x": number(r)}],
    }),
    "foundations.multiple_inputs_add_backward": Spec("multiple_inputs_add_backward", ("x", "y", "sigma"), {
        "sigmoid": lambda r: [{"x": mixed(r, 3), "y": normal(r, 3), "sigma": "sigmoid"}],
        "square": lambda r: [{"x": mixed(r, 3), "y": normal(r, 3), "sigma": "square"}],
    }, names=("dsdx", "dsdy")),
    "foundations.matrix_function_backward_1": Spec("matrix_function_backward_1", ("X", "W", "sigma"), {
        "one row": lambda r: [{"X": normal(r, (1, 4)), "W": normal(r, (4, 1)), "sigma": "sigmoid"}],
        "three rows": lambda r: [{"X": normal(r, (3, 4)), "W": normal(r, (4, 1)), "sigma": "sigmoid"}],
    }),
    "foundations.matrix_function_backward_sum_1": Spec("matrix_function_backward_sum_1", ("X", "W", "sigma"), {
        "X 4x3, W 3x2, sigmoid": lambda r: [{"X": normal(r, (4, 3)), "W": normal(r, (3, 2)), "sigma": "sigmoid"}],
        "X 2x5, W 5x3, square": lambda r: [{"X": normal(r, (2, 5)), "W": normal(r, (5, 3)), "sigma": "square"}],
    }),
    "foundations.matrix_function_backward_sum_2": Spec("matrix_function_backward_sum_2", ("X", "W", "sigma"), {
        "X 4x3, W 3x2, sigmoid": lambda r: [{"X": normal(r, (4, 3)), "W": normal(r, (3, 2)), "sigma": "sigmoid"}],
        "X 2x5, W 5x3, square": lambda r: [{"X": normal(r, (2, 5)), "W": normal(r, (5, 3)), "sigma": "square"}],
    }),
}

#: A case's weight within its question (1 unless listed).
WEIGHTS = {("foundations.deriv", "sigmoid, at the lesson's integer inputs np.array(3) and np.array(4)"): 1.0}


def show(value) -> str:
    if isinstance(value, np.ndarray):
        return f"np.array({value.item()!r})" if value.ndim == 0 else f"array of shape {value.shape}"
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    return repr(value) if not isinstance(value, str) else value


def call_text(spec: Spec, inputs: dict) -> str:
    parts = [show(inputs[p]) for p in spec.params]
    parts += [f"{k}={show(v)}" for k, v in inputs.items() if k not in spec.params]
    return f"{spec.function}({', '.join(parts)})"


def _cases(qid: str) -> list:
    return [pytest.param(case, id=case, marks=pytest.mark.question(qid, weight=WEIGHTS.get((qid, case), 1.0)))
            for case in SPECS[qid].cases]


def run_case(request, student, check, hidden, qid: str, case: str) -> None:
    """Call the student's function on the case's hidden inputs; compare; name a known mistake."""
    __tracebackhide__ = True
    spec = SPECS[qid]
    for inputs in spec.cases[case](hidden(f"{qid}:{case}")):
        call = call_text(spec, inputs)
        args = [inputs[p] for p in spec.params]
        kwargs = {k: v for k, v in inputs.items() if k not in spec.params}
        function = getattr(student.foundations, spec.function)
        try:
            got = hs.call_pure(function, args, kwargs, call=call, names=list(spec.params))
        except hs.StudentFailure as failure:
            raise hs.record(request, failure) from None
        expected = spec.reference(inputs)
        if spec.names:
            def compare_it():
                check.tuple(got, expected, names=spec.names, call=call)
        else:
            def compare_it():
                check.value(got, expected, call=call)
        hs.check_with_diagnosis(request, compare_it, qid, got, expected, resolve(inputs),
                                rtol=check.rtol, atol=check.atol)


@pytest.mark.parametrize("case", _cases("foundations.deriv"))
def test_deriv(request, student, check, hidden, case):
    """deriv: the central difference"""
    run_case(request, student, check, hidden, "foundations.deriv", case)


@pytest.mark.parametrize("case", _cases("foundations.chain_deriv_2"))
def test_chain_deriv_2(request, student, check, hidden, case):
    """chain_deriv_2: the derivative of f2(f1(x))"""
    run_case(request, student, check, hidden, "foundations.chain_deriv_2", case)


@pytest.mark.parametrize("case", _cases("foundations.chain_deriv_3"))
def test_chain_deriv_3(request, student, check, hidden, case):
    """chain_deriv_3: the derivative of f3(f2(f1(x)))"""
    run_case(request, student, check, hidden, "foundations.chain_deriv_3", case)


@pytest.mark.parametrize("case", _cases("foundations.multiple_inputs_add_backward"))
def test_multiple_inputs_add_backward(request, student, check, hidden, case):
    """multiple_inputs_add_backward: both partial derivatives of sigma(x + y)"""
    run_case(request, student, check, hidden, "foundations.multiple_inputs_add_backward", case)


@pytest.mark.parametrize("case", _cases("foundations.matrix_function_backward_1"))
def test_matrix_function_backward_1(request, student, check, hidden, case):
    """matrix_function_backward_1: dS/dX of sigmoid(X @ W)"""
    run_case(request, student, check, hidden, "foundations.matrix_function_backward_1", case)


@pytest.mark.parametrize("case", _cases("foundations.matrix_function_backward_sum_1"))
def test_matrix_function_backward_sum_1(request, student, check, hidden, case):
    """matrix_function_backward_sum_1: dL/dX of L = sum(sigma(X @ W))"""
    run_case(request, student, check, hidden, "foundations.matrix_function_backward_sum_1", case)


@pytest.mark.parametrize("case", _cases("foundations.matrix_function_backward_sum_2"))
def test_matrix_function_backward_sum_2(request, student, check, hidden, case):
    """matrix_function_backward_sum_2: dL/dW of L = sum(sigma(X @ W))"""
    run_case(request, student, check, hidden, "foundations.matrix_function_backward_sum_2", case)
