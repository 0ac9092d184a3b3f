"""Shared helpers of the hidden suites. Trusted code: it runs in the grader, never in the worker.

* **Hidden inputs per submission.** `hidden_rng` seeds a numpy generator with
  ``HMAC-SHA256(course secret, sha256(the module's file) + case label)``: the same code always
  gets the same inputs (and so the same grade, at any ``--jobs``, alone or in a batch), changed
  code gets new ones, and without the secret nobody can compute them. The secret is read in the
  grader from the file named by ``$AUTOGRADER_SECRET_FILE`` (default
  ``/etc/nn-autograder/secret``; make it root-owned, mode 0600). The worker never gets it: it
  runs with an empty environment, as another uid, and is sent only the inputs themselves.
  Without a secret file a built-in development secret is used, which anyone holding this
  repository can read: fine for trying the grader out, not for a course.
* **One call, several cases.** `once` keeps a student call's reply (or its failure) for the
  submission being graded, so a dict result graded entry by entry costs one call.
* **Inputs left alone.** `call_tracked` (and `call_pure`, which fails the case) asks the worker for the positional arguments as they are
  after the call and compares them, here, with the grader's own copies. The worker reports them,
  so a submission that tampers with the worker could hide a change (documented in the README).
* **Feedback.** `note` attaches a note to a passed case; `check_with_diagnosis` runs the mistake
  signatures of `autograder.judge.diagnose` on a wrong result and adds their hints and ids;
  `train_check` does the same for the signatures a behaviour check of train names.
* **Backprop.** `check_uses_cache`: gradients must depend on forward_info's cached values.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

from autograder.judge import diagnose
from autograder.judge.compare import MAX_MESSAGE, StudentFailure, extra_keys_note  # noqa: F401 (used by the suites)

SECRET_FILE_ENV = "AUTOGRADER_SECRET_FILE"
DEFAULT_SECRET_FILE = Path("/etc/nn-autograder/secret")
DEVELOPMENT_SECRET = b"nn-autograder development secret: not for a course (set AUTOGRADER_SECRET_FILE)"


@functools.cache
def course_secret() -> bytes:
    """The course secret (bytes), from ``$AUTOGRADER_SECRET_FILE`` or the default file, else the
    development secret. Read once per grading process."""
    path = Path(os.environ.get(SECRET_FILE_ENV) or DEFAULT_SECRET_FILE)
    try:
        secret = path.read_bytes().strip()
    except OSError:
        return DEVELOPMENT_SECRET
    return secret or DEVELOPMENT_SECRET


def content_digest(directory: Path | None, module: str) -> bytes:
    """sha256 of ``<directory>/<module>.py`` (of b"" when there is none): 32 bytes."""
    data = b""
    if directory is not None:
        try:
            data = (Path(directory) / f"{module}.py").read_bytes()
        except OSError:
            pass
    return hashlib.sha256(data).digest()


def seed_for(digest: bytes, label: str, secret: bytes | None = None) -> int:
    """A 128-bit seed from the secret, a submission module's digest and a case label."""
    key = course_secret() if secret is None else secret
    mac = hmac.new(key, digest + b"\0" + label.encode(), hashlib.sha256).digest()
    return int.from_bytes(mac[:16], "big")


def hidden_rng(submission: Any, module: str, label: str) -> np.random.Generator:
    """The generator of one hidden case's inputs for this submission (see the module docstring)."""
    digest = _digest(id(submission), getattr(submission, "directory", None), module)
    return np.random.default_rng(seed_for(digest, label))


_DIGESTS: dict[tuple[int, str], bytes] = {}


def _digest(key: int, directory: Path | None, module: str) -> bytes:
    if len(_DIGESTS) > 64:
        _DIGESTS.clear()
    cache_key = (key, f"{directory}:{module}")
    if cache_key not in _DIGESTS:
        _DIGESTS[cache_key] = content_digest(directory, module)
    return _DIGESTS[cache_key]


# -- one call, several cases ----------------------------------------------------------------------
_ONCE: dict[str, Any] = {"owner": None, "replies": {}}


def once(submission: Any, key: str, thunk: Callable[[], Any]) -> Any:
    """``thunk()`` the first time `key` is asked for while `submission` is graded; the same reply
    (or the same failure, raised again) afterwards."""
    if _ONCE["owner"] is not submission:
        _ONCE["owner"], _ONCE["replies"] = submission, {}
    replies = _ONCE["replies"]
    if key not in replies:
        try:
            replies[key] = (True, thunk())
        except Exception as exc:  # CallFailed, StudentFailure: every case of the call fails alike
            replies[key] = (False, exc)
    ok, value = replies[key]
    if not ok:
        raise value
    return value


# -- inputs left alone ----------------------------------------------------------------------------
def changed_inputs(before: list[Any], after: list[Any] | None, names: list[str]) -> list[str]:
    """Names of the positional arguments (arrays, or dicts of arrays: ``forward_info['P']``)
    whose values differ after the call. `before` are the grader's own copies."""
    after = after if type(after) is list and len(after) == len(before) else [None] * len(before)
    changed = []
    for name, old, new in zip(names, before, after):
        if type(old) is np.ndarray:
            if type(new) is not np.ndarray or new.shape != old.shape or not np.array_equal(new, old):
                changed.append(name)
        elif type(old) is dict:
            if type(new) is not dict:
                changed.append(name)
                continue
            for k, v in old.items():
                if type(v) is np.ndarray:
                    w = new.get(k)
                    if type(w) is not np.ndarray or w.shape != v.shape or not np.array_equal(w, v):
                        changed.append(f"{name}[{k!r}]")
            changed.extend(f"{name}[{k!r}] (added)" for k in new if type(k) is str and k not in old)
    return changed


def call_tracked(function: Any, args: list[Any], kwargs: dict[str, Any] | None = None, *,
                 names: list[str]) -> tuple[Any, list[str]]:
    """Call a student function; return its value and the names of the arguments it modified.

    Args:
        function: a `StudentFunction` (``student.foundations.deriv``).
        args, kwargs: plain inputs; the grader keeps its own deep copies of `args`.
        names: the names of the positional arguments, for messages.

    Raises:
        CallFailed: the student's code raised, timed out or returned something unusable.
    """
    before = [_copy(a) for a in args]
    reply = function.detailed(list(args), dict(kwargs or {}), return_inputs=True)
    return reply.get("value"), changed_inputs(before, reply.get("inputs_after"), names)


def modified_failure(call: str, changed: list[str]) -> StudentFailure:
    """The failure of a call that changed its inputs (diagnosis ``inputs_modified``)."""
    return _with_diagnoses(StudentFailure(
        f"{call} changed its input {', '.join(changed)}. A graded function must leave the caller's "
        f"arrays and dicts as they were."), [diagnose.signature("inputs_modified")])


def require_gradients(got: Any, keys: list[str], *, call: str) -> None:
    """A case that credits how gradients are computed (inputs left alone) credits only gradients:
    a dict holding every key as a numeric array, not all zero (None, zeros or stubs earn nothing).

    Raises:
        StudentFailure: `got` is not such a dict.
    """
    entries = [dict.get(got, k) for k in keys] if issubclass(type(got), dict) else []
    if not entries or not all(type(v) is np.ndarray and v.dtype.kind in "iuf" for v in entries) \
            or not any(np.any(v) for v in entries):
        raise StudentFailure(f"{call} returned no gradients to credit (expected a dict with the numeric arrays "
                             f"{', '.join(repr(k) for k in keys)}, not all zero).")


def call_pure(function: Any, args: list[Any], kwargs: dict[str, Any] | None = None, *,
              call: str, names: list[str]) -> Any:
    """`call_tracked`, failing the case (``inputs_modified``) when an argument changed."""
    value, changed = call_tracked(function, args, kwargs, names=names)
    if changed:
        raise modified_failure(call, changed)
    return value


def _copy(value: Any) -> Any:
    if type(value) is np.ndarray:
        return value.copy()
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    return value


# -- feedback -------------------------------------------------------------------------------------
def note(request: Any, text: str) -> None:
    """Attach `text` to the running case as a note (shown even when the case passes)."""
    if text:
        request.node.user_properties.append(("note", text))


def record(request: Any, failure: StudentFailure) -> StudentFailure:
    """Copy the failure's mistake signatures onto the running case (`CaseResult.diagnoses`)."""
    ids = getattr(failure, "diagnoses", ())
    if ids:
        request.node.user_properties.append(("diagnoses", tuple(ids)))
    return failure


def _with_diagnoses(failure: StudentFailure, signatures: list[diagnose.Signature]) -> StudentFailure:
    if not signatures:
        return failure
    hints = "\n".join(f"Hint: {s.hint}" for s in signatures)
    room = MAX_MESSAGE - len(hints) - 40  # the hints are never the part that gets cut
    message = failure.message if len(failure.message) <= room else failure.message[:room].rstrip() + "\n... (cut)"
    out = StudentFailure(f"{message}\n{hints}")
    out.diagnoses = tuple(s.id for s in signatures)
    return out


def check_with_diagnosis(request: Any, compare_it: Callable[[], None], question: str, got: Any,
                         expected: Any, inputs: dict[str, Any], *, key: str | None = None,
                         rtol: float, atol: float) -> None:
    """Run `compare_it`; on a `StudentFailure`, name the mistake when a signature matches.

    The signatures of `question` (`autograder.judge.diagnose.find`) are tried on `got` (the entry
    `key` of a dict result, if given) against `expected` and the call's `inputs`; the hint of
    each one that matches is added to the message and its id to the case's diagnoses.
    """
    __tracebackhide__ = True
    try:
        compare_it()
    except StudentFailure as failure:
        if getattr(failure, "diagnoses", ()):
            raise record(request, failure) from None
        found = diagnose.find(question, got, expected, inputs, key=key, rtol=rtol, atol=atol)
        raise record(request, _with_diagnoses(failure, found)) from None


BACKPROP_RULE = ("the gradients must come from the values forward cached in forward_info, as the lesson's "
                 "backward pass does, not from a new forward pass or from finite differences (see the handout)")


def check_uses_cache(stale: Any, fresh: Any, keys: list[str], *, call: str, strict: bool = True) -> None:
    """Backprop, not numerical differentiation: the gradients must depend on forward_info's cache.

    `stale` is the student's result for a forward_info cached before the weights moved, `fresh`
    for the forward_info of the moved weights (same X, y, weights). Backprop reads the cache, so
    the two differ; finite differences or any fresh forward pass ignore it, so they are equal.
    Whether the values are right is graded by the other cases (one mistake costs once).

    With ``strict=False`` (the gate every case of the question runs first) only the sign of
    finite differences fails: two equal dicts of numeric arrays that are not all zero. Anything
    else (None, zeros, missing keys) is left to the case's own message.

    Raises:
        StudentFailure: the two results are equal in every required entry, or are not dicts.
    """
    if not strict:
        entries = [(dict.get(stale, k), dict.get(fresh, k)) if issubclass(type(stale), dict)
                   and issubclass(type(fresh), dict) else (None, None) for k in keys]
        if not all(type(a) is np.ndarray and type(b) is np.ndarray and a.dtype.kind in "iuf"
                   and b.dtype.kind in "iuf" for a, b in entries):
            return
        if all(not np.any(a) for a, _ in entries):
            return
    if not issubclass(type(stale), dict) or not issubclass(type(fresh), dict):
        raise StudentFailure(f"{call} did not return a dict of gradients, so this case cannot check that "
                             f"{BACKPROP_RULE}.")
    for key in keys:
        a, b = dict.get(stale, key), dict.get(fresh, key)
        if type(a) is np.ndarray and type(b) is np.ndarray and a.dtype.kind in "iuf" and b.dtype.kind in "iuf":
            if a.shape != b.shape or not np.allclose(a, b, rtol=1e-9, atol=0.0):
                return
        elif a is not None and b is not None and type(a) is not type(b):
            return
    raise StudentFailure(
        f"{call}: given a forward_info cached before the weights moved, and the forward_info of the "
        f"moved weights, your loss_gradients returned the same gradients: it ignores forward_info's "
        f"cached values. {BACKPROP_RULE[0].upper() + BACKPROP_RULE[1:]}.")


def train_check(request: Any, run: Callable[[], None]) -> None:
    """Run a behaviour check of train; a failure gets the hints of the signatures it names."""
    __tracebackhide__ = True
    try:
        run()
    except StudentFailure as failure:
        ids = getattr(failure, "diagnoses", ())
        if not ids:
            raise
        raise record(request, _with_diagnoses(StudentFailure(failure.message),
                                              [diagnose.signature(i) for i in ids])) from None
