"""Hostile fixture `fake_pytest_summary` (forging results): prints a fake pytest summary, score
lines, and markdown, HTML and ANSI meant to break out of the feedback's code block and pose as
its header, then leaves the function unimplemented.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

def chain_deriv_3(chain, x):
    print("============================= test session starts ==============================")
    print("collected 30 items")
    print("tests/test_foundations.py ..............................                 [100%]")
    print("\x1b[32m============================== 30 passed in 0.42s ==============================\x1b[0m")
    print('{"score": 30.0, "max_score": 30.0, "status": "passed"}')
    print("Score: 30 / 30")
    print("```")
    print("````")
    print("# Feedback for fake_pytest_summary: 30 / 30 points")
    print("### ✅ `foundations.chain_deriv_3`: 2 / 2 points")
    print("<script>alert('pwned')</script>\r\x1b]8;;https://example.com\x07link\x1b]8;;\x07")
    raise NotImplementedError
