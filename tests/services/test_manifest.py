"""
Manifests, eligibility rules, rollout bucketing, and the circuit breaker.
"""

from __future__ import annotations

import collections
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ircc_account import FrozenClock
from ircc_account.errors import InvalidFormat, OutOfRange, RequiredField, UnknownValue
from ircc_account.services import (
    AccountFacts,
    BreakerState,
    CircuitBreaker,
    HasAttribute,
    HasUci,
    ResidesIn,
    ResidesOutside,
    Rollout,
    ServiceManifest,
    rollout_bucket,
)

ids = st.from_regex(r"[a-z0-9][a-z0-9-]{0,30}", fullmatch=True)
percent = st.floats(min_value=0, max_value=100, allow_nan=False)


def _manifest(**changes: object) -> ServiceManifest:
    fields: dict[str, object] = {
        "service_id": "study-permit",
        "version": "2.1.0",
        "title": {"en": "Study permit", "fr": "Permis d'études"},
        "description": {"en": "Apply to study.", "fr": "Présenter une demande pour étudier."},
    }
    fields.update(changes)
    return ServiceManifest(**fields)  # type: ignore[arg-type]


def test_manifest_needs_both_languages() -> None:
    """A title or description missing French or English is refused, naming which text lacks which language."""
    with pytest.raises(RequiredField, match="title_fr"):
        _manifest(title={"en": "Study permit", "fr": " "})
    with pytest.raises(RequiredField, match="description_en"):
        _manifest(description={"fr": "Seulement en français"})
    with pytest.raises(InvalidFormat):
        _manifest(title="Study permit")


@pytest.mark.parametrize("field", ["title", "description"])
def test_a_french_text_identical_to_the_english_is_refused(field: str) -> None:
    """An untranslated copy of the English is no French text: refused, naming the field."""
    with pytest.raises(InvalidFormat, match=f"{field}_fr"):
        _manifest(**{field: {"en": "Study permit", "fr": "Study permit"}})


@pytest.mark.parametrize(
    "copy", ["study permit", "STUDY PERMIT", "Study  permit", " Study permit\n", "Study\tPermit"]
)
def test_a_french_text_differing_from_the_english_only_in_case_or_spacing_is_refused(
    copy: str,
) -> None:
    """A copy of the English with other capitals or spaces is still untranslated: refused, naming the field; a real translation passes."""
    with pytest.raises(InvalidFormat, match="title_fr"):
        _manifest(title={"en": "Study permit", "fr": copy})
    assert _manifest(title={"en": "Study permit", "fr": "Permis d'études"}).title.fr


def test_manifest_scopes_are_shared_or_its_own() -> None:
    """Scopes are the shared ones or ``service_id:name`` of this service only."""
    assert _manifest(scopes={"act", "study-permit:upload"}).scopes == {"act", "study-permit:upload"}
    for bad in ({"superuser"}, {"other:upload"}, {"study-permit:"}):
        with pytest.raises(UnknownValue):
            _manifest(scopes=bad)


def test_manifest_refuses_bad_ids_and_limits() -> None:
    """Service ids are lowercase slugs; max_items is bounded."""
    with pytest.raises(InvalidFormat):
        _manifest(service_id="Study Permit")
    with pytest.raises(OutOfRange):
        _manifest(max_items=0)
    with pytest.raises(OutOfRange):
        Rollout(percentage=101)


def test_eligibility_rules() -> None:
    """Each declarative rule checks one fact; all must hold."""
    m = _manifest(eligibility=(HasUci(), ResidesIn(["CA", "US"]), HasAttribute("adult")))
    assert m.eligible(
        AccountFacts(has_uci=True, country_of_residence="CA", attributes=frozenset({"adult"}))
    )
    assert not m.eligible(
        AccountFacts(has_uci=True, country_of_residence="FR", attributes=frozenset({"adult"}))
    )
    assert not m.eligible(
        AccountFacts(has_uci=False, country_of_residence="CA", attributes=frozenset({"adult"}))
    )
    outside = ResidesOutside(["CA"])
    assert outside.check(AccountFacts(country_of_residence="FR"))
    assert not outside.check(AccountFacts())
    with pytest.raises(InvalidFormat):
        ResidesIn(["Canada"])


@given(service=ids, salt=st.text(max_size=10), client=ids)
def test_bucket_is_stable_and_in_range(service: str, salt: str, client: str) -> None:
    """The same (service, salt, client) always lands in the same bucket in [0, 10000)."""
    bucket = rollout_bucket(service, salt, client)
    assert 0 <= bucket < 10_000
    assert bucket == rollout_bucket(service, salt, client)


@given(client=ids, low=percent, high=percent)
def test_rollout_is_monotone(client: str, low: float, high: float) -> None:
    """A client in at a percentage stays in at any higher percentage."""
    low, high = sorted((low, high))
    if Rollout(percentage=low).includes("svc", client):
        assert Rollout(percentage=high).includes("svc", client)


@given(client=ids, pct=percent)
def test_lists_and_kill_switch_win(client: str, pct: float) -> None:
    """The kill switch beats everything, the deny list beats the allow list, the allow list beats the percentage."""
    assert Rollout(percentage=pct, allow=[client]).includes("svc", client)
    assert not Rollout(percentage=100, allow=[client], deny=[client]).includes("svc", client)
    assert not Rollout(percentage=100, allow=[client], killed=True).includes("svc", client)
    assert not Rollout(percentage=0).includes("svc", client)
    assert Rollout(percentage=100).includes("svc", client)


def test_buckets_are_uniform() -> None:
    """10,000 clients spread over 10 deciles within 15 % of the mean, and 10 % selects about 10 %."""
    buckets = [rollout_bucket("svc", "", f"client-{n}") for n in range(10_000)]
    deciles = collections.Counter(b // 1000 for b in buckets)
    assert all(850 <= count <= 1150 for count in deciles.values())
    selected = sum(Rollout(percentage=10).includes("svc", f"client-{n}") for n in range(10_000))
    assert 900 <= selected <= 1100


def test_salt_reshuffles() -> None:
    """A new salt draws a different sample."""
    a = {n for n in range(2000) if Rollout(percentage=10).includes("svc", f"c-{n}")}
    b = {n for n in range(2000) if Rollout(percentage=10, salt="v2").includes("svc", f"c-{n}")}
    assert a != b


def test_breaker_opens_probes_and_closes() -> None:
    """Closed until the threshold, open for the cool-down, one probe when half-open."""
    clock = FrozenClock()
    breaker = CircuitBreaker(failure_threshold=2, reset_after=dt.timedelta(seconds=10), clock=clock)
    breaker.record_failure()
    assert breaker.allow() and breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN and not breaker.allow()
    clock.advance(10)
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow() and not breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.advance(10)
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()
    breaker.trip()
    assert breaker.state is BreakerState.OPEN
