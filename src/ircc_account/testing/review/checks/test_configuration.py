"""
The deployment's configuration against the library's rules: each provider
as the relying party would take it, the session lifetimes, the plugin
allowlist and the plugins starting on a scratch database.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from ircc_account._door import FrontDoor
from ircc_account.errors import ConfigurationError
from ircc_account.identity import ClientSecret, ProviderConfig, SessionPolicy
from ircc_account.services import survey
from ircc_account.testing.review import ProviderSettings, ReviewConfig

#: The leeway the library documents as enough (SEC-10 refuses 60 s ahead).
_LEEWAY_SECONDS = 60


def _algorithms(provider: ProviderSettings) -> frozenset[str]:
    return frozenset(provider.algorithms)


def _providers(review_config: ReviewConfig) -> tuple[ProviderSettings, ...]:
    if not review_config.providers:
        pytest.skip("the configuration names no provider")
    return review_config.providers


@pytest.mark.sec("SEC-06", "SEC-09", "SEC-18")
def test_each_provider_is_one_the_relying_party_accepts(review_config: ReviewConfig) -> None:
    """
    Every provider has an HTTPS issuer and callback and pins only supported signature
    algorithms.
    """
    refused = {}
    for provider in _providers(review_config):
        try:
            ProviderConfig(
                name=provider.name,
                issuer=provider.issuer,
                client_id=provider.client_id,
                # Only the shape is checked here; the real credential stays with the deployment.
                client_auth=ClientSecret(secret=secrets.token_urlsafe(32)),
                redirect_uri=provider.redirect_uri,
                algorithms=_algorithms(provider),  # type: ignore[arg-type]  # attrs: converter=frozenset
                leeway=provider.leeway,
            )
        except ConfigurationError as e:
            refused[provider.name] = str(e)
    assert not refused, f"providers the relying party refuses: {refused}"


@pytest.mark.sec("SEC-09", "SEC-16", "SEC-26")
def test_no_provider_accepts_an_unsigned_or_symmetric_token(review_config: ReviewConfig) -> None:
    """
    No provider's algorithms include none or an HMAC algorithm, and the client authenticates
    with a key or a secret.
    """
    for provider in _providers(review_config):
        weak = sorted(a for a in provider.algorithms if a == "none" or a.startswith("HS"))
        assert not weak, f"{provider.name} accepts {weak}"
        assert provider.client_auth in ("private_key_jwt", "client_secret"), provider.name


@pytest.mark.sec("SEC-10")
def test_the_clock_leeway_is_bounded(review_config: ReviewConfig) -> None:
    """Each provider's clock leeway is at most 60 seconds."""
    for provider in _providers(review_config):
        seconds = provider.leeway.total_seconds()
        assert 0 <= seconds <= _LEEWAY_SECONDS, f"{provider.name}: leeway {seconds:g} s"


@pytest.mark.sec("SEC-36")
def test_session_lifetimes_are_the_documented_ones_or_shorter(review_config: ReviewConfig) -> None:
    """The session policy is valid, idles out within 30 minutes and ends within 12 hours."""
    policy = SessionPolicy(
        idle_timeout=review_config.idle_timeout, absolute_timeout=review_config.absolute_timeout
    )
    assert policy.idle_timeout.total_seconds() <= 30 * 60
    assert policy.absolute_timeout.total_seconds() <= 12 * 3600


@pytest.mark.sec("SEC-92")
def test_every_allowed_plugin_is_pinned_and_none_is_both_allowed_and_blocked(
    review_config: ReviewConfig,
) -> None:
    """
    Each allowlist entry names its distribution and an exact version; no name is allowed and
    blocked.
    """
    for entry in review_config.allowed_plugins:
        assert entry.distribution, entry
        assert entry.version, entry
        assert not any(c in entry.version for c in "<>=~*,"), f"{entry.name} is not pinned"
    both = {e.name for e in review_config.allowed_plugins} & set(review_config.blocked_plugins)
    assert not both, f"allowed and blocked: {sorted(both)}"


@pytest.mark.sec("SEC-92", "SEC-93", "SEC-97")
def test_the_deployments_plugins_start(
    review_config: ReviewConfig, open_scratch_door: Callable[..., FrontDoor]
) -> None:
    """
    The door opens on a scratch database with the deployment's plugins, and every plugin
    registered in code is offered.
    """
    door = open_scratch_door()
    missing = sorted(set(review_config.code_plugins) - set(door.services.service_ids))
    assert not missing, f"plugins that did not start: {missing}"


@pytest.mark.sec("SEC-92", "SEC-97")
def test_every_allowlisted_plugin_starts(
    review_config: ReviewConfig, open_scratch_door: Callable[..., FrontDoor]
) -> None:
    """
    Every plugin the allowlist names is offered by the door on a scratch database; one that
    is not installed, is another distribution or version than the pinned one, or fails to
    start is reported with the reason ``ircc-account plugins list`` gives.
    """
    if not review_config.allowed_plugins:
        pytest.skip("the configuration allowlists no plugin")
    door = open_scratch_door()
    offered = set(door.services.service_ids)
    absent = sorted({entry.name for entry in review_config.allowed_plugins} - offered)
    if absent:
        verdicts = survey(
            review_config.allowed_plugins,
            review_config.blocked_plugins,
            deadline=review_config.plugin_deadline,
        )
        reasons: dict[str, str] = {}
        for verdict in verdicts:
            if verdict.name in absent and verdict.reason:
                reasons.setdefault(verdict.name, verdict.reason)
        why = [
            f"{name} ({reasons.get(name) or 'did not start with its settings'})" for name in absent
        ]
        pytest.fail(f"allowlisted plugins that did not start: {'; '.join(why)}")
