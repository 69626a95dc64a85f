"""
The enquiries plugin (entry point ``enquiries``): it makes the service
known to the registry (its manifest, scopes and assurance level) and, for
the client, lists nothing of its own: an enquiry is about another service's
item, filed through :class:`~ircc_account.builtin.enquiries.Enquiries`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ircc_account import AssuranceLevel
from ircc_account.hookspecs import hookimpl
from ircc_account.services import (
    BilingualText,
    Rollout,
    ServiceContext,
    ServiceItem,
    ServiceManifest,
)

from ._values import SERVICE_ID

__all__ = ["EnquiriesService", "plugin"]


class EnquiriesService:
    """
    The enquiries and urgent escalation plugin (entry point ``enquiries``):
    questions about an application, and requests for urgent processing with
    published criteria, answered and decided by the department.
    """

    @hookimpl
    def ircc_service_manifest(self) -> ServiceManifest:
        return ServiceManifest(
            service_id=SERVICE_ID,
            version="1.0.0",
            title=BilingualText("Enquiries and urgent requests", "Renseignements et urgences"),
            description=BilingualText(
                "Ask about an application, or ask for urgent processing, and see the answer.",
                "Posez une question sur une demande, ou demandez un traitement urgent, et "
                "voyez la réponse.",
            ),
            assurance=AssuranceLevel.MODERATE,
            scopes=frozenset({"view_status", "enquire"}),  # type: ignore[arg-type]
            rollout=Rollout(percentage=100),
        )

    @hookimpl
    def ircc_client_items(self, ctx: ServiceContext) -> Sequence[ServiceItem]:
        # Enquiries are about other services' items; this service holds none.
        del ctx
        return []


#: The plugin object the entry point names.
plugin = EnquiriesService()
