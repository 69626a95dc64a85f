"""
Adult passport renewal (the simplified renewal), as data: eligibility asked
as clear questions, each refusal with its reason and what to do instead;
the application; the photo's published requirements; the fees.
"""

from __future__ import annotations

from ircc_account.builtin.applications import (
    AgeBelow,
    AllOf,
    AnswerType,
    Between,
    DocumentRequirement,
    Equals,
    FeeLine,
    Form,
    Hint,
    Not,
    NotInFuture,
    NotInPast,
    OnOrAfter,
    Option,
    Pattern,
    PhotoCheck,
    PhotoRequirements,
    Question,
    Source,
    Step,
    WithinYears,
)
from ircc_account.services import BilingualText as T

__all__ = ["ELIGIBILITY", "FORM", "PHOTO", "RENEWAL", "RULES"]

TEXT, DATE, YES_NO, CHOICE = AnswerType.TEXT, AnswerType.DATE, AnswerType.YES_NO, AnswerType.CHOICE

#: The page the simplified renewal's conditions come from.
RENEWAL = Source(
    title="Renew your adult passport",
    section="Who can renew (simplified renewal): your most recent passport was issued when "
    "you were 16 or older, in the last 15 years, was valid for 5 or 10 years, has not been "
    "reported lost, stolen or damaged, is in your possession, and your name is the same or "
    "you can prove the change",
    url="https://www.canada.ca/en/immigration-refugees-citizenship/services/canadian-passports/"
    "renew-adult-passport.html",
    recheck="Wording and the form numbers (PPTC 054 renewal, PPTC 153 general application, "
    "PPTC 203 lost or stolen) are as known; confirm them.",
)

#: The photo page.
PHOTOS = Source(
    title="Canadian passport photos",
    section="Digital photo requirements for applying online: format, size in pixels, "
    "proportions, file size, colour",
    url="https://www.canada.ca/en/immigration-refugees-citizenship/services/canadian-passports/"
    "photos.html",
    recheck="Figures written from knowledge, not re-read: JPEG only; at least 420 x 540 "
    "pixels; proportions 7:9 (35 x 45 mm); at most 4 MB; in colour. The pixel maximum is "
    "ours (a bound on decoding, not a published figure). Confirm each against the page.",
)

#: The fee page.
FEES = Source(
    title="Canadian passport fees",
    section="Adult passport (16 or older), applying in Canada: 5-year and 10-year",
    url="https://www.canada.ca/en/immigration-refugees-citizenship/services/canadian-passports/"
    "passport-fees.html",
    recheck="CAD 120 (5 years) and CAD 160 (10 years) in Canada are as known; confirm.",
)

_GENERAL = T(
    en="Apply with the general adult application (form PPTC 153) instead, in person or by mail.",
    fr="Présentez plutôt la demande générale pour adultes (formulaire PPTC 153), en personne "
    "ou par la poste.",
)

ELIGIBILITY = Step(
    id="eligibility",
    title=T(en="Can you renew?", fr="Pouvez-vous renouveler?"),
    intro=T(
        en="These questions are about your most recent Canadian passport.",
        fr="Ces questions portent sur votre passeport canadien le plus récent.",
    ),
    questions=(
        Question(
            id="date_of_birth",
            label=T(en="Your date of birth", fr="Votre date de naissance"),
            type=DATE,
            rules=(NotInFuture(),),
        ),
        Question(
            id="previous_issued",
            label=T(en="When was it issued?", fr="Quand a-t-il été délivré?"),
            type=DATE,
            rules=(NotInFuture(),),
            source=RENEWAL,
        ),
        Question(
            id="previous_validity",
            label=T(
                en="How long was it valid for when it was issued?",
                fr="Quelle était sa durée de validité à sa délivrance?",
            ),
            type=CHOICE,
            options=(
                Option("five_years", T(en="5 years", fr="5 ans")),
                Option("ten_years", T(en="10 years", fr="10 ans")),
                Option(
                    "other",
                    T(
                        en="Another length (a temporary or limited passport)",
                        fr="Une autre durée (passeport temporaire ou à validité limitée)",
                    ),
                ),
            ),
            source=RENEWAL,
        ),
        Question(
            id="lost_stolen_damaged",
            label=T(
                en="Has it been reported lost or stolen, or is it damaged?",
                fr="A-t-il été déclaré perdu ou volé, ou est-il endommagé?",
            ),
            type=YES_NO,
            source=RENEWAL,
        ),
        Question(
            id="in_possession",
            label=T(en="Do you have it with you?", fr="L'avez-vous en votre possession?"),
            type=YES_NO,
            source=RENEWAL,
        ),
        Question(
            id="name_changed",
            label=T(
                en="Has your name changed since it was issued?",
                fr="Votre nom a-t-il changé depuis sa délivrance?",
            ),
            type=YES_NO,
            source=RENEWAL,
        ),
        Question(
            id="name_change_proof",
            label=T(
                en="Do you have a document that proves the change (a marriage or change of "
                "name certificate)?",
                fr="Avez-vous un document qui prouve le changement (certificat de mariage ou "
                "de changement de nom)?",
            ),
            type=YES_NO,
            when=Equals("name_changed", True),
            source=RENEWAL,
        ),
    ),
)

APPLICANT = Step(
    id="applicant",
    title=T(en="About you", fr="À votre sujet"),
    questions=(
        Question(
            id="family_name",
            label=T(en="Family name", fr="Nom de famille"),
            type=TEXT,
            max_length=100,
        ),
        Question(
            id="given_names",
            label=T(en="Given name(s)", fr="Prénom(s)"),
            type=TEXT,
            required=False,
            max_length=100,
        ),
        Question(
            id="sex",
            label=T(en="Sex shown on the passport", fr="Sexe indiqué dans le passeport"),
            type=CHOICE,
            options=(
                Option("female", T(en="F (female)", fr="F (féminin)")),
                Option("male", T(en="M (male)", fr="M (masculin)")),
                Option("another", T(en="X (another gender)", fr="X (autre genre)")),
            ),
        ),
        Question(
            id="birth_city",
            label=T(en="City or town of birth", fr="Ville de naissance"),
            type=TEXT,
        ),
        Question(
            id="birth_country",
            label=T(en="Country of birth", fr="Pays de naissance"),
            type=AnswerType.COUNTRY,
        ),
        Question(
            id="height_cm",
            label=T(en="Height (centimetres)", fr="Taille (centimètres)"),
            type=AnswerType.INTEGER,
            rules=(Between(50, 250),),
        ),
        Question(
            id="eye_colour",
            label=T(en="Eye colour", fr="Couleur des yeux"),
            type=CHOICE,
            options=tuple(
                Option(v, T(en=en, fr=fr))
                for v, en, fr in (
                    ("brown", "Brown", "Brun"),
                    ("blue", "Blue", "Bleu"),
                    ("green", "Green", "Vert"),
                    ("hazel", "Hazel", "Noisette"),
                    ("grey", "Grey", "Gris"),
                    ("black", "Black", "Noir"),
                    ("other", "Other", "Autre"),
                )
            ),
        ),
        Question(
            id="previous_number",
            label=T(en="Most recent passport number", fr="Numéro du passeport le plus récent"),
            type=TEXT,
            rules=(
                Pattern(
                    r"[A-Z]{2}[0-9]{6}",
                    T(
                        en="A Canadian passport number is 2 letters then 6 digits (AB123456).",
                        fr="Un numéro de passeport canadien compte 2 lettres puis 6 chiffres "
                        "(AB123456).",
                    ),
                    upper=True,
                ),
            ),
        ),
        Question(
            id="previous_expires",
            label=T(en="Its expiry date", fr="Sa date d'expiration"),
            type=DATE,
            rules=(
                OnOrAfter(
                    "previous_issued",
                    T(
                        en="The expiry date must be after the issue date.",
                        fr="La date d'expiration doit suivre la date de délivrance.",
                    ),
                ),
            ),
        ),
        Question(
            id="address",
            label=T(en="Home address in Canada", fr="Adresse du domicile au Canada"),
            type=AnswerType.LONG_TEXT,
            max_length=400,
        ),
        Question(
            id="phone",
            label=T(en="Telephone number", fr="Numéro de téléphone"),
            type=AnswerType.PHONE,
        ),
        Question(
            id="email",
            label=T(en="Email address", fr="Adresse courriel"),
            type=AnswerType.EMAIL,
        ),
    ),
)

NEW_PASSPORT = Step(
    id="new_passport",
    title=T(en="Your new passport", fr="Votre nouveau passeport"),
    questions=(
        Question(
            id="new_validity",
            label=T(en="Validity", fr="Durée de validité"),
            type=CHOICE,
            options=(
                Option("five_years", T(en="5 years", fr="5 ans")),
                Option("ten_years", T(en="10 years", fr="10 ans")),
            ),
            source=FEES,
        ),
        Question(
            id="travel_date",
            label=T(
                en="Date of your next trip, if booked",
                fr="Date de votre prochain voyage, s'il est réservé",
            ),
            type=DATE,
            required=False,
            rules=(NotInPast(),),
        ),
    ),
)

_CHECK = {
    "format": T(en="It must be a JPEG file (.jpg).", fr="Elle doit être un fichier JPEG (.jpg)."),
    "size": T(
        en="It must be at least 420 pixels wide and 540 pixels high (and at most 6,000 by 8,000).",
        fr="Elle doit faire au moins 420 pixels de large et 540 pixels de haut (et au plus "
        "6 000 sur 8 000).",
    ),
    "aspect": T(
        en="Its proportions must be 7 wide to 9 high, as a 35 mm by 45 mm photo.",
        fr="Ses proportions doivent être de 7 de large sur 9 de haut, comme une photo de "
        "35 mm sur 45 mm.",
    ),
    "max_bytes": T(en="The file must be at most 4 MB.", fr="Le fichier doit faire au plus 4 Mo."),
    "min_bytes": T(en="The file is too small.", fr="Le fichier est trop petit."),
    "colour": T(
        en="It must be in colour, not black and white.",
        fr="Elle doit être en couleur, et non en noir et blanc.",
    ),
}

#: The digital photo's requirements (see ``PHOTOS`` for what to re-check).
#:
#: :meta hide-value:
PHOTO = PhotoRequirements(
    formats=frozenset({"image/jpeg"}),
    min_width=420,
    min_height=540,
    max_width=6000,
    max_height=8000,
    aspect=(7, 9),
    aspect_tolerance=0.02,
    max_bytes=4 * 1024 * 1024,
    colour=True,
    checks={name: PhotoCheck(requirement=text, source=PHOTOS) for name, text in _CHECK.items()},
)

DOCUMENTS = (
    DocumentRequirement(
        id="photo",
        label=T(en="Passport photo", fr="Photo de passeport"),
        help=T(
            en="A digital photo taken in the last 6 months, in colour, on a plain white or "
            "light background.",
            fr="Une photo numérique prise au cours des 6 derniers mois, en couleur, sur un "
            "fond uni blanc ou clair.",
        ),
        types=frozenset({"image/jpeg", "image/png"}),
        max_files=1,
        photo=PHOTO,
        source=PHOTOS,
    ),
    DocumentRequirement(
        id="name_change",
        label=T(en="Proof of name change", fr="Preuve du changement de nom"),
        help=T(
            en="Your marriage certificate or change of name certificate.",
            fr="Votre certificat de mariage ou de changement de nom.",
        ),
        when=Equals("name_changed", True),
        source=RENEWAL,
    ),
)

#: The simplified renewal's conditions, each a blocking hint when not met.
#:
#: :meta hide-value:
RULES = (
    Hint(
        id="issued_before_16",
        when=AgeBelow("date_of_birth", 16, on="previous_issued"),
        message=T(
            en="Your most recent passport was issued before you turned 16.",
            fr="Votre passeport le plus récent a été délivré avant vos 16 ans.",
        ),
        instead=_GENERAL,
        blocking=True,
        source=RENEWAL,
    ),
    Hint(
        id="issued_over_15_years_ago",
        when=Not(WithinYears("previous_issued", 15)),
        message=T(
            en="Your most recent passport was issued more than 15 years ago.",
            fr="Votre passeport le plus récent a été délivré il y a plus de 15 ans.",
        ),
        instead=_GENERAL,
        blocking=True,
        source=RENEWAL,
    ),
    Hint(
        id="not_five_or_ten_years",
        when=Equals("previous_validity", "other"),
        message=T(
            en="Only a passport valid for 5 or 10 years can be renewed this way.",
            fr="Seul un passeport valide 5 ou 10 ans peut être renouvelé de cette façon.",
        ),
        instead=_GENERAL,
        blocking=True,
        source=RENEWAL,
    ),
    Hint(
        id="lost_stolen_damaged",
        when=Equals("lost_stolen_damaged", True),
        message=T(
            en="A passport reported lost or stolen, or damaged, cannot be renewed.",
            fr="Un passeport déclaré perdu ou volé, ou endommagé, ne peut pas être renouvelé.",
        ),
        instead=T(
            en="Report it (form PPTC 203) and apply with the general adult application "
            "(form PPTC 153).",
            fr="Déclarez-le (formulaire PPTC 203) et présentez la demande générale pour "
            "adultes (formulaire PPTC 153).",
        ),
        blocking=True,
        source=RENEWAL,
    ),
    Hint(
        id="not_in_possession",
        when=Equals("in_possession", False),
        message=T(
            en="You must have your most recent passport to renew it.",
            fr="Vous devez avoir votre passeport le plus récent pour le renouveler.",
        ),
        instead=_GENERAL,
        blocking=True,
        source=RENEWAL,
    ),
    Hint(
        id="name_change_unproven",
        when=AllOf(Equals("name_changed", True), Equals("name_change_proof", False)),
        message=T(
            en="Your name changed and you have no document that proves the change.",
            fr="Votre nom a changé et vous n'avez aucun document qui prouve le changement.",
        ),
        instead=T(
            en="Get your marriage or change of name certificate first, or apply with the "
            "general adult application (form PPTC 153).",
            fr="Obtenez d'abord votre certificat de mariage ou de changement de nom, ou "
            "présentez la demande générale pour adultes (formulaire PPTC 153).",
        ),
        blocking=True,
        source=RENEWAL,
    ),
)

#: The adult passport renewal application.
#:
#: :meta hide-value:
FORM = Form(
    service_id="passport-renewal",
    version="2026.1",
    title=T(en="Adult passport renewal", fr="Renouvellement du passeport adulte"),
    steps=(ELIGIBILITY, APPLICANT, NEW_PASSPORT),
    documents=DOCUMENTS,
    hints=RULES,
    fees=(
        FeeLine(
            id="passport_5",
            label=T(en="Adult passport, 5 years", fr="Passeport adulte, 5 ans"),
            amount=120_00,
            when=Equals("new_validity", "five_years"),
            source=FEES,
        ),
        FeeLine(
            id="passport_10",
            label=T(en="Adult passport, 10 years", fr="Passeport adulte, 10 ans"),
            amount=160_00,
            when=Equals("new_validity", "ten_years"),
            source=FEES,
        ),
    ),
    retention_days=60,
)
