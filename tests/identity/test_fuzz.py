"""
Hypothesis fuzzing of the callback query and the back-channel logout request:
only the endpoint's typed error (or status), never another exception (SEC-32, SEC-78).
"""

from __future__ import annotations

import contextlib
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ircc_account.errors import IdentityError, InvalidCallback, InvalidLogoutToken
from ircc_account.identity._params import parse_callback, parse_form

NAMES = st.sampled_from(["code", "state", "iss", "error", "error_description", "x", "", "st%61te"])
VALUES = st.text(max_size=60) | st.sampled_from(["%", "%zz", "%C3%28", "a+b", "=", "&"])


@st.composite
def queries(draw: st.DrawFn) -> str | bytes:
    """Well-formed, nearly well-formed and hostile query strings."""
    pairs = draw(st.lists(st.tuples(NAMES, VALUES), max_size=6))
    text = "&".join(f"{n}={v}" for n, v in pairs)
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return urllib.parse.urlencode(pairs)
    if choice == 1:
        return text
    if choice == 2:
        return draw(st.binary(max_size=200))
    return text.encode("utf-8", "surrogatepass")


@settings(max_examples=300)
@given(queries())
def test_sec_32_sec_78_callback_parser_raises_only_invalid_callback(query: str | bytes) -> None:
    """Any query either parses or raises InvalidCallback; duplicates never parse."""
    try:
        parsed = parse_callback(query)
    except InvalidCallback:
        return
    raw = query if isinstance(query, str) else query.decode("ascii")
    names = [urllib.parse.unquote_plus(p.partition("=")[0]) for p in raw.split("&") if p]
    assert len(names) == len(set(names))
    assert parsed.state


@pytest.mark.parametrize(
    "query",
    ["code=a&code=b&state=s", "state=x&state=y&code=a", "code=a&state=s&iss=a&iss=b"],
)
def test_sec_78_duplicate_parameters_are_rejected(query: str) -> None:
    """Each parameter must appear exactly once."""
    with pytest.raises(InvalidCallback):
        parse_callback(query)


@settings(max_examples=200)
@given(
    st.binary(max_size=300),
    st.sampled_from(["application/x-www-form-urlencoded", "text/plain", ""]),
)
def test_sec_32_logout_form_parser_raises_only_invalid_logout_token(
    body: bytes, ctype: str
) -> None:
    """Arbitrary bodies parse or raise InvalidLogoutToken, never another exception."""
    with contextlib.suppress(InvalidLogoutToken):
        parse_form(body, InvalidLogoutToken, max_bytes=1024)


def test_sec_32_backchannel_endpoint_fuzz(identity: object) -> None:
    """The whole endpoint answers 400 (never raises) for random bodies and tokens."""
    from hypothesis import HealthCheck

    from ircc_account.identity import Identity

    assert isinstance(identity, Identity)

    @settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        st.one_of(
            st.binary(max_size=200),
            st.text(max_size=120).map(
                lambda t: urllib.parse.urlencode({"logout_token": t}).encode()
            ),
            st.lists(st.text("abcAB-_", max_size=40), min_size=3, max_size=3).map(
                lambda p: ("logout_token=" + ".".join(p)).encode()
            ),
        )
    )
    def run(body: bytes) -> None:
        status, headers = identity.handle_backchannel_logout(
            body, "application/x-www-form-urlencoded"
        )
        assert status == 400 and ("Cache-Control", "no-store") in headers

    run()


def test_sec_32_callback_endpoint_fuzz(identity: object) -> None:
    """complete_login raises only IdentityError subclasses for random queries."""
    from hypothesis import HealthCheck

    from ircc_account.identity import Identity, RateLimiter, RateLimits

    assert isinstance(identity, Identity)
    many = RateLimiter(10_000, 1000.0)
    identity.rate_limits = RateLimits(
        login_start=many, callback=many, backchannel_logout=many, legacy_claim=many
    )

    @settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(queries(), st.sampled_from([None, "A" * 43, "not a cookie"]))
    def run(query: str | bytes, cookie: str | None) -> None:
        with pytest.raises(IdentityError):
            identity.complete_login(cookie, query, client_key="fuzz")

    run()
