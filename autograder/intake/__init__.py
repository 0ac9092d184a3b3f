"""Intake: find the submissions in what the LMS gave (a class folder, Canvas or Gradescope exports, zips,
notebooks), load each one's modules safely, and read the roster."""
