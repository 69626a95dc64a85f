# mypy: disable-error-code="misc"
# (the attrs mypy plugin only understands named converters; ours are
# built by v.converter, so those fields are typed by their annotations.)
"""
Service manifests: what a plugin declares, who it is offered to, and rollout.

Rollout buckets are deterministic: ``SHA-256(service id, salt, client id)``
taken modulo 10,000. A client's bucket never changes, so raising a service's
percentage only ever adds clients (monotone), and changing the salt reshuffles.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

from ircc_account._model import _validate as v
from ircc_account._model._accounts import AssuranceLevel
from ircc_account._model._delegation import Scope
from ircc_account._model._services import BilingualText
from ircc_account.errors import InvalidFormat, OutOfRange, UnknownValue, ValidationError

__all__ = [
    "BUCKETS",
    "AccountFacts",
    "EligibilityRule",
    "EventAudience",
    "HasAttribute",
    "HasUci",
    "ResidesIn",
    "ResidesOutside",
    "Rollout",
    "ServiceManifest",
    "rollout_bucket",
]

#: The number of rollout buckets: a percentage is resolved to 0.01 %.
BUCKETS = 10_000
_SERVICE_ID = re.compile(r"^[a-z][a-z0-9-]{1,62}$", re.ASCII)
_COUNTRY = re.compile(r"^[A-Z]{2}$", re.ASCII)
_SHARED_SCOPES = frozenset(s.value for s in Scope)


def rollout_bucket(service_id: str, salt: str, client_id: str) -> int:
    """
    The client's stable bucket, ``0 <= bucket < 10,000``, for one service.

    Args:
        service_id: The service (so each service samples different clients).
        salt: The rollout's salt (change it to draw a new sample).
        client_id: The client's account id.
    """
    material = "\x1f".join((service_id, salt, client_id)).encode()
    digest = hashlib.sha256(material).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def _countries(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        raise InvalidFormat(field="countries")
    out = frozenset(value)
    if not out or not all(isinstance(c, str) and _COUNTRY.match(c) for c in out):
        raise InvalidFormat(field="countries")
    return out


def _ids(field: str) -> Callable[[Any], frozenset[str]]:
    def convert(value: Iterable[str]) -> frozenset[str]:
        if isinstance(value, str):
            raise InvalidFormat(field=field)
        return frozenset(v.identifier(field, x) for x in value)

    return convert


@attrs.frozen(kw_only=True)
class AccountFacts:
    """
    What eligibility rules may know about a client: no personal data beyond
    these facts, which the front door supplies.

    Attributes:
        has_uci: Whether the account holds a Unique Client Identifier.
        country_of_residence: ISO 3166-1 alpha-2 code, if known.
        attributes: Other facts as flags (``claimed_legacy_file``, ``minor``).
    """

    has_uci: bool = False
    country_of_residence: str | None = None
    attributes: frozenset[str] = frozenset()


@runtime_checkable
class EligibilityRule(Protocol):
    """
    One declarative condition a client must meet for a service to be offered.
    """

    def check(self, facts: AccountFacts) -> bool:
        """
        Whether *facts* meet the rule.
        """
        ...


@attrs.frozen
class HasUci:
    """
    The client must hold a UCI (they have dealt with IRCC before).
    """

    def check(self, facts: AccountFacts) -> bool:
        """Whether the account has a UCI."""
        return facts.has_uci


@attrs.frozen
class ResidesIn:
    """
    The client must live in one of *countries* (ISO alpha-2 codes).

    Attributes:
        countries: The accepted countries.
    """

    countries: frozenset[str] = attrs.field(converter=_countries)

    def check(self, facts: AccountFacts) -> bool:
        """Whether the country of residence is known and listed."""
        return facts.country_of_residence in self.countries


@attrs.frozen
class ResidesOutside:
    """
    The client must not live in any of *countries* (unknown residence fails).

    Attributes:
        countries: The excluded countries.
    """

    countries: frozenset[str] = attrs.field(converter=_countries)

    def check(self, facts: AccountFacts) -> bool:
        """Whether the country of residence is known and not listed."""
        residence = facts.country_of_residence
        return residence is not None and residence not in self.countries


@attrs.frozen
class HasAttribute:
    """
    The client must carry the flag *name* in :attr:`AccountFacts.attributes`.

    Attributes:
        name: The flag.
    """

    name: str = attrs.field(converter=v.converter(v.identifier, "attribute"))

    def check(self, facts: AccountFacts) -> bool:
        """Whether the flag is set."""
        return self.name in facts.attributes


def _percentage(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise OutOfRange(field="percentage")
    return float(value)


@attrs.frozen(kw_only=True)
class Rollout:
    """
    Who, among eligible clients, is offered the service.

    Checked in this order: the kill switch, the deny list, the allow list,
    then the percentage by stable bucket.

    Attributes:
        percentage: Share of eligible clients offered it, 0 to 100 (0.01 % steps).
        salt: Mixed into the bucket; change it to draw a different sample.
        allow: Client ids always offered it (testers, pilots).
        deny: Client ids never offered it.
        killed: The kill switch: offered to nobody.
    """

    percentage: float = attrs.field(default=100.0, converter=_percentage)
    salt: str = attrs.field(default="", validator=attrs.validators.instance_of(str))
    allow: frozenset[str] = attrs.field(default=frozenset(), converter=_ids("allow"))
    deny: frozenset[str] = attrs.field(default=frozenset(), converter=_ids("deny"))
    killed: bool = False

    def includes(self, service_id: str, client_id: str) -> bool:
        """
        Whether *client_id* is in this rollout of *service_id*.
        """
        if self.killed or client_id in self.deny:
            return False
        if client_id in self.allow:
            return True
        threshold = round(self.percentage * BUCKETS / 100)
        return rollout_bucket(service_id, self.salt, client_id) < threshold


def _service_id(value: object) -> str:
    if not isinstance(value, str) or not _SERVICE_ID.match(value):
        raise InvalidFormat(field="service_id")
    return value


def _bilingual(field: str) -> Callable[[Any], BilingualText]:
    def convert(value: BilingualText | Mapping[str, str]) -> BilingualText:
        try:
            if isinstance(value, BilingualText):
                text = value
            elif isinstance(value, Mapping):
                # Both languages are required: BilingualText refuses a missing one.
                text = BilingualText(en=value.get("en"), fr=value.get("fr"))
            else:
                raise InvalidFormat(field=field)
        except ValidationError as e:
            # Say which text: "title_fr", not BilingualText's own "text_fr".
            language = str(e.params.get("field", "")).removeprefix("text_")
            raise type(e)(**{**e.params, "field": f"{field}_{language}"}) from None
        if _plain(text.fr) == _plain(text.en):
            # An untranslated copy is not a French text, whatever its case
            # or spacing.
            raise InvalidFormat(field=f"{field}_fr")
        return text

    return convert


def _plain(text: str) -> str:
    """*text* case-folded, with each run of white space one space, stripped: to compare copies."""
    return " ".join(text.casefold().split())


def _rules(value: Iterable[EligibilityRule]) -> tuple[EligibilityRule, ...]:
    rules = tuple(value)
    if not all(isinstance(r, EligibilityRule) for r in rules):
        raise InvalidFormat(field="eligibility")
    return rules


class EventAudience(enum.StrEnum):
    """
    Which events a plugin's ``ircc_on_event`` hears.
    """

    #: Events about its own service's items (the default).
    OWN = "own"
    #: Every event of every client: grant changes (with representatives'
    #: ids) and other services' items. For a notification service only: the
    #: operator sees it in the manifest before allowlisting the plugin.
    ALL = "all"


@attrs.frozen(kw_only=True)
class ServiceManifest:
    """
    What a service plugin declares about itself; checked at registration.

    Attributes:
        service_id: Stable id, lowercase letters, digits and hyphens; equal to
            the plugin's entry-point name. Never reused for another service.
        version: The plugin's version.
        title: The service's name, in English and French (both required).
        description: One or two sentences, in English and French (both required).
        assurance: The login assurance level the service needs.
        scopes: The delegation scopes it understands: shared ones
            (``view_status``, ``enquire``, ``act``, ...) and its own as
            ``service_id:name``.
        eligibility: Rules a client must all meet to be offered the service.
        rollout: Percentage, allow and deny lists, kill switch.
        max_items: The most items it may return for one client.
        hears: Which events its ``ircc_on_event`` hears: its own service's
            (the default), or every client's (a notification service).
    """

    service_id: str = attrs.field(converter=_service_id)
    version: str = attrs.field(converter=v.converter(v.identifier, "version"))
    title: BilingualText = attrs.field(converter=_bilingual("title"))
    description: BilingualText = attrs.field(converter=_bilingual("description"))
    assurance: AssuranceLevel = attrs.field(
        default=AssuranceLevel.MODERATE,
        converter=v.converter(v.choice, "assurance", AssuranceLevel),
    )
    scopes: frozenset[str] = attrs.field(
        default=frozenset({Scope.VIEW_STATUS.value}), converter=frozenset
    )
    eligibility: tuple[EligibilityRule, ...] = attrs.field(default=(), converter=_rules)
    rollout: Rollout = attrs.field(factory=Rollout, validator=attrs.validators.instance_of(Rollout))
    max_items: int = attrs.field(default=200)
    hears: EventAudience = attrs.field(
        default=EventAudience.OWN, converter=v.converter(v.choice, "hears", EventAudience)
    )

    @scopes.validator
    def _check_scopes(self, _: object, scopes: frozenset[str]) -> None:
        for scope in scopes:
            if not isinstance(scope, str):
                raise UnknownValue(field="scopes")
            owner, sep, name = scope.partition(":")
            if scope in _SHARED_SCOPES:
                continue
            if not sep or owner != self.service_id or not name:
                raise UnknownValue(field="scopes")
            v.identifier("scopes", scope)

    @max_items.validator
    def _check_max_items(self, _: object, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
            raise OutOfRange(field="max_items")

    def eligible(self, facts: AccountFacts) -> bool:
        """
        Whether *facts* meet every eligibility rule.
        """
        return all(rule.check(facts) for rule in self.eligibility)
