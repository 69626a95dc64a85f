"""
ID token validation, OpenID Connect Core 1.0 §3.1.3.7 (and §3.1.3.8, §12.2).

Each check quotes the clause it enforces. Every failure raises
:class:`~ircc_account.errors.InvalidToken`, whose message never says which
check failed; the private ``_reason`` attribute and a DEBUG log line do.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ircc_account.errors import ConfigurationError, InvalidToken

from ._algs import ALGORITHMS, DEFAULT_ALGORITHMS
from ._claims import (
    DEFAULT_LEEWAY,
    check_aud,
    check_config,
    check_iss,
    check_sub,
    check_times,
    check_typ,
    from_ts,
    num,
)
from ._codec import b64url_encode, fail, frozen, json_object
from ._hmac import HMAC_ALGORITHMS, HmacKey, at_hash_function
from ._jws import DEFAULT_MAX_TOKEN_BYTES, KeySource, verified

__all__ = ["IdTokenClaims", "validate_id_token", "validate_refreshed_id_token"]

_ID_TOKEN_TYPES = frozenset({"jwt"})
_STR_CLAIMS = ("azp", "acr", "nonce", "sid", "at_hash")


@attrs.frozen
class IdTokenClaims:
    """
    The claims of an ID token that passed every check.

    Attributes:
        iss: The issuer, equal to the configured one.
        sub: The subject (hidden from ``repr``).
        aud: The audiences, ``client_id`` among them.
        azp: The authorized party, or ``None``.
        exp: Expiry.
        iat: Issue time.
        nbf: Not-before time, or ``None``.
        auth_time: When the user authenticated, or ``None``.
        acr: The authentication context class, or ``None`` (lowest assurance).
        amr: The authentication methods.
        nonce: The nonce (hidden from ``repr``), or ``None`` (refreshed tokens).
        sid: The session id at the provider (hidden from ``repr``), or ``None``.
        at_hash: The access token hash (hidden from ``repr``), or ``None``.
        alg: The signature algorithm the token used.
        claims: Every claim, read-only (hidden from ``repr``: it holds personal data).
    """

    iss: str
    sub: str = attrs.field(repr=False)
    aud: tuple[str, ...]
    azp: str | None
    exp: dt.datetime
    iat: dt.datetime
    nbf: dt.datetime | None
    auth_time: dt.datetime | None
    acr: str | None
    amr: tuple[str, ...]
    nonce: str | None = attrs.field(repr=False)
    sid: str | None = attrs.field(repr=False)
    at_hash: str | None = attrs.field(repr=False)
    alg: str
    claims: Mapping[str, Any] = attrs.field(repr=False, eq=False)


def _at_hash(access_token: str, alg: str) -> str:
    # §3.1.3.8 (via §3.2.2.9): "Hash the octets of the ASCII representation of the
    # access_token with the hash algorithm specified in JWA for the alg Header
    # Parameter of the ID Token's JOSE Header. [...] Take the left-most half of the
    # hash and base64url encode it."
    digest = at_hash_function(alg) if alg in HMAC_ALGORITHMS else ALGORITHMS[alg].at_hash
    full: bytes = digest(access_token.encode("ascii")).digest()
    return b64url_encode(full[: len(full) // 2])


def _parse(
    token: str | bytes,
    keys: KeySource,
    algorithms: frozenset[str],
    max_token_bytes: int,
    hmac_key: HmacKey | None = None,
) -> tuple[Mapping[str, Any], dict[str, Any], str]:
    # Steps 6–8: "The Client MUST validate the signature of all other ID Tokens
    # [...] The Client MUST use the keys provided by the Issuer." We never take
    # the TLS "MAY" shortcut, and the alg must be on the caller's pinned list
    # (step 7). Step 8, "If the JWT alg Header Parameter uses a MAC based
    # algorithm such as HS256, HS384, or HS512, the octets of the UTF-8
    # representation of the client_secret [...] are used as the key": only
    # with an explicit HmacKey (the opt-in), never a key from the set.
    header, payload, _, _, alg, _ = verified(token, keys, algorithms, max_token_bytes, hmac_key)
    # SEC-28: an ID token is typ JWT or untyped; a logout token (logout+jwt, or
    # with an events claim) is never an ID token.
    check_typ(header, _ID_TOKEN_TYPES, InvalidToken, required=False)
    claims = json_object(payload, InvalidToken, "claims")
    if "events" in claims:
        raise fail(InvalidToken, "events_in_id_token")
    return header, claims, alg


def _check_acr(acr: str | None, acr_values: Sequence[str] | None) -> None:
    # Step 12: "If the acr Claim was requested, the Client SHOULD check that the
    # asserted Claim Value is appropriate." We enforce it (SEC-12): the acr must be
    # one of the acceptable values; a missing acr is the lowest assurance.
    if acr_values is None:
        return
    if acr is None or acr not in acr_values:
        raise fail(InvalidToken, "acr")


def _check_auth_time(
    auth_time: float | None,
    now: float,
    leeway: float,
    max_age: int | None,
    required: bool,
) -> None:
    # Step 13: "If the auth_time Claim was requested, either through a specific
    # request for this Claim or by using the max_age parameter, the Client SHOULD
    # check the auth_time Claim value and request re-authentication if it
    # determines too much time has elapsed since the last End-User authentication."
    if auth_time is None:
        if required or max_age is not None:
            raise fail(InvalidToken, "auth_time.missing")
        return
    if auth_time > now + leeway:
        raise fail(InvalidToken, "auth_time.future")
    if max_age is not None and now - auth_time > max_age + leeway:
        raise fail(InvalidToken, "auth_time.max_age")


def _build(
    # Positional: it runs once per token, and keyword binding costs.
    claims: dict[str, Any],
    alg: str,
    issuer: str,
    client_id: str,
    extra_trusted_audiences: Iterable[str],
    now: float,
    leeway: float,
    max_iat_age: float,
) -> IdTokenClaims:
    cls = InvalidToken
    # Step 2: "The Issuer Identifier for the OpenID Provider [...] MUST exactly
    # match the value of the iss (issuer) Claim."
    iss = check_iss(claims, issuer, cls)
    # OIDC Core §2: sub is REQUIRED, "It MUST NOT exceed 255 ASCII characters".
    sub = check_sub(claims, cls, required=True)
    # Step 3: "The ID Token MUST be rejected if the ID Token does not list the
    # Client as a valid audience, or if it contains additional audiences not
    # trusted by the Client." (authlib accepts the untrusted extra: SEC-08.)
    aud = check_aud(claims, client_id, extra_trusted_audiences, cls)
    # Optional string claims: a string when present (null is not "absent").
    for name in _STR_CLAIMS:
        value = claims.get(name)
        if type(value) is not str and (value is not None or name in claims):
            raise fail(cls, f"{name}.type")
    azp = claims.get("azp")
    # Step 4: "If the ID Token contains multiple audiences, the Client SHOULD
    # verify that an azp Claim is present." Enforced.
    if len(aud) > 1 and azp is None:
        raise fail(cls, "azp.missing")
    # Step 5: "If an azp (authorized party) Claim is present, the Client SHOULD
    # verify that its client_id is the Claim Value." Enforced; and azp never
    # stands in for aud membership (checked above, independently).
    if azp is not None and azp != client_id:
        raise fail(cls, "azp")
    # Step 9: "The current time MUST be before the time represented by the exp
    # Claim." Step 10: "The iat Claim can be used to reject tokens that were
    # issued too far away from the current time [...]" (window: max_iat_age).
    times = check_times(claims, now, leeway, max_iat_age, cls)
    auth_time = num(claims, "auth_time", cls)
    amr = claims.get("amr", ())
    # A list of strings when present; the set of types is one C-speed pass.
    if amr != () and (type(amr) is not list or not {type(m) for m in amr} <= {str}):
        raise fail(cls, "amr.type")
    assert sub is not None  # required=True above
    return IdTokenClaims(
        iss=iss,
        sub=sub,
        aud=aud,
        azp=azp,
        exp=from_ts(times.exp),
        iat=from_ts(times.iat),
        nbf=None if times.nbf is None else from_ts(times.nbf),
        auth_time=None if auth_time is None else from_ts(auth_time),
        acr=claims.get("acr"),
        amr=tuple(amr),
        nonce=claims.get("nonce"),
        sid=claims.get("sid"),
        at_hash=claims.get("at_hash"),
        alg=alg,
        claims=frozen(claims),
    )


def _check_at_hash(result: IdTokenClaims, access_token: str | None) -> None:
    # §3.1.3.8: "The value of at_hash in the ID Token MUST match the value
    # produced in the previous step." Checked whenever both are present (SEC-14).
    if access_token is None or result.at_hash is None:
        return
    try:
        expected = _at_hash(access_token, result.alg)
    except UnicodeEncodeError:
        raise fail(InvalidToken, "at_hash") from None
    if not hmac.compare_digest(expected.encode("ascii"), result.at_hash.encode("utf-8")):
        raise fail(InvalidToken, "at_hash")


_ZERO = dt.timedelta(0)


def _max_iat_age_s(max_iat_age: dt.timedelta) -> float:
    if max_iat_age <= _ZERO:
        raise ConfigurationError(reason="max_iat_age must be positive")
    return max_iat_age.total_seconds()


def validate_id_token(
    token: str | bytes,
    *,
    keys: KeySource,
    issuer: str,
    client_id: str,
    nonce: str,
    now: dt.datetime,
    algorithms: frozenset[str] = DEFAULT_ALGORITHMS,
    leeway: dt.timedelta = DEFAULT_LEEWAY,
    max_age: int | None = None,
    auth_time_required: bool = False,
    acr_values: Sequence[str] | None = None,
    access_token: str | None = None,
    max_iat_age: dt.timedelta = dt.timedelta(minutes=10),
    extra_trusted_audiences: Iterable[str] = (),
    max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
    hmac_key: HmacKey | None = None,
) -> IdTokenClaims:
    """
    Validate an ID token from the token endpoint (OIDC Core §3.1.3.7).

    Args:
        token: The compact JWS.
        keys: The provider's keys (a :class:`KeySet` or :class:`JwksCache`).
        issuer: The configured issuer, compared exactly.
        client_id: Our client id.
        nonce: The nonce sent in this transaction's authentication request.
        now: The current time (aware).
        algorithms: The pinned alg allowlist (asymmetric only).
        leeway: Clock skew tolerance; 0–300 s, 60 s by default.
        max_age: The ``max_age`` sent, in seconds, if any.
        auth_time_required: Whether ``auth_time`` was requested as a claim.
        acr_values: Acceptable ``acr`` values, if an assurance level was requested.
        access_token: The access token returned with it, to check ``at_hash``.
        max_iat_age: How old ``iat`` may be.
        extra_trusted_audiences: Audiences besides ``client_id`` we trust (none by default).
        max_token_bytes: The largest token accepted.
        hmac_key: Accept HMAC-signed tokens keyed with this client secret
            (opt-in, OIDC Core §10.1); refused without it.

    Raises:
        InvalidToken: Any check failed.
        ConfigurationError: Unsafe settings (naive *now*, leeway over 300 s, bad allowlist).
    """
    now_ts = check_config(now, leeway)
    if acr_values is not None and (isinstance(acr_values, str) or not acr_values):
        raise ConfigurationError(reason="acr_values must be a non-empty sequence")
    if not isinstance(nonce, str) or not nonce:
        raise ConfigurationError(reason="nonce must be a non-empty string")
    lw = leeway.total_seconds()
    _, claims, alg = _parse(token, keys, algorithms, max_token_bytes, hmac_key)
    result = _build(
        claims,
        alg,
        issuer,
        client_id,
        extra_trusted_audiences,
        now_ts,
        lw,
        _max_iat_age_s(max_iat_age),
    )
    # Step 11: "If a nonce value was sent in the Authentication Request, a nonce
    # Claim MUST be present and its value checked to verify that it is the same
    # value as the one that was sent." Compared in constant time (SEC-31).
    if result.nonce is None or not hmac.compare_digest(
        result.nonce.encode("utf-8"), nonce.encode("utf-8")
    ):
        raise fail(InvalidToken, "nonce")
    _check_acr(result.acr, acr_values)
    # The number _build checked, rather than a round trip through datetime.
    auth_ts = None if result.auth_time is None else float(claims["auth_time"])
    _check_auth_time(auth_ts, now_ts, lw, max_age, auth_time_required)
    _check_at_hash(result, access_token)
    return result


def validate_refreshed_id_token(
    token: str | bytes,
    original: IdTokenClaims,
    *,
    keys: KeySource,
    issuer: str,
    client_id: str,
    now: dt.datetime,
    algorithms: frozenset[str] = DEFAULT_ALGORITHMS,
    leeway: dt.timedelta = DEFAULT_LEEWAY,
    access_token: str | None = None,
    max_iat_age: dt.timedelta = dt.timedelta(minutes=10),
    extra_trusted_audiences: Iterable[str] = (),
    max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
    hmac_key: HmacKey | None = None,
) -> IdTokenClaims:
    """
    Validate an ID token from a refresh against the original one (OIDC Core §12.2).

    All the checks of :func:`validate_id_token` apply (except the nonce), and:
    the same ``iss``, ``sub``, ``aud`` and ``azp`` (absent if it was absent),
    an ``auth_time`` (if present) equal to the original, a ``nonce`` absent or
    equal to the original.

    Raises:
        InvalidToken: Any check failed.
        ConfigurationError: Unsafe settings.
    """
    now_ts = check_config(now, leeway)
    lw = leeway.total_seconds()
    _, claims, alg = _parse(token, keys, algorithms, max_token_bytes, hmac_key)
    result = _build(
        claims,
        alg,
        issuer,
        client_id,
        extra_trusted_audiences,
        now_ts,
        lw,
        _max_iat_age_s(max_iat_age),
    )
    # §12.2: "its iss Claim Value MUST be the same as in the ID Token issued when
    # the original authentication occurred, its sub Claim Value MUST be the same
    # [...], its aud Claim Value MUST be the same [...], if the ID Token contains an
    # auth_time Claim, its value MUST represent the time of the original
    # authentication [...], its azp Claim Value MUST be the same [...]; if no azp
    # Claim was present in the original ID Token, one MUST NOT be present".
    same = (
        result.iss == original.iss
        and hmac.compare_digest(result.sub.encode(), original.sub.encode())
        and sorted(result.aud) == sorted(original.aud)
        and result.azp == original.azp
        and (result.auth_time is None or result.auth_time == original.auth_time)
    )
    if not same:
        raise fail(InvalidToken, "refresh.mismatch")
    # §12.2: "it SHOULD NOT have a nonce Claim Value, but if it does, it MUST
    # equal the nonce in the original."
    if result.nonce is not None and (
        original.nonce is None
        or not hmac.compare_digest(result.nonce.encode(), original.nonce.encode())
    ):
        raise fail(InvalidToken, "refresh.nonce")
    if result.auth_time is not None:
        _check_auth_time(result.auth_time.timestamp(), now_ts, lw, None, False)
    _check_at_hash(result, access_token)
    return result
