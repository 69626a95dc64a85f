"""
The harness bodies and their seed corpora.

Token harnesses read their first byte as a mode, so one corpus reaches
both the JOSE layer and the claim checks behind a good signature:

* ``0``: the rest, decoded as UTF-8 (bad bytes kept as lone surrogates),
  is the token;
* ``1``: the rest is a JSON object merged over valid claims (its
  ``"$drop"`` member lists claims to remove), which the harness signs with
  its own key (so the fuzzer explores the claim checks that only a validly
  signed token reaches);
* ``2``: the rest is passed as ``bytes``.

The answers harness reads its first byte as the form (the visitor visa's or
the passport renewal's) and the rest as a JSON object of answers; when it is
not one, the next byte picks a question and the rest is that answer's text.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ircc_account.testing.fuzz._harness import ContractBroken, FuzzTarget

__all__ = ["TARGETS"]

ISSUER = "https://id.fuzz.example"
CLIENT = "fuzz-portal"
NONCE = "n-fuzz-0123456789abcdef"
AUDIENCE = "https://legacy.fuzz.example"
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
_TS = int(NOW.timestamp())
_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _json_object(data: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _strings(value: object) -> Iterable[str]:
    """Every string inside *value* (JSON-shaped), keys excepted."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _token_input(
    data: bytes, secrets: list[str], base: dict[str, Any], sign: Callable[[dict[str, Any]], str]
) -> str | bytes | None:
    """The token a token harness feeds its parser (see the module docstring)."""
    mode, rest = (data[0] % 3, data[1:]) if data else (0, b"")
    if mode == 1:
        extra = _json_object(rest) or {}
        drop = extra.pop("$drop", [])
        claims = {**base, **extra}
        for name in drop if isinstance(drop, list) else ():
            if isinstance(name, str):
                claims.pop(name, None)
        try:
            token: str | bytes = sign(claims)
        except (TypeError, ValueError, OverflowError, RecursionError):
            return None  # Claims JSON cannot carry (NaN): not the parser's input.
        secrets += [s for s in _strings(claims) if s not in (ISSUER, CLIENT, AUDIENCE)]
    else:
        token = _text(rest) if mode == 0 else rest
    text = token if isinstance(token, str) else _text(token)
    secrets += [text, *text.split(".")]
    return token


def _seed(mode: int, payload: bytes | str | Mapping[str, Any]) -> bytes:
    if isinstance(payload, Mapping):
        payload = json.dumps(payload)
    return bytes([mode]) + (payload.encode() if isinstance(payload, str) else payload)


# --- the callback -----------------------------------------------------------------------


def _callback_body(data: bytes, secrets: list[str]) -> None:
    from ircc_account.identity._params import parse_callback

    text = _text(data)
    for part in text.split("&"):
        secrets += part.partition("=")[::2]
    parse_callback(text if data[:1] != b"\x00" else data[1:])


def _callback_seeds() -> list[bytes]:
    code, state = "SplxlOBeZQQYbYS6WxSbIA", "af0ifjsldkj-0123456789"
    return [
        f"code={code}&state={state}".encode(),
        f"?code={code}&state={state}&iss=https%3A%2F%2Fid.example".encode(),
        f"error=access_denied&state={state}&error_description=The+user+said+no".encode(),
        f"error=made_up&state={state}&session_state=abc.def".encode(),
        f"code={code}&code={code}&state={state}".encode(),
        f"code={code}&state=%ZZ".encode(),
        f"code={code}&state={state}&id_token=eyJhbGciOiJub25lIn0.e30.".encode(),
        b"\x00code=%C3%A9&state=%FF",
        b"state=" + b"s" * 200 + b"&code=c",
        b"&&=&=x&" * 3,
    ]


# --- ID tokens and logout tokens --------------------------------------------------------


@functools.cache
def _provider_key() -> tuple[Any, Any]:
    """The harness provider's P-256 key and its key set (made once per process)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from ircc_account.hazmat.jose import KeySet, public_jwk

    key = ec.generate_private_key(ec.SECP256R1())
    jwks = {"keys": [{**public_jwk(key), "kid": "fuzz", "alg": "ES256"}]}
    return key, KeySet.from_jwks(json.dumps(jwks).encode())


def _jose_sign(typ: str) -> Callable[[dict[str, Any]], str]:
    from ircc_account.hazmat.jose import sign_jws

    def sign(claims: dict[str, Any]) -> str:
        return sign_jws(claims, _provider_key()[0], alg="ES256", kid="fuzz", typ=typ)

    return sign


_ID_CLAIMS: dict[str, Any] = {
    "iss": ISSUER,
    "sub": "248289761001",
    "aud": CLIENT,
    "iat": _TS,
    "exp": _TS + 600,
    "nonce": NONCE,
    "auth_time": _TS - 60,
    "acr": "urn:ircc:loa:2",
    "amr": ["pwd", "otp"],
    "sid": "sid-0123456789",
}
_LOGOUT_CLAIMS: dict[str, Any] = {
    "iss": ISSUER,
    "aud": CLIENT,
    "iat": _TS,
    "exp": _TS + 120,
    "jti": "jti-0123456789",
    "events": {_LOGOUT_EVENT: {}},
    "sub": "248289761001",
    "sid": "sid-0123456789",
}


def _id_token_body(data: bytes, secrets: list[str]) -> None:
    from ircc_account.hazmat.jose import validate_id_token

    token = _token_input(data, secrets, _ID_CLAIMS, _jose_sign("JWT"))
    if token is not None:
        validate_id_token(
            token,
            keys=_provider_key()[1],
            issuer=ISSUER,
            client_id=CLIENT,
            nonce=NONCE,
            now=NOW,
            max_age=3600,
            acr_values=["urn:ircc:loa:2", "urn:ircc:loa:3"],
        )


def _logout_token_body(data: bytes, secrets: list[str]) -> None:
    from ircc_account.hazmat.jose import InMemoryJtiStore, validate_logout_token

    token = _token_input(data, secrets, _LOGOUT_CLAIMS, _jose_sign("logout+jwt"))
    if token is not None:
        validate_logout_token(
            token,
            keys=_provider_key()[1],
            issuer=ISSUER,
            client_id=CLIENT,
            now=NOW,
            jti_store=InMemoryJtiStore(),
        )


def _jose_seeds(base: dict[str, Any], typ: str, *, logout: bool) -> list[bytes]:
    from ircc_account.testing.strategies import _claim_changes, _forgeries

    sign = _jose_sign(typ)
    good = sign(base)
    seeds = [_seed(0, good), _seed(2, good), _seed(1, {})]
    seeds += [_seed(0, forged) for forged in _forgeries(good, base, kid="fuzz", typ=typ)]
    # Every single-claim attack of the kit's adversarial strategies, as overrides.
    for claims in _claim_changes(base, logout=logout):
        seeds.append(_seed(1, {**claims, "$drop": [k for k in base if k not in claims]}))
    seeds.append(_seed(1, {"exp": 10**20, "iat": -(10**20), "auth_time": 1e308}))
    return seeds


# --- delegation tokens ------------------------------------------------------------------


@functools.cache
def _delegation_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate()


_DELEGATION_CLAIMS: dict[str, Any] = {
    "iss": ISSUER,
    "aud": AUDIENCE,
    "sub": "client-0123456789",
    "act": {"sub": "rep-0123456789"},
    "scope": "view_status",
    "iat": _TS,
    "nbf": _TS,
    "exp": _TS + 120,
    "jti": "jti-0123456789",
    "gid": "grant-0123456789",
    "svc": "status",
}


def _delegation_sign(claims: dict[str, Any]) -> str:
    from ircc_account.delegation._tokens import sign_compact

    return sign_compact(_delegation_key(), claims)


def _delegation_body(data: bytes, secrets: list[str]) -> None:
    from ircc_account import FrozenClock
    from ircc_account.delegation import DelegationTokenVerifier
    from ircc_account.delegation._tokens import public_jwk

    token = _token_input(data, secrets, _DELEGATION_CLAIMS, _delegation_sign)
    if token is None:
        return
    verifier = DelegationTokenVerifier(
        jwks={"keys": [public_jwk(_delegation_key().public_key())]},
        issuer=ISSUER,
        audience=AUDIENCE,
        clock=FrozenClock(NOW),
    )
    verifier.verify(token)  # type: ignore[arg-type]  # bytes too: a legacy system's mistake


def _delegation_seeds() -> list[bytes]:
    from ircc_account.hazmat.jose import b64url_encode

    good = _delegation_sign(_DELEGATION_CLAIMS)
    head, body, sig = good.split(".")
    none = b64url_encode(b'{"alg":"none","typ":"ircc-delegation+jwt"}')
    return [
        _seed(0, good),
        _seed(2, good),
        _seed(1, {}),
        _seed(0, f"{none}.{body}."),
        _seed(0, f"{head}.{body}.{sig}="),
        _seed(0, f"{head}.{body}"),
        _seed(1, {"nbf": -(10**15)}),
        _seed(1, {"iat": _TS - 10, "exp": _TS + 10**12}),
        _seed(1, {"act": "rep", "svc": 7, "jti": ""}),
        _seed(1, {"aud": [AUDIENCE]}),
    ]


# --- the application engine's answers ---------------------------------------------------


@functools.cache
def _services() -> tuple[Any, ...]:
    from ircc_account.builtin.passport import PassportRenewalService
    from ircc_account.builtin.trv import TrvService

    return (TrvService(), PassportRenewalService())


def _answers_input(data: bytes, form: Any) -> dict[str, Any]:
    raw = _json_object(data)
    if raw is not None:
        return raw
    ids = [q.id for q in form.questions()]
    pick, rest = (data[0], data[1:]) if data else (0, b"")
    return {ids[pick % len(ids)]: _text(rest)}


def _answers_body(data: bytes, secrets: list[str]) -> None:
    from ircc_account.builtin.applications import Draft
    from ircc_account.builtin.applications._answers import (
        apply_answers,
        decode_answers,
        encode_answers,
    )
    from ircc_account.builtin.applications._evaluate import statement

    service = _services()[data[0] % 2 if data else 0]
    raw = _answers_input(data[1:], service.form)
    secrets += list(_strings(raw))
    answers = apply_answers(service.form, {}, raw, TODAY)
    # Saved answers must survive storage and drive every evaluation.
    if decode_answers(service.form, encode_answers(service.form, answers)) != answers:
        raise ContractBroken("answers: stored answers do not read back the same")
    draft = Draft(
        draft_id="d-fuzz",
        service_id="fuzz",
        form_version="1",
        answers=answers,
        created_at=NOW,
        updated_at=NOW,
    )
    statement(service.form, draft, service.evaluate(draft, TODAY))


def _answers_seeds() -> list[bytes]:
    seeds = [
        {"arrival_date": "2026-06-01", "departure_date": "2026-07-01"},
        {"arrival_date": "9999-12-01", "departure_date": "9999-12-31"},
        {"date_of_birth": "2010-02-29", "funds": "12,000", "payer": "myself"},
        {"family_applying": [{"given_names": "Ana", "date_of_birth": "2015-01-01"}]},
        {"email": "a@b.ca", "phone": "+1 (613) 555-0100", "country": "ß"},
        {"unknown_question": "x"},
        {"date_of_birth": "0001-01-01", "previous_issued": "9999-12-31"},
    ]
    out = [bytes([form]) + json.dumps(s).encode() for s in seeds for form in (0, 1)]
    out += [b"\x00\x05\xff\xfe", b"\x01\x00" + "\u202e\u0000".encode(), b"\x00\x07" + b"9" * 30]
    return out


def _catalogue() -> dict[str, FuzzTarget]:
    specs: Sequence[tuple[str, str, Any, Callable[[], Sequence[bytes]]]] = [
        (
            "callback",
            "the authorization response (callback query) parser",
            _callback_body,
            _callback_seeds,
        ),
        (
            "id-token",
            "ID token parsing and validation (JOSE layer and claims)",
            _id_token_body,
            lambda: _jose_seeds(_ID_CLAIMS, "JWT", logout=False),
        ),
        (
            "logout-token",
            "back-channel logout token parsing and validation",
            _logout_token_body,
            lambda: _jose_seeds(_LOGOUT_CLAIMS, "logout+jwt", logout=True),
        ),
        (
            "delegation-token",
            "the delegation token verifier a legacy system runs",
            _delegation_body,
            _delegation_seeds,
        ),
        (
            "answers",
            "the application engine: answers saved, evaluated and signed",
            _answers_body,
            _answers_seeds,
        ),
    ]
    return {
        name: FuzzTarget(name=name, summary=summary, body=body, seeds=seeds)
        for name, summary, body, seeds in specs
    }


#: The harnesses by name: ``callback``, ``id-token``, ``logout-token``,
#: ``delegation-token`` and ``answers``.
#:
#: :meta hide-value:
TARGETS = _catalogue()
