"""Fractal memory (issue 3)."""
