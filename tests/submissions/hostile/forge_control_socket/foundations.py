"""Hostile fixture `forge_control_socket` (denial of service): writes forged protocol frames
('ready', 'closed', a full-marks reply) into every socket it holds.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import json
import os
import socket
import stat
import struct


def _frame(header, value=None):
    text = json.dumps({"h": header, "v": value, "b": []}).encode()
    return struct.pack(">QI", 4 + len(text), len(text)) + text


def chain_deriv_2(chain, x):
    forged = (_frame({"op": "closed", "exit": 0}) + _frame({"op": "opened", "pid": 1})
              + _frame({"op": "ready", "pid": 1}) + _frame({"ok": True}, {"__dict__": [["value", None]]}))
    for fd in range(3, 1024):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.write(fd, forged)
        except OSError:
            pass
    return None
