"""Writes for the grading app."""
