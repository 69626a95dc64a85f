"""
The JWKS cache (SEC-26, SEC-83): rotations are picked up at once, unknown-kid storms are budgeted.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest

from ircc_account._clock import FrozenClock
from ircc_account.errors import ConfigurationError, InvalidToken, ProviderUnavailable
from ircc_account.hazmat.jose import JwksCache

from ._mint import NOW, Signer, id_claims
from .test_id_token import assert_rejected, check


@pytest.fixture(scope="module")
def old() -> Signer:
    return Signer("ES256", "old")


def _cache(documents: list[bytes], clock: FrozenClock, **kw: object) -> tuple[JwksCache, list[int]]:
    fetched: list[int] = []
    lock = threading.Lock()

    def fetch() -> bytes:
        with lock:
            fetched.append(1)
            return documents[min(len(fetched), len(documents)) - 1]

    return JwksCache(fetch, clock=clock, **kw), fetched  # type: ignore[arg-type]


def test_sec_26_rotation_right_after_the_first_fetch_is_picked_up(old: Signer) -> None:
    """A provider that rotates seconds after our first fetch: the next token's new kid is found by one refetch."""
    new = Signer("ES256", "new")
    clock = FrozenClock(NOW)
    cache, fetched = _cache([old.jwks(), new.jwks(old)], clock)
    assert check(old.sign(id_claims()), cache).sub
    clock.advance(5)
    assert check(new.sign(id_claims()), cache, now=clock.now()).sub
    assert len(fetched) == 2


def test_sec_26_scheduled_refresh_does_not_spend_the_budget(old: Signer) -> None:
    """The fetch after max_age is not an unknown-kid refetch: a rotation just after it is still picked up."""
    new = Signer("ES256", "new")
    clock = FrozenClock(NOW)
    cache, fetched = _cache(
        [old.jwks(), old.jwks(), new.jwks(old)], clock, max_age=dt.timedelta(seconds=30)
    )
    check(old.sign(id_claims()), cache)
    clock.advance(31)
    check(old.sign(id_claims()), cache, now=clock.now())
    assert len(fetched) == 2
    clock.advance(1)
    assert check(new.sign(id_claims()), cache, now=clock.now()).sub
    assert len(fetched) == 3


def test_sec_26_83_unknown_kid_storm_costs_at_most_the_budget(old: Signer) -> None:
    """1,000 tokens with random kids from 8 threads cost at most the budget (2) of fetches per window."""
    clock = FrozenClock(NOW)
    cache, fetched = _cache([old.jwks()], clock)
    check(old.sign(id_claims()), cache)
    tokens = [old.sign(id_claims(), kid=uuid.uuid4().hex) for _ in range(1000)]
    failures: list[BaseException] = []

    def worker(chunk: list[str]) -> None:
        for t in chunk:
            try:
                check(t, cache, now=clock.now())
            except InvalidToken:
                continue
            except BaseException as exc:  # pragma: no cover - reported below
                failures.append(exc)

    for window in range(3):
        threads = [threading.Thread(target=worker, args=(tokens[i::8],)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures
        assert len(fetched) == 1 + 2 * (window + 1), fetched
        clock.advance(61)


def test_sec_26_budget_is_configurable(old: Signer) -> None:
    """With a budget of one refetch per window, a second unknown kid in that window causes no fetch."""
    clock = FrozenClock(NOW)
    cache, fetched = _cache([old.jwks()], clock, refetch_budget=1)
    check(old.sign(id_claims()), cache)
    for kid in ("x1", "x2", "x3"):
        assert_rejected(old.sign(id_claims(), kid=kid), cache, now=clock.now())
    assert len(fetched) == 2
    clock.advance(61)
    assert_rejected(old.sign(id_claims(), kid="x4"), cache, now=clock.now())
    assert len(fetched) == 3


def test_sec_83_failed_first_fetch_is_retried_within_the_budget(old: Signer) -> None:
    """A provider down at the first fetch is retried, but a flood of tokens costs at most the budget per window."""
    calls: list[int] = []

    def fetch() -> bytes:
        calls.append(1)
        raise OSError("down")

    clock = FrozenClock(NOW)
    cache = JwksCache(fetch, clock=clock)
    for _ in range(20):
        with pytest.raises((ProviderUnavailable, InvalidToken)):
            check(old.sign(id_claims()), cache)
    assert len(calls) == 3


def test_sec_26_stale_set_kept_when_the_scheduled_refresh_fails(old: Signer) -> None:
    """If the refresh after max_age fails, the old keys stay in use rather than locking everyone out."""
    calls: list[int] = []

    def fetch() -> bytes:
        calls.append(1)
        if len(calls) > 1:
            raise OSError("down")
        return old.jwks()

    clock = FrozenClock(NOW)
    cache = JwksCache(fetch, clock=clock, max_age=dt.timedelta(seconds=30))
    check(old.sign(id_claims()), cache)
    clock.advance(31)
    assert check(old.sign(id_claims()), cache, now=clock.now()).sub
    assert len(calls) == 2


@pytest.mark.parametrize(
    "kw",
    [
        {"refetch_budget": 0},
        {"refetch_budget": -1},
        {"refetch_window": dt.timedelta(0)},
        {"max_age": dt.timedelta(0)},
    ],
)
def test_cache_settings_must_be_positive(kw: dict[str, object]) -> None:
    """A zero or negative budget, window or lifetime is a ConfigurationError."""
    with pytest.raises(ConfigurationError):
        JwksCache(lambda: b"", **kw)  # type: ignore[arg-type]
