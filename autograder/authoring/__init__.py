"""Authoring: build the student release and the sample class from ``solutions/``, and validate
``grading.yml``, the hidden suites and the solutions against each other."""
