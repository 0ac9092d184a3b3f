"""Strict, layered comparison of a student's result with the expected one.

Each check stops at the first layer that fails and raises `StudentFailure` with a calm message
for the student that says what was called, what came back and what was expected:

1. defined   -- not ``None`` ("returned None -- did you forget `return`?")
2. type      -- exactly ``numpy.ndarray`` (a list, a tuple or an ndarray subclass fails)
3. shape     -- exactly the expected shape (no broadcasting; harmless `alt_shapes` may be allowed)
4. dtype     -- integer or floating point (bool, object, complex and strings fail)
5. finite    -- no NaN and no infinity
6. values    -- ``|got - expected| <= atol + rtol * |expected|`` element by element, the rule of
   ``numpy.testing.assert_allclose`` (the tolerance scales with the *expected* value, unlike
   ``numpy.allclose(got, expected)``); NaN is never equal to anything.

This module imports only the standard library and numpy: it is copied verbatim into the
student release, so the public checks students run give the same messages as the grader.
It never calls a method of the value under test (``__eq__``, ``__bool__``, ``__array__``, ...):
the exact ``type()`` is checked first and nothing is converted before that.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = [
    "StudentFailure",
    "expect_array",
    "expect_dict",
    "expect_scalar",
    "expect_tuple",
    "extra_keys",
    "extra_keys_note",
    "relative_error",
]

#: Arrays with at most this many elements are printed in full in a value message.
FULL_ARRAY_LIMIT = 12
#: How many differing elements a value message lists for larger arrays.
ROWS_SHOWN = 5
#: Longest message (characters); longer ones are cut with a marker.
MAX_MESSAGE = 2000
#: Accepted dtype kinds: signed and unsigned integers, floating point.
NUMERIC_KINDS = "iuf"

_SCALAR_TYPES = frozenset(
    [int, float] + [np.dtype(code).type for code in np.typecodes["AllInteger"] + np.typecodes["Float"]]
)


class StudentFailure(AssertionError):
    """The student's result is wrong, missing or unusable. `message` is meant for the student."""

    def __init__(self, message: str) -> None:
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 40].rstrip() + "\n... (message cut)"
        super().__init__(message)
        self.message = message


# --- formatting -------------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    cls = type(value)
    name = f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', '?')}"
    name = name.removeprefix("builtins.")
    return name if len(name) <= 60 else name[:57] + "..."


def _describe_type(value: Any) -> str:
    """A short noun phrase for what came back ("a list", "a numpy.float64 scalar", ...)."""
    cls = type(value)
    if cls is bool or cls is np.bool_:
        return "a boolean"
    if cls is int:
        return "a Python int"
    if cls is float:
        return "a Python float"
    if cls is str:
        return "a string"
    if cls is list:
        return "a list"
    if cls is tuple:
        return "a tuple"
    if cls is dict:
        return "a dict"
    if cls in _SCALAR_TYPES:
        return f"a numpy scalar ({_type_name(value)})"
    if cls is np.ndarray:
        return f"a numpy array of shape {value.shape}"
    if cls is np.matrix:
        return "a numpy.matrix"
    if issubclass(cls, np.ndarray):
        return f"an ndarray subclass ({_type_name(value)})"
    return f"an object of type {_type_name(value)}"


def _number(x: float) -> str:
    """Shortest repr that round-trips (enough digits to see the difference)."""
    return repr(float(x))


def _error(x: float) -> str:
    return "inf" if math.isinf(x) else f"{x:.3g}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _index(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def _array(a: np.ndarray) -> str:
    return np.array2string(a, separator=", ", floatmode="unique", threshold=FULL_ARRAY_LIMIT, max_line_width=100)


def _subject(call: str, what: str) -> str:
    """How a message starts: "deriv(square, 1.7) returned" / "loss_gradients(...): the entry 'W' is"."""
    return f"{call} returned" if what == "the result" else f"{call}: {what} is"


def _tolerance(rtol: float, atol: float) -> str:
    return f"rtol={rtol:g}, atol={atol:g}"


def _check_tolerances(rtol: float, atol: float) -> None:
    if not (rtol >= 0 and atol >= 0):  # also rejects NaN
        raise ValueError(f"tolerances must be >= 0, got rtol={rtol!r}, atol={atol!r}")


# --- the checks -------------------------------------------------------------------------------


def relative_error(got: Any, expected: Any) -> float:
    """The largest element-wise ``|got - expected| / max(1e-8, |got| + |expected|)`` (cs231n style).

    A scale-free measure for gradient checks: about 1e-7 or less means the two agree.
    Both arguments must already be numbers or numeric ndarrays (no conversion of unknown types).
    """
    g = np.asarray(got, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if g.size == 0 and e.size == 0:
        return 0.0
    return float(np.max(np.abs(g - e) / np.maximum(1e-8, np.abs(g) + np.abs(e))))


def expect_array(
    got: Any,
    expected: np.ndarray,
    *,
    rtol: float,
    atol: float,
    call: str,
    what: str = "the result",
    alt_shapes: Sequence[tuple[int, ...]] = (),
) -> None:
    """Check that `got` is a plain numeric ndarray of `expected`'s shape with close values.

    Layers: defined -> ``type(got) is numpy.ndarray`` -> exact shape -> dtype kind in ``"iuf"``
    -> all finite -> ``|got - expected| <= atol + rtol * |expected|`` element by element (the
    rule of ``numpy.testing.assert_allclose``; NaN never equal, no broadcasting).

    Args:
        got: what the student's function returned.
        expected: the reference result (a plain numeric ndarray).
        rtol, atol: tolerances (from grading.yml).
        call: how the function was called, shown to the student, e.g. ``"deriv(square, 1.7)"``.
        what: what `got` is, for messages (``"the entry 'W'"``); ``"the result"`` by default.
        alt_shapes: harmless alternative shapes that are accepted and compared after reshaping
            to ``expected.shape`` (e.g. ``((1,),)`` for the gradient of a ``(1, 1)`` bias).

    When `expected` is 0-d, a Python or numpy number is accepted too (see `expect_scalar`).

    Raises:
        StudentFailure: with a message for the student at the first layer that fails.
        ValueError: the *grader* passed something unusable (a bug in a hidden test).
    """
    __tracebackhide__ = True
    _check_tolerances(rtol, atol)
    if type(expected) is not np.ndarray:
        raise ValueError(f"expected must be a numpy.ndarray, got {_type_name(expected)}")
    if expected.ndim == 0 and type(got) is not np.ndarray:  # a Python or numpy number is a harmless form
        expect_scalar(got, expected, rtol=rtol, atol=atol, call=call, what=what)
        return
    subject = _subject(call, what)
    if got is None:
        raise StudentFailure(_none_message(call, what))
    if type(got) is not np.ndarray:
        hint = " (use np.array(...) to make one)" if type(got) in (list, tuple) else ""
        if issubclass(type(got), np.ndarray):
            hint = " (use np.asarray(...) to return a plain numpy.ndarray)"
        raise StudentFailure(
            f"{subject} {_describe_type(got)}, not a numpy array (expected shape {expected.shape}){hint}."
        )
    if got.shape != expected.shape:
        accepted = tuple(tuple(s) for s in alt_shapes)
        if got.shape in accepted:
            if math.prod(got.shape) != expected.size:
                raise ValueError(f"alt shape {got.shape} does not have the {expected.size} elements of {expected.shape}")
            got = got.reshape(expected.shape)
        else:
            raise StudentFailure(_shape_message(subject, got.shape, expected.shape, accepted))
    if got.dtype.kind not in NUMERIC_KINDS:
        raise StudentFailure(_dtype_message(subject, got.dtype))
    finite = np.isfinite(got)
    if not finite.all():
        raise StudentFailure(_finite_message(subject, got, finite))
    _compare_values(got, expected, rtol=rtol, atol=atol, call=call, what=what)


def expect_scalar(
    got: Any,
    expected: Any,
    *,
    rtol: float,
    atol: float,
    call: str,
    what: str = "the result",
) -> None:
    """Check that `got` is a single finite number close to `expected`.

    Accepted: a Python ``int``/``float``, a numpy integer or floating scalar, or a 0-d numeric
    ndarray. A bool, a string, None, a list or a 1-element array fail. The value rule is
    ``|got - expected| <= atol + rtol * |expected|`` (``numpy.testing.assert_allclose``).

    Raises:
        StudentFailure: with a message for the student at the first layer that fails.
        ValueError: `expected` is not a finite number (a bug in a hidden test).
    """
    __tracebackhide__ = True
    _check_tolerances(rtol, atol)
    want = _trusted_scalar(expected)
    subject = _subject(call, what)
    if got is None:
        raise StudentFailure(_none_message(call, what))
    cls = type(got)
    if cls is np.ndarray:
        if got.ndim != 0:
            raise StudentFailure(
                f"{subject} an array of shape {got.shape}; expected a single number "
                f"(a float, e.g. float(x) or x.item())."
            )
        if got.dtype.kind not in NUMERIC_KINDS:
            raise StudentFailure(_dtype_message(subject, got.dtype))
        value = float(got[()])
    elif cls in _SCALAR_TYPES:
        try:
            value = float(got)
        except OverflowError:
            raise StudentFailure(f"{subject} an integer too large to be a float; expected {_number(want)}.") from None
    else:
        raise StudentFailure(f"{subject} {_describe_type(got)}; expected a single number (a float).")
    if not math.isfinite(value):
        raise StudentFailure(f"{subject} {value!r}; expected a finite number ({_number(want)}).")
    error = abs(value - want)
    if not error <= atol + rtol * abs(want):
        rel = error / abs(want) if want != 0 else math.inf
        raise StudentFailure(
            f"{subject} {_number(value)}; expected {_number(want)} "
            f"(abs error {_error(error)}, rel error {_error(rel)}; allowed: "
            f"|got - expected| <= atol + rtol * |expected| with {_tolerance(rtol, atol)})."
        )


def expect_dict(
    got: Any,
    expected: Mapping[str, Any],
    *,
    rtol: float,
    atol: float,
    call: str,
    what: str = "the result",
    alt_shapes: Mapping[str, Sequence[tuple[int, ...]]] | None = None,
    keys: Sequence[str] | None = None,
) -> None:
    """Check that `got` is a dict holding the required keys of `expected`, then those entries.

    Only the keys of `expected` are required: extra keys (``dLdP``, debug values, ...) are
    ignored here (`extra_keys` lists them, for a note). Keys must be strings; missing keys are
    named. Every checked entry is compared with `expect_array` (or `expect_scalar` when the
    expected entry is a number or a 0-d array) with ``what="the entry 'W'"``, and *every* wrong
    entry is reported in one message, not only the first.

    Args:
        got, expected, rtol, atol, call, what: as in `expect_array`.
        alt_shapes: maps a key to its accepted alternative shapes.
        keys: check only these keys of `expected` (one entry per hidden case, for partial credit
            per entry); all of them by default.

    Raises:
        StudentFailure: with ``failed_keys`` (the keys whose entries are wrong or missing) set.
    """
    __tracebackhide__ = True
    subject = _subject(call, what)
    if got is None:
        raise StudentFailure(_none_message(call, what))
    if not issubclass(type(got), dict):  # type() cannot be faked, isinstance() can (__class__)
        raise StudentFailure(f"{subject} {_describe_type(got)}, not a dict.")
    present = list(dict.keys(got))  # the real keys, whatever a dict subclass overrides
    for key in present:
        if type(key) is not str:
            raise StudentFailure(f"{subject} a dict with a key that is not a string ({_describe_type(key)}).")
    want = list(expected) if keys is None else list(keys)
    for key in want:
        if key not in expected:
            raise ValueError(f"key {key!r} is not one of the expected keys")
    missing = [k for k in want if k not in present]
    failures: list[tuple[str, str]] = []
    if missing:
        failure = StudentFailure(
            f"{subject} a dict without {', '.join(repr(k) for k in missing)} "
            f"(it must hold {', '.join(repr(k) for k in expected)}; it holds "
            f"{', '.join(repr(k[:40]) for k in present[:8]) + (', ...' if len(present) > 8 else '') or 'nothing'})."
        )
        failures.append((", ".join(missing), failure.message))
    alt_shapes = alt_shapes or {}
    wrong = list(missing)
    for key in want:
        if key in missing:
            continue
        entry_what = f"the entry {key!r}" if what == "the result" else f"{what}, entry {key!r}"
        try:
            _expect_any(dict.__getitem__(got, key), expected[key], rtol=rtol, atol=atol, call=call,
                        what=entry_what, alt_shapes=alt_shapes.get(key, ()))
        except StudentFailure as exc:
            failures.append((key, exc.message))
            wrong.append(key)
    if not failures:
        return
    if len(failures) == 1:
        error = StudentFailure(failures[0][1])
    else:
        error = StudentFailure(f"{len(wrong)} of the {len(want)} entries checked are wrong:\n"
                               + "\n".join("- " + m.replace("\n", "\n  ") for _, m in failures))
    error.failed_keys = tuple(wrong)
    raise error


def extra_keys(got: Any, expected: Mapping[str, Any]) -> list[str]:
    """The string keys of the dict `got` that `expected` does not have (for a note, not a deduction)."""
    if not issubclass(type(got), dict):
        return []
    return [k for k in dict.keys(got) if type(k) is str and k not in expected]


def extra_keys_note(got: Any, expected: Mapping[str, Any], call: str) -> str:
    """A one-line note naming extra keys of a returned dict, or "" when there are none."""
    extra = extra_keys(got, expected)
    if not extra:
        return ""
    shown = ", ".join(repr(k[:40]) for k in extra[:8]) + (", ..." if len(extra) > 8 else "")
    return (f"Note: {call} returned extra keys ({shown}) besides {', '.join(repr(k) for k in expected)}; "
            f"they are ignored, not graded.")


def expect_tuple(
    got: Any,
    expected: Sequence[Any],
    *,
    rtol: float,
    atol: float,
    call: str,
    what: str = "the result",
    kinds: Sequence[str] | None = None,
    names: Sequence[str] | None = None,
    alt_shapes: Mapping[int, Sequence[tuple[int, ...]]] | None = None,
) -> None:
    """Check that `got` is a tuple (or list) of ``len(expected)`` items, then every item.

    Args:
        kinds: per item ``"array"``, ``"scalar"`` or ``"dict"``; by default taken from the
            expected item (an ndarray with ``ndim > 0`` is an array, a dict a dict, else a scalar).
        names: optional item names for messages (``("dL/dX", "dL/dW")``); else "item 0", ...
        alt_shapes: item index -> accepted alternative shapes (see `expect_array`).
    """
    __tracebackhide__ = True
    subject = _subject(call, what)
    n = len(expected)
    if got is None:
        raise StudentFailure(_none_message(call, what))
    if type(got) not in (tuple, list):
        raise StudentFailure(f"{subject} {_describe_type(got)}; expected a tuple of {_count(n, 'item')}.")
    if len(got) != n:
        kind = "tuple" if type(got) is tuple else "list"
        raise StudentFailure(f"{subject} a {kind} of {_count(len(got), 'item')}; expected {_count(n, 'item')}.")
    if kinds is not None and len(kinds) != n:
        raise ValueError(f"kinds has {len(kinds)} entries for {n} expected items")
    alt_shapes = alt_shapes or {}
    item_kinds = [kinds[i] if kinds is not None else _kind(expected[i]) for i in range(n)]
    # structure first: a tuple nested where a number or an array belongs (``(out, (dx, dy))``,
    # ``((N, S), grad)``) is named as such, before any value of item 0 is compared
    nested = [i for i in range(n) if item_kinds[i] != "dict" and _is_container(got[i])]
    if nested:
        labels = [names[i] if names is not None else f"item {i}" for i in range(n)]
        shape = ", ".join(_outline(got[i]) for i in range(n))
        want = ", ".join(f"{labels[i]}: {_outline(expected[i])}" for i in range(n))
        raise StudentFailure(
            f"{subject} a {'tuple' if type(got) is tuple else 'list'} shaped ({shape}); expected a flat "
            f"tuple ({want}). Return exactly these {_count(n, 'item')}, with nothing nested inside.")
    for i in range(n):
        label = names[i] if names is not None else f"item {i}"
        item_what = f"{label} of the result" if what == "the result" else f"{label} of {what}"
        kind = kinds[i] if kinds is not None else None
        _expect_any(got[i], expected[i], rtol=rtol, atol=atol, call=call, what=item_what,
                    alt_shapes=alt_shapes.get(i, ()), kind=kind)


# --- helpers ----------------------------------------------------------------------------------


def _kind(expected: Any) -> str:
    if isinstance(expected, dict):
        return "dict"
    if type(expected) is np.ndarray and expected.ndim > 0:
        return "array"
    return "scalar"


def _is_container(value: Any) -> bool:
    """A dict, or a tuple or list holding arrays, tuples, lists or dicts (a plain list of numbers
    is not: it gets the "not a numpy array" message of `expect_array`)."""
    if type(value) is dict:
        return True
    return type(value) in (tuple, list) and any(type(v) in (np.ndarray, tuple, list, dict) for v in value)


def _outline(value: Any, depth: int = 0) -> str:
    """A short description of a value's structure: "array (3, 2)", "tuple of 2 items (number, array (3,))"."""
    cls = type(value)
    if cls is np.ndarray:
        return "a number" if value.ndim == 0 else f"an array {value.shape}"
    if cls in _SCALAR_TYPES:
        return "a number"
    if cls in (tuple, list):
        inner = ""
        if depth < 1 and len(value) <= 4:
            inner = " (" + ", ".join(_outline(v, depth + 1) for v in value) + ")"
        return f"a {'tuple' if cls is tuple else 'list'} of {_count(len(value), 'item')}{inner}"
    if cls is dict:
        return "a dict"
    return _describe_type(value)


def _expect_any(got, expected, *, rtol, atol, call, what, alt_shapes=(), kind=None) -> None:
    __tracebackhide__ = True
    if kind is None:
        kind = _kind(expected)
    if kind == "array":
        expect_array(got, expected, rtol=rtol, atol=atol, call=call, what=what, alt_shapes=alt_shapes)
    elif kind == "scalar":
        expect_scalar(got, expected, rtol=rtol, atol=atol, call=call, what=what)
    elif kind == "dict":
        expect_dict(got, expected, rtol=rtol, atol=atol, call=call, what=what)
    else:
        raise ValueError(f"unknown kind {kind!r} (use 'array', 'scalar' or 'dict')")


def _trusted_scalar(expected: Any) -> float:
    if type(expected) is np.ndarray and expected.ndim == 0 and expected.dtype.kind in NUMERIC_KINDS:
        value = float(expected[()])
    elif type(expected) in _SCALAR_TYPES:
        value = float(expected)
    else:
        raise ValueError(f"expected must be a number, got {_type_name(expected)}")
    if not math.isfinite(value):
        raise ValueError(f"expected must be finite, got {value!r}")
    return value


def _none_message(call: str, what: str) -> str:
    if what == "the result":
        return f"{call} returned None — did you forget `return`?"
    return f"{call}: {what} is None."


def _shape_message(subject: str, got: tuple, expected: tuple, accepted: tuple) -> str:
    what = "a single number (shape ())" if got == () else f"an array of shape {got}"
    message = f"{subject} {what}; expected shape {expected}"
    if accepted:
        message += " (or " + " or ".join(str(s) for s in accepted) + ")"
    message += "."
    if len(got) == 2 and got == expected[::-1]:
        message += " It looks transposed: check the order of a matrix product or a missing .T."
    elif math.prod(got) == math.prod(expected):
        message += " It has the right number of elements in the wrong arrangement."
    elif len(got) == len(expected) and any(g == 1 for g in got) and all(
        g in (1, e) for g, e in zip(got, expected)
    ):
        message += " It would broadcast, but the shape must match exactly: was an axis summed or kept by mistake?"
    elif len(got) + 1 == len(expected) or len(got) == len(expected) + 1:
        message += " A dimension is missing or extra (keepdims, reshape or a sum over the wrong axis?)."
    return message


def _dtype_message(subject: str, dtype: np.dtype) -> str:
    kind = dtype.kind
    if kind == "b":
        why = "booleans (True/False), not numbers"
    elif kind == "O":
        why = "Python objects (a ragged list, None values or other non-numbers)"
    elif kind == "c":
        why = "complex numbers"
    elif kind in "SU":
        why = "text"
    else:
        why = f"values of dtype {dtype}"
    return f"{subject} an array of dtype {dtype}, which holds {why}; expected numbers (a float array)."


def _finite_message(subject: str, got: np.ndarray, finite: np.ndarray) -> str:
    bad = np.argwhere(~finite)
    n_nan = int(np.isnan(got).sum())
    n_inf = int(bad.shape[0]) - n_nan
    counts = ", ".join(p for p in (f"{n_nan} NaN" if n_nan else "", f"{n_inf} infinite" if n_inf else "") if p)
    where = ", ".join(_index(tuple(i)) for i in bad[:ROWS_SHOWN]) + (", ..." if len(bad) > ROWS_SHOWN else "")
    return (
        f"{subject} an array with {_count(len(bad), 'non-finite value')} "
        f"of {got.size} ({counts}), at {where}. Look for a division by zero, an overflow in exp, "
        f"or a log of a non-positive number."
    )


def _compare_values(got: np.ndarray, expected: np.ndarray, *, rtol, atol, call, what) -> None:
    __tracebackhide__ = True
    g = got.astype(np.float64)
    e = expected.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        error = np.abs(g - e)
        allowed = atol + rtol * np.abs(e)
        bad = ~(error <= allowed)  # NaN anywhere counts as different
        if not bad.any():
            return
        ratio = np.where(allowed > 0, error / np.where(allowed > 0, allowed, 1.0), np.inf)
        ratio = np.where(bad, ratio, -1.0)
        worst = np.unravel_index(int(np.argmax(ratio)), g.shape) if g.ndim else ()
        rel = np.where(e != 0, error / np.abs(np.where(e != 0, e, 1.0)), np.inf)
    n_bad, n = int(bad.sum()), g.size
    subject = f"{call}: {what}" if what != "the result" else f"{call}"
    lines = [
        f"{subject}: {n_bad} of {_count(n, 'element')} {'differs' if n_bad == 1 else 'differ'} from the expected values "
        f"(allowed: |got - expected| <= atol + rtol * |expected| with {_tolerance(rtol, atol)}).",
        f"Worst at index {_index(worst)}: got {_number(g[worst])}, expected {_number(e[worst])} "
        f"(abs error {_error(float(error[worst]))}, rel error {_error(float(rel[worst]))}).",
    ]
    if n <= FULL_ARRAY_LIMIT:
        lines.append("got:      " + _array(got).replace("\n", "\n" + " " * 10))
        lines.append("expected: " + _array(expected).replace("\n", "\n" + " " * 10))
    else:
        lines.append(f"Max abs error {_error(float(error.max()))}; first differing elements:")
        lines.append("  index        got                     expected")
        for index in np.argwhere(bad)[:ROWS_SHOWN]:
            i = tuple(int(k) for k in index)
            lines.append(f"  {_index(i):<12} {_number(g[i]):<23} {_number(e[i])}")
        if n_bad > ROWS_SHOWN:
            lines.append(f"  ... and {n_bad - ROWS_SHOWN} more")
    raise StudentFailure("\n".join(lines))
