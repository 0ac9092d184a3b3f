"""Run: execute the hidden pytest suites in the grader against student code that runs in a sandboxed
worker (bubblewrap, seccomp, cgroups), spoken to over a plain-data protocol, on a local process
pool or a dask cluster."""
