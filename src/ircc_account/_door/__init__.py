"""
The front door: one composition, every page's operation (see ``_door.py``).
"""

from __future__ import annotations

from ircc_account._door._config import FrontDoorConfig
from ircc_account._door._directory import StoreDirectory
from ircc_account._door._door import FrontDoor
from ircc_account._door._events import EventHub
from ircc_account._door._values import ClientSummary, ItemPage, Principal

__all__ = [
    "ClientSummary",
    "EventHub",
    "FrontDoor",
    "FrontDoorConfig",
    "ItemPage",
    "Principal",
    "StoreDirectory",
]
