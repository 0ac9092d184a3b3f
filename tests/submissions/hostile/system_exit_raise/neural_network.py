"""Hostile fixture `system_exit_raise` (forging results): raises SystemExit('All tests passed!')
while being imported.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

raise SystemExit("All tests passed!")
