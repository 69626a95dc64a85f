"""
ircc_account: the reusable core of one online account for an immigration department.
"""

from __future__ import annotations

__all__: list[str] = []
