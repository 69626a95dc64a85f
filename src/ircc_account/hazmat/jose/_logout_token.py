"""
Logout token validation, OpenID Connect Back-Channel Logout 1.0 §2.4 and §2.6.

Every failure raises :class:`~ircc_account.errors.InvalidLogoutToken` (the
endpoint answers 400, BCL §2.8); the message never says which check failed.
The ``jti`` replay check runs last, so a token that fails any other check
never consumes its ``jti``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

from ircc_account._clock import Clock, SystemClock
from ircc_account.errors import ConfigurationError, InvalidLogoutToken, InvalidToken

from ._algs import DEFAULT_ALGORITHMS
from ._claims import (
    DEFAULT_LEEWAY,
    check_aud,
    check_config,
    check_iss,
    check_sub,
    check_times,
    check_typ,
    from_ts,
    opt_str,
)
from ._codec import fail, frozen, json_object, reason_of
from ._jws import DEFAULT_MAX_TOKEN_BYTES, KeySource, verify_jws

__all__ = [
    "BACKCHANNEL_LOGOUT_EVENT",
    "InMemoryJtiStore",
    "JtiStore",
    "LogoutTokenClaims",
    "validate_logout_token",
]

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
_LOGOUT_TYPES = frozenset({"logout+jwt"})
_log = logging.getLogger("ircc_account.hazmat.jose")


@runtime_checkable
class JtiStore(Protocol):
    """
    Remembers logout token ids to refuse replays (BCL §2.6 step 8, SEC-46).
    """

    def seen(self, issuer: str, jti: str, expires_at: dt.datetime) -> bool:
        """
        Record (*issuer*, *jti*) until *expires_at*; return True if it was already recorded.

        Must be atomic: of two concurrent calls with the same pair, one returns True.
        """
        ...


class InMemoryJtiStore:
    """
    A bounded, thread-safe, in-process :class:`JtiStore`; entries expire at their token's expiry.

    When full of unexpired entries it fails closed: it reports every new
    ``jti`` as seen (the token is refused) rather than forget one that could
    then be replayed. Use a shared store when several processes receive logouts.

    Args:
        max_entries: The most ids held at once.
        clock: The time source for expiry.
    """

    def __init__(self, *, max_entries: int = 100_000, clock: Clock | None = None) -> None:
        if max_entries < 1:
            raise ConfigurationError(reason="max_entries must be positive")
        self._max = max_entries
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], dt.datetime] = {}

    def seen(self, issuer: str, jti: str, expires_at: dt.datetime) -> bool:
        """
        Record (*issuer*, *jti*) until *expires_at*; True if already recorded and unexpired.
        """
        key = (issuer, jti)
        now = self._clock.now()
        with self._lock:
            held = self._entries.get(key)
            if held is not None and held > now:
                return True
            if len(self._entries) >= self._max:
                self._entries = {k: v for k, v in self._entries.items() if v > now}
                if len(self._entries) >= self._max:
                    _log.warning("logout jti store full; refusing new logout tokens")
                    return True
            self._entries[key] = expires_at
            return False

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"InMemoryJtiStore({len(self._entries)}/{self._max})"


@attrs.frozen
class LogoutTokenClaims:
    """
    The claims of a logout token that passed every check.

    Attributes:
        iss: The issuer.
        aud: The audiences.
        iat: Issue time.
        exp: Expiry.
        jti: The token id (already recorded in the store).
        sub: The subject (hidden from ``repr``), or ``None``.
        sid: The provider session id (hidden from ``repr``), or ``None``.
        events: The ``events`` claim, read-only.
        claims: Every claim, read-only (hidden from ``repr``).
    """

    iss: str
    aud: tuple[str, ...]
    iat: dt.datetime
    exp: dt.datetime
    jti: str
    sub: str | None = attrs.field(repr=False)
    sid: str | None = attrs.field(repr=False)
    events: Mapping[str, Any] = attrs.field(eq=False)
    claims: Mapping[str, Any] = attrs.field(repr=False, eq=False)


def _check(
    token: str | bytes,
    keys: KeySource,
    issuer: str,
    client_id: str,
    algorithms: frozenset[str],
    now: float,
    leeway: float,
    max_lifetime: float,
    require_typ: bool,
    extra_trusted_audiences: Iterable[str],
    max_token_bytes: int,
) -> LogoutTokenClaims:
    cls = InvalidLogoutToken
    # Steps 2–3: "Validate the Logout Token signature in the same way that an ID
    # Token signature is validated" and the alg likewise; "Additionally, an alg
    # with the value none MUST NOT be used for Logout Tokens." (none is never in
    # our table.)
    try:
        jws = verify_jws(token, keys, algorithms=algorithms, max_bytes=max_token_bytes)
    except InvalidToken as exc:
        raise fail(cls, reason_of(exc)) from None
    # §2.4 recommends explicit typing, typ "logout+jwt" (SEC-28, SEC-45).
    check_typ(jws.header, _LOGOUT_TYPES, cls, required=require_typ)
    claims = json_object(jws.payload, cls, "claims")
    # Step 4: "Validate the iss, aud, iat, and exp Claims in the same way they are
    # validated in ID Tokens."
    iss = check_iss(claims, issuer, cls)
    aud = check_aud(claims, client_id, extra_trusted_audiences, cls)
    times = check_times(claims, now, leeway, max_lifetime, cls)
    # SEC-46: exp short. A token valid for longer than max_lifetime is refused.
    if times.exp - times.iat > max_lifetime:
        raise fail(cls, "lifetime")
    # Step 5: "Verify that the Logout Token contains a sub Claim, a sid Claim, or both."
    sub = check_sub(claims, cls, required=False)
    sid = opt_str(claims, "sid", cls)
    if sub is None and sid is None:
        raise fail(cls, "sub_sid.missing")
    # Step 6: "Verify that the Logout Token contains an events Claim whose value is
    # JSON object containing the member name
    # http://schemas.openid.net/event/backchannel-logout." §2.4: that member's
    # value "MUST be a JSON object".
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise fail(cls, "events")
    # Step 7: "Verify that the Logout Token does not contain a nonce Claim."
    if "nonce" in claims:
        raise fail(cls, "nonce_present")
    # §2.4: jti is REQUIRED.
    jti = opt_str(claims, "jti", cls)
    if jti is None or not 1 <= len(jti) <= 256:
        raise fail(cls, "jti")
    return LogoutTokenClaims(
        iss=iss,
        aud=aud,
        iat=from_ts(times.iat),
        exp=from_ts(times.exp),
        jti=jti,
        sub=sub,
        sid=sid,
        events=frozen(events),
        claims=frozen(claims),
    )


def validate_logout_token(
    token: str | bytes,
    *,
    keys: KeySource,
    issuer: str,
    client_id: str,
    now: dt.datetime,
    jti_store: JtiStore,
    algorithms: frozenset[str] = DEFAULT_ALGORITHMS,
    leeway: dt.timedelta = DEFAULT_LEEWAY,
    require_typ: bool = True,
    max_lifetime: dt.timedelta = dt.timedelta(seconds=300),
    extra_trusted_audiences: Iterable[str] = (),
    max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
) -> LogoutTokenClaims:
    """
    Validate a back-channel logout token (BCL 1.0 §2.6) and record its ``jti``.

    Args:
        token: The ``logout_token`` form value.
        keys: The provider's keys, the same source as for its ID tokens.
        issuer: The configured issuer, compared exactly.
        client_id: Our client id.
        now: The current time (aware).
        jti_store: Where seen ``jti`` values are kept (step 8, SEC-46).
        algorithms: The pinned allowlist, as for ID tokens.
        leeway: Clock skew tolerance; 0–300 s, 60 s by default.
        require_typ: Refuse a token without ``typ: logout+jwt`` (default). When
            False an absent ``typ`` is accepted; any other ``typ`` never is.
        max_lifetime: The longest ``exp - iat`` (and ``iat`` age) accepted.
        extra_trusted_audiences: Audiences besides ``client_id`` we trust.
        max_token_bytes: The largest token accepted.

    Raises:
        InvalidLogoutToken: Any check failed, including a replayed ``jti``.
        ConfigurationError: Unsafe settings.
    """
    now_ts = check_config(now, leeway)
    if max_lifetime <= dt.timedelta(0):
        raise ConfigurationError(reason="max_lifetime must be positive")
    result = _check(
        token,
        keys,
        issuer,
        client_id,
        algorithms,
        now_ts,
        leeway.total_seconds(),
        max_lifetime.total_seconds(),
        require_typ,
        extra_trusted_audiences,
        max_token_bytes,
    )
    # Step 8: "Optionally verify that another Logout Token with the same jti value
    # has not been recently received." Not optional here; last, after every check.
    if jti_store.seen(result.iss, result.jti, result.exp + leeway):
        _log.info("logout token replay refused")
        raise fail(InvalidLogoutToken, "jti.replay")
    return result
