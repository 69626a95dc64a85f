"""
Delegation tokens for wrapped legacy systems: short-lived Ed25519 JWTs in
the style of RFC 8693 (token exchange).

A token says *who acts for whom*: ``sub`` is the client, ``act.sub`` the
representative (RFC 8693 §4.1), ``scope`` what the policy allowed, ``aud``
the one legacy system it is for, ``gid`` the consent grant it rests on. It is
minted only after :meth:`~ircc_account.delegation.Policy.authorize` allowed
the request, for that one request: it lives two minutes by default (five at
most), its verifier accepts it once (a :class:`ReplayStore` remembers its
``jti`` until it expires), and the issuer answers an RFC 7662-style
introspection from the grant's current state, so a legacy system can learn
of a revocation at once. It names its signing key (``kid``, the RFC 7638
thumbprint) so the legacy system can find it in the published JWKS.

Tokens are signed by the library's one signing path,
:func:`ircc_account.hazmat.jose.sign_jws`. The verifier here is deliberately
small and strict: one algorithm (``EdDSA`` over Ed25519), one ``typ``,
compact serialization only, canonical base64url, and every failure raises
the same :class:`~ircc_account.errors.InvalidToken`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ircc_account._clock import Clock, Randomness, SystemRandomness
from ircc_account._model import Action, Actor, AuthorizationDecision, Capacity, Resource
from ircc_account._storage.ports import SqlUnit
from ircc_account.delegation._policy import Policy, scope_for
from ircc_account.delegation._ports import ReplayStore
from ircc_account.delegation._replay import MemoryReplayStore
from ircc_account.errors import (
    AuthorizationError,
    ConfigurationError,
    InvalidToken,
)
from ircc_account.hazmat.jose import b64url_decode, b64url_encode, sign_jws

__all__ = [
    "TOKEN_LEEWAY",
    "TOKEN_LIFETIME",
    "TOKEN_MAX_LEEWAY",
    "TOKEN_MAX_LIFETIME",
    "TOKEN_TYPE",
    "DelegationClaims",
    "DelegationTokenIssuer",
    "DelegationTokenVerifier",
]

#: Why a delegation token is refused to anyone but a representative.
_NOT_DELEGATE = AuthorizationDecision(allowed=False, reason="capacity")

#: The JOSE ``typ`` header of a delegation token (RFC 8725 §3.11: explicit typing).
TOKEN_TYPE = "ircc-delegation+jwt"  # noqa: S105 (a media type, not a secret)
#: How long a delegation token lives by default: long enough for one call to
#: a legacy system; a revocation stops it within minutes even for a system
#: that never asks (see :meth:`DelegationTokenIssuer.introspect`).
TOKEN_LIFETIME = dt.timedelta(minutes=2)
#: The longest a delegation token may live (the issuer refuses longer, the
#: verifier refuses tokens whose ``exp - iat`` is longer).
TOKEN_MAX_LIFETIME = dt.timedelta(minutes=5)
#: Clock skew a verifier tolerates on ``exp``, ``nbf`` and ``iat`` by default.
TOKEN_LEEWAY = dt.timedelta(seconds=10)
#: The most skew a verifier may be told to tolerate.
TOKEN_MAX_LEEWAY = dt.timedelta(seconds=60)
_ALG = "EdDSA"
_MAX_TOKEN = 8192
_MAX_ID = 128


def _b64d(text: str) -> bytes:
    # Canonical base64url only: no padding, no other alphabet, no malleable
    # trailing bits (RFC 7515 §2, RFC 8725 §3.7).
    return b64url_decode(text, InvalidToken, "delegation")


def _json(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()


def _public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def thumbprint(key: Ed25519PublicKey) -> str:
    """The RFC 7638 JWK thumbprint of an Ed25519 public key (its ``kid``)."""
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": b64url_encode(_public_raw(key))}
    return b64url_encode(hashlib.sha256(_json(jwk)).digest())


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    """The public JWK for *key*."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url_encode(_public_raw(key)),
        "kid": thumbprint(key),
        "use": "sig",
        "alg": _ALG,
    }


@attrs.frozen(kw_only=True)
class DelegationClaims:
    """
    What a verified delegation token says.

    Attributes:
        issuer: ``iss``: the account service that minted it.
        audience: ``aud``: the legacy system it is for.
        client_id: ``sub``: the client acted for.
        actor_id: ``act.sub``: the representative acting (earlier actors
            nested in ``act`` are for audit only and never returned; SEC-58).
        scope: ``scope``: what the policy allowed.
        service_id: ``svc``: the service, if the request named one.
        item_id: ``item``: the item, if the request named one.
        issued_at: ``iat``.
        not_before: ``nbf``.
        expires_at: ``exp``.
        token_id: ``jti``: unique per token.
        grant_id: ``gid``: the consent grant the token rests on.
    """

    issuer: str
    audience: str
    client_id: str
    actor_id: str
    scope: str
    service_id: str | None
    item_id: str | None
    issued_at: dt.datetime
    not_before: dt.datetime
    expires_at: dt.datetime
    token_id: str
    grant_id: str


class DelegationTokenIssuer:
    """
    Mints delegation tokens and publishes the keys that verify them.

    Args:
        issuer: The ``iss`` value (this account service's URL).
        keys: Signing keys, current first; the others stay in the JWKS so
            tokens they signed still verify until they expire.
        policy: The policy every token is checked against before minting.
        clock: The time source.
        lifetime: How long a token lives (:data:`TOKEN_LIFETIME`, two
            minutes; at most :data:`TOKEN_MAX_LIFETIME`, five).
        randomness: For ``jti`` and new keys on rotation.
        keep: How many keys the JWKS publishes (current plus previous).
    """

    def __init__(
        self,
        *,
        issuer: str,
        keys: Sequence[Ed25519PrivateKey],
        policy: Policy,
        clock: Clock,
        lifetime: dt.timedelta = TOKEN_LIFETIME,
        randomness: Randomness | None = None,
        keep: int = 2,
    ) -> None:
        if not keys or not all(isinstance(k, Ed25519PrivateKey) for k in keys):
            raise ConfigurationError(reason="a delegation token issuer needs Ed25519 keys")
        if not dt.timedelta(seconds=1) <= lifetime <= TOKEN_MAX_LIFETIME:
            raise ConfigurationError(reason="delegation tokens live between 1 s and 5 minutes")
        self._issuer = issuer
        self._keys = list(keys)[: max(keep, 1)]
        self._policy = policy
        self._clock = clock
        self._lifetime = lifetime
        self._randomness = randomness or SystemRandomness()
        self._keep = max(keep, 1)
        self._checker = _Checker(self.jwks(), issuer, clock, dt.timedelta(0))

    def __repr__(self) -> str:
        return f"DelegationTokenIssuer(issuer={self._issuer!r}, kid={self.current_kid!r})"

    @property
    def current_kid(self) -> str:
        """The ``kid`` of the key new tokens are signed with."""
        return thumbprint(self._keys[0].public_key())

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JSON Web Key Set to publish: the current key and the previous ones."""
        return {"keys": [public_jwk(k.public_key()) for k in self._keys]}

    def rotate(self, new_key: Ed25519PrivateKey | None = None) -> str:
        """
        Make *new_key* (or a fresh key) current; the previous current key stays
        published so its tokens verify until they expire. Returns the new ``kid``.
        """
        key = new_key or Ed25519PrivateKey.from_private_bytes(self._randomness.token_bytes(32))
        self._keys = [key, *self._keys][: self._keep]
        self._checker = _Checker(self.jwks(), self._issuer, self._clock, dt.timedelta(0))
        return self.current_kid

    def issue(
        self,
        actor: Actor,
        action: Action | str,
        resource: Resource,
        *,
        audience: str,
        uow: SqlUnit,
    ) -> str:
        """
        Authorize, then mint a token saying *actor* acts for the resource's client.

        The decision is recorded once in *uow* (``authz.<action>``); a
        refusal's record is kept even if *uow* then rolls back.

        Raises:
            AuthorizationError: no token is minted: the policy denied the
                request (``params["reason"]`` is its reason), or *actor* is no
                representative (the client on their own file, a service, an
                officer: reason ``capacity``), as tokens exist only for
                delegates acting under a grant.
        """
        if actor.capacity is not Capacity.REPRESENTATIVE:
            self._policy.record(actor, action, resource, _NOT_DELEGATE, uow=uow)
            raise _NOT_DELEGATE.refusal()
        decision = self._policy.authorize(actor, action, resource, uow=uow)
        scope = scope_for(action)
        if not decision.allowed:
            raise decision.refusal()
        if scope is None or decision.grant_id is None:  # pragma: no cover
            # Unreachable: the policy allows a representative only under a
            # grant, for an action with a scope.
            raise AuthorizationError(reason="capacity")
        now = self._clock.now()
        iat = int(now.timestamp())
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": audience,
            "sub": resource.client_id,
            "act": {"sub": actor.representative_id or actor.actor_id},
            "scope": scope,
            "iat": iat,
            "nbf": iat,
            "exp": iat + int(self._lifetime.total_seconds()),
            "jti": b64url_encode(self._randomness.token_bytes(16)),
            "gid": decision.grant_id,
        }
        if resource.service_id is not None:
            claims["svc"] = resource.service_id
        if resource.item_id is not None:
            claims["item"] = resource.item_id
        return sign_compact(self._keys[0], claims)

    def introspect(self, token: str, *, audience: str, uow: SqlUnit) -> dict[str, Any]:
        """
        RFC 7662-style introspection: whether *token* is active now, answered
        from the current state of the grant it rests on, for a legacy system
        that wants to learn of a revocation before its token expires.

        The token must be one of this issuer's, unexpired (no leeway: the
        issuer's own clock), for *audience*; and its grant must still let its
        representative use its scope on its resource now (status, window,
        membership and access group, a firm's licensed members only, the
        representative's licence: :meth:`Policy.recheck`). Introspection
        does not use up the token (replay is the verifier's business) and
        records nothing.

        Cost: one round trip, the policy's decision statement (three
        primary-key reads when the pair is cached and nothing changed, the
        pair's indexed rows otherwise), plus one Ed25519 verification.

        Args:
            token: The compact token presented to the legacy system.
            audience: The authenticated caller's own audience value: a token
                for another system is inactive to it (RFC 7662 §4). The web
                layer must authenticate the caller (RFC 7662 §2.1) and pass
                its audience here; never take it from the request body.
            uow: A unit of work to read in (read-only is enough).

        Returns:
            ``{"active": False}`` alone for any token that is not active
            (RFC 7662 §2.2: nothing else is said); otherwise ``active``,
            ``iss``, ``aud``, ``sub``, ``act`` (``{"sub": representative}``),
            ``scope``, ``iat``, ``nbf``, ``exp``, ``jti``, ``gid``, and
            ``svc``, ``item`` when the token names them: ready for JSON.
        """
        try:
            claims = self._checker.check(token, audience)
            resource = Resource(
                client_id=claims.client_id, service_id=claims.service_id, item_id=claims.item_id
            )
        except (InvalidToken, ValueError):
            return {"active": False}
        decision = self._policy.recheck(
            client_id=claims.client_id,
            representative_id=claims.actor_id,
            grant_id=claims.grant_id,
            scope=claims.scope,
            resource=resource,
            uow=uow,
        )
        if not decision.allowed:
            return {"active": False}
        answer: dict[str, Any] = {
            "active": True,
            "iss": claims.issuer,
            "aud": claims.audience,
            "sub": claims.client_id,
            "act": {"sub": claims.actor_id},
            "scope": claims.scope,
            "iat": int(claims.issued_at.timestamp()),
            "nbf": int(claims.not_before.timestamp()),
            "exp": int(claims.expires_at.timestamp()),
            "jti": claims.token_id,
            "gid": claims.grant_id,
        }
        if claims.service_id is not None:
            answer["svc"] = claims.service_id
        if claims.item_id is not None:
            answer["item"] = claims.item_id
        return answer


def sign_compact(key: Ed25519PrivateKey, claims: Mapping[str, Any]) -> str:
    """Sign *claims* as a compact JWS with the delegation token header."""
    return sign_jws(claims, key, alg=_ALG, kid=thumbprint(key.public_key()), typ=TOKEN_TYPE)


class DelegationTokenVerifier:
    """
    What a legacy system runs: verifies delegation tokens against the
    published JWKS, and accepts each token once.

    Args:
        jwks: The issuer's published key set (``{"keys": [...]}``). Members
            that are not Ed25519 public keys, or do not parse, are ignored.
        issuer: The expected ``iss``.
        audience: This system's own audience value.
        clock: The time source.
        leeway: Clock skew tolerated on ``exp``, ``nbf`` and ``iat``
            (:data:`TOKEN_LEEWAY`, ten seconds; at most :data:`TOKEN_MAX_LEEWAY`).
        replay: Where accepted token ids are remembered until they expire:
            a :class:`SqlReplayStore` when several processes verify; by
            default a :class:`MemoryReplayStore` of this verifier's own (so
            keep one verifier for the process, not one per request).

    Raises:
        ConfigurationError: *jwks* is not a key set (an object with a
            ``keys`` list), or *leeway* is out of range.
    """

    def __init__(
        self,
        *,
        jwks: Mapping[str, Any],
        issuer: str,
        audience: str,
        clock: Clock,
        leeway: dt.timedelta = TOKEN_LEEWAY,
        replay: ReplayStore | None = None,
    ) -> None:
        if not dt.timedelta(0) <= leeway <= TOKEN_MAX_LEEWAY:
            raise ConfigurationError(reason="a delegation token leeway is 0 to 60 seconds")
        self._checker = _Checker(jwks, issuer, clock, leeway)
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        self._replay: ReplayStore = replay if replay is not None else MemoryReplayStore(clock)

    def __repr__(self) -> str:
        return f"DelegationTokenVerifier(issuer={self._issuer!r}, audience={self._audience!r})"

    def verify(self, token: str) -> DelegationClaims:
        """
        Verify *token*, use it up, and return its claims.

        Raises:
            InvalidToken: malformed, forged, unknown key, wrong ``alg`` or
                ``typ``, expired, not yet valid, wrong issuer or audience,
                or already used (a replay). The error never says which.
        """
        claims = self._checker.check(token, self._audience)
        # Last, so only a token that is otherwise good is remembered; kept
        # until no clock within the leeway could still accept it.
        if not self._replay.first_use(
            claims.issuer, claims.token_id, claims.expires_at + self._leeway
        ):
            raise InvalidToken()
        return claims


class _Checker:
    """Every check of a delegation token but replay, against one key set."""

    def __init__(
        self, jwks: Mapping[str, Any], issuer: str, clock: Clock, leeway: dt.timedelta
    ) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        members = jwks.get("keys") if isinstance(jwks, Mapping) else None
        if not isinstance(members, list):
            # A key set fetched from elsewhere may be anything: say so plainly.
            raise ConfigurationError(
                reason='the delegation key set is not a JWKS ({"keys": [...]})'
            )
        for jwk in members:
            # Members that are not keys, of another type, or that do not
            # parse are ignored, as RFC 7517 §5 asks.
            if not isinstance(jwk, Mapping):
                continue
            if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
                continue
            x = jwk.get("x")
            if not isinstance(x, str):
                continue
            try:
                key = Ed25519PublicKey.from_public_bytes(_b64d(x))
            except (InvalidToken, ValueError):
                continue
            self._keys[thumbprint(key)] = key
        self._issuer = issuer
        self._clock = clock
        self._leeway = int(leeway.total_seconds())

    def check(self, token: str, audience: str) -> DelegationClaims:
        if not isinstance(token, str) or len(token) > _MAX_TOKEN or token.count(".") != 2:
            raise InvalidToken()
        h64, p64, s64 = token.split(".")
        header = _object(_b64d(h64))
        # Exactly the header we mint: alg=none, other algorithms, "crit",
        # embedded keys ("jwk", "jku", "x5u") are all refused (RFC 8725 §3.1).
        if set(header) != {"alg", "kid", "typ"} or header["alg"] != _ALG:
            raise InvalidToken()
        if header["typ"] != TOKEN_TYPE:
            raise InvalidToken()
        key = self._keys.get(header["kid"]) if isinstance(header["kid"], str) else None
        if key is None:
            raise InvalidToken()
        try:
            key.verify(_b64d(s64), (h64 + "." + p64).encode("ascii"))
        except InvalidSignature:
            raise InvalidToken() from None
        return self._claims(_object(_b64d(p64)), audience)

    def _claims(self, c: Mapping[str, Any], audience: str) -> DelegationClaims:
        now = int(self._clock.now().timestamp())
        ints = ("iat", "exp", "nbf")
        if not all(type(c.get(k)) is int for k in ints):
            raise InvalidToken()
        # A time before 1970 is no time we mint (and past what a datetime can
        # hold, it would be another error than ours).
        if c["exp"] <= now - self._leeway or not 0 <= c["nbf"] <= now + self._leeway:
            raise InvalidToken()
        lifetime = int(TOKEN_MAX_LIFETIME.total_seconds())
        if c["iat"] > now + self._leeway or not 0 < c["exp"] - c["iat"] <= lifetime:
            raise InvalidToken()
        if c.get("iss") != self._issuer or c.get("aud") != audience:
            raise InvalidToken()
        act = c.get("act")
        strings = (c.get("sub"), c.get("scope"), c.get("jti"), c.get("gid"))
        if not isinstance(act, dict) or not all(isinstance(s, str) and s for s in strings):
            raise InvalidToken()
        if len(c["jti"]) > _MAX_ID or len(c["gid"]) > _MAX_ID:
            raise InvalidToken()
        actor = act.get("sub")
        if not isinstance(actor, str) or not actor:
            raise InvalidToken()
        for optional in ("svc", "item"):
            if optional in c and not isinstance(c[optional], str):
                raise InvalidToken()
        return DelegationClaims(
            issuer=c["iss"],
            audience=c["aud"],
            client_id=c["sub"],
            actor_id=actor,
            scope=c["scope"],
            service_id=c.get("svc"),
            item_id=c.get("item"),
            issued_at=dt.datetime.fromtimestamp(c["iat"], dt.UTC),
            expires_at=dt.datetime.fromtimestamp(c["exp"], dt.UTC),
            token_id=c["jti"],
            grant_id=c["gid"],
            not_before=dt.datetime.fromtimestamp(c["nbf"], dt.UTC),
        )


def _object(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data, object_pairs_hook=_no_duplicates)
    except (ValueError, UnicodeDecodeError):
        raise InvalidToken() from None
    if not isinstance(value, dict):
        raise InvalidToken()
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError("duplicate member")
        out[k] = v
    return out
