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
from collections.abc import Sequence
from typing import Any

import attrs
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
    "GRANT_WINDOWS",
    "accounts",
    "bilingual_texts",
    "consent_grants",
    "credentials",
    "id_token_claims",
    "id_tokens",
    "identifiers",
    "instants",
    "logout_token_claims",
    "logout_tokens",
    "memberships",
    "names",
    "organisations",
    "overlapping_grants",
    "representatives",
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
        # Not ``or``: a strategy's truth value is a HypothesisWarning (an error under pytest).
        account_id=identifiers(prefix="acc-") if account_id is None else account_id,
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
        service_id=st.sampled_from(["trv", "passport", "status"])
        if service_id is None
        else service_id,
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


# --- credentials ----------------------------------------------------------------------------------


def credentials(
    *,
    account_id: str,
    issuer: str | st.SearchStrategy[str] | None = None,
    assurance: Any = None,
) -> st.SearchStrategy[Any]:
    """
    Linked credentials (:class:`~ircc_account.identity.LinkedCredential`) of
    *account_id*: a login at *issuer* (by default one of three provider
    URLs) under a random subject (1 to 255 printable ASCII characters), at
    a random assurance level, linked between 2000 and 2100, and perhaps
    last used since.

    Args:
        account_id: The account every credential is linked to.
        issuer: The issuer (a value or a strategy); random by default.
        assurance: An :class:`~ircc_account.AssuranceLevel` for every
            credential; random by default.
    """
    from ircc_account._model import AssuranceLevel, LinkedCredential

    issuers = (
        st.sampled_from(("https://gckey.example", "https://bank.example", "https://id.example/"))
        if issuer is None
        else issuer
        if isinstance(issuer, st.SearchStrategy)
        else st.just(issuer)
    )
    levels = st.sampled_from(AssuranceLevel) if assurance is None else st.just(assurance)

    @st.composite
    def build(draw: st.DrawFn) -> LinkedCredential:
        linked = draw(instants())
        return LinkedCredential(
            account_id=account_id,
            issuer=draw(issuers),
            subject=draw(_subjects()),
            assurance=draw(levels),
            linked_at=linked,
            last_login_at=draw(st.none() | instants(min_value=linked)),
        )

    return build()


# --- representatives, organisations and memberships ----------------------------------------------

_LICENCE_BODIES = {"consultant": "cicc", "lawyer": "law_society", "notary": "chambre_des_notaires"}


def _kinds(enum: Any, kind: Any) -> st.SearchStrategy[Any]:
    if kind is None:
        return st.sampled_from(enum)
    if isinstance(kind, st.SearchStrategy):
        return kind
    return st.just(enum(kind))


def representatives(
    *,
    account_id: str,
    representative_id: str | None = None,
    kind: Any = None,
    licensed_on: dt.date | None = None,
) -> st.SearchStrategy[Any]:
    """
    Representatives (:class:`~ircc_account.delegation.Representative`) of
    every kind, whose login is *account_id*; paid kinds (consultant, lawyer,
    notary) carry a licence from their own body (the College, a law
    society, the Chambre des notaires), unpaid kinds none.

    Args:
        account_id: The representative's own login account.
        representative_id: Their id; random (``rep-...``) by default.
        kind: A :class:`~ircc_account.delegation.RepresentativeKind` (or its
            value, or a strategy of them); any kind by default.
        licensed_on: A day on which every licence is still valid (each
            expires on it or up to ten years after); by default licences
            expire between 2000 and 2100, so some have expired.
    """
    from ircc_account._model import Licence, Representative, RepresentativeKind

    kinds = _kinds(RepresentativeKind, kind)
    first = licensed_on or dt.date(2000, 1, 1)
    last = dt.date(2100, 1, 1) if licensed_on is None else licensed_on + dt.timedelta(days=3652)

    @st.composite
    def build(draw: st.DrawFn) -> Representative:
        chosen = draw(kinds)
        licence = None
        if chosen.is_paid:
            licence = Licence(
                body=_LICENCE_BODIES[chosen.value],
                number=draw(st.from_regex(r"\AR[0-9]{6}\Z")),
                expires_on=draw(st.dates(min_value=first, max_value=last)),
            )
        return Representative(
            representative_id=representative_id or draw(identifiers(prefix="rep-")),
            kind=chosen,
            display_name=draw(names(max_size=150)),
            account_id=account_id,
            licence=licence,
            created_at=draw(instants()),
        )

    return build()


def organisations(
    *,
    organisation_id: str | None = None,
    kind: Any = None,
    parent_id: str | None = None,
) -> st.SearchStrategy[Any]:
    """
    Organisations (:class:`~ircc_account.delegation.Organisation`): MP and
    Senator offices, law firms and consultancies, with names in either
    language.

    Args:
        organisation_id: Their id; random (``org-...``) by default.
        kind: An :class:`~ircc_account.delegation.OrganisationKind` (or its
            value, or a strategy of them); any kind by default.
        parent_id: The organisation every one belongs to (a branch of it);
            none by default.
    """
    from ircc_account._model import Organisation, OrganisationKind

    return st.builds(
        Organisation,
        organisation_id=st.just(organisation_id) if organisation_id else identifiers(prefix="org-"),
        kind=_kinds(OrganisationKind, kind),
        name=names(max_size=150),
        parent_id=st.just(parent_id),
        created_at=instants(),
    ).filter(lambda o: o.parent_id != o.organisation_id)


def memberships(
    *,
    organisation_id: str,
    representative_id: str,
    now: dt.datetime,
    role: Any = None,
    access_groups: Sequence[str] | None = None,
    ended: bool | None = None,
) -> st.SearchStrategy[Any]:
    """
    Memberships (:class:`~ircc_account.delegation.Membership`) of
    *representative_id* in *organisation_id* that began by *now*, as an
    administrator or staff, in some access groups.

    Args:
        organisation_id: The organisation.
        representative_id: The member.
        now: Every membership began at or before it (up to ten years before).
        role: A :class:`~ircc_account.delegation.MembershipRole` (or its
            value); either by default.
        access_groups: The groups a membership's groups are drawn from
            (any subset, empty included); random identifiers by default.
        ended: ``True`` for memberships that ended at or before *now*
            (access stops at that instant), ``False`` for current ones (no
            end), ``None`` for both.
    """
    from ircc_account._model import Membership, MembershipRole

    roles = st.sampled_from(MembershipRole) if role is None else st.just(MembershipRole(role))
    groups = (
        st.frozensets(identifiers(prefix="grp-"), max_size=3)
        if access_groups is None
        else st.frozensets(st.sampled_from(list(access_groups)), max_size=len(access_groups))
        if access_groups
        else st.just(frozenset[str]())
    )
    ends = st.booleans() if ended is None else st.just(ended)

    @st.composite
    def build(draw: st.DrawFn) -> Membership:
        started = draw(instants(min_value=now - dt.timedelta(days=3652), max_value=now))
        end = draw(instants(min_value=started, max_value=now)) if draw(ends) else None
        return Membership(
            organisation_id=organisation_id,
            representative_id=representative_id,
            role=draw(roles),
            access_groups=draw(groups),
            started_at=started,
            ended_at=end,
        )

    return build()


# --- consent grants -------------------------------------------------------------------------------

#: The windows :func:`consent_grants` draws: in force at *now*, ended by
#: it, or starting after it.
GRANT_WINDOWS = ("current", "expired", "not_yet_valid")


def _window(draw: st.DrawFn, kind: str, now: dt.datetime) -> tuple[dt.datetime, dt.datetime | None]:
    """A validity window of *kind* around *now*, to the second."""
    now = now.replace(microsecond=0)
    days = st.integers(1, 730).map(lambda d: dt.timedelta(days=d))
    seconds = st.integers(1, 86_400).map(lambda s: dt.timedelta(seconds=s))
    span = days | seconds
    if kind == "expired":
        until = now - draw(st.just(dt.timedelta(0)) | span)
        return until - draw(span), until
    if kind == "not_yet_valid":
        start = now + draw(span)
        return start, None if draw(st.booleans()) else start + draw(span)
    start = now - draw(st.just(dt.timedelta(0)) | span)
    return start, None if draw(st.booleans()) else now + draw(span)


def consent_grants(
    *,
    client_account_id: str,
    grantee_id: str,
    now: dt.datetime,
    grant_id: str | None = None,
    grantee_is_organisation: bool = False,
    access_group: str | None = None,
    scopes: Sequence[str] | None = None,
    services: Sequence[str] = (),
    items: Sequence[str] = (),
    window: str | None = "current",
    status: Any = "active",
) -> st.SearchStrategy[Any]:
    """
    Consent grants (:class:`~ircc_account.delegation.ConsentGrant`) from
    *client_account_id* to *grantee_id*, with a written consent's evidence
    (any grant past pending has some).

    The scopes are a non-empty subset of *scopes* (by default the shared
    :class:`~ircc_account.delegation.Scope` values); the coverage is the
    whole account, or one of *services* or *items* when given. Windows are
    whole seconds.

    With the defaults every grant is in force at *now*
    (:meth:`~ircc_account.delegation.ConsentGrant.is_active_at` is true).
    The adversarial ones a policy must refuse at *now*: *window*
    ``"expired"`` (its end at or before *now*, the end being exclusive) or
    ``"not_yet_valid"`` (it starts after *now*), and any *status* but
    active. For two paid grants that overlap, see :func:`overlapping_grants`.

    Args:
        client_account_id: The client who grants.
        grantee_id: The representative (or, with *grantee_is_organisation*,
            the organisation) who receives it.
        now: The instant windows are drawn around.
        grant_id: The id of every grant; random (``grt-...``) by default.
        grantee_is_organisation: Whether *grantee_id* is an organisation.
        access_group: For an organisation's grant, the access group of
            staff it reaches; ``None`` reaches its administrators only.
        scopes: The scopes to draw from.
        services: Service ids a service-wide grant may cover.
        items: Item ids an item grant may cover.
        window: One of :data:`GRANT_WINDOWS`, or ``None`` for any of them.
        status: A :class:`~ircc_account.delegation.GrantStatus` (or its
            value), or ``None`` for any status.
    """
    from ircc_account._model import (
        ConsentEvidence,
        ConsentGrant,
        GrantCoverage,
        GrantStatus,
        LegalBasis,
        Scope,
    )

    pool = list(scopes) if scopes is not None else [s.value for s in Scope]
    targets: list[tuple[GrantCoverage, str | None]] = [(GrantCoverage.ACCOUNT, None)]
    targets += [(GrantCoverage.SERVICE, s) for s in services]
    targets += [(GrantCoverage.ITEM, i) for i in items]
    statuses = st.sampled_from(GrantStatus) if status is None else st.just(GrantStatus(status))
    windows = st.sampled_from(GRANT_WINDOWS) if window is None else st.sampled_from([window])

    @st.composite
    def build(draw: st.DrawFn) -> ConsentGrant:
        start, until = _window(draw, draw(windows), now)
        chosen = draw(statuses)
        coverage, target = draw(st.sampled_from(targets))
        evidence = None
        if chosen is not GrantStatus.PENDING:
            evidence = ConsentEvidence(
                basis=LegalBasis.WRITTEN,
                digest=draw(st.binary(min_size=32, max_size=32)),
                signed_on=min(start, now).date(),
            )
        created = min(start, now)
        return ConsentGrant(
            grant_id=grant_id or draw(identifiers(prefix="grt-")),
            client_account_id=client_account_id,
            grantee_id=grantee_id,
            grantee_is_organisation=grantee_is_organisation,
            access_group=access_group,
            scopes=draw(st.frozensets(st.sampled_from(pool), min_size=1)),
            coverage=coverage,
            target=target,
            valid_from=start,
            valid_until=until,
            status=chosen,
            evidence=evidence,
            created_at=created,
            revoked_at=now if chosen is GrantStatus.REVOKED else None,
        )

    return build()


def overlapping_grants(
    *, grant: Any, grantee_id: str, grant_id: str | None = None
) -> st.SearchStrategy[Any]:
    """
    Grants to another grantee, *grantee_id*, that overlap *grant* in both
    coverage and validity window: what one-paid-representative-per-
    application (SEC-54) refuses when both grantees are paid. Each covers
    the same target or the whole account, and its window shares at least
    one second with *grant*'s.

    Args:
        grant: The grant already held (a
            :class:`~ircc_account.delegation.ConsentGrant`).
        grantee_id: The second grantee.
        grant_id: The id of every grant; random (``grt-...``) by default.
    """
    from ircc_account._model import GrantCoverage

    start, until = grant.valid_from, grant.valid_until
    shift = st.integers(0, 86_400 * 30).map(lambda s: dt.timedelta(seconds=s))
    last = until - dt.timedelta(seconds=1) if until is not None else None

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        # A second inside the first window that the second one covers too.
        inside = start + draw(shift)
        if last is not None:
            inside = min(inside, last)
        other_start = inside - draw(shift)
        other_until = draw(st.none() | shift.map(lambda d: inside + dt.timedelta(seconds=1) + d))
        whole = draw(st.booleans()) or grant.coverage is GrantCoverage.ACCOUNT
        return attrs.evolve(
            grant,
            grant_id=grant_id or draw(identifiers(prefix="grt-")),
            grantee_id=grantee_id,
            coverage=GrantCoverage.ACCOUNT if whole else grant.coverage,
            target=None if whole else grant.target,
            valid_from=other_start,
            valid_until=other_until,
        )

    return build()
