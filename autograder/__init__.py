"""Grading engine for the nn_from_scratch assignment."""
