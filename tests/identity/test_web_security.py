"""
SEC-18, SEC-19, SEC-41, SEC-42: the framework-free helpers the web edge applies
to every request and response (return paths, CSRF, headers, secrets in URLs).
"""

from __future__ import annotations

import base64
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ircc_account._clock import SystemRandomness
from ircc_account.errors import ConfigurationError, CsrfRejected, IdentityError
from ircc_account.identity import (
    MUTATING_METHODS,
    CsrfProtector,
    method_allowed,
    safe_return_path,
    security_headers,
    url_has_secrets,
)
from ircc_account.identity._secrets import id_hash, new_token, session_ref

KEY = b"k" * 32
SITE = "https://account.example.gc.ca"
PREFIXES = ("/account", "/services/")


class CountingRandomness:
    """
    The system CSPRNG, recording how many bytes each draw asked for.
    """

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def token_bytes(self, n: int) -> bytes:
        self.sizes.append(n)
        return SystemRandomness().token_bytes(n)


def a_session() -> str:
    return session_ref(id_hash(new_token(SystemRandomness())))


def back(candidate: str | None, prefixes: tuple[str, ...] = ("/",)) -> str:
    return safe_return_path(candidate, allowed_prefixes=prefixes, default="/account")


# --- SEC-19 ------------------------------------------------------------------

EVIL = [
    "https://evil.example",
    "http:evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "%2F%2Fevil.example",
    "%252F%252Fevil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "%2f%5cevil.example",
    "/\t/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "/ /evil.example",
    "javascript:alert(1)",
    "/@evil.example",
    "/account@evil.example",
    "/account/../../evil",
    "/account/%2e%2e/%2e%2e/evil",
    "/..%2f..%2fevil",
    "/\u2215\u2215evil.example",
    "/\uff0f/evil.example",
    "/account#//evil.example",
    "evil.example",
    "",
    None,
    "\x00",
    "%",
    "%" * 5000,
    "/%" + "25" * 20 + "2F",
]


@pytest.mark.parametrize("candidate", EVIL)
def test_sec_19_open_redirect_attempts_fall_back_to_the_default(candidate: str | None) -> None:
    """An off-site, encoded, backslashed, dotted or control-character target gives the default, even with `/` allowlisted."""
    assert back(candidate) == "/account"


def test_sec_19_only_allowlisted_paths_come_back_unchanged() -> None:
    """A same-origin path under an allowlisted prefix is kept as is; anything else, however harmless, is not."""
    for ok in ("/account", "/account/", "/account/applications?tab=2", "/services/a%2Db"):
        assert back(ok, PREFIXES) == ok
    for other in ("/accounts", "/admin", "/services", "/account%2F..%2Fadmin", "/"):
        assert back(other, PREFIXES) == "/account"


@pytest.mark.parametrize(
    ("prefixes", "default"), [(("//evil",), "/"), (("/a",), "https://evil"), (("/a\\",), "/")]
)
def test_sec_19_unsafe_allowlists_and_defaults_are_refused(
    prefixes: tuple[str, ...], default: str
) -> None:
    """A prefix or default that is not itself a same-origin path is a configuration error."""
    with pytest.raises(ConfigurationError):
        safe_return_path("/a", allowed_prefixes=prefixes, default=default)


_URLISH = st.text(alphabet="/\\%25Ffce.@:?#ahtps \t\x00aco-un", max_size=40)


@settings(max_examples=1500)
@given(
    st.one_of(
        st.none(),
        st.text(max_size=60),
        _URLISH,
        st.builds(lambda p, s: p + s, st.sampled_from(PREFIXES), _URLISH),
    )
)
@example("/account/%2F%2Fevil")
@example("/services/%5C%5Cevil")
def test_sec_19_any_returned_path_is_allowlisted_and_has_no_scheme_or_host(
    candidate: str | None,
) -> None:
    """For any input the result starts with an allowed prefix and neither it nor its decoding has a scheme or host."""
    out = safe_return_path(candidate, allowed_prefixes=PREFIXES, default="/account")
    assert any(out.startswith(p) for p in PREFIXES)
    for form in (out, unquote(out), unquote(unquote(out))):
        parts = urlsplit(form)
        assert parts.scheme == "" and parts.netloc == ""
        assert not form.startswith("//") and "\\" not in form


# --- SEC-41 ------------------------------------------------------------------


def test_sec_41_cross_origin_post_without_token_is_rejected() -> None:
    """A cross-site POST fails without a token, with a valid token, and a same-origin POST fails without one."""
    csrf = CsrfProtector(KEY, randomness=SystemRandomness())
    ref = a_session()
    good = csrf.token_for(ref)
    cross = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    same = {"Origin": SITE, "Sec-Fetch-Site": "same-origin"}
    for headers, token in ((cross, None), (cross, good), (same, None), (same, "")):
        with pytest.raises(CsrfRejected) as caught:
            csrf.check_request(
                "POST", headers, allowed_origins=[SITE], session_ref=ref, form_token=token
            )
        assert caught.value.code == "session.csrf"
    csrf.check_request("POST", same, allowed_origins=[SITE], session_ref=ref, form_token=good)


def test_sec_41_token_from_another_session_is_rejected() -> None:
    """A valid token issued to one session, or under another key, does not verify for another."""
    csrf = CsrfProtector(KEY, randomness=SystemRandomness())
    mine, theirs = a_session(), a_session()
    token = csrf.token_for(theirs)
    csrf.verify(theirs, token)
    with pytest.raises(CsrfRejected):
        csrf.verify(mine, token)
    other_key = CsrfProtector(b"o" * 32, randomness=SystemRandomness())
    with pytest.raises(CsrfRejected):
        other_key.verify(theirs, token)
    with pytest.raises(CsrfRejected):
        csrf.check_request(
            "POST", {"origin": SITE}, allowed_origins=[SITE], session_ref=mine, form_token=token
        )


def test_sec_41_get_to_a_mutation_endpoint_is_405() -> None:
    """Safe methods on a mutation endpoint get 405, and mutating methods on a read-only one too."""
    for method in ("GET", "HEAD", "OPTIONS", "get", "TRACE", ""):
        assert method_allowed(method, mutating=True) == 405
    for method in MUTATING_METHODS:
        assert method_allowed(method, mutating=True) is None
        assert method_allowed(method, mutating=False) == 405
    assert method_allowed("GET", mutating=False) is None
    assert {"POST", "PUT", "PATCH", "DELETE"} == MUTATING_METHODS


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "null"},
        {"Origin": "https://account.example.gc.ca.evil.example"},
        {"Origin": "http://account.example.gc.ca"},
        {"Sec-Fetch-Site": "same-site"},
        {"sec-fetch-site": "cross-site", "origin": SITE},
    ],
)
def test_sec_41_foreign_origin_or_fetch_site_is_rejected_even_with_a_token(
    headers: dict[str, str],
) -> None:
    """An Origin off the allowlist or a Sec-Fetch-Site other than same-origin/none fails despite a valid token."""
    csrf = CsrfProtector(KEY, randomness=SystemRandomness())
    ref = a_session()
    token = csrf.token_for(ref)
    with pytest.raises(CsrfRejected):
        csrf.check_request(
            "DELETE", headers, allowed_origins=[SITE], session_ref=ref, form_token=token
        )
    for fine in ({"Sec-Fetch-Site": "none"}, {"ORIGIN": SITE.upper()}, {}):
        csrf.check_request(
            "DELETE", fine, allowed_origins=[SITE], session_ref=ref, form_token=token
        )


def test_sec_41_tokens_are_fresh_hmacs_of_at_least_128_bits() -> None:
    """Each token draws a 128-bit nonce from the injected randomness, is base64url, unique, and any change breaks it."""
    rnd = CountingRandomness()
    csrf = CsrfProtector(KEY, randomness=rnd)
    ref = a_session()
    tokens = {csrf.token_for(ref) for _ in range(50)}
    assert len(tokens) == 50 and rnd.sizes == [16] * 50
    token = tokens.pop()
    raw = base64.urlsafe_b64decode(token + "==")
    assert len(raw) == 16 + 32 and "=" not in token
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for bad in (flipped, token[:-1], token + "A", token.upper(), None, 42, "é" * 64):
        with pytest.raises(CsrfRejected):
            csrf.verify(ref, bad)
    with pytest.raises(CsrfRejected):
        csrf.verify("", token)
    with pytest.raises(ConfigurationError):
        CsrfProtector(b"short", randomness=rnd)
    with pytest.raises(ConfigurationError):
        csrf.token_for("")
    assert "k" * 8 not in repr(csrf)


@given(st.one_of(st.text(max_size=80), st.text(alphabet="A-_z09", min_size=64, max_size=64)))
def test_sec_41_garbage_tokens_only_raise_csrf_rejected(token: str) -> None:
    """Any string as token is refused with CsrfRejected and nothing else."""
    csrf = CsrfProtector(KEY, randomness=SystemRandomness())
    with pytest.raises(CsrfRejected):
        csrf.verify("s:00", token)


def test_sec_41_csrf_rejected_is_a_bilingual_identity_error() -> None:
    """CsrfRejected is an IdentityError with its own code and English and French messages."""
    err = CsrfRejected()
    assert isinstance(err, IdentityError) and err.code == "session.csrf"
    assert "verified" in err.message("en") and "vérifiée" in err.message("fr")


# --- SEC-42 and SEC-18 ---------------------------------------------------------

CSP = (
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'; object-src 'none'"
)


def test_sec_42_sensitive_responses_get_every_header() -> None:
    """A sensitive response gets HSTS for a year with subdomains, the CSP, nosniff, no-referrer, COOP and no-store."""
    assert security_headers() == {
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def test_sec_42_non_sensitive_responses_keep_all_but_no_store() -> None:
    """A non-sensitive response keeps every security header but may be cached, and each call gets a fresh dict."""
    headers = security_headers(sensitive=False)
    assert "Cache-Control" not in headers
    assert headers["Content-Security-Policy"] == CSP
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    headers["X-Content-Type-Options"] = "changed"
    assert security_headers(sensitive=False)["X-Content-Type-Options"] == "nosniff"


def test_sec_18_callback_sends_no_referrer_no_store_and_loads_only_self() -> None:
    """The callback page always sends Referrer-Policy no-referrer and no-store, and its CSP allows no third party."""
    headers = security_headers(sensitive=False, callback=True)
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "http" not in headers["Content-Security-Policy"]


SECRET_URLS = [
    "/login/callback?code=abc&state=def",
    "/x?STATE=1",
    "/x#access_token=abc",
    "/x?id_token_hint=abc",
    "/x/eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
    "/account/sessions/AbCdEfGhIjKlMnOpQrStUv",
    "/x?who=jane.doe%40example.com",
    "/x/jane.doe@example.com",
    "/client/12345678",
    "/client/1234567890",
    "/client/0000-0000",
    "/client/00-0000-0000",
    "/grants/3f2b8c9e-0d1a-4e5f-9a7b-6c8d9e0f1a2b",
    "/sessions/s:0123456789abcdef01234567",
    "/x%3Fcode%3Dabc",
]
CLEAN_URLS = [
    "/",
    "/account",
    "/account/applications-and-requests",
    "/services/visitor-visa/apply?step=2&lang=fr",
    "/login/gckey",
    "/static/app.css",
    "https://account.example.gc.ca/account?tab=profile",
]


@pytest.mark.parametrize("url", SECRET_URLS)
def test_sec_42_urls_with_tokens_ids_or_pii_are_flagged(url: str) -> None:
    """A URL holding an OAuth parameter, JWT, long random run, e-mail, UCI, UUID or hex id is flagged."""
    assert url_has_secrets(url)


@pytest.mark.parametrize("url", CLEAN_URLS)
def test_sec_42_ordinary_urls_are_not_flagged(url: str) -> None:
    """Plain kebab-case paths and short query values are not flagged."""
    assert not url_has_secrets(url)


def test_sec_42_every_fresh_session_token_in_a_url_is_flagged() -> None:
    """A 256-bit token of ours embedded anywhere in a URL is flagged, every time."""
    rnd = SystemRandomness()
    for _ in range(200):
        assert url_has_secrets(f"/account/{new_token(rnd)}/view")
        assert url_has_secrets(f"/account?t={new_token(rnd)}")


@given(st.text(max_size=200))
def test_sec_42_url_has_secrets_never_raises(url: str) -> None:
    """Any text gives a bool and no exception."""
    assert url_has_secrets(url) in (True, False)
