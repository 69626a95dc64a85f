"""
What the front door's pages return: frozen values, no secrets, no handles.
"""

from __future__ import annotations

import attrs

from ircc_account._model import Membership, Representative, ServiceItem, TimelineEvent
from ircc_account.services import ActionOffer

__all__ = ["ClientSummary", "ItemPage", "Principal"]


@attrs.frozen(kw_only=True)
class Principal:
    """
    Who a signed-in session belongs to, in every capacity they have.

    Attributes:
        account_id: Their own login account (also their own client file).
        representative: Their representative record, if they act for others.
        memberships: Their memberships in offices and firms, current now.
        acting_for: The client they are acting for in this session, if any.
    """

    account_id: str
    representative: Representative | None = None
    memberships: tuple[Membership, ...] = ()
    acting_for: str | None = None

    @property
    def is_representative(self) -> bool:
        """
        Whether they may act for others at all (a grant still decides for whom).
        """
        return self.representative is not None


@attrs.frozen(kw_only=True)
class ClientSummary:
    """
    One client in a representative's list.

    Attributes:
        client_id: The client's account id (what :meth:`FrontDoor.act_for` takes).
        name: The client's name, as they gave it (never in ``repr``).
        grant_id: A grant in force that reaches the representative.
        organisation_id: The office or firm that grant came through, if any.
    """

    client_id: str
    name: str = attrs.field(repr=False)
    grant_id: str | None
    organisation_id: str | None = None


@attrs.frozen(kw_only=True)
class ItemPage:
    """
    One item (an application, a case) as its page shows it.

    Attributes:
        client_id: Whose item it is.
        item: The item.
        timeline: Its events, oldest first, from its service.
        actions: What this actor may do with it now.
    """

    client_id: str
    item: ServiceItem
    timeline: tuple[TimelineEvent, ...]
    actions: tuple[ActionOffer, ...]
