"""
Bad input through every entry of the desk (answers, uploads, queries,
signing, payment): each is a typed error with an English and a French
message that never echoes what was sent, and the draft and the document
store are exactly as they were; nothing is half-written.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import pytest

from ircc_account import Actor
from ircc_account.builtin.applications import ApplicationDesk, Payment
from ircc_account.errors import (
    AnswersInvalid,
    Conflict,
    DocumentNotExpected,
    DocumentTooLarge,
    DocumentTypeRefused,
    InvalidFormat,
    IrccAccountError,
    NotFound,
    ReviewOutdated,
    SignatureRequired,
    UnknownQuestion,
)

from ..conftest import TRV_DOCUMENTS, Portal, trv_answers

#: Sent inside bad input; must never show in a message.
MARK = "Zqx7Secret"

Call = Callable[[ApplicationDesk, Actor, str, int], object]

CASES: dict[str, tuple[Call, type[IrccAccountError]]] = {
    "answers not a mapping": (
        lambda d, a, i, v: d.save(a, a.actor_id, i, [MARK], version=v),  # type: ignore[arg-type]
        UnknownQuestion,
    ),
    "a number, not text": (
        lambda d, a, i, v: d.save(a, a.actor_id, i, {"funds": 5}, version=v),
        AnswersInvalid,
    ),
    "bytes, not text": (
        lambda d, a, i, v: d.save(a, a.actor_id, i, {"family_name": MARK.encode()}, version=v),
        AnswersInvalid,
    ),
    "too long": (
        lambda d, a, i, v: d.save(a, a.actor_id, i, {"family_name": MARK * 500}, version=v),
        AnswersInvalid,
    ),
    "a control character": (
        lambda d, a, i, v: d.save(a, a.actor_id, i, {"family_name": MARK + "\x00"}, version=v),
        AnswersInvalid,
    ),
    "a malformed date": (
        lambda d, a, i, v: d.save(a, a.actor_id, i, {"arrival_date": "2026-02-30"}, version=v),
        AnswersInvalid,
    ),
    "an unknown choice": (
        lambda d, a, i, v: d.save(a, a.actor_id, i, {"purpose": MARK}, version=v),
        AnswersInvalid,
    ),
    "a good answer beside a bad one": (
        lambda d, a, i, v: d.save(
            a, a.actor_id, i, {"family_name": "Gagnon", "funds": MARK}, version=v
        ),
        AnswersInvalid,
    ),
    "an unknown question": (
        lambda d, a, i, v: d.save(a, a.actor_id, i, {MARK: "x"}, version=v),
        UnknownQuestion,
    ),
    "a question id that is not text": (
        lambda d, a, i, v: d.save(a, a.actor_id, i, {7: MARK}, version=v),  # type: ignore[dict-item]
        UnknownQuestion,
    ),
    "a version that is not a number": (
        lambda d, a, i, v: d.save(a, a.actor_id, i, {"funds": "1"}, version=str(v)),  # type: ignore[arg-type]
        InvalidFormat,
    ),
    "a stale version": (
        lambda d, a, i, v: d.save(a, a.actor_id, i, {"funds": "1"}, version=v - 1),
        Conflict,
    ),
    "a document the checklist does not have": (
        lambda d, a, i, v: d.upload(a, a.actor_id, i, MARK, b"%PDF-1.7\n", filename="a", version=v),
        DocumentNotExpected,
    ),
    "an empty file": (
        lambda d, a, i, v: d.upload(
            a, a.actor_id, i, "travel_history", b"", filename="a", version=v
        ),
        DocumentTooLarge,
    ),
    "text instead of bytes": (
        lambda d, a, i, v: d.upload(
            a,
            a.actor_id,
            i,
            "travel_history",
            MARK,  # type: ignore[arg-type]
            filename="a",
            version=v,
        ),
        DocumentTooLarge,
    ),
    "a script named .pdf": (
        lambda d, a, i, v: d.upload(
            a,
            a.actor_id,
            i,
            "travel_history",
            b"#!/bin/sh\necho " + MARK.encode(),
            filename=MARK + ".pdf",
            version=v,
        ),
        DocumentTypeRefused,
    ),
    "an upload on a stale version": (
        lambda d, a, i, v: d.upload(
            a,
            a.actor_id,
            i,
            "travel_history",
            TRV_DOCUMENTS["funds"](),
            filename="a",
            version=v - 1,
        ),
        Conflict,
    ),
    "an unknown document": (
        lambda d, a, i, v: d.document(a, a.actor_id, i, "doc-" + MARK),
        NotFound,
    ),
    "removing an unknown document": (
        lambda d, a, i, v: d.remove_document(a, a.actor_id, i, "doc-" + MARK, version=v),
        NotFound,
    ),
    "an unknown draft": (
        lambda d, a, i, v: d.save(a, a.actor_id, "d-" + MARK, {"funds": "1"}, version=v),
        NotFound,
    ),
    "a digest that was not reviewed": (
        lambda d, a, i, v: d.sign(a, a.actor_id, i, digest=MARK),
        ReviewOutdated,
    ),
    "a digest that is not text": (
        lambda d, a, i, v: d.sign(a, a.actor_id, i, digest=None),  # type: ignore[arg-type]
        ReviewOutdated,
    ),
    "submitting unsigned": (
        lambda d, a, i, v: d.submit(a, a.actor_id, i, payment=Payment(reference=MARK, amount=1)),
        SignatureRequired,
    ),
}


def _files(root: pathlib.Path) -> dict[pathlib.Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def ready(portal: Portal) -> tuple[Portal, Actor, str]:
    """A complete, unsigned visitor visa draft (every required document in)."""
    me = portal.client()
    desk = portal.trv_desk
    view = desk.start(me, me.actor_id)
    draft_id = view.draft.draft_id
    view = desk.save(me, me.actor_id, draft_id, trv_answers(), version=view.draft.version)
    for requirement, make in TRV_DOCUMENTS.items():
        view = desk.upload(
            me, me.actor_id, draft_id, requirement, make(), filename="f", version=view.draft.version
        )
    assert view.evaluation.complete
    return portal, me, draft_id


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_a_typed_bilingual_error_and_changes_nothing(
    ready: tuple[Portal, Actor, str], case: str
) -> None:
    """The error is the expected type, speaks both languages without echoing input; nothing moved."""
    portal, me, draft_id = ready
    desk = portal.trv_desk
    call, expected = CASES[case]
    before = desk.open(me, me.actor_id, draft_id).draft
    files = _files(portal.documents)

    with pytest.raises(expected) as caught:
        call(desk, me, draft_id, before.version)

    error: Any = caught.value
    en, fr = error.message("en"), error.message("fr")
    assert en and fr and en != fr
    texts = [en, fr, str(error)]
    for problem in getattr(error, "problems", ()):
        texts += [problem.message.en, problem.message.fr, problem.question, problem.code]
    assert not any(MARK in text or MARK.lower() in text.lower() for text in texts), texts
    assert desk.open(me, me.actor_id, draft_id).draft == before
    assert _files(portal.documents) == files
