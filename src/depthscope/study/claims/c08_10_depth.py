"""Placeholder."""

CHECKS = ()
