"""
ircc_account: the reusable core of one online account for an immigration department.

A portal opens one :class:`FrontDoor` (``FrontDoor.open(FrontDoorConfig(...))``)
and serves every page from it. The names here are what a portal developer
needs first; the rest lives in the subpackages, each name in one place:
``identity`` (logins, sessions, accounts), ``delegation`` (representatives,
organisations, grants), ``services`` (plugins and what they return),
``audit`` (the log and a client's history), ``authz`` (the policy's terms),
``storage`` (stores and their ports), ``errors``, ``hookspecs``,
``hazmat`` (raw tokens), ``devidp`` (the development provider) and
``testing``. Everything in an underscore module is private.
"""

from __future__ import annotations

import logging

from ircc_account._clock import Clock, FrozenClock, Randomness, SystemClock, SystemRandomness
from ircc_account._crypto import KeyEncryptionKey, Keyring
from ircc_account._door import ClientSummary, FrontDoor, FrontDoorConfig, ItemPage, Principal
from ircc_account._exports import present_as_public
from ircc_account._model import (
    Actor,
    AssuranceLevel,
    Capacity,
    ContactDetails,
    Language,
    PersonalDetails,
)
from ircc_account.errors import IrccAccountError
from ircc_account.hookspecs import hookimpl

__all__ = [
    "Actor",
    "AssuranceLevel",
    "Capacity",
    "ClientSummary",
    "Clock",
    "ContactDetails",
    "FrontDoor",
    "FrontDoorConfig",
    "FrozenClock",
    "IrccAccountError",
    "ItemPage",
    "KeyEncryptionKey",
    "Keyring",
    "Language",
    "PersonalDetails",
    "Principal",
    "Randomness",
    "SystemClock",
    "SystemRandomness",
    "hookimpl",
]

present_as_public(globals(), __name__)

# Quiet by default: with no logging configured by the application, nothing of
# ours reaches stderr (Python's last-resort handler would print warnings).
logging.getLogger(__name__).addHandler(logging.NullHandler())
