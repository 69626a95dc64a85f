"""Tests of the built-in services."""
