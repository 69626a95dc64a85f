"""
The visitor visa (temporary resident visa) application as data: the
questions of IMM 5257 in substance, the document checklist of IMM 5484, the
fees with the family caps, and the eligibility hints, each with its source.
A service team changes the application here, not in code or templates.
"""

from __future__ import annotations

from ircc_account.builtin.applications import (
    AgeBelow,
    AllOf,
    AnswerType,
    AnyOf,
    DateBefore,
    DocumentRequirement,
    Equals,
    FeeLine,
    Form,
    Hint,
    LessThan,
    NotInFuture,
    NotInPast,
    OneOf,
    OnOrAfter,
    Option,
    Pattern,
    Question,
    SpanOver,
    Step,
)
from ircc_account.services import BilingualText as T

from . import _sources as src

__all__ = ["FORM", "VISA_EXEMPT"]

TEXT, LONG, DATE, YES_NO = AnswerType.TEXT, AnswerType.LONG_TEXT, AnswerType.DATE, AnswerType.YES_NO
CHOICE, COUNTRY, MONEY = AnswerType.CHOICE, AnswerType.COUNTRY, AnswerType.MONEY

_PAST = (NotInFuture(),)
_YES = True


def _yes(question: str) -> Equals:
    return Equals(question, _YES)


def _options(*pairs: tuple[str, str, str]) -> tuple[Option, ...]:
    return tuple(Option(value, T(en, fr)) for value, en, fr in pairs)


#: Citizenships that usually need an eTA, not a visa, to fly to Canada (a
#: partial list: see ``_sources.ETA``). United States citizens need neither.
#:
#: :meta hide-value:
VISA_EXEMPT = frozenset(
    [
        "AD",
        "AT",
        "AU",
        "BE",
        "CH",
        "CL",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GB",
        "GR",
        "HR",
        "HU",
        "IE",
        "IS",
        "IT",
        "JP",
        "KR",
        "LI",
        "LT",
        "LU",
        "LV",
        "MC",
        "MT",
        "NL",
        "NO",
        "NZ",
        "PL",
        "PT",
        "SE",
        "SG",
        "SI",
        "SK",
        "SM",
    ]
)

_ENDED_AFTER_START = OnOrAfter(
    "from_date",
    T(
        en="The end must be on or after the start.",
        fr="La fin doit suivre le début ou y être égale.",
    ),
)

PERSONAL = Step(
    id="personal",
    title=T(en="Personal details", fr="Renseignements personnels"),
    intro=T(
        en="Write your name exactly as it appears in your passport.",
        fr="Écrivez votre nom exactement comme dans votre passeport.",
    ),
    questions=(
        Question(
            id="uci",
            label=T(
                en="Unique client identifier (UCI), if you have one",
                fr="Identificateur unique de client (IUC), si vous en avez un",
            ),
            type=TEXT,
            required=False,
            rules=(
                Pattern(
                    r"[0-9]{2}-?[0-9]{4}-?[0-9]{4}|[0-9]{4}-?[0-9]{4}",
                    T(
                        en="A UCI has 8 or 10 digits.",
                        fr="Un IUC compte 8 ou 10 chiffres.",
                    ),
                ),
            ),
            source=src.FORM,
        ),
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
            help=T(
                en="Leave empty if your passport shows none.",
                fr="Laissez vide si votre passeport n'en indique aucun.",
            ),
        ),
        Question(
            id="other_names_used",
            label=T(
                en="Have you ever used any other name (maiden name, nickname)?",
                fr="Avez-vous déjà utilisé un autre nom (nom de jeune fille, surnom)?",
            ),
            type=YES_NO,
        ),
        Question(
            id="other_names",
            label=T(en="Other names you have used", fr="Autres noms que vous avez utilisés"),
            type=TEXT,
            when=_yes("other_names_used"),
        ),
        Question(
            id="sex",
            label=T(en="Sex", fr="Sexe"),
            type=CHOICE,
            options=_options(
                ("female", "Female", "Féminin"),
                ("male", "Male", "Masculin"),
                ("another", "Another gender (X)", "Autre genre (X)"),
                ("unknown", "Unknown", "Inconnu"),
            ),
        ),
        Question(
            id="date_of_birth",
            label=T(en="Date of birth", fr="Date de naissance"),
            type=DATE,
            rules=_PAST,
        ),
        Question(
            id="birth_city", label=T(en="City or town of birth", fr="Ville de naissance"), type=TEXT
        ),
        Question(
            id="birth_country", label=T(en="Country of birth", fr="Pays de naissance"), type=COUNTRY
        ),
        Question(id="citizenship", label=T(en="Citizenship", fr="Citoyenneté"), type=COUNTRY),
        Question(
            id="residence_country",
            label=T(en="Country where you live now", fr="Pays où vous vivez actuellement"),
            type=COUNTRY,
        ),
        Question(
            id="residence_status",
            label=T(en="Your status in that country", fr="Votre statut dans ce pays"),
            type=CHOICE,
            options=_options(
                ("citizen", "Citizen", "Citoyen"),
                ("permanent_resident", "Permanent resident", "Résident permanent"),
                ("worker", "Worker", "Travailleur"),
                ("student", "Student", "Étudiant"),
                ("visitor", "Visitor", "Visiteur"),
                ("other", "Other", "Autre"),
            ),
        ),
        Question(
            id="marital_status",
            label=T(en="Marital status", fr="État matrimonial"),
            type=CHOICE,
            options=_options(
                ("single", "Single", "Célibataire"),
                ("married", "Married", "Marié(e)"),
                ("common_law", "Common-law", "Conjoint(e) de fait"),
                ("separated", "Separated", "Séparé(e)"),
                ("divorced", "Divorced", "Divorcé(e)"),
                ("widowed", "Widowed", "Veuf ou veuve"),
                ("annulled", "Annulled marriage", "Mariage annulé"),
            ),
        ),
        Question(
            id="spouse_name",
            label=T(
                en="Your spouse's or partner's full name",
                fr="Nom complet de votre époux ou conjoint",
            ),
            type=TEXT,
            when=OneOf("marital_status", {"married", "common_law"}),
        ),
        Question(
            id="relationship_since",
            label=T(
                en="Date of marriage or start of the relationship",
                fr="Date du mariage ou du début de l'union",
            ),
            type=DATE,
            rules=_PAST,
            when=OneOf("marital_status", {"married", "common_law"}),
        ),
        Question(
            id="native_language",
            label=T(en="Native language", fr="Langue maternelle"),
            type=TEXT,
            max_length=60,
        ),
        Question(
            id="official_languages",
            label=T(
                en="Can you communicate in English, French, or both?",
                fr="Pouvez-vous communiquer en anglais, en français ou dans les deux langues?",
            ),
            type=CHOICE,
            options=_options(
                ("english", "English", "Anglais"),
                ("french", "French", "Français"),
                ("both", "Both", "Les deux"),
                ("neither", "Neither", "Aucune des deux"),
            ),
        ),
        Question(
            id="previous_biometrics",
            label=T(
                en="Have you given biometrics (fingerprints and photo) for a Canadian visitor, "
                "study or work application in the last 10 years?",
                fr="Avez-vous fourni vos données biométriques (empreintes et photo) pour une "
                "demande canadienne de visiteur, d'études ou de travail au cours des 10 "
                "dernières années?",
            ),
            type=YES_NO,
            source=src.BIOMETRICS,
        ),
    ),
)

PASSPORT = Step(
    id="passport",
    title=T(en="Passport and identity documents", fr="Passeport et pièces d'identité"),
    questions=(
        Question(
            id="passport_number",
            label=T(en="Passport number", fr="Numéro de passeport"),
            type=TEXT,
            rules=(
                Pattern(
                    r"[A-Z0-9]{5,12}",
                    T(
                        en="Enter the 5 to 12 letters and digits of your passport number.",
                        fr="Entrez les 5 à 12 lettres et chiffres de votre numéro de passeport.",
                    ),
                    upper=True,
                ),
            ),
        ),
        Question(
            id="passport_country",
            label=T(en="Country of issue", fr="Pays de délivrance"),
            type=COUNTRY,
        ),
        Question(
            id="passport_issued",
            label=T(en="Issue date", fr="Date de délivrance"),
            type=DATE,
            rules=_PAST,
        ),
        Question(
            id="passport_expires",
            label=T(en="Expiry date", fr="Date d'expiration"),
            type=DATE,
            rules=(
                NotInPast(
                    T(
                        en="Your passport has expired. Renew it before you apply.",
                        fr="Votre passeport est expiré. Renouvelez-le avant de présenter "
                        "votre demande.",
                    )
                ),
                OnOrAfter(
                    "passport_issued",
                    T(
                        en="The expiry date must be after the issue date.",
                        fr="La date d'expiration doit suivre la date de délivrance.",
                    ),
                ),
            ),
        ),
        Question(
            id="has_national_id",
            label=T(
                en="Do you have a national identity document?",
                fr="Avez-vous une pièce d'identité nationale?",
            ),
            type=YES_NO,
        ),
        Question(
            id="national_id_number",
            label=T(en="National identity document number", fr="Numéro de la pièce d'identité"),
            type=TEXT,
            max_length=40,
            when=_yes("has_national_id"),
        ),
    ),
)

CONTACT = Step(
    id="contact",
    title=T(en="Contact information", fr="Coordonnées"),
    questions=(
        Question(
            id="mailing_address",
            label=T(en="Mailing address", fr="Adresse postale"),
            type=LONG,
            max_length=400,
        ),
        Question(
            id="residential_same",
            label=T(
                en="Is your home address the same?", fr="Votre adresse domicile est-elle la même?"
            ),
            type=YES_NO,
        ),
        Question(
            id="residential_address",
            label=T(en="Home address", fr="Adresse du domicile"),
            type=LONG,
            max_length=400,
            when=Equals("residential_same", False),
        ),
        Question(
            id="phone",
            label=T(en="Telephone number", fr="Numéro de téléphone"),
            type=AnswerType.PHONE,
        ),
        Question(
            id="email", label=T(en="Email address", fr="Adresse courriel"), type=AnswerType.EMAIL
        ),
    ),
)

_MINOR = AgeBelow("date_of_birth", 18)

VISIT = Step(
    id="visit",
    title=T(en="Details of your visit", fr="Détails de votre visite"),
    questions=(
        Question(
            id="purpose",
            label=T(en="Purpose of your visit", fr="But de votre visite"),
            type=CHOICE,
            options=_options(
                ("tourism", "Tourism", "Tourisme"),
                ("family_visit", "Visit family or friends", "Visite à la famille ou à des amis"),
                ("business", "Business", "Affaires"),
                ("event", "Attend an event", "Assister à un événement"),
                ("medical", "Medical treatment", "Traitement médical"),
                ("other", "Other", "Autre"),
            ),
            source=src.FORM,
        ),
        Question(
            id="purpose_details",
            label=T(en="Describe the purpose of your visit", fr="Décrivez le but de votre visite"),
            type=LONG,
            max_length=600,
            when=Equals("purpose", "other"),
        ),
        Question(
            id="arrival_date",
            label=T(en="Date you plan to arrive", fr="Date d'arrivée prévue"),
            type=DATE,
            rules=(NotInPast(),),
        ),
        Question(
            id="departure_date",
            label=T(en="Date you plan to leave Canada", fr="Date de départ du Canada prévue"),
            type=DATE,
            rules=(
                NotInPast(),
                OnOrAfter(
                    "arrival_date",
                    T(
                        en="You must leave on or after the day you arrive.",
                        fr="Votre départ doit avoir lieu le jour de votre arrivée ou après.",
                    ),
                ),
            ),
        ),
        Question(
            id="invited",
            label=T(
                en="Has someone in Canada invited you?",
                fr="Quelqu'un au Canada vous a-t-il invité?",
            ),
            type=YES_NO,
        ),
        Question(
            id="host_name",
            label=T(
                en="Name of the person or organization inviting you",
                fr="Nom de la personne ou de l'organisme qui vous invite",
            ),
            type=TEXT,
            when=_yes("invited"),
        ),
        Question(
            id="host_relationship",
            label=T(en="Your relationship to them", fr="Votre lien avec eux"),
            type=TEXT,
            max_length=100,
            when=_yes("invited"),
        ),
        Question(
            id="host_address",
            label=T(en="Their address in Canada", fr="Leur adresse au Canada"),
            type=LONG,
            max_length=400,
            when=_yes("invited"),
        ),
        Question(
            id="funds",
            label=T(
                en="Money available for your stay (Canadian dollars)",
                fr="Argent disponible pour votre séjour (dollars canadiens)",
            ),
            type=MONEY,
            source=src.ELIGIBILITY,
        ),
        Question(
            id="payer",
            label=T(en="Who will pay for your stay?", fr="Qui paiera votre séjour?"),
            type=CHOICE,
            options=_options(
                ("myself", "Myself", "Moi-même"),
                ("parents", "My parents", "Mes parents"),
                (
                    "host",
                    "The person or organization inviting me",
                    "La personne ou l'organisme qui m'invite",
                ),
                ("employer", "My employer", "Mon employeur"),
                ("other", "Someone else", "Quelqu'un d'autre"),
            ),
        ),
        Question(
            id="travelling_with",
            label=T(en="With whom are you travelling?", fr="Avec qui voyagez-vous?"),
            help=T(
                en="Asked because you are under 18.",
                fr="Question posée parce que vous avez moins de 18 ans.",
            ),
            type=CHOICE,
            options=_options(
                ("both_parents", "Both parents or guardians", "Mes deux parents ou tuteurs"),
                ("one_parent", "One parent or guardian", "Un seul parent ou tuteur"),
                ("other_adult", "Another adult", "Un autre adulte"),
                ("alone", "Alone", "Seul"),
            ),
            when=_MINOR,
            source=src.MINORS,
        ),
    ),
)

FAMILY = Step(
    id="family",
    title=T(
        en="Family members applying with you",
        fr="Membres de la famille qui font une demande avec vous",
    ),
    intro=T(
        en="List your spouse or partner and children who apply at the same time and place. "
        "Each needs their own answers later; here we count fees and biometrics.",
        fr="Inscrivez votre époux ou conjoint et vos enfants qui présentent une demande au "
        "même moment et au même endroit. Ici, nous calculons les frais et la biométrie.",
    ),
    questions=(
        Question(
            id="family_applying",
            label=T(
                en="Family members applying with you",
                fr="Membres de la famille qui font une demande avec vous",
            ),
            type=AnswerType.GROUP,
            required=False,
            max_entries=8,
            fields=(
                Question(
                    id="given_names",
                    label=T(en="Given name(s)", fr="Prénom(s)"),
                    type=TEXT,
                    required=False,
                    max_length=100,
                ),
                Question(
                    id="family_name",
                    label=T(en="Family name", fr="Nom de famille"),
                    type=TEXT,
                    max_length=100,
                ),
                Question(
                    id="relationship",
                    label=T(en="Relationship to you", fr="Lien avec vous"),
                    type=CHOICE,
                    options=_options(
                        ("spouse", "Spouse or partner", "Époux ou conjoint"),
                        ("child", "Child", "Enfant"),
                        ("other", "Other family member", "Autre membre de la famille"),
                    ),
                ),
                Question(
                    id="date_of_birth",
                    label=T(en="Date of birth", fr="Date de naissance"),
                    type=DATE,
                    rules=_PAST,
                ),
                Question(
                    id="biometrics_given",
                    label=T(
                        en="Gave biometrics in the last 10 years",
                        fr="A fourni ses données biométriques au cours des 10 dernières années",
                    ),
                    type=YES_NO,
                ),
            ),
            source=src.FEES,
        ),
    ),
)

_PERIOD = (
    Question(id="from_date", label=T(en="From", fr="Du"), type=DATE, rules=_PAST),
    Question(
        id="to_date",
        label=T(en="To", fr="Au"),
        type=DATE,
        required=False,
        rules=(NotInFuture(), _ENDED_AFTER_START),
    ),
)

HISTORY = Step(
    id="history",
    title=T(en="Education, work and travel", fr="Études, travail et voyages"),
    questions=(
        Question(
            id="post_secondary",
            label=T(
                en="Have you studied after secondary school?",
                fr="Avez-vous fait des études postsecondaires?",
            ),
            type=YES_NO,
        ),
        Question(
            id="education",
            label=T(en="Your studies after secondary school", fr="Vos études postsecondaires"),
            type=AnswerType.GROUP,
            when=_yes("post_secondary"),
            max_entries=5,
            fields=(
                *_PERIOD,
                Question(
                    id="field", label=T(en="Field of study", fr="Domaine d'études"), type=TEXT
                ),
                Question(id="school", label=T(en="School", fr="Établissement"), type=TEXT),
                Question(id="city", label=T(en="City", fr="Ville"), type=TEXT, max_length=100),
                Question(id="country", label=T(en="Country", fr="Pays"), type=COUNTRY),
            ),
        ),
        Question(
            id="occupation",
            label=T(en="What do you do now?", fr="Que faites-vous actuellement?"),
            type=CHOICE,
            options=_options(
                ("employed", "Employed", "Employé"),
                ("self_employed", "Self-employed", "Travailleur autonome"),
                ("student", "Student", "Étudiant"),
                ("retired", "Retired", "Retraité"),
                ("homemaker", "Homemaker", "Personne au foyer"),
                ("unemployed", "Not working", "Sans emploi"),
            ),
        ),
        Question(
            id="employment",
            label=T(
                en="Your jobs and activities in the last 10 years",
                fr="Vos emplois et activités des 10 dernières années",
            ),
            type=AnswerType.GROUP,
            required=False,
            max_entries=10,
            fields=(
                *_PERIOD,
                Question(
                    id="activity",
                    label=T(en="Occupation or activity", fr="Profession ou activité"),
                    type=TEXT,
                ),
                Question(
                    id="employer",
                    label=T(en="Employer or school", fr="Employeur ou établissement"),
                    type=TEXT,
                    required=False,
                ),
                Question(id="city", label=T(en="City", fr="Ville"), type=TEXT, max_length=100),
                Question(id="country", label=T(en="Country", fr="Pays"), type=COUNTRY),
            ),
        ),
        Question(
            id="travel_history",
            label=T(
                en="Countries you travelled to in the last 10 years",
                fr="Pays où vous êtes allé au cours des 10 dernières années",
            ),
            type=AnswerType.GROUP,
            required=False,
            max_entries=10,
            fields=(
                Question(id="country", label=T(en="Country", fr="Pays"), type=COUNTRY),
                *_PERIOD,
                Question(
                    id="reason",
                    label=T(en="Reason", fr="Motif"),
                    type=TEXT,
                    required=False,
                    max_length=100,
                ),
            ),
        ),
    ),
)

_BACKGROUND = (
    (
        "tb_contact",
        "In the last two years, were you or a family member diagnosed with tuberculosis, or in "
        "close contact with someone who had it?",
        "Au cours des deux dernières années, vous ou un membre de votre famille avez-vous reçu un "
        "diagnostic de tuberculose ou été en contact étroit avec une personne atteinte?",
    ),
    (
        "medical_condition",
        "Do you have a physical or mental condition that would need social or health services "
        "(other than medication) during your stay?",
        "Avez-vous un trouble physique ou mental qui nécessiterait des services sociaux ou de "
        "santé (autres que des médicaments) pendant votre séjour?",
    ),
    (
        "overstayed",
        "Have you ever stayed in Canada past the end of your status, or studied or worked in "
        "Canada without permission?",
        "Êtes-vous déjà resté au Canada après la fin de votre statut, ou y avez-vous étudié ou "
        "travaillé sans autorisation?",
    ),
    (
        "refused",
        "Have you ever been refused a visa or permit, denied entry, or ordered to leave Canada "
        "or any other country?",
        "Vous a-t-on déjà refusé un visa ou un permis, refusé l'entrée, ou ordonné de quitter "
        "le Canada ou un autre pays?",
    ),
    (
        "previously_applied",
        "Have you applied before to enter or stay in Canada?",
        "Avez-vous déjà présenté une demande pour entrer ou demeurer au Canada?",
    ),
    (
        "criminal",
        "Have you ever committed, been arrested for, charged with or convicted of a crime in "
        "any country?",
        "Avez-vous déjà commis une infraction, été arrêté, accusé ou déclaré coupable d'une "
        "infraction dans un pays?",
    ),
    (
        "military",
        "Have you served in a military, militia or civil defence unit, a security organization "
        "or a police force?",
        "Avez-vous servi dans une unité militaire, une milice, une unité de défense civile, un "
        "service de sécurité ou un corps de police?",
    ),
    (
        "violence_group",
        "Have you been a member of, or associated with, a party or group that used or advocated "
        "violence to reach a political or religious goal?",
        "Avez-vous été membre d'un parti ou d'un groupe ayant eu recours ou prôné la violence "
        "pour atteindre un objectif politique ou religieux, ou y avez-vous été associé?",
    ),
    (
        "ill_treatment",
        "Have you witnessed or taken part in the ill treatment of prisoners or civilians, "
        "looting, or the desecration of religious buildings?",
        "Avez-vous été témoin de mauvais traitements infligés à des prisonniers ou à des civils, "
        "de pillage ou de profanation d'édifices religieux, ou y avez-vous participé?",
    ),
)

BACKGROUND = Step(
    id="background",
    title=T(en="Background questions", fr="Antécédents"),
    intro=T(
        en="Answer truthfully: a false answer can bar you from Canada for five years.",
        fr="Répondez honnêtement : une fausse réponse peut vous interdire le Canada pendant "
        "cinq ans.",
    ),
    questions=(
        *(
            Question(id=qid, label=T(en=en, fr=fr), type=YES_NO, source=src.FORM)
            for qid, en, fr in _BACKGROUND
        ),
        Question(
            id="background_details",
            label=T(en="Give details for each yes", fr="Donnez des précisions pour chaque oui"),
            type=LONG,
            max_length=2000,
            when=AnyOf(*(_yes(qid) for qid, _, _ in _BACKGROUND)),
        ),
    ),
)

_PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})

DOCUMENTS = (
    DocumentRequirement(
        id="passport",
        label=T(en="Passport", fr="Passeport"),
        help=T(
            en="The page with your photo and personal details, and every page with a stamp "
            "or visa.",
            fr="La page avec votre photo et vos renseignements, et chaque page portant un "
            "timbre ou un visa.",
        ),
        source=src.CHECKLIST,
    ),
    DocumentRequirement(
        id="photo",
        label=T(en="Digital photo", fr="Photo numérique"),
        help=T(
            en="A recent photo of your face, in colour, on a plain background.",
            fr="Une photo récente de votre visage, en couleur, sur un fond uni.",
        ),
        types=_PHOTO_TYPES,
        max_files=1,
        source=src.CHECKLIST,
    ),
    DocumentRequirement(
        id="funds",
        label=T(en="Proof of financial support", fr="Preuve de soutien financier"),
        help=T(
            en="Bank statements for the last 4 months, pay slips, or a letter from whoever "
            "pays for your stay.",
            fr="Relevés bancaires des 4 derniers mois, talons de paie, ou une lettre de la "
            "personne qui paie votre séjour.",
        ),
        source=src.CHECKLIST,
    ),
    DocumentRequirement(
        id="purpose",
        label=T(en="Purpose of travel", fr="But du voyage"),
        help=T(
            en="Your travel plans: bookings, an itinerary, or a letter from an event's organizers.",
            fr="Vos projets de voyage : réservations, itinéraire ou lettre des organisateurs "
            "d'un événement.",
        ),
        source=src.CHECKLIST,
    ),
    DocumentRequirement(
        id="travel_history",
        label=T(en="Travel history", fr="Antécédents de voyage"),
        help=T(
            en="Copies of visas and entry stamps from the last 10 years (recommended).",
            fr="Copies des visas et des timbres d'entrée des 10 dernières années (recommandé).",
        ),
        required=False,
        source=src.CHECKLIST,
    ),
    DocumentRequirement(
        id="invitation",
        label=T(en="Letter of invitation", fr="Lettre d'invitation"),
        help=T(
            en="From the person or organization inviting you, with their address and status "
            "in Canada.",
            fr="De la personne ou de l'organisme qui vous invite, avec son adresse et son "
            "statut au Canada.",
        ),
        when=_yes("invited"),
        source=src.CHECKLIST,
    ),
    DocumentRequirement(
        id="minor_consent",
        label=T(en="Consent letter for a minor", fr="Lettre de consentement pour un mineur"),
        help=T(
            en="Signed by each parent or guardian who is not travelling with you, with a copy "
            "of their identity document.",
            fr="Signée par chaque parent ou tuteur qui ne voyage pas avec vous, avec une "
            "copie de sa pièce d'identité.",
        ),
        when=AllOf(_MINOR, OneOf("travelling_with", {"one_parent", "other_adult", "alone"})),
        source=src.MINORS,
    ),
)

HINTS = (
    Hint(
        id="citizen_of_usa",
        when=Equals("citizenship", "US"),
        message=T(
            en="United States citizens need neither a visitor visa nor an eTA to visit Canada.",
            fr="Les citoyens des États-Unis n'ont besoin ni d'un visa de visiteur ni d'une AVE "
            "pour visiter le Canada.",
        ),
        instead=T(
            en="Travel with your valid U.S. passport.",
            fr="Voyagez avec votre passeport américain valide.",
        ),
        source=src.ETA,
    ),
    Hint(
        id="visa_exempt",
        when=OneOf("citizenship", VISA_EXEMPT),
        message=T(
            en="Citizens of your country usually need an electronic travel authorization "
            "(eTA), not a visitor visa, to fly to Canada.",
            fr="Les citoyens de votre pays ont habituellement besoin d'une autorisation de "
            "voyage électronique (AVE), et non d'un visa de visiteur, pour venir au Canada "
            "par avion.",
        ),
        instead=T(en="Apply for an eTA instead.", fr="Demandez plutôt une AVE."),
        source=src.ETA,
    ),
    Hint(
        id="passport_expires_first",
        when=DateBefore("passport_expires", "departure_date"),
        message=T(
            en="Your passport expires before the date you plan to leave Canada. A visa is "
            "never valid past your passport's expiry, so your stay may be shortened or refused.",
            fr="Votre passeport expire avant la date prévue de votre départ du Canada. Un visa "
            "n'est jamais valide au-delà de l'expiration du passeport : votre séjour pourrait "
            "être écourté ou refusé.",
        ),
        instead=T(en="Renew your passport first.", fr="Renouvelez d'abord votre passeport."),
        source=src.ELIGIBILITY,
    ),
    Hint(
        id="stay_over_six_months",
        when=SpanOver("arrival_date", "departure_date", 6),
        message=T(
            en="Visitors are usually allowed to stay up to 6 months. A longer stay is often "
            "refused or shortened at the border.",
            fr="Les visiteurs peuvent habituellement rester jusqu'à 6 mois. Un séjour plus long "
            "est souvent refusé ou écourté à la frontière.",
        ),
        instead=T(
            en="Parents and grandparents of Canadians can apply for a super visa.",
            fr="Les parents et grands-parents de Canadiens peuvent demander un super visa.",
        ),
        source=src.IRPR,
    ),
    Hint(
        id="no_funds",
        when=AllOf(LessThan("funds", 1), Equals("payer", "myself")),
        message=T(
            en="You say you will pay for your stay but have no money for it. An officer must "
            "be satisfied you can support yourself; without funds, refusal is likely.",
            fr="Vous dites payer votre séjour, mais n'avoir aucun argent pour le faire. L'agent "
            "doit être convaincu que vous pouvez subvenir à vos besoins; sans fonds, un refus "
            "est probable.",
        ),
        source=src.ELIGIBILITY,
    ),
    Hint(
        id="previous_refusal",
        when=_yes("refused"),
        message=T(
            en="A past refusal does not bar you, but the officer will look for what has changed "
            "since. Explain it and send new evidence.",
            fr="Un refus antérieur ne vous empêche pas de présenter une demande, mais l'agent "
            "cherchera ce qui a changé depuis. Expliquez-le et joignez de nouvelles preuves.",
        ),
        source=src.IRPR,
    ),
    Hint(
        id="non_compliance",
        when=_yes("overstayed"),
        message=T(
            en="Staying, studying or working in Canada without permission can make you "
            "inadmissible for not complying with the Act.",
            fr="Être resté, avoir étudié ou travaillé au Canada sans autorisation peut vous "
            "rendre interdit de territoire pour manquement à la Loi.",
        ),
        source=src.IRPA,
    ),
    Hint(
        id="criminality",
        when=_yes("criminal"),
        message=T(
            en="A criminal record can make you inadmissible to Canada.",
            fr="Un casier judiciaire peut vous rendre interdit de territoire au Canada.",
        ),
        instead=T(
            en="Ask about criminal rehabilitation or a temporary resident permit.",
            fr="Renseignez-vous sur la réhabilitation ou le permis de séjour temporaire.",
        ),
        source=src.IRPA,
    ),
    Hint(
        id="medical_exam",
        when=AnyOf(_yes("tb_contact"), _yes("medical_condition")),
        message=T(
            en="You may be asked to have an immigration medical exam before a decision.",
            fr="On pourrait vous demander de passer un examen médical aux fins de "
            "l'immigration avant la décision.",
        ),
        source=src.IRPA,
    ),
)

FEES = (
    FeeLine(
        id="visa",
        label=T(en="Visitor visa (per person)", fr="Visa de visiteur (par personne)"),
        amount=100_00,
        per="applicants",
        cap=500_00,
        source=src.FEES,
    ),
    FeeLine(
        id="biometrics",
        label=T(en="Biometrics", fr="Données biométriques"),
        amount=85_00,
        per="biometrics",
        cap=170_00,
        source=src.FEES,
    ),
)

#: The visitor visa application.
#:
#: :meta hide-value:
FORM = Form(
    service_id="trv",
    version="2026.1",
    title=T(en="Visitor visa application", fr="Demande de visa de visiteur"),
    steps=(PERSONAL, PASSPORT, CONTACT, VISIT, FAMILY, HISTORY, BACKGROUND),
    documents=DOCUMENTS,
    hints=HINTS,
    fees=FEES,
    retention_days=60,
)
