"""Hostile fixture `inspect_frames` (reading answers): walks the caller frames (inspect.stack) for
locals or globals named like expected values.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import inspect


def deriv(func, input_, diff=0.001):
    names = ("expected", "want", "wanted", "reference", "answer", "ref", "solution")
    for frame_info in inspect.stack():
        frame = frame_info.frame
        for scope in (frame.f_locals, frame.f_globals):
            for name in names:
                if name in scope and isinstance(scope[name], (float, np.ndarray)):
                    return scope[name]
    return None
