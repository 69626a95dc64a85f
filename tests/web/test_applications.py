"""
The demo portal's application pages, on SQLite and PostgreSQL: a draft's
steps rendered from the form model, answers saved per step with typed
errors beside their fields, sample documents, the review, the client's
signature (only hers), the demo's payment, submission and the receipt.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator

import pytest

from ircc_account.builtin.passport import plugin as passport
from ircc_account.builtin.status import plugin as status_tracker
from ircc_account.builtin.trv import plugin as trv

from .conftest import (
    Browser,
    Idp,
    Site,
    seeded_site,
    signed_in,
    text,
)


def _day(days: int) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()


@pytest.fixture
def site(database_url: str, idp: Idp, tmp_path: object) -> Iterator[Site]:
    """The demo portal with the built-in visitor visa and passport renewal services, and the status tracker that follows what they submit."""
    folder = f"{tmp_path}/documents"
    settings = {
        "trv": {"documents_folder": folder},
        "passport-renewal": {"documents_folder": folder},
    }
    plugins = {"trv": trv, "passport-renewal": passport, "status-tracker": status_tracker}
    with seeded_site(database_url, idp, plugins=plugins, plugin_settings=settings) as made:
        yield made


TRV_STEPS = {
    "personal": {
        "family_name": "Tremblay",
        "given_names": "Marie",
        "other_names_used": "no",
        "sex": "female",
        "date_of_birth": "1988-02-11",
        "birth_city": "Dakar",
        "birth_country": "SN",
        "citizenship": "SN",
        "residence_country": "SN",
        "residence_status": "citizen",
        "marital_status": "single",
        "native_language": "Wolof",
        "official_languages": "french",
        "previous_biometrics": "no",
    },
    "passport": {
        "passport_number": "A1234567",
        "passport_country": "SN",
        "passport_issued": _day(-700),
        "passport_expires": _day(2000),
        "has_national_id": "no",
    },
    "contact": {
        "mailing_address": "12 rue Carnot\nDakar",
        "residential_same": "yes",
        "phone": "+221 33 555 0101",
        "email": "marie@example.sn",
    },
    "visit": {
        "purpose": "tourism",
        "purpose_details": "To see Montréal and Québec City.",
        "arrival_date": _day(60),
        "departure_date": _day(80),
        "invited": "no",
        "funds": "4500",
        "payer": "myself",
    },
    "history": {"post_secondary": "no", "occupation": "employed"},
    "background": {
        "tb_contact": "no",
        "medical_condition": "no",
        "overstayed": "no",
        "refused": "no",
        "previously_applied": "no",
        "criminal": "no",
        "military": "no",
        "violence_group": "no",
        "ill_treatment": "no",
    },
}


def _draft_path(b: Browser, service: str) -> str:
    """Start an application from the service's page; the path of its draft."""
    page = b.get(f"/account/applications/{service}")
    assert page.status_code == 200 and 'id="start-application"' in page.text
    started = b.post(f"/account/applications/{service}/start")
    assert started.status_code == 303, started.text
    return started.headers["location"]


def _version(b: Browser) -> str:
    assert b.last is not None
    found = re.search(r'name="version" value="(\d+)"', b.last.text)
    assert found is not None
    return found.group(1)


def _fill(b: Browser, path: str, steps: dict[str, dict[str, str]]) -> None:
    """Answer each step on its page and save it."""
    for step, answers in steps.items():
        b.get(f"{path}?step={step}")
        saved = b.post(f"{path}/save", {"step": step, "version": _version(b), **answers})
        assert saved.status_code == 303, (step, text(saved)[:600])


def _attach_all(b: Browser, path: str) -> None:
    """Attach a sample file to every document the checklist still needs."""
    while True:
        page = b.get(path)
        needed = re.findall(
            r'<td>Needed</td>\s*<td>\s*<form[^>]*>.*?name="requirement" value="([^"]+)"',
            page.text,
            re.S,
        )
        if not needed:
            return
        done = b.post(f"{path}/sample", {"requirement": needed[0], "version": _version(b)})
        assert done.status_code == 303, text(done)[:600]


def test_a_draft_page_renders_the_form_model_with_checklist_fees_and_hints(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """A new visitor visa draft shows its first step's questions by type (text, date, choice, yes/no), the steps, the checklist, the fees and, once answered so, an eligibility hint."""
    b = signed_in(site, browser, "marie")
    assert 'id="applications-trv"' in b.get("/account").text
    path = _draft_path(b, "trv")
    page = b.get(path)
    assert page.status_code == 200
    assert 'id="family_name"' in page.text and 'type="date"' in page.text
    assert 'id="sex-female"' in page.text and 'id="previous_biometrics-yes"' in page.text
    assert 'id="step-link-background"' in page.text and 'id="fees-total"' in page.text
    assert 'id="attach-passport"' in page.text and "CAD 100.00" in text(page)
    b.post(f"{path}/save", {"step": "personal", "version": _version(b), "citizenship": "US"})
    page = b.get(f"{path}?step=personal")
    assert 'id="hint-citizen_of_usa"' in page.text


def test_bad_answers_are_shown_beside_their_fields_and_nothing_is_saved(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """A malformed date and an expired passport come back as a 400 page with the error summary, each message beside its field (aria-invalid, field-error id); the good answer beside them is not saved."""
    b = signed_in(site, browser, "marie")
    path = _draft_path(b, "trv")
    b.get(f"{path}?step=passport")
    bad = b.post(
        f"{path}/save",
        {
            "step": "passport",
            "version": _version(b),
            "passport_number": "A1234567",
            "passport_issued": "not a date",
            "passport_expires": _day(-10),
        },
    )
    assert bad.status_code == 400 and 'id="error-summary"' in bad.text
    for field in ("passport_issued", "passport_expires"):
        assert f'id="{field}-error"' in bad.text and f'href="#{field}"' in bad.text
        assert re.search(rf'id="{field}" name="{field}" aria-invalid="true"', bad.text)
    assert 'value="not a date"' in bad.text  # what was typed is kept on the page
    again = b.get(f"{path}?step=passport")
    assert 'value="A1234567"' not in again.text
    stale = b.post(f"{path}/save", {"step": "passport", "version": "0", "passport_number": "B1"})
    assert stale.status_code == 409
    assert b.post(f"{path}/save", {"step": "nowhere", "version": "1"}).status_code == 404
    assert b.get("/account/applications/trv/no-such-draft").status_code == 404
    assert b.get("/account/applications/nothing").status_code == 404


def test_an_adult_renews_a_passport_end_to_end(site: Site, browser: Callable[..., Browser]) -> None:
    """Ahmed answers each step, attaches a sample photo, reviews, signs, pays the fees shown and gets a receipt with a P number; the draft then shows the receipt."""
    b = signed_in(site, browser, "ahmed")
    path = _draft_path(b, "passport-renewal")
    _fill(
        b,
        path,
        {
            "eligibility": {
                "date_of_birth": "1979-06-03",
                "previous_issued": _day(-3 * 365),
                "previous_validity": "ten_years",
                "lost_stolen_damaged": "no",
                "in_possession": "yes",
                "name_changed": "no",
            },
            "applicant": {
                "family_name": "Haddad",
                "sex": "male",
                "birth_city": "Montréal",
                "birth_country": "CA",
                "height_cm": "180",
                "eye_colour": "brown",
                "previous_number": "AB123456",
                "previous_expires": _day(7 * 365),
                "address": "1 rue Principale\nGatineau QC",
                "phone": "819-555-0100",
                "email": "ahmed@example.ca",
            },
            "new_passport": {"new_validity": "ten_years"},
        },
    )
    _attach_all(b, path)
    review = b.get(f"{path}/review")
    assert review.status_code == 200 and 'id="sign"' in review.text, text(review)[:800]
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', review.text)
    assert digest is not None
    signed = b.post(f"{path}/sign", {"digest": digest.group(1)})
    assert signed.status_code == 303, text(signed)[:600]
    pay = b.follow(signed)
    assert 'id="pay-submit"' in pay.text and "CAD 160.00" in text(pay)
    wrong = b.post(f"{path}/submit", {"amount": "100"})
    assert wrong.status_code == 400
    b.get(f"{path}/review")
    done = b.post(f"{path}/submit", {"amount": "16000"})
    assert done.status_code == 303
    receipt = b.follow(done)
    assert re.search(r"Your application number is P\d+", text(receipt)), text(receipt)[:600]
    again = b.post(f"{path}/submit", {"amount": "16000"})
    assert again.status_code == 409 and "can no longer be changed" in text(again)
    locked = b.post(f"{path}/save", {"step": "applicant", "version": "9", "phone": "1"})
    assert locked.status_code == 409


def test_the_consultant_prepares_a_visitor_visa_and_the_client_signs_and_submits(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """Jean, acting for Marie, fills every step and attaches the documents; he is told only the client can sign and has no sign button; Marie reviews, signs, pays and submits, and the receipt names Jean."""
    jean = signed_in(site, browser, "jean")
    jean.get("/account/clients")
    jean.post("/account/clients/act", {"client_id": site.seeded.accounts["marie"]})
    path = _draft_path(jean, "trv")
    _fill(jean, path, TRV_STEPS)
    _attach_all(jean, path)
    review = jean.get(f"{path}/review")
    assert 'id="client-must-sign"' in review.text, text(review)[:1200]
    assert 'id="sign"' not in review.text
    assert re.search(r'name="digest"', review.text) is None
    forged = jean.post(f"{path}/sign", {"digest": "0" * 64})
    assert forged.status_code == 403 and 'id="refused-message"' in forged.text
    unsigned = jean.post(f"{path}/submit", {"amount": "18500"})
    assert unsigned.status_code == 403
    marie = signed_in(site, browser, "marie")
    review = marie.get(f"{path}/review")
    assert "Jean Roy, RCIC" in text(review) and 'id="sign"' in review.text
    found = re.search(r'name="digest" value="([0-9a-f]+)"', review.text)
    assert found is not None
    signed = marie.post(f"{path}/sign", {"digest": found.group(1)})
    assert signed.status_code == 303, text(signed)[:600]
    pay = marie.follow(signed)
    total = re.search(r'name="amount" value="(\d+)"', pay.text)
    assert total is not None and total.group(1) == "18500"
    receipt = marie.follow(marie.post(f"{path}/submit", {"amount": total.group(1)}))
    words = text(receipt)
    number = re.search(r"Your application number is (V\d{9})", words)
    assert number is not None and "Jean Roy, RCIC" in words
    # The submitted application is followed by the status tracker: its page
    # on the dashboard shows where it stands, received online.
    board = marie.get("/account")
    pages = [
        marie.get(f"/account/items/{i}")
        for i in re.findall(r'href="/account/items/([^"/]+)"', board.text)
    ]
    mine = [p for p in pages if number.group(1) in text(p)]
    assert len(mine) == 1, [text(p)[:200] for p in pages]
    assert 'id="current-phase"' in mine[0].text and "Received" in text(mine[0])


def test_a_question_an_answer_brings_up_is_asked_on_the_same_step_in_french(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """Answering "yes" to other names used and choosing "Save and continue" stays on the step, which now asks for the other names; the page is in French for a French speaker, labels and buttons included."""
    b = signed_in(site, browser, "marie")
    path = _draft_path(b, "trv")
    b.get(path)
    saved = b.post(
        f"{path}/save",
        {"step": "personal", "version": _version(b), "other_names_used": "yes", "then": "next"},
    )
    assert saved.status_code == 303 and "step=personal" in saved.headers["location"]
    page = b.follow(saved)
    assert 'id="other_names"' in page.text
    assert b.post("/language", {"lang": "fr", "next": path}).status_code == 303
    french = text(b.get(f"{path}?step=personal"))
    assert "Enregistrer et continuer" in french and "Nom de famille" in french, french[:400]


def _photo(width: int = 420, height: int = 540) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (190, 160, 140)).save(out, format="JPEG")
    return out.getvalue()


def test_a_file_is_uploaded_for_a_checklist_entry_and_bad_ones_are_refused(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """A photo sent as multipart/form-data is received on the checklist; a file that is no image is refused with its own message beside the file field (error summary, aria-invalid) and nothing kept; two files are a 400, a body over the upload limit a 413, and a form not made for uploads answers multipart with 415."""
    b = signed_in(site, browser, "ahmed")
    path = _draft_path(b, "passport-renewal")
    b.get(path)
    assert 'id="file-photo"' in b.last.text and 'enctype="multipart/form-data"' in b.last.text
    fields = {"requirement": "photo", "version": _version(b), "step": "eligibility"}
    refused = b.post(
        f"{path}/upload", fields, files={"file": ("me.jpg", b"not an image", "image/jpeg")}
    )
    assert refused.status_code == 400 and 'id="error-summary"' in refused.text
    assert 'href="#file-photo"' in refused.text and 'id="file-photo-error"' in refused.text
    assert re.search(r'id="file-photo" name="file"[^>]*aria-invalid="true"', refused.text)
    page = b.get(path)
    assert 'id="upload-photo"' in page.text  # still missing
    token, version = b.token(), _version(b)
    two = b.post(
        f"{path}/upload",
        {**fields, "version": version},
        token=token,
        files=[
            ("file", ("a.jpg", _photo(), "image/jpeg")),
            ("other", ("b.jpg", b"x", "image/jpeg")),
        ],
    )
    assert two.status_code == 400
    huge = b.post(
        f"{path}/upload",
        {**fields, "version": version},
        token=token,
        files={"file": ("big.jpg", b"\0" * (10 * 1024 * 1024 + 70 * 1024), "image/jpeg")},
    )
    assert huge.status_code == 413
    elsewhere = b.post(
        f"{path}/sample",
        {**fields, "version": version},
        token=token,
        files={"file": ("me.jpg", _photo(), "image/jpeg")},
    )
    assert elsewhere.status_code == 415
    done = b.post(
        f"{path}/upload",
        {**fields, "version": version},
        token=token,
        files={"file": ("me.jpg", _photo(), "image/jpeg")},
    )
    assert done.status_code == 303, text(done)[:600]
    page = b.follow(done)
    assert "Your file is uploaded." in text(page)
    assert re.search(r'id="document-photo">\s*<td[^>]*>[^<]*</td>\s*<td>Received</td>', page.text)


def test_a_repeating_group_entry_is_saved_and_counted_in_the_fees(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """A family member entered in the family step's group is saved as an entry (shown again on the page) and the visitor visa's fees count two people."""
    b = signed_in(site, browser, "marie")
    path = _draft_path(b, "trv")
    b.get(f"{path}?step=family")
    assert 'id="family_applying__0__family_name"' in b.last.text
    saved = b.post(
        f"{path}/save",
        {
            "step": "family",
            "version": _version(b),
            "family_applying__0__family_name": "Tremblay",
            "family_applying__0__given_names": "Luc",
            "family_applying__0__relationship": "spouse",
            "family_applying__0__date_of_birth": "1986-05-01",
            "family_applying__0__biometrics_given": "yes",
        },
    )
    assert saved.status_code == 303, text(saved)[:600]
    page = b.follow(saved)
    assert (
        'value="Luc"' in page.text and 'id="family_applying__0__relationship-spouse"' in page.text
    )
    assert "CAD 200.00" in text(page), text(page)
