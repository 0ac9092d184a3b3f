"""The wire format between the trusted grader and the sandboxed worker: plain data, never pickle.

A frame is ``8-byte big-endian length | 4-byte JSON length | JSON | array blobs``. The JSON holds a
header (``"h"``, a flat dict of strings and numbers) and a value tree (``"v"``) in which

* ``None``, ``bool``, ``int``, ``str`` and finite ``float`` stand for themselves;
* a JSON list is a Python ``list``;
* ``{"__tuple__": [...]}`` is a tuple, ``{"__dict__": [[key, value], ...]}`` a dict with str keys;
* ``{"__float__": "nan" | "inf" | "-inf"}`` a non-finite float;
* ``{"__nd__": [i, dtype, shape]}`` a numpy array whose raw C-order bytes are the i-th blob:
  ``dtype`` is a numeric ``dtype.str`` such as ``"<f8"``, ``shape`` a list of ints. (Raw bytes,
  not ``.npy``: parsing an npy header costs an ``ast.literal_eval`` per array, and a traced
  ``train`` call sends back dozens of arrays.)

`decode` is strict: anything else (another object, a bigger frame than the cap, a dtype that is
not a plain number, a blob whose length does not match the dtype and shape, deeper nesting than
`MAX_DEPTH`) is a `ProtocolError`. A decoded array is a fresh, writable, aligned ``ndarray``. This module imports only the standard library and numpy: it is copied into the
worker's runtime, where student code can patch it freely. The parent's copy is the one that
decides what a frame means, and it never runs student code.
"""
from __future__ import annotations

import json
import math
import re
import socket
import struct
import time
from typing import Any

import numpy as np

MAX_FRAME = 64 << 20  # bytes; a bigger frame is refused before it is read
MAX_DEPTH = 8
MAX_ITEMS = 100_000
NUMERIC_KINDS = "biufc"
_DTYPE = re.compile(r"[<>|][biufc][0-9]{1,2}")  # what dtype.str gives for the numeric dtypes
_HEAD = struct.Struct(">QI")
_NUMBERS = {int, float}  # exact types: bool and subclasses take the general path


class ProtocolError(Exception):
    """A frame that is not plain data in our format (or is too big)."""


class EncodeError(ProtocolError):
    """A value that has no plain-data form (e.g. a student returned a custom object)."""


def _describe(value: Any) -> str:
    cls = type(value)
    if isinstance(value, np.ndarray):
        return f"a subclass of numpy.ndarray ({cls.__module__}.{cls.__qualname__})"
    return f"an object of type {cls.__module__}.{cls.__qualname__}".replace("builtins.", "")


class _Encoder:
    def __init__(self, limit: int = MAX_FRAME) -> None:
        self.blobs: list[bytes] = []
        self.items = 0
        self.limit, self.nbytes = limit, 0

    def value(self, v: Any, depth: int = 0) -> Any:
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            raise EncodeError("the value is nested too deeply or has too many items")
        t = type(v)
        if v is None or t is bool or t is str:
            return v
        if t is int:
            return v
        if t is float:
            return v if math.isfinite(v) else {"__float__": repr(v)}
        if t is list:
            if depth < MAX_DEPTH and set(map(type, v)) <= _NUMBERS and math.isfinite(sum(v)):
                # a flat list of finite numbers (e.g. a train's losses) as it is: a finite sum
                # means no element is inf or nan (one nan, one inf, or both infinities make it not)
                self.items += len(v)
                if self.items > MAX_ITEMS:
                    raise EncodeError("the value is nested too deeply or has too many items")
                return v
            return [self.value(x, depth + 1) for x in v]
        if t is tuple:
            return {"__tuple__": [self.value(x, depth + 1) for x in v]}
        if t is dict:
            if not all(type(k) is str for k in v):
                raise EncodeError("a dict whose keys are not all strings")
            return {"__dict__": [[k, self.value(x, depth + 1)] for k, x in v.items()]}
        if t is np.ndarray or isinstance(v, np.generic):
            arr = np.asarray(v) if isinstance(v, np.generic) else v
            if arr.dtype.kind not in NUMERIC_KINDS or arr.dtype.fields is not None:
                raise EncodeError(f"a numpy array of dtype {arr.dtype}, which is not numeric")
            self.nbytes += arr.nbytes  # checked before copying: a broadcast view may claim gigabytes
            if self.nbytes > self.limit:
                raise EncodeError(_too_big(self.nbytes, self.limit))
            self.blobs.append(arr.tobytes())
            return {"__nd__": [len(self.blobs) - 1, arr.dtype.str, list(arr.shape)]}
        raise EncodeError(_describe(v))


def encode(header: dict[str, Any], value: Any = None, *, limit: int = MAX_FRAME) -> bytes:
    """Build one frame from a header dict and a value tree.

    Args:
        header: JSON-able dict (str keys; str, int, float, bool, None, lists of those).
        value: the payload, made only of the types listed in the module docstring.
        limit: the largest frame allowed, in bytes.

    Returns:
        The frame as bytes.

    Raises:
        EncodeError: the value holds something with no plain-data form, or the frame is
            bigger than ``limit``.
    """
    enc = _Encoder(limit)
    tree = enc.value(value)
    text = json.dumps({"h": header, "v": tree, "b": [len(b) for b in enc.blobs]},
                      allow_nan=False, separators=(",", ":")).encode()
    size = 4 + len(text) + sum(len(b) for b in enc.blobs)
    if size > limit:
        raise EncodeError(_too_big(size, limit))
    return b"".join([_HEAD.pack(size, len(text)), text, *enc.blobs])


def _too_big(size: int, limit: int) -> str:
    return f"a value of {size / 2**20:.1f} MiB, more than the {limit / 2**20:.0f} MiB allowed"


class _Decoder:
    def __init__(self, blobs: list[memoryview]) -> None:
        self.blobs = blobs
        self.items = 0

    def value(self, v: Any, depth: int = 0) -> Any:
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            raise ProtocolError("value nested too deeply or too many items")
        t = type(v)
        if v is None or t in (bool, int, float, str):
            return v
        if t is list:
            if depth < MAX_DEPTH and set(map(type, v)) <= _NUMBERS:  # flat numbers: nothing to decode
                self.items += len(v)
                if self.items > MAX_ITEMS:
                    raise ProtocolError("value nested too deeply or too many items")
                return v
            return [self.value(x, depth + 1) for x in v]
        if t is not dict or len(v) != 1:
            raise ProtocolError("unexpected JSON object in value tree")
        (tag, body), = v.items()
        if tag == "__tuple__" and type(body) is list:
            return tuple(self.value(x, depth + 1) for x in body)
        if tag == "__dict__" and type(body) is list:
            out = {}
            for pair in body:
                if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                    raise ProtocolError("malformed dict entry")
                out[pair[0]] = self.value(pair[1], depth + 1)
            return out
        if tag == "__float__" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "__nd__":
            return self.array(body)
        raise ProtocolError(f"unknown tag {tag!r}")

    def array(self, body: Any) -> np.ndarray:
        if type(body) is not list or len(body) != 3:
            raise ProtocolError("bad array: expected [blob index, dtype, shape]")
        index, dtype_str, shape = body
        if type(index) is not int or not 0 <= index < len(self.blobs) or type(dtype_str) is not str \
                or _DTYPE.fullmatch(dtype_str) is None or type(shape) is not list or len(shape) > MAX_DEPTH \
                or not all(type(n) is int and n >= 0 for n in shape):
            raise ProtocolError("bad array description")
        try:
            dtype = np.dtype(dtype_str)
        except TypeError:
            raise ProtocolError(f"bad array dtype {dtype_str!r}") from None
        if dtype.str != dtype_str or dtype.kind not in NUMERIC_KINDS or dtype.fields is not None:
            raise ProtocolError(f"array dtype {dtype_str!r} is not a plain number")
        blob = self.blobs[index]
        if math.prod(shape) * dtype.itemsize != len(blob):
            raise ProtocolError("array blob does not match its dtype and shape")
        return np.frombuffer(blob, dtype=dtype).reshape(shape).copy()


def decode(frame: bytes | memoryview) -> tuple[dict[str, Any], Any]:
    """Parse the body of a frame (everything after the 8-byte length) into (header, value).

    Raises:
        ProtocolError: the frame is not well-formed plain data.
    """
    view = memoryview(frame)
    if len(view) < 4:
        raise ProtocolError("truncated frame")
    (jlen,) = struct.unpack(">I", view[:4])
    return _parse(jlen, view[4:])


def _parse(jlen: int, view: memoryview) -> tuple[dict[str, Any], Any]:
    """Decode a frame's body. Whatever the bytes, the only exception is ProtocolError: a frame is
    written by student code, so nothing in it may raise anything a caller takes for a grader error
    (JSON nested deeper than Python's recursion limit raised RecursionError before, issue 10)."""
    try:
        return _parse_frame(jlen, view)
    except ProtocolError:
        raise
    except (ValueError, TypeError, RecursionError, OverflowError, UnicodeError, IndexError) as exc:
        raise ProtocolError(f"unreadable frame ({type(exc).__name__})") from None


def _parse_frame(jlen: int, view: memoryview) -> tuple[dict[str, Any], Any]:
    if jlen > len(view):
        raise ProtocolError("truncated frame")
    try:
        doc = json.loads(bytes(view[:jlen]))
    except ValueError as exc:
        raise ProtocolError(f"bad JSON: {exc}") from None
    if type(doc) is not dict or set(doc) != {"h", "v", "b"} or type(doc["h"]) is not dict \
            or type(doc["b"]) is not list or not all(type(n) is int and n >= 0 for n in doc["b"]):
        raise ProtocolError("bad frame layout")
    blobs, pos = [], jlen
    for n in doc["b"]:
        blobs.append(view[pos:pos + n])
        pos += n
    if pos != len(view):
        raise ProtocolError("frame length does not match its blobs")
    return doc["h"], _Decoder(blobs).value(doc["v"])


def send(sock: socket.socket, frame: bytes) -> None:
    """Write a whole frame to a connected socket."""
    sock.sendall(frame)


def _recv_exact(sock: socket.socket, n: int, deadline: float | None) -> bytearray:
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            raise EOFError
        got += k
    return buf


def recv(sock: socket.socket, *, deadline: float | None = None, limit: int = MAX_FRAME
         ) -> tuple[dict[str, Any], Any]:
    """Read and decode one frame.

    Args:
        sock: a connected stream socket.
        deadline: a `time.monotonic()` instant after which to give up, or None to wait forever.
        limit: the largest frame accepted, in bytes; a bigger one is refused unread.

    Raises:
        TimeoutError: the deadline passed. EOFError: the peer closed the connection.
        ProtocolError: the frame is too big or malformed.
    """
    size, jlen = _HEAD.unpack(_recv_exact(sock, _HEAD.size, deadline))
    if size > limit or size < 4:
        raise ProtocolError(f"frame of {size} bytes refused (limit {limit})")
    body = _recv_exact(sock, size - 4, deadline)
    return _parse(jlen, memoryview(body))
