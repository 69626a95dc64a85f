"""Fixtures for the decision notes tests."""

from ..status.helpers import world

__all__ = ["world"]
