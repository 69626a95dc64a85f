"""Fixtures for the status tracker's tests (shared with decision notes')."""

from .helpers import world

__all__ = ["world"]
