"""
The demo's enquiry pages, when the built-in enquiries service is installed:
from an application's page, a client or a representative whose grant
includes ``enquire`` asks a question or requests urgent processing (the
published criteria shown beside each category), and sees the result; the
enquiries page lists the file's enquiries with their answers and decisions,
and, for an office's staff member, the office's open enquiries across its
clients, late ones flagged, and a form to file one request about several
of the office's clients' applications at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ircc_account.builtin.enquiries import (
    CRITERIA,
    SERVICE_ID,
    Enquiries,
    EnquiryRequest,
)
from ircc_account.errors import AuthorizationError, DocumentRejected, ValidationError
from ircc_account.web import N_, Page, PageRequest, WebApp

__all__ = ["add_enquiry_pages"]

#: What the form says for each refusal (catalogue msgids; never personal data).
ENQUIRY_ERRORS = {
    "question": N_("Write your question or explain the urgency, in 2,000 characters at most."),
    "category": N_("Choose one of the categories shown."),
    "travel_date": N_("Enter the travel date, such as 2027-06-30."),
    "rule": N_("This request cannot be filed as it is."),
    "targets": N_(
        "Enter one application per line: the client's number, a comma, and the "
        "application's identifier; 50 at most."
    ),
}


def add_enquiry_pages(web: WebApp, filing: Enquiries | None = None) -> None:
    """
    Add the enquiry pages to *web* if its door has the enquiries service:
    the form on an item (``/account/items/{id}/enquire``), the list
    (``/account/enquiries``) and, for an office's caseworker, one request
    about several clients' applications (``/account/enquiries/several``).
    """
    door = web.door
    if SERVICE_ID not in door.services.service_ids:
        return
    filing = filing or Enquiries(door)
    categories = list(CRITERIA.values())

    def form_page(
        req: PageRequest,
        item_id: str,
        *,
        errors: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        status: int = 200,
    ) -> Page:
        page = door.item(
            req.actor(), req.client_id, item_id,
            language=req.language, correlation_id=req.correlation_id,
        )  # fmt: skip
        return Page(
            "demo/enquire.html",
            {"page": page, "categories": categories, "errors": errors or {},
             "values": values or {}},
            status=status,
        )  # fmt: skip

    @web.page("/account/items/{item_id}/enquire", name="enquire")
    def enquire(req: PageRequest, item_id: str) -> Page:
        return form_page(req, item_id)

    def read_request(
        req: PageRequest,
    ) -> tuple[dict[str, Any], dict[str, str], EnquiryRequest | None]:
        """The form's values, its errors, and the request when it has none."""
        category = (req.form.get("category") or "").strip() or None
        values: dict[str, Any] = {
            "question": req.form.get("question", ""),
            "category": category or "",
            "travel_date": (req.form.get("travel_date") or "").strip(),
        }
        chosen = CRITERIA.get(category) if category else None  # type: ignore[call-overload]
        attested = set()
        if chosen is not None:
            for c in chosen.criteria:
                name = f"criterion_{chosen.category.value}_{c.criterion_id}"
                if req.form.get(name) == "yes":
                    attested.add(c.criterion_id)
                    values[name] = "yes"
        errors: dict[str, str] = {}
        travel = None
        if values["travel_date"]:
            try:
                travel = dt.date.fromisoformat(values["travel_date"])
            except ValueError:
                errors["travel_date"] = ENQUIRY_ERRORS["travel_date"]
        if category is not None and chosen is None:
            errors["category"] = ENQUIRY_ERRORS["category"]
        if errors:
            return values, errors, None
        request = EnquiryRequest(
            question=values["question"],
            category=category,
            attested=attested,
            travel_date=travel,
        )
        return values, errors, request

    def refused(error: ValidationError | DocumentRejected) -> dict[str, str]:
        field = str(error.params.get("field", ""))
        return {field if field in ENQUIRY_ERRORS else "rule": ENQUIRY_ERRORS.get(
            field, ENQUIRY_ERRORS["rule"]
        )}  # fmt: skip

    @web.form("/account/items/{item_id}/enquire", name="enquire_file")
    def enquire_file(req: PageRequest, item_id: str) -> Page:
        values, errors, request = read_request(req)
        if request is not None:
            try:
                filed = filing.file(
                    req.actor(), req.client_id, item_id, request,
                    correlation_id=req.correlation_id,
                )  # fmt: skip
            except (ValidationError, DocumentRejected) as error:
                errors = refused(error)
            else:
                return Page("demo/enquiry_filed.html", {"enquiry": filed, "item_id": item_id})
        return form_page(req, item_id, errors=errors, values=values, status=400)

    def list_page(
        req: PageRequest,
        *,
        errors: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        status: int = 200,
    ) -> Page:
        actor = req.actor()
        try:
            mine = filing.for_client(actor, req.client_id, correlation_id=req.correlation_id)
        except AuthorizationError:
            mine = ()
        office: tuple[Any, ...] = ()
        staff = not req.acting and bool(req.principal().memberships)
        if not req.acting and req.principal().representative is not None:
            office = filing.office_list(
                req.actor(as_representative=True), correlation_id=req.correlation_id
            )
        return Page(
            "demo/enquiries.html",
            {"mine": mine, "office": office, "staff": staff, "categories": categories,
             "errors": errors or {}, "values": values or {}},
            status=status,
        )  # fmt: skip

    @web.form("/account/enquiries/several", name="enquire_several")
    def enquire_several(req: PageRequest) -> Page:
        """An office's caseworker files one request about several clients' applications."""
        values, errors, request = read_request(req)
        values["targets"] = req.form.get("targets", "")
        targets: list[tuple[str, str]] = []
        for line in values["targets"].splitlines():
            parts = [p.strip() for p in line.replace(";", ",").split(",")]
            if parts == [""]:
                continue
            if len(parts) != 2 or not all(parts):
                errors["targets"] = ENQUIRY_ERRORS["targets"]
                break
            targets.append((parts[0], parts[1]))
        if not targets:
            errors["targets"] = ENQUIRY_ERRORS["targets"]
        if request is not None and not errors:
            try:
                results = filing.file_many(
                    req.actor(as_representative=True), targets, request,
                    correlation_id=req.correlation_id,
                )  # fmt: skip
            except (ValidationError, DocumentRejected) as error:
                errors = refused(error)  # more than 50 lines: "targets"
            else:
                return Page("demo/enquiries_filed.html", {"results": results})
        return list_page(req, errors=errors, values=values, status=400)

    @web.page("/account/enquiries", name="enquiries")
    def enquiries_page(req: PageRequest) -> Page:
        return list_page(req)
