# mypy: disable-error-code="misc"
# (the attrs mypy plugin only understands named converters; ours are
# built by v.converter, so those fields are typed by their annotations.)
"""
Who asks, to do what, to which data: the terms of every authorization decision.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from ircc_account._model import _validate as v
from ircc_account._model._accounts import AssuranceLevel
from ircc_account._model._audit import Capacity
from ircc_account.errors import AuthorizationError

__all__ = ["Action", "Actor", "AuthorizationDecision", "Resource"]


class Action(enum.StrEnum):
    """
    What an actor wants to do with a client's data. Each maps onto the grant
    scope that allows it (see the delegation package).
    """

    VIEW_STATUS = "view_status"
    VIEW_DECISION_NOTES = "view_decision_notes"
    ENQUIRE = "enquire"
    SUBMIT_DOCUMENTS = "submit_documents"
    ACT = "act"
    VIEW_PROFILE = "view_profile"
    CHANGE_PROFILE = "change_profile"
    MANAGE_GRANTS = "manage_grants"


@attrs.frozen(kw_only=True)
class Actor:
    """
    The authenticated party making a request. A representative keeps their
    own identity when acting for a client: never impersonation.

    Attributes:
        actor_id: Stable id of who acts: an account id, representative id,
            officer role id, plugin id, or system job id.
        capacity: Client, representative, officer, system or plugin.
        account_id: The actor's own login account, if they have one.
        representative_id: For a representative, their representative id.
        assurance: The assurance of the current login.
        auth_time: When the actor last authenticated (for freshness checks).
        session_ref: A non-secret reference to the session (a hash), for audit.
        on_behalf_of: For a plugin, the actor it acts for (its permissions).
    """

    actor_id: str = attrs.field(converter=v.converter(v.identifier, "actor_id"))
    capacity: Capacity = attrs.field(converter=v.converter(v.choice, "capacity", Capacity))
    account_id: str | None = attrs.field(
        default=None, converter=v.optional(v.identifier, "account_id")
    )
    representative_id: str | None = attrs.field(
        default=None, converter=v.optional(v.identifier, "representative_id")
    )
    assurance: AssuranceLevel = attrs.field(
        default=AssuranceLevel.LOW, converter=v.converter(v.choice, "assurance", AssuranceLevel)
    )
    auth_time: dt.datetime | None = attrs.field(
        default=None, converter=v.converter(v.optional_instant, "auth_time")
    )
    session_ref: str | None = attrs.field(default=None, repr=False)
    on_behalf_of: Actor | None = None


@attrs.frozen(kw_only=True)
class Resource:
    """
    The client data a request touches.

    Attributes:
        client_id: The client (account id) whose data it is.
        service_id: The service, if the data belongs to one.
        item_id: The item (application, case), if one.
        field: A field group for field-level limits (``contact``, ``representatives``).
    """

    client_id: str = attrs.field(converter=v.converter(v.identifier, "client_id"))
    service_id: str | None = attrs.field(
        default=None, converter=v.optional(v.identifier, "service_id")
    )
    item_id: str | None = attrs.field(default=None, converter=v.optional(v.identifier, "item_id"))
    field: str | None = attrs.field(default=None, converter=v.optional(v.identifier, "field"))


@attrs.frozen(kw_only=True)
class AuthorizationDecision:
    """
    The policy's answer, with its reason and what it relied on.

    Attributes:
        allowed: Whether the request may go ahead.
        reason: A short machine-readable reason (``owner``, ``grant``,
            ``no_grant``, ``scope``, ``assurance``, ``licence``, ...).
        grant_id: The consent grant relied on, if any.
        organisation_id: The organisation through which the grant reached the actor, if any.
        required_assurance: When denied for assurance, the level needed (step up).
    """

    allowed: bool
    reason: str
    grant_id: str | None = None
    organisation_id: str | None = None
    required_assurance: AssuranceLevel | None = None

    def __bool__(self) -> bool:
        return self.allowed

    def refusal(self) -> AuthorizationError:
        """
        This refusal as the error to raise: ``params["reason"]``, and when
        only a stronger sign-in is missing, ``params["level"]``, the
        assurance level to step up to (a portal offers that sign-in).
        """
        if self.required_assurance is not None:
            return AuthorizationError(reason=self.reason, level=int(self.required_assurance))
        return AuthorizationError(reason=self.reason)
