"""
What the relying party takes from a provider's discovery document and key set.
"""

from __future__ import annotations

import httpx

from ircc_account.identity import Identity, LoginOutcome

from ._op import LoopbackOP
from .conftest import login


def test_sec_26_key_rotation_between_two_logins_is_picked_up(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """A provider that rotates its signing key seconds after our first fetch: the next login still succeeds, with one refetch."""
    assert login(identity, browser).outcome is LoginOutcome.NEW_CREDENTIAL
    assert op.count("/jwks") == 1
    op.rotate()
    assert login(identity, browser).outcome is LoginOutcome.NEW_CREDENTIAL
    assert op.count("/jwks") == 2


def test_sec_10_provider_clock_30_s_ahead_is_accepted_by_default(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, clock: object
) -> None:
    """With the default 60 s leeway, a provider whose clock runs 30 s ahead still logs people in."""
    now = clock.now().timestamp()  # type: ignore[attr-defined]
    op.time = lambda: now + 30
    assert identity.providers.get("a").config.leeway.total_seconds() == 60
    assert login(identity, browser).outcome is LoginOutcome.NEW_CREDENTIAL
