"""Judge: compare a student's results with the reference under rtol/atol, score the cases into
points, diagnose known mistakes, and apply the course policy (late penalty, overrides)."""
