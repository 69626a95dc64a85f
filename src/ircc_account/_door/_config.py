"""
:class:`FrontDoorConfig`: everything the front door wires, explicit.
"""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import httpx

from ircc_account._clock import Clock, Randomness, SystemClock, SystemRandomness
from ircc_account._crypto import Keyring
from ircc_account.audit import ActorDirectory, CheckpointSigner
from ircc_account.delegation import LicenceVerifier
from ircc_account.identity import (
    ClaimPolicy,
    HttpLimits,
    LegacyFileVerifier,
    ProviderConfig,
    RateLimits,
    SessionPolicy,
)
from ircc_account.services import AllowedPlugin

__all__ = ["FrontDoorConfig"]


@attrs.frozen(kw_only=True)
class FrontDoorConfig:
    """
    Everything the front door needs, explicit (the library reads no environment).

    Attributes:
        database_url: ``sqlite:///path.db`` or ``postgresql+psycopg://...``.
        keyring: Key-encryption keys and the blind-index key, from a secret store.
        licence_verifier: Checks paid representatives' licences with their bodies.
        providers: The credential providers clients log in with (OpenID
            Connect); none means the door has no logins (a portal that
            authenticates elsewhere builds :class:`~ircc_account.Actor` values itself).
        provider_tls: The TLS context for talking to providers (a private CA,
            such as the development provider's); the system's by default.
        provider_http: A shared ``httpx.Client`` for the providers, instead.
        http_limits: Timeouts and size limits for provider calls.
        session_policy: Session lifetimes and the cookie name.
        rate_limits: Per-client limits on the login endpoints; per process by default.
        claim_policy: Attempt limits for legacy-file claims.
        legacy_verifier: Checks legacy-file claims against the legacy systems.
        checkpoint_signer: Signs audit checkpoints; load its keys from a secret store.
        directory: Names representatives, offices and services in a client's
            history; by default the names the store holds.
        allowed_plugins: The entry points :meth:`FrontDoor.open` may load (SEC-92).
        blocked_plugins: Plugin names refused even when registered explicitly.
        plugin_deadline: Seconds each plugin call may take.
        plugin_settings: Each plugin's settings by service id (its portal's
            URL, timeouts), handed to its ``ircc_startup`` hook at start-up.
        fresh_auth: How recent a client's login must be to create, accept or
            change a grant (SEC-40).
        invitation_lifetime: How long an invitation to join an organisation stays usable.
        clock: The time source.
        randomness: The CSPRNG.
        migrate: Run the schema migrations at start-up.
    """

    database_url: str
    keyring: Keyring = attrs.field(repr=False)
    licence_verifier: LicenceVerifier
    providers: Sequence[ProviderConfig] = ()
    provider_tls: ssl.SSLContext | None = attrs.field(default=None, repr=False)
    provider_http: httpx.Client | None = attrs.field(default=None, repr=False)
    http_limits: HttpLimits | None = None
    session_policy: SessionPolicy = attrs.field(factory=SessionPolicy)
    rate_limits: RateLimits | None = None
    claim_policy: ClaimPolicy = attrs.field(factory=ClaimPolicy)
    legacy_verifier: LegacyFileVerifier | None = None
    checkpoint_signer: CheckpointSigner | None = attrs.field(default=None, repr=False)
    directory: ActorDirectory | None = None
    allowed_plugins: Sequence[AllowedPlugin] = ()
    blocked_plugins: Sequence[str] = ()
    plugin_deadline: float = 2.0
    plugin_settings: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict, repr=False)
    fresh_auth: dt.timedelta = dt.timedelta(minutes=15)
    invitation_lifetime: dt.timedelta = dt.timedelta(days=7)
    clock: Clock = attrs.field(factory=SystemClock)
    randomness: Randomness = attrs.field(factory=SystemRandomness)
    migrate: bool = True
