"""
A development OpenID provider, for tests and the demo; never for real accounts.

It signs in any configured test user who is picked on a page (or named in
``login_hint``), so it refuses to start unless
``DevProviderConfig(development_mode=True)`` says so explicitly.

Built on authlib's authorization server: code flow with PKCE (S256 only),
pushed authorization requests, ``iss`` in authorization responses,
``private_key_jwt`` and client-secret authentication, refresh tokens, DPoP
(RFC 9449) sender-constrained tokens, token revocation (RFC 7009),
RP-initiated and back-channel logout.
"""

from __future__ import annotations

from ircc_account._exports import present_as_public
from ircc_account.devidp._config import DevClient, DevProviderConfig, DevUser
from ircc_account.devidp._provider import DevelopmentProvider, LogoutDelivery
from ircc_account.devidp._runner import RunningServer
from ircc_account.devidp._tls import LocalTls

__all__ = [
    "DevClient",
    "DevProviderConfig",
    "DevUser",
    "DevelopmentProvider",
    "LocalTls",
    "LogoutDelivery",
    "RunningServer",
]

present_as_public(globals(), __name__)
