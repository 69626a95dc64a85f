"""
A client completes a visitor visa application in a real browser: starts it
from her dashboard, answers each step of the form, uploads her photo, attaches the other documents,
reviews, signs in her account, pays through the demo's payment step and
reads the receipt. Every page opened is checked by axe-core, an error page
included (``conftest.py``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from ircc_account.demo import DemoSite

from .conftest import Person


def _day(days: int) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()


#: The visitor visa's steps and Marie's answers, as she types and ticks them.
ANSWERS = {
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
        "arrival_date": _day(60),
        "departure_date": _day(80),
        "invited": "no",
        "funds": "4500",
        "payer": "myself",
    },
    "family": {},
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


def _photo() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (420, 540), (190, 160, 140)).save(out, format="JPEG")
    return out.getvalue()


def _answer(person: Person, answers: dict[str, str]) -> None:
    """Tick the radio button for a choice, or type into the field."""
    for question, value in answers.items():
        radio = f"#{question}-{value}"
        if re.fullmatch(r"[a-z_]+", value) and person.has(radio):
            person.page.check(radio)
        else:
            person.page.fill(f"#{question}", value)


def test_a_client_completes_a_visitor_visa(demo: DemoSite, people: Callable[..., Person]) -> None:
    """Marie starts a visitor visa from her dashboard, is shown an error beside a bad country, answers every step, uploads her photo and attaches the other documents, signs, pays the fees shown and gets a V number she can follow on her dashboard."""
    marie = people("marie")
    marie.sign_in("marie")
    marie.click("#applications-trv")
    marie.click("#start-application")
    assert marie.has("#step-form") and marie.has("#family_name")

    # A country that is no country: the summary and the message beside the field.
    marie.page.fill("#birth_country", "Nowhere")
    marie.click("#save", status=400)
    assert marie.has("#error-summary") and marie.has("#birth_country-error")
    assert marie.page.get_attribute("#birth_country", "aria-invalid") == "true"
    marie.shot("application-error")

    for step, answers in ANSWERS.items():
        if not marie.path.endswith(f"step={step}") and step != "personal":
            marie.click(f"#step-link-{step}")
        _answer(marie, answers)
        marie.click("#save-next" if marie.has("#save-next") else "#save")
        assert not marie.has("#error-summary"), marie.text("#error-summary")
    marie.shot("application-form")

    # Her photo, chosen as a file; the rest are the demo's sample files.
    marie.page.set_input_files(
        "#file-photo", files=[{"name": "me.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    marie.click("#upload-photo")
    assert "Your file is uploaded." in marie.text("#notice")
    assert not marie.has("#upload-photo")
    while marie.has("#checklist-table [id^=attach-]"):
        button = marie.page.locator("#checklist-table [id^=attach-]").first
        name = str(button.get_attribute("id"))
        marie.click(f"#{name}")
        assert marie.has("#notice")
    assert "CAD 185.00" in marie.text("#fees-total")

    marie.click("#review-link")
    assert not marie.has("#not-ready"), marie.text("#not-ready")
    marie.shot("application-review")
    marie.click("#sign")
    if marie.has("#step-up-form"):  # her login was no longer fresh: sign in again
        marie.click("#step-up-submit")
        marie.click("#sign")
    assert marie.has("#signed") and marie.has("#pay-submit")
    marie.click("#pay-submit")
    assert marie.heading() == "Application submitted"
    number = re.search(r"V\d{9}", marie.text("#receipt"))
    assert number is not None, marie.text("#receipt")
    marie.shot("application-receipt")
    marie.click("#receipt-item")
    assert number.group(0) in marie.text("main")
