"""
The demo portal's application pages, over the application engine's desk
(:class:`~ircc_account.builtin.applications.ApplicationDesk`): a service's
drafts and "start", a draft's steps rendered from the form model with
answers saved per step, the checklist, fees and eligibility hints, the
review, the client's signature, the demo's payment and submission, and the
receipt.

Each checklist entry takes a file (an upload form, ``multipart/form-data``,
bounded by ``WebConfig.max_upload``) or, for trying the demo without one,
a made-up sample file (a PDF, or a photo that meets the entry's
requirements); both go through the desk's upload, judged and sealed.
"""

from __future__ import annotations

import functools
import io
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from ircc_account.builtin.applications import (
    AnswerType,
    ApplicationDesk,
    ApplicationService,
    DraftView,
    Payment,
    Question,
)
from ircc_account.errors import (
    AnswersInvalid,
    ApplicationError,
    ApplicationLocked,
    DocumentRejected,
    DocumentStoreUnavailable,
    DraftExpired,
    NotFound,
    OutOfRange,
    RequiredField,
    ReviewOutdated,
    SignatureRequired,
)
from ircc_account.web import N_, Page, PageRequest, Redirect, WebApp

__all__ = ["add_application_pages", "builtin_applications"]

#: How many entries of a repeating group the demo's form shows.
GROUP_ENTRIES = 1
#: Notices shown after a change, by the ``done`` query value.
NOTICES = {
    "saved": N_("Your answers are saved."),
    "attached": N_("The sample file is attached."),
    "uploaded": N_("Your file is uploaded."),
    "signed": N_("You signed the application. It can now be paid for and submitted."),
}
_MAX_ANSWER = 4000
#: The status of a refusal page, by the desk's error (most specific first; else 400).
_REFUSAL_STATUS: tuple[tuple[type[ApplicationError], int], ...] = (
    (SignatureRequired, 403),
    (ApplicationLocked, 409),
    (ReviewOutdated, 409),
    (DraftExpired, 410),
    (DocumentStoreUnavailable, 503),
)


def builtin_applications(service_ids: tuple[str, ...]) -> dict[str, ApplicationService]:
    """The built-in application services among *service_ids* (their registered instances)."""
    found: dict[str, ApplicationService] = {}
    if "trv" in service_ids:
        from ircc_account.builtin.trv import plugin as trv

        found["trv"] = trv
    if "passport-renewal" in service_ids:
        from ircc_account.builtin.passport import plugin as passport

        found["passport-renewal"] = passport
    return found


def field_id(question: str, entry: int | None = None, field: str | None = None) -> str:
    """The input's id (and name) for a question, or a group entry's sub-question."""
    if entry is None or field is None:
        return question
    return f"{question}__{entry}__{field}"


def _read_answers(form: Mapping[str, str], questions: tuple[Question, ...]) -> dict[str, object]:
    """A step's answers as the desk takes them (strings; entries for a group), empties left out."""
    answers: dict[str, object] = {}
    for q in questions:
        if q.type is AnswerType.GROUP:
            entries = []
            for n in range(GROUP_ENTRIES):
                entry = {
                    f.id: form.get(field_id(q.id, n, f.id), "").strip()
                    for f in q.fields
                    if form.get(field_id(q.id, n, f.id), "").strip()
                }
                if entry:
                    entries.append(entry)
            if entries:
                answers[q.id] = entries
            continue
        value = form.get(q.id, "").strip()
        if len(value) > _MAX_ANSWER:
            raise OutOfRange(field=q.id)
        if value:
            answers[q.id] = value
    return answers


def sample_file(service: ApplicationService, requirement: str) -> tuple[bytes, str]:
    """A made-up file for a checklist entry: a photo meeting its requirements, or a one-page PDF."""
    from PIL import Image

    entry = next((d for d in service.form.documents if d.id == requirement), None)
    if entry is None:
        raise NotFound()
    out = io.BytesIO()
    if entry.photo is not None or "application/pdf" not in entry.types:
        Image.new("RGB", (420, 540), (200, 180, 160)).save(out, format="JPEG", quality=90)
        return out.getvalue(), "sample-photo.jpg"
    Image.new("RGB", (200, 260), (255, 255, 255)).save(out, format="PDF")
    return out.getvalue(), "sample.pdf"


def _clean(value: str | None, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise RequiredField(field=field)
    if len(value) > 100 or not value.isprintable():
        raise OutOfRange(field=field)
    return value


def _version(req: PageRequest) -> int:
    raw = _clean(req.form.get("version"), "version")
    if not raw.isdigit() or len(raw) > 12:
        raise OutOfRange(field="version")
    return int(raw)


def refusal(req: PageRequest, error: ApplicationError, back: str) -> Page:
    """The page for a desk's refusal: its own message in the person's language, and the way back."""
    status = next((code for kind, code in _REFUSAL_STATUS if isinstance(error, kind)), 400)
    return Page(
        "demo/application_refused.html",
        {"message": error.message(req.language), "back": back},
        status=status,
    )


def add_application_pages(web: WebApp, services: Mapping[str, ApplicationService]) -> None:
    """
    Add the application pages for *services* (each registered on the door
    under its id) to *web*.

    Args:
        web: The web front door.
        services: The application services by service id.
    """
    door = web.door
    desks = {sid: ApplicationDesk(door, s) for sid, s in services.items()}

    def desk_for(service_id: str) -> ApplicationDesk:
        desk = desks.get(service_id)
        if desk is None:
            raise NotFound()
        return desk

    def draft_url(service_id: str, draft_id: str, **query: str) -> str:
        url = web.url_path("application_draft", service_id=service_id, draft_id=draft_id)
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        return url

    def guarded(handler: Callable[..., Page | Redirect]) -> Callable[..., Page | Redirect]:
        """A desk's refusal (locked, not signed, outdated...) as a page with its own message."""

        @functools.wraps(handler)
        def run(req: PageRequest, **params: str) -> Page | Redirect:
            try:
                return handler(req, **params)
            except ApplicationError as error:
                sid = params["service_id"]
                back = (
                    draft_url(sid, params["draft_id"])
                    if "draft_id" in params and not isinstance(error, DraftExpired)
                    else web.url_path("applications", service_id=sid)
                )
                return refusal(req, error, back)

        return run

    @web.page("/account/applications/{service_id}", name="applications")
    @guarded
    def applications(req: PageRequest, service_id: str) -> Page:
        desk = desk_for(service_id)
        views = desk.drafts(req.actor(), req.client_id)
        return Page(
            "demo/applications.html",
            {
                "service_id": service_id,
                "service": desk.service,
                "description": door.services.manifest(service_id).description,
                "views": views,
            },
        )

    @web.form("/account/applications/{service_id}/start", name="application_start")
    @guarded
    def start(req: PageRequest, service_id: str) -> Redirect:
        view = desk_for(service_id).start(req.actor(), req.client_id)
        return Redirect(draft_url(service_id, view.draft.draft_id))

    def draft_page(
        req: PageRequest,
        service_id: str,
        view: DraftView,
        step_id: str,
        *,
        errors: Mapping[str, Any] | None = None,
        values: Mapping[str, str] | None = None,
        status: int = 200,
    ) -> Page:
        service = desk_for(service_id).service
        steps = service.form.steps
        step = next((s for s in steps if s.id == step_id), steps[0])
        shown = {q.id for q in view.evaluation.questions}
        questions = [q for q in step.questions if q.id in shown]
        raw: dict[str, str] = {}
        for q in questions:
            value = view.raw(q.id, service)
            if q.type is AnswerType.GROUP and isinstance(value, list):
                for n, entry in enumerate(value[:GROUP_ENTRIES]):
                    for f in q.fields:
                        raw[field_id(q.id, n, f.id)] = str(entry.get(f.id, ""))
            else:
                raw[q.id] = str(value)
        raw.update(values or {})
        index = steps.index(step)
        return Page(
            "demo/application.html",
            {
                "service_id": service_id,
                "service": service,
                "view": view,
                "draft": view.draft,
                "evaluation": view.evaluation,
                "steps": steps,
                "step": step,
                "next_step": steps[index + 1].id if index + 1 < len(steps) else None,
                "questions": questions,
                "raw": raw,
                "errors": errors or {},
                "notice": NOTICES.get(req.query.get("done", "")),
                "group_entries": GROUP_ENTRIES,
            },
            status=status,
        )

    @web.page("/account/applications/{service_id}/{draft_id}", name="application_draft")
    @guarded
    def draft(req: PageRequest, service_id: str, draft_id: str) -> Page:
        view = desk_for(service_id).open(req.actor(), req.client_id, draft_id)
        if view.draft.receipt is not None:
            return Page(
                "demo/application_receipt.html",
                {"service": desks[service_id].service, "receipt": view.draft.receipt},
            )
        return draft_page(req, service_id, view, req.query.get("step", ""))

    @web.form("/account/applications/{service_id}/{draft_id}/save", name="application_save")
    @guarded
    def save(req: PageRequest, service_id: str, draft_id: str) -> Page | Redirect:
        desk = desk_for(service_id)
        actor = req.actor()
        step_id = _clean(req.form.get("step"), "step")
        step = next((s for s in desk.service.form.steps if s.id == step_id), None)
        if step is None:
            raise NotFound()
        view = desk.open(actor, req.client_id, draft_id)
        answers = _read_answers(req.form, step.questions)
        for q in step.questions:
            # Entries past those the page shows are kept as they were.
            kept = view.raw(q.id, desk.service) if q.type is AnswerType.GROUP else None
            if isinstance(kept, list) and len(kept) > GROUP_ENTRIES:
                shown_entries = answers.get(q.id, [])
                assert isinstance(shown_entries, list)
                answers[q.id] = [*(shown_entries or kept)[:GROUP_ENTRIES], *kept[GROUP_ENTRIES:]]
        try:
            view = desk.save(actor, req.client_id, draft_id, answers, version=_version(req))
        except AnswersInvalid as refused:
            errors = {field_id(p.question, p.entry, p.field): p.message for p in refused.problems}
            values = {k: v for k, v in req.form.items() if k not in ("csrf_token", "version")}
            return draft_page(
                req, service_id, view, step_id, errors=errors, values=values, status=400
            )
        steps = desk.service.form.steps
        index = steps.index(step)
        # A question the answers just brought up is asked on this step first.
        asked = {q.id for q in step.questions}
        unanswered = any(p.question in asked for p in view.evaluation.missing)
        if req.form.get("then") == "next" and index + 1 < len(steps) and not unanswered:
            return Redirect(draft_url(service_id, draft_id, step=steps[index + 1].id, done="saved"))
        return Redirect(draft_url(service_id, draft_id, step=step_id, done="saved"))

    @web.form("/account/applications/{service_id}/{draft_id}/sample", name="application_sample")
    @guarded
    def sample(req: PageRequest, service_id: str, draft_id: str) -> Redirect:
        desk = desk_for(service_id)
        requirement = _clean(req.form.get("requirement"), "requirement")
        data, filename = sample_file(desk.service, requirement)
        desk.upload(
            req.actor(),
            req.client_id,
            draft_id,
            requirement,
            data,
            filename=filename,
            version=_version(req),
        )
        step = req.form.get("step", "")
        query = {"step": step} if step and step.isidentifier() else {}
        return Redirect(draft_url(service_id, draft_id, **query, done="attached"))

    @web.form(
        "/account/applications/{service_id}/{draft_id}/upload",
        name="application_upload",
        uploads=True,
    )
    @guarded
    def upload(req: PageRequest, service_id: str, draft_id: str) -> Page | Redirect:
        desk = desk_for(service_id)
        requirement = _clean(req.form.get("requirement"), "requirement")
        sent = req.files.get("file")
        if sent is None or not sent.data:
            raise RequiredField(field="file")
        step = req.form.get("step", "")
        try:
            desk.upload(
                req.actor(),
                req.client_id,
                draft_id,
                requirement,
                sent.data,
                filename=sent.filename or "document",
                version=_version(req),
            )
        except DocumentRejected as refused:
            # Beside the file field, with the error summary; nothing was kept.
            view = desk.open(req.actor(), req.client_id, draft_id)
            errors = {f"file-{requirement}": refused.message(req.language)}
            return draft_page(req, service_id, view, step, errors=errors, status=400)
        query = {"step": step} if step and step.isidentifier() else {}
        return Redirect(draft_url(service_id, draft_id, **query, done="uploaded"))

    @web.page("/account/applications/{service_id}/{draft_id}/review", name="application_review")
    @guarded
    def review(req: PageRequest, service_id: str, draft_id: str) -> Page:
        desk = desk_for(service_id)
        actor = req.actor()
        view = desk.open(actor, req.client_id, draft_id)
        if view.draft.receipt is not None:
            return Page(
                "demo/application_receipt.html",
                {"service": desk.service, "receipt": view.draft.receipt},
            )
        result = desk.review(actor, req.client_id, draft_id) if view.evaluation.complete else None
        answered = [
            (q, view.raw(q.id, desk.service))
            for q in view.evaluation.questions
            if q.id in view.draft.answers
        ]
        return Page(
            "demo/application_review.html",
            {
                "service_id": service_id,
                "service": desk.service,
                "view": view,
                "draft": view.draft,
                "evaluation": view.evaluation,
                "review": result,
                "answered": answered,
                "is_client": not req.acting and actor.account_id == req.client_id,
                "notice": NOTICES.get(req.query.get("done", "")),
            },
        )

    @web.form("/account/applications/{service_id}/{draft_id}/sign", name="application_sign")
    @guarded
    def sign(req: PageRequest, service_id: str, draft_id: str) -> Redirect:
        digest = _clean(req.form.get("digest"), "digest")
        desk_for(service_id).sign(req.actor(), req.client_id, draft_id, digest=digest)
        return Redirect(
            web.url_path("application_review", service_id=service_id, draft_id=draft_id)
            + "?done=signed"
        )

    @web.form("/account/applications/{service_id}/{draft_id}/submit", name="application_submit")
    @guarded
    def submit(req: PageRequest, service_id: str, draft_id: str) -> Redirect:
        desk = desk_for(service_id)
        actor = req.actor()
        # The demo's payment processor: it confirms exactly the fees shown
        # on the review page the client paid from.
        view = desk.open(actor, req.client_id, draft_id)
        amount = _clean(req.form.get("amount"), "amount")
        if not amount.isdigit() or int(amount) != view.evaluation.fees.total:
            raise OutOfRange(field="amount")
        payment = Payment(reference="demo-" + secrets.token_hex(8), amount=int(amount))
        desk.submit(actor, req.client_id, draft_id, payment=payment)
        return Redirect(draft_url(service_id, draft_id))
