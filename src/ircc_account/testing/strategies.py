"""
Hypothesis strategies for ``ircc_account`` values, for tests and security reviews.

Every function takes keyword-only arguments and returns a
:class:`hypothesis.strategies.SearchStrategy`. Requires the ``test`` extra
(hypothesis).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from hypothesis import strategies as st

from ircc_account._model import (
    BilingualText,
    ClientAccount,
    ContactDetails,
    ItemKind,
    ItemState,
    Language,
    PersonalDetails,
    ServiceItem,
)

__all__ = [
    "accounts",
    "bilingual_texts",
    "id_token_claims",
    "id_tokens",
    "identifiers",
    "instants",
    "logout_token_claims",
    "logout_tokens",
    "names",
    "service_ids",
    "service_items",
    "service_manifests",
    "ucis",
]

_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def identifiers(*, prefix: str = "") -> st.SearchStrategy[str]:
    """
    Opaque identifiers the model accepts (``prefix`` plus 1 to 24 characters).
    """
    return st.text(_ID_ALPHABET, min_size=1, max_size=24).map(lambda s: f"{prefix}{s}")


def ucis(*, grouped: bool | None = None) -> st.SearchStrategy[str]:
    """
    Valid Unique Client Identifiers, 8 or 10 digits, plain or hyphen-grouped.

    Args:
        grouped: ``True`` for hyphenated spellings only, ``False`` for plain
            digits only, ``None`` for both.
    """

    def spell(digits: str, group: bool) -> str:
        if not group:
            return digits
        if len(digits) == 8:
            return f"{digits[:4]}-{digits[4:]}"
        return f"{digits[:2]}-{digits[2:6]}-{digits[6:]}"

    digits = st.one_of(
        st.text("0123456789", min_size=8, max_size=8),
        st.text("0123456789", min_size=10, max_size=10),
    )
    groups = st.booleans() if grouped is None else st.just(grouped)
    return st.builds(spell, digits, groups)


def names(*, max_size: int = 60) -> st.SearchStrategy[str]:
    """
    Printable personal names, including accented letters, apostrophes and hyphens.
    """
    letters = st.characters(
        categories=("Lu", "Ll", "Lo"), exclude_characters="\u2028\u2029", max_codepoint=0x2FFF
    )
    word = st.text(letters, min_size=1, max_size=15)
    return (
        st.lists(word, min_size=1, max_size=3)
        .map(" ".join)
        .filter(lambda s: 0 < len(s) <= max_size)
    )


def instants(
    *, min_value: dt.datetime | None = None, max_value: dt.datetime | None = None
) -> st.SearchStrategy[dt.datetime]:
    """
    Timezone-aware UTC datetimes (whole microseconds), by default between 2000 and 2100.
    """
    lo = (min_value or dt.datetime(2000, 1, 1, tzinfo=dt.UTC)).replace(tzinfo=None)
    hi = (max_value or dt.datetime(2100, 1, 1, tzinfo=dt.UTC)).replace(tzinfo=None)
    return st.datetimes(min_value=lo, max_value=hi).map(lambda d: d.replace(tzinfo=dt.UTC))


def bilingual_texts(*, max_size: int = 80) -> st.SearchStrategy[BilingualText]:
    """
    Texts with both an English and a French version.
    """
    text = st.text(
        st.characters(categories=("L", "N", "P", "Zs"), exclude_characters="\u2028\u2029"),
        min_size=1,
        max_size=max_size,
    ).filter(lambda s: s.strip())
    return st.builds(BilingualText, text, text)


def accounts(
    *, account_id: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[ClientAccount]:
    """
    Valid client accounts with random names, dates of birth, contacts, UCIs and languages.
    """
    personal = st.builds(
        PersonalDetails,
        family_name=names(max_size=100),
        given_names=st.none() | names(max_size=100),
        date_of_birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
    )
    contact = st.builds(
        ContactDetails,
        email=st.from_regex(r"\A[a-z0-9]{1,20}@[a-z]{1,10}\.(ca|com|org)\Z"),
    )
    return st.builds(
        ClientAccount,
        account_id=account_id or identifiers(prefix="acc-"),
        personal=personal,
        contact=contact,
        preferred_language=st.sampled_from(Language),
        uci=st.none() | ucis(),
        created_at=instants(),
    )


def service_items(
    *, account_id: str, service_id: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[ServiceItem]:
    """
    Valid items for one account, with random kinds, states and titles.
    """
    return st.builds(
        ServiceItem,
        item_id=identifiers(prefix="item-"),
        account_id=st.just(account_id),
        service_id=service_id or st.sampled_from(["trv", "passport", "status"]),
        kind=st.sampled_from(ItemKind),
        reference=identifiers(prefix="R"),
        state=st.sampled_from(ItemState),
        title=bilingual_texts(),
        document_number=st.none() | st.from_regex(r"\A[A-Z]{2}[0-9]{6}\Z"),
        created_at=instants(),
        updated_at=instants(),
    )


# --- ID tokens and logout tokens ------------------------------------------------------------------

# The back-channel logout event (OIDC Back-Channel Logout §2.4).
_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"

# Far beyond any leeway the library allows (300 s), so each time mutation is
# refused whatever the deployment's leeway.
_FAR = 3600


def _subjects() -> st.SearchStrategy[str]:
    return st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=255)


def id_token_claims(
    *, issuer: str, client_id: str, nonce: str, now: dt.datetime
) -> st.SearchStrategy[dict[str, Any]]:
    """
    Valid ID token claims (OIDC Core §2) for *client_id* at *issuer*, issued
    at *now* with *nonce*: a random subject (1 to 255 printable ASCII
    characters), a lifetime of 1 to 60 minutes, and at random an
    ``auth_time``, ``acr``, ``amr`` and ``sid``.
    """
    ts = int(now.timestamp())
    optional = st.fixed_dictionaries(
        {},
        optional={
            "auth_time": st.integers(ts - 600, ts),
            "acr": st.sampled_from(("urn:ircc:loa:1", "urn:ircc:loa:2", "urn:ircc:loa:3")),
            "amr": st.lists(st.sampled_from(("pwd", "otp", "hwk", "mfa")), min_size=1),
            "sid": identifiers(prefix="sid-"),
        },
    )
    return st.builds(
        lambda sub, life, extra: {
            "iss": issuer,
            "sub": sub,
            "aud": client_id,
            "iat": ts,
            "exp": ts + life,
            "nonce": nonce,
            **extra,
        },
        _subjects(),
        st.integers(60, 3600),
        optional,
    )


def logout_token_claims(
    *, issuer: str, client_id: str, now: dt.datetime
) -> st.SearchStrategy[dict[str, Any]]:
    """
    Valid logout token claims (Back-Channel Logout §2.4) for *client_id* at
    *issuer*, issued at *now*: a fresh ``jti``, the logout event, and a
    ``sub``, a ``sid`` or both; a lifetime of 1 to 5 minutes.
    """
    ts = int(now.timestamp())
    who = st.one_of(
        st.fixed_dictionaries({"sub": _subjects()}),
        st.fixed_dictionaries({"sid": identifiers(prefix="sid-")}),
        st.fixed_dictionaries({"sub": _subjects(), "sid": identifiers(prefix="sid-")}),
    )
    return st.builds(
        lambda jti, life, extra: {
            "iss": issuer,
            "aud": client_id,
            "iat": ts,
            "exp": ts + life,
            "jti": jti,
            "events": {_LOGOUT_EVENT: {}},
            **extra,
        },
        identifiers(prefix="jti-"),
        st.integers(60, 300),
        who,
    )


def _claim_attacks(claims: dict[str, Any], *, logout: bool) -> st.SearchStrategy[dict[str, Any]]:
    """*claims* with one thing wrong that a relying party must refuse."""
    return st.sampled_from(_claim_changes(claims, logout=logout))


def _claim_changes(claims: dict[str, Any], *, logout: bool) -> list[dict[str, Any]]:
    """Each way of getting *claims* wrong: one claim changed or removed."""
    iss, aud = claims["iss"], claims["aud"]
    required = ["iss", "aud", "iat", "exp"] + (["events", "jti"] if logout else ["sub", "nonce"])
    changes: list[dict[str, Any]] = [
        {"iss": iss + "/"},
        {"iss": iss.upper()},
        {"iss": "https://attacker.example"},
        {"aud": aud + "-other"},
        {"aud": [aud, "https://untrusted.example"]},
        {"aud": 7},
        {"exp": claims["iat"] - _FAR},
        {"iat": claims["iat"] + _FAR, "exp": claims["exp"] + _FAR},
        {"exp": str(claims["exp"])},
        {"iat": True},
        {"nbf": claims["iat"] + _FAR},
    ]
    if logout:
        changes += [
            {"events": {}},
            {"events": {"http://schemas.openid.net/event/other": {}}},
            {"nonce": "n-0"},
        ]
    else:
        changes += [
            {"nonce": claims["nonce"] + "x"},
            {"sub": "x" * 256},
            {"sub": 248289761001},
            {"sub": ""},
        ]
    removals = [{name: None} for name in required]
    if logout:
        removals.append({"sub": None, "sid": None})

    def apply(change: dict[str, Any]) -> dict[str, Any]:
        out = {**claims, **change}
        return {k: v for k, v in out.items() if v is not None}

    return [apply(change) for change in changes + removals]


def _compact(header: dict[str, Any], payload: bytes, signature: bytes) -> str:
    from ircc_account.hazmat.jose import b64url_encode

    head = b64url_encode(json.dumps(header, separators=(",", ":")).encode())
    return f"{head}.{b64url_encode(payload)}.{b64url_encode(signature)}"


def _forgeries(
    token: str, claims: dict[str, Any], *, kid: str | None, typ: str | None
) -> list[str]:
    """*token* broken at the JOSE layer: unsigned, HMAC-confused, tampered, re-keyed, truncated."""
    import hashlib
    import hmac

    from ircc_account.hazmat.jose import b64url_encode

    def b64url_decode(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    head, body, sig = token.split(".")
    header = json.loads(b64url_decode(head))
    payload = json.dumps(claims, separators=(",", ":")).encode()
    other = json.dumps({**claims, "sub": "someone-else"}, separators=(",", ":")).encode()
    flipped = bytearray(b64url_decode(sig))
    flipped[len(flipped) // 2] ^= 0x01
    confusion = {"alg": "HS256", **({"kid": kid} if kid else {}), **({"typ": typ} if typ else {})}
    signing_input = f"{b64url_encode(json.dumps(confusion).encode())}.{body}".encode()
    mac = hmac.new(json.dumps(header).encode(), signing_input, hashlib.sha256).digest()
    return [
        _compact({"alg": "none"}, payload, b""),
        _compact({"alg": "None", **({"kid": kid} if kid else {})}, payload, b""),
        f"{signing_input.decode()}.{b64url_encode(mac)}",
        f"{head}.{b64url_encode(other)}.{sig}",
        f"{head}.{body}.{b64url_encode(bytes(flipped))}",
        f"{head}.{body}.",
        f"{head}.{body}",
        f"{b64url_encode(json.dumps({**header, 'kid': 'unknown-kid'}).encode())}.{body}.{sig}",
        f"{b64url_encode(json.dumps({**header, 'jku': 'https://attacker.example/jwks'}).encode())}"
        f".{body}.{sig}",
        token + "." + sig,
        " " + token,
    ]


def _tokens(
    claims: st.SearchStrategy[dict[str, Any]],
    *,
    key: Any,
    alg: str,
    kid: str | None,
    typ: str | None,
    adversarial: bool,
    logout: bool,
) -> st.SearchStrategy[str]:
    from ircc_account.hazmat.jose import sign_jws

    def sign(c: dict[str, Any]) -> str:
        return sign_jws(c, key, alg=alg, kid=kid, typ=typ)

    if not adversarial:
        return claims.map(sign)

    @st.composite
    def attack(draw: st.DrawFn) -> str:
        good = draw(claims)
        if draw(st.booleans()):
            return sign(draw(_claim_attacks(good, logout=logout)))
        return draw(st.sampled_from(_forgeries(sign(good), good, kid=kid, typ=typ)))

    return attack()


def id_tokens(
    *,
    key: Any,
    alg: str,
    issuer: str,
    client_id: str,
    nonce: str,
    now: dt.datetime,
    kid: str | None = None,
    adversarial: bool = False,
) -> st.SearchStrategy[str]:
    """
    Compact ID tokens signed with *key* (a ``cryptography`` private key
    fitting *alg*, see :func:`ircc_account.hazmat.jose.sign_jws`).

    Valid ones carry :func:`id_token_claims` and pass
    :func:`~ircc_account.hazmat.jose.validate_id_token` with the same
    *issuer*, *client_id*, *nonce* and *now* and *key*'s public half. With
    *adversarial*, each token has one thing wrong that a relying party must
    refuse whatever its leeway: a claim changed or removed (issuer spelled
    differently, another or an extra untrusted audience, expired or issued in
    the future by an hour, a wrong nonce, a subject too long or not a
    string, a time that is not a number), or the JOSE layer attacked (``alg:
    none``, HMAC keyed with the public key, the payload changed under the
    signature, a flipped signature bit, no signature, an unknown ``kid``, a
    ``jku``, extra segments).
    """
    claims = id_token_claims(issuer=issuer, client_id=client_id, nonce=nonce, now=now)
    return _tokens(
        claims, key=key, alg=alg, kid=kid, typ="JWT", adversarial=adversarial, logout=False
    )


def logout_tokens(
    *,
    key: Any,
    alg: str,
    issuer: str,
    client_id: str,
    now: dt.datetime,
    kid: str | None = None,
    adversarial: bool = False,
) -> st.SearchStrategy[str]:
    """
    Compact logout tokens (``typ: logout+jwt``) signed with *key*; valid ones
    carry :func:`logout_token_claims` and pass
    :func:`~ircc_account.hazmat.jose.validate_logout_token` (each once: their
    ``jti`` is new). With *adversarial*, each has one thing wrong, as for
    :func:`id_tokens`, or a logout-specific one: no or another event, a
    ``nonce``, neither ``sub`` nor ``sid``.
    """
    claims = logout_token_claims(issuer=issuer, client_id=client_id, now=now)
    return _tokens(
        claims, key=key, alg=alg, kid=kid, typ="logout+jwt", adversarial=adversarial, logout=True
    )


# --- service manifests ----------------------------------------------------------------------------

_SHARED_SCOPES = ("view_status", "view_decision_notes", "enquire", "submit_documents", "act")


def service_ids() -> st.SearchStrategy[str]:
    """
    Service ids the registry accepts: a lowercase letter, then 1 to 62
    lowercase letters, digits and hyphens.
    """
    return st.from_regex(r"\A[a-z][a-z0-9-]{1,62}\Z")


def service_manifests(
    *, service_id: str | None = None, rollout: bool = True
) -> st.SearchStrategy[Any]:
    """
    Valid :class:`~ircc_account.services.ServiceManifest` values: both
    languages (the French never a copy of the English), a random assurance
    level, shared and service-own scopes, eligibility rules, a rollout and
    an item limit.

    Args:
        service_id: The service id of every manifest; random by default.
        rollout: ``False`` keeps the default rollout (every eligible client),
            so a test client is always offered the service.
    """
    from ircc_account._model import AssuranceLevel
    from ircc_account.services import (
        EventAudience,
        HasAttribute,
        HasUci,
        ResidesIn,
        ResidesOutside,
        Rollout,
        ServiceManifest,
    )

    translated = bilingual_texts(max_size=60).filter(lambda t: t.en != t.fr)
    countries = st.frozensets(st.from_regex(r"\A[A-Z]{2}\Z"), min_size=1, max_size=3)
    rules = st.lists(
        st.one_of(
            st.just(HasUci()),
            countries.map(ResidesIn),
            countries.map(ResidesOutside),
            st.from_regex(r"\A[a-z][a-z0-9_]{0,20}\Z").map(HasAttribute),
        ),
        max_size=2,
    ).map(tuple)
    rollouts = (
        st.builds(
            Rollout,
            percentage=st.integers(0, 10_000).map(lambda n: n / 100),
            salt=st.text("abcdef0123456789", max_size=8),
        )
        if rollout
        else st.just(Rollout())
    )

    @st.composite
    def build(draw: st.DrawFn) -> ServiceManifest:
        sid = service_id or draw(service_ids())
        own = draw(st.frozensets(st.from_regex(r"\A[a-z][a-z0-9_]{0,15}\Z"), max_size=2))
        shared = draw(st.frozensets(st.sampled_from(_SHARED_SCOPES), min_size=1))
        scopes: list[str] = [*shared, *(f"{sid}:{name}" for name in own)]
        return ServiceManifest(
            service_id=sid,
            version=draw(st.from_regex(r"\A[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\Z")),
            title=draw(translated),
            description=draw(translated),
            assurance=draw(st.sampled_from(AssuranceLevel)),
            scopes=scopes,  # type: ignore[arg-type]  # attrs: converter=frozenset
            eligibility=draw(rules),
            rollout=draw(rollouts),
            max_items=draw(st.integers(1, 1000)),
            hears=draw(st.sampled_from(EventAudience)),
        )

    return build()
