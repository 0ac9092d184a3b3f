"""Store: the grade store (``OUT/grades.sqlite``) that makes reruns resume, regrade only what
changed, and never lose a row."""
