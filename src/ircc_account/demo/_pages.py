"""
The demo portal's pages, built on :mod:`ircc_account.web` alone: each
handler is a few lines over the door, run in the web front door's thread
pool; the templates do the rest.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ircc_account.delegation import ConsentGrant, GrantStatus, Scope
from ircc_account.errors import (
    DelegationError,
    NotFound,
    OutOfRange,
    RequiredField,
    ValidationError,
)
from ircc_account.web import N_, Page, PageRequest, Redirect, WebApp

if TYPE_CHECKING:
    from ircc_account.builtin.applications import ApplicationService
    from ircc_account.builtin.notify import MemorySender

__all__ = ["DemoPerson", "add_portal_pages"]

#: Notices shown after a change, by the ``done`` query value (never personal data).
NOTICES = {
    "given": N_("Your representative can now act for you, within what you allowed."),
    "accepted": N_("You accepted the request. The representative can now act for you."),
    "declined": N_("You refused the request."),
    "revoked": N_("You revoked the authorization. It ended at once."),
}

#: The scopes a client may give, in the order the form shows them.
SCOPES = (
    Scope.VIEW_STATUS,
    Scope.VIEW_DECISION_NOTES,
    Scope.ENQUIRE,
    Scope.SUBMIT_DOCUMENTS,
    Scope.ACT,
)
GIVE_ERRORS = {
    "grantee_id": N_("Enter the representative's or the office's number."),
    "scopes": N_("Choose at least one thing they may do."),
    "access_group": N_("Enter the office's access group, or choose a representative instead."),
    "valid_until": N_("Enter a date in the future, such as 2027-06-30, or leave it empty."),
    "rule": N_("This representative cannot be given that access."),
}
_MAX_ID = 100
#: Lines on one page of "who touched my file".
HISTORY_PAGE = 50


@attrs.frozen
class DemoPerson:
    """
    Someone to sign in as in the demo.

    Attributes:
        username: Their login at the development provider.
        given_name: Their given name.
        family_name: Their family name.
        role: What they show in the demo (a catalogue msgid).
        date_of_birth: For their account, or ``None`` if they have none yet.
    """

    username: str
    given_name: str
    family_name: str
    role: str
    date_of_birth: str | None = None


def _grant_rows(grants: Sequence[ConsentGrant], names: Mapping[str, str]) -> dict[str, Any]:
    pending = [g for g in grants if g.status is GrantStatus.PENDING]
    active = [g for g in grants if g.status is GrantStatus.ACTIVE]
    past = [g for g in grants if g.status not in (GrantStatus.PENDING, GrantStatus.ACTIVE)]
    return {"pending": pending, "active": active, "past": past, "names": names}


def _clean_id(value: str | None, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise RequiredField(field=field)
    if len(value) > _MAX_ID or not value.isprintable():
        raise OutOfRange(field=field)
    return value


def add_portal_pages(
    web: WebApp,
    *,
    people: Sequence[DemoPerson] = (),
    names: Mapping[str, str] | None = None,
    provider: str = "dev",
    applications: Mapping[str, ApplicationService] | None = None,
    messages: MemorySender | None = None,
) -> None:
    """
    Add the demo portal's pages to *web*: home, the dashboard, an item and
    its actions (the status tracker's and decision notes' items on their
    service's own page), representatives (give, accept, refuse, revoke), "who
    touched my file", a representative's clients (act for one, stop), the
    profile, enquiries (when the enquiries service is installed), and the
    application services' forms (a draft's steps, the
    review, the client's signature, payment, submission and the receipt).

    Args:
        web: The web front door.
        people: The demo people the home page offers to sign in as.
        names: Extra display names by id, for what the store cannot name.
        provider: The provider the sign-in buttons use.
        applications: The application services registered on the door, by
            id; by default the built-in ones it registered (the visitor
            visa, passport renewal).
        messages: The notifications service's sender, when it keeps what it
            sends in memory: each person reads the emails sent to them.
    """
    door = web.door
    directory = dict(names or {})
    if applications is None:
        from ._applications import builtin_applications

        applications = builtin_applications(door.services.service_ids)
    if applications:
        from ._applications import add_application_pages

        add_application_pages(web, applications)
    forms = frozenset(applications)
    from ._enquiries import add_enquiry_pages

    add_enquiry_pages(web)
    enquiries_on = "enquiries" in door.services.service_ids
    from ._notices import add_message_pages

    messages_on = add_message_pages(web, messages)

    def services() -> list[tuple[str, Any]]:
        return [(sid, door.services.manifest(sid).title) for sid in door.services.service_ids]

    @web.page("/", name="home", signed_in=False)
    def home(req: PageRequest) -> Page | Redirect:
        if req.signed_in:
            return Redirect(req.home)
        return Page("demo/home.html", {"people": people, "provider": provider})

    @web.page("/account", name="dashboard")
    def dashboard(req: PageRequest) -> Page:
        actor = req.actor()
        board = door.dashboard(
            actor, req.client_id, language=req.language, correlation_id=req.correlation_id
        )
        levels = {
            sid: int(door.services.manifest(sid).assurance) for sid in door.services.service_ids
        }
        return Page(
            "demo/dashboard.html", {"board": board, "levels": levels, "applications": forms}
        )

    from ._tracked import tracked_item_page

    show_tracked = tracked_item_page(web)

    @web.page("/account/items/{item_id}", name="item")
    def item(req: PageRequest, item_id: str) -> Page:
        # The status tracker's and the decision notes' items show their
        # service's own page; each access goes through the door either way.
        actor = req.actor()
        tracked = show_tracked(req, actor, item_id, enquiries_on=enquiries_on)
        if tracked is not None:
            return tracked
        page = door.item(
            actor,
            req.client_id,
            item_id,
            language=req.language,
            correlation_id=req.correlation_id,
        )
        return Page("demo/item.html", {"page": page, "enquiries_on": enquiries_on})

    @web.form("/account/items/{item_id}/actions", name="item_action")
    def item_action(req: PageRequest, item_id: str) -> Page:
        action = _clean_id(req.form.get("action"), "action")
        result = door.perform(
            req.actor(),
            req.client_id,
            item_id,
            action,
            language=req.language,
            correlation_id=req.correlation_id,
        )
        return Page("demo/action_done.html", {"result": result, "item_id": item_id})

    def representatives_page(
        req: PageRequest,
        *,
        errors: Mapping[str, str] | None = None,
        values: Mapping[str, str] | None = None,
        status: int = 200,
    ) -> Page:
        grants = door.grants.of(req.actor(), req.client_id, correlation_id=req.correlation_id)
        context = _grant_rows(grants, {**directory, **door.grants.names(grants)})
        context.update(
            {
                "notice": NOTICES.get(req.query.get("done", "")),
                "errors": errors or {},
                "values": values or {"grantee_kind": "representative", "coverage": "account"},
                "scopes": SCOPES,
                "services": services(),
            }
        )
        return Page("demo/representatives.html", context, status=status)

    @web.page("/account/representatives", name="representatives")
    def representatives(req: PageRequest) -> Page:
        return representatives_page(req)

    @web.form("/account/representatives/give", name="grant_give")
    def grant_give(req: PageRequest) -> Page | Redirect:
        values = {
            k: req.form.get(k, "").strip()
            for k in ("grantee_kind", "grantee_id", "access_group", "coverage", "valid_until")
        }
        chosen = [s.value for s in SCOPES if req.form.get(f"scope_{s.value}") == "yes"]
        values.update({f"scope_{s}": "yes" for s in chosen})
        errors: dict[str, str] = {}
        office = values["grantee_kind"] == "office"
        if not values["grantee_id"] or len(values["grantee_id"]) > _MAX_ID:
            errors["grantee_id"] = GIVE_ERRORS["grantee_id"]
        if not chosen:
            errors["scopes"] = GIVE_ERRORS["scopes"]
        if office and not values["access_group"]:
            errors["access_group"] = GIVE_ERRORS["access_group"]
        until = None
        if values["valid_until"]:
            try:
                day = dt.date.fromisoformat(values["valid_until"])
                until = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)
            except ValueError:
                errors["valid_until"] = GIVE_ERRORS["valid_until"]
        coverage, _, target = values["coverage"].partition(":")
        if errors:
            return representatives_page(req, errors=errors, values=values, status=400)
        try:
            door.grants.give(
                req.actor(),
                grantee_id=values["grantee_id"],
                grantee_is_organisation=office,
                access_group=values["access_group"] if office else None,
                scopes=chosen,
                coverage=coverage or "account",
                target=target or None,
                valid_until=until,
                correlation_id=req.correlation_id,
            )
        except NotFound:
            errors["grantee_id"] = GIVE_ERRORS["grantee_id"]
        except ValidationError as error:
            field = str(error.params.get("field", ""))
            errors[field if field in GIVE_ERRORS else "rule"] = GIVE_ERRORS.get(
                field, GIVE_ERRORS["rule"]
            )
        except DelegationError as error:
            if isinstance(error, PermissionError):
                raise
            errors["rule"] = error.message(req.language)
        if errors:
            return representatives_page(req, errors=errors, values=values, status=400)
        return Redirect(web.url_path("representatives") + "?done=given")

    def grant_change(name: str, done: str) -> None:
        @web.form(f"/account/representatives/{name}", name=f"grant_{name}")
        def change(req: PageRequest) -> Redirect:
            grant_id = _clean_id(req.form.get("grant_id"), "grant_id")
            getattr(door.grants, name)(req.actor(), grant_id, correlation_id=req.correlation_id)
            return Redirect(web.url_path("representatives") + f"?done={done}")

    grant_change("accept", "accepted")
    grant_change("decline", "declined")
    grant_change("revoke", "revoked")

    @web.page("/account/history", name="history")
    def history(req: PageRequest) -> Page:
        # A malformed page token is the door's typed ValidationError (a 400
        # page); the filter is a plain checkbox.
        refusals_only = req.query.get("refusals") == "1"
        page = door.history(
            req.actor(),
            req.client_id,
            language=req.language,
            refusals_only=refusals_only,
            limit=HISTORY_PAGE,
            page=req.query.get("page") or None,
            correlation_id=req.correlation_id,
        )
        older = None
        if page.next_page is not None:
            older = urllib.parse.urlencode(
                {"page": page.next_page, **({"refusals": "1"} if refusals_only else {})}
            )
        return Page(
            "demo/history.html",
            {
                "records": page.records,
                "older": older,
                "refusals_only": refusals_only,
                "first": req.query.get("page") is None,
            },
        )

    @web.page("/account/clients", name="clients")
    def clients(req: PageRequest) -> Page:
        actor = req.actor(as_representative=True)
        found = door.clients(actor, correlation_id=req.correlation_id)
        return Page(
            "demo/clients.html",
            {"clients": found, "names": directory, "enquiries_on": enquiries_on},
        )

    @web.form("/account/clients/act", name="act_for")
    def act_for(req: PageRequest) -> Redirect:
        client_id = _clean_id(req.form.get("client_id"), "client_id")
        issued = door.act_for(req.cookie, client_id, correlation_id=req.correlation_id)
        return Redirect(req.home, issued=issued)

    @web.form("/account/clients/stop", name="stop_acting")
    def stop_acting(req: PageRequest) -> Redirect:
        issued = door.stop_acting(req.cookie)
        return Redirect(web.url_path("clients"), issued=issued)

    @web.page("/account/profile", name="profile")
    def profile(req: PageRequest) -> Page:
        principal = req.principal()
        return Page(
            "demo/profile.html",
            {
                "principal": principal,
                "names": directory,
                "provider": provider,
                "messages_on": messages_on,
            },
        )
