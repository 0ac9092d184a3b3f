"""The grader <-> worker wire format: plain data round-trips, everything else is refused."""
from __future__ import annotations

import io
import json
import socket
import struct
import threading
import time

import numpy as np
import pytest

from autograder.run import protocol


def roundtrip(value):
    frame = protocol.encode({"op": "x"}, value)
    return protocol.decode(frame[8:])


def test_plain_values_round_trip_with_their_types():
    value = {"a": (1, 2.5, True, None, "s"), "b": [np.arange(6.0).reshape(2, 3), np.int32(7)],
             "c": [float("nan"), float("inf"), -float("inf")]}
    header, got = roundtrip(value)
    assert header == {"op": "x"}
    assert type(got) is dict and type(got["a"]) is tuple and got["a"] == (1, 2.5, True, None, "s")
    arr = got["b"][0]
    assert type(arr) is np.ndarray and arr.shape == (2, 3) and np.array_equal(arr, np.arange(6.0).reshape(2, 3))
    assert type(got["b"][1]) is np.ndarray and got["b"][1].shape == () and got["b"][1] == 7
    assert np.isnan(got["c"][0]) and got["c"][1] == float("inf") and got["c"][2] == -float("inf")


@pytest.mark.parametrize("value,text", [
    (object(), "object"),
    (np.arange(3).view(np.matrix), "subclass of numpy.ndarray"),
    (np.array([object()]), "not numeric"),
    (np.array(["a", "b"]), "not numeric"),
    ({1: 2}, "keys"),
    ({1, 2}, "set"),
    (lambda: 0, "function"),
])
def test_values_without_a_plain_form_are_refused(value, text):
    with pytest.raises(protocol.EncodeError, match=text):
        protocol.encode({}, value)


@pytest.mark.parametrize("flat", [
    [0.5, 1, -2.25], [],
    [1.0, float("nan"), 2.0], [float("inf"), 1.0], [float("inf"), -float("inf")],  # non-finite: tagged
    [1e308, 1e308],  # finite numbers whose sum overflows
    [True, 1.5, 2],  # bools keep their type
])
def test_flat_lists_of_numbers_round_trip_exactly(flat):
    _, got = roundtrip({"losses": flat})
    assert type(got["losses"]) is list and [type(x) for x in got["losses"]] == [type(x) for x in flat]
    assert np.array_equal(np.array(got["losses"], dtype=float), np.array(flat, dtype=float), equal_nan=True)


def test_flat_lists_count_towards_the_item_cap_and_the_depth():
    with pytest.raises(protocol.EncodeError, match="items"):
        protocol.encode({}, [0.5] * (protocol.MAX_ITEMS + 1))
    doc = {"h": {}, "v": [0.5] * (protocol.MAX_ITEMS + 1), "b": []}
    with pytest.raises(protocol.ProtocolError, match="items"):
        protocol.decode(_frame(doc))
    deep = [1.0]
    for _ in range(protocol.MAX_DEPTH):
        deep = [deep]
    with pytest.raises(protocol.EncodeError, match="nested"):
        protocol.encode({}, deep)
    with pytest.raises(protocol.ProtocolError, match="nested"):
        protocol.decode(_frame({"h": {}, "v": deep, "b": []}))


def test_nesting_and_size_are_capped():
    deep = []
    for _ in range(protocol.MAX_DEPTH + 3):
        deep = [deep]
    with pytest.raises(protocol.EncodeError, match="nested"):
        protocol.encode({}, deep)
    with pytest.raises(protocol.EncodeError, match="MiB"):
        protocol.encode({}, np.zeros(300_000), limit=1 << 20)


def _frame(doc: dict, blobs: list[bytes] = ()) -> bytes:
    text = json.dumps(doc).encode()
    return struct.pack(">I", len(text)) + text + b"".join(blobs)


def test_decode_refuses_pickled_arrays():
    buf = io.BytesIO()
    np.save(buf, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    blob = buf.getvalue()
    for node in ({"__nd__": 0}, {"__nd__": [0, "|O8", [1]]}, {"__nd__": [0, "|O", [1]]}):
        with pytest.raises(protocol.ProtocolError, match="array"):
            protocol.decode(_frame({"h": {}, "v": node, "b": [len(blob)]}, [blob]))


@pytest.mark.parametrize("node,blob", [
    ([0, "<f8", [3]], b"\0" * 16),           # blob shorter than the shape says
    ([0, "<f8", [1]], b"\0" * 16),           # longer
    ([0, "<f8", [-1]], b"\0" * 8),           # negative size
    ([0, "<f8", [1.0]], b"\0" * 8),          # not an int
    ([0, "<U1", [2]], b"\0" * 8),            # not a number
    ([0, "<V8", [1]], b"\0" * 8),            # raw bytes
    ([0, "f8", [1]], b"\0" * 8),             # not dtype.str's form
    ([1, "<f8", [1]], b"\0" * 8),            # no such blob
    ([0, "<f8", [1] * 9], b"\0" * 8),        # deeper than MAX_DEPTH
    ([0, "<f8"], b"\0" * 8),
])
def test_decode_refuses_arrays_that_do_not_fit_their_description(node, blob):
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(_frame({"h": {}, "v": {"__nd__": node}, "b": [len(blob)]}, [blob]))


def test_decoded_arrays_are_fresh_writable_and_keep_dtype_and_shape():
    values = [np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2], np.array(True), np.int8(-3),
              np.zeros((0, 5)), np.array([1 + 2j]), np.arange(6, dtype=">i4")]
    _, got = roundtrip(values)
    for sent, back in zip(values, got):
        sent = np.asarray(sent)
        assert type(back) is np.ndarray and back.dtype == sent.dtype and back.shape == sent.shape
        assert np.array_equal(back, sent) and back.flags.writeable and back.flags.owndata


@pytest.mark.parametrize("doc", [
    {"h": {}, "v": {"__class__": "os.system"}, "b": []},
    {"h": {}, "v": {"__tuple__": [1], "__dict__": []}, "b": []},
    {"h": {}, "v": {"__nd__": 3}, "b": []},
    {"h": {}, "v": {"__float__": "1e999"}, "b": []},
    {"h": [], "v": 1, "b": []},
    {"h": {}, "v": 1},
])
def test_decode_refuses_anything_but_the_format(doc):
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(_frame(doc))


def test_decode_refuses_trailing_bytes():
    with pytest.raises(protocol.ProtocolError, match="length"):
        protocol.decode(_frame({"h": {}, "v": 1, "b": []}) + b"junk")


def test_recv_enforces_the_size_cap_before_reading():
    a, b = socket.socketpair()
    with a, b:
        a.sendall(struct.pack(">QI", 10 << 30, 2))
        with pytest.raises(protocol.ProtocolError, match="refused"):
            protocol.recv(b, deadline=time.monotonic() + 1)


def test_recv_times_out_and_sees_eof():
    a, b = socket.socketpair()
    with pytest.raises(TimeoutError):
        protocol.recv(b, deadline=time.monotonic() + 0.05)
    a.close()
    with pytest.raises(EOFError):
        protocol.recv(b, deadline=time.monotonic() + 1)
    b.close()


def test_recv_reads_a_big_frame_sent_in_pieces():
    a, b = socket.socketpair()
    frame = protocol.encode({"op": "big"}, np.arange(200_000.0))
    sender = threading.Thread(target=lambda: [a.sendall(frame[i:i + 4096]) for i in range(0, len(frame), 4096)])
    sender.start()
    header, value = protocol.recv(b, deadline=time.monotonic() + 10)
    sender.join()
    a.close(), b.close()
    assert header == {"op": "big"} and value.shape == (200_000,) and value[-1] == 199_999.0


# -- issue 10: nothing a reply holds raises anything but ProtocolError ------------------------------
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
JSON = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=30)
TAGS = ["__nd__", "__tuple__", "__dict__", "__float__", "__class__"]
NODE = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=4)
                    | st.builds(lambda tag, body: {tag: body}, st.sampled_from(TAGS), inner)
                    | st.builds(lambda i, d, shape: {"__nd__": [i, d, shape]}, st.integers(-1, 3),
                                st.sampled_from(["<f8", "<i4", "|b1", "<c16", "|O", "<U2", "f8", "<f8x"]),
                                st.lists(st.integers(-2, 4), max_size=3)), max_leaves=30)


def _decode_calmly(body: bytes) -> None:
    """decode() may refuse a frame only with ProtocolError (never a grader error)."""
    try:
        protocol.decode(body)
    except protocol.ProtocolError:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_fuzz_random_bytes_only_raise_protocol_error(body):
    _decode_calmly(body)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=JSON, value=NODE, blobs=st.lists(st.binary(max_size=24), max_size=3),
       lengths=st.none() | st.lists(st.integers(-3, 40), max_size=4), jlen_shift=st.integers(-3, 3))
def test_fuzz_adversarial_frames_only_raise_protocol_error(header, value, blobs, lengths, jlen_shift):
    doc = {"h": header, "v": value, "b": [len(b) for b in blobs] if lengths is None else lengths}
    text = json.dumps(doc).encode()
    _decode_calmly(struct.pack(">I", max(len(text) + jlen_shift, 0)) + text + b"".join(blobs))


@pytest.mark.parametrize("depth", [200_000, 5_000, 990])
def test_deeply_nested_json_is_a_protocol_error_not_a_recursion_error(depth):
    """Issue 10: a reply frame holding JSON nested 200,000 deep raised RecursionError in json.loads."""
    for text in ("[" * depth + "]" * depth, '{"h": ' + "[" * depth + "]" * depth + ', "v": 1, "b": []}',
                 '{"h": {}, "v": ' + "[" * depth + "]" * depth + ', "b": []}'):
        body = text.encode()
        with pytest.raises(protocol.ProtocolError):
            protocol.decode(struct.pack(">I", len(body)) + body)


# -- issue 10: the behaviour checks of train judge any reply calmly ----------------------------------
import importlib.util  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from autograder.judge.compare import StudentFailure  # noqa: E402
from autograder.run.execute import Check  # noqa: E402

_SUITES = Path(__file__).resolve().parents[1] / "autograder" / "suites"
_spec = importlib.util.spec_from_file_location("train_behaviour", _SUITES / "train_behaviour.py")
tb = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("train_behaviour", tb)
_spec.loader.exec_module(tb)

from solutions.nn_from_scratch import neural_network as nn_ref  # noqa: E402


def _start_weights(d: int) -> dict:
    rng = np.random.default_rng(200 + d)
    h = 13 if d == 13 else 4
    return {"W1": rng.normal(size=(d, h)), "B1": rng.normal(size=(1, h)), "W2": rng.normal(size=(h, 1)),
            "B2": rng.normal(size=(1, 1))}


NN = tb.Model("neural_network", nn_ref, _start_weights, {"hidden_size": 4}, lesson_iters=20, lesson_mse=16.0)

ODD_SCALARS = st.sampled_from([None, float("nan"), float("inf"), -float("inf"), "1.0", 1, 2.5, True, b"x",
                               np.float64("nan"), np.int64(3)])
ODD_ARRAYS = st.sampled_from([np.zeros((2, 3)), np.full((2, 3), np.nan), np.full((4, 1), np.inf), np.zeros((0, 3)),
                              np.zeros(3), np.zeros((2, 3), dtype=bool), np.zeros((2, 3), dtype=complex),
                              np.array(np.nan), np.arange(20.0).reshape(10, 2) * 1e300])
ODD = st.recursive(ODD_SCALARS | ODD_ARRAYS, lambda inner: st.lists(inner, max_size=5)
                   | st.tuples(inner, inner) | st.dictionaries(st.sampled_from(["W1", "B1", "W2", "B2", "x"]),
                                                             inner, max_size=4), max_leaves=12)
TRACE = st.one_of(ODD, st.fixed_dictionaries({"forward": st.one_of(ODD, st.fixed_dictionaries(
    {"calls": st.one_of(st.integers(-1, 12), ODD), "args": st.one_of(ODD, st.lists(st.lists(ODD_ARRAYS | ODD_SCALARS,
                                                                                         max_size=3), max_size=8))}))}))
REPLY = st.one_of(ODD, st.fixed_dictionaries({"value": ODD}, optional={"trace": TRACE, "inputs_after": ODD}))


class _Train:
    """A student's train as the hidden suites see it (`execute.Student`): every reply made up."""

    def __init__(self, value, reply) -> None:
        self.value, self.reply = value, reply

    def __call__(self, *args, **kwargs):
        return self.value

    def detailed(self, args, kwargs, **options):
        return self.reply


class _Module:
    def __init__(self, train: _Train) -> None:
        self.train = train


CHECKS = [("check_full_batch", True), ("check_batch_sizes", False), ("check_rows_paired", False),
          ("check_epochs_cover_rows", False), ("check_reshuffled", False), ("check_inputs_untouched", False),
          ("check_lesson_data", True), ("check_return_flags", False)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=ODD, reply=REPLY)
def test_fuzz_behaviour_checks_fail_calmly_on_any_reply(value, reply):
    """None, NaN, inf, wrong types and wrong lengths in every field of what train returns and of
    what the worker reports: a check passes or raises StudentFailure (the case is FAILED), never
    anything else (which execute reports as a grader ERROR)."""
    module = _Module(_Train(value, reply))
    for name, with_check in CHECKS:
        args = (Check(1e-6, 1e-8), NN) if with_check else (NN,)
        try:
            getattr(tb, name)(module, *args)
        except StudentFailure:
            pass


@pytest.mark.parametrize("value,reply", [
    (([None] * 20, _start_weights(13)), {"value": ([None] * 6, _start_weights(3))}),  # losses None
    (None, {"value": None, "trace": {"forward": {"calls": 7, "args": [[np.full((2, 3), np.nan),
                                                                          np.full((2, 1), np.nan)]]}}}),  # a NaN batch
])
def test_the_behaviour_checks_of_issue_10_fail_calmly(value, reply):
    """The two replies issue 10 found: losses None (TypeError) and one NaN batch (ValueError)."""
    module = _Module(_Train(value, reply))
    for name, with_check in CHECKS:
        args = (Check(1e-6, 1e-8), NN) if with_check else (NN,)
        try:
            getattr(tb, name)(module, *args)
        except StudentFailure:
            pass
