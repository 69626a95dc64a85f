"""
The published pages the visitor visa service's rules come from.

These were written from knowledge of the pages, not re-read at the source
while writing: each ``recheck`` says what a service team must confirm on the
page before relying on it (a figure, a section number, an exact wording).
"""

from __future__ import annotations

from ircc_account.builtin.applications import Source

__all__ = [
    "BIOMETRICS",
    "CHECKLIST",
    "ELIGIBILITY",
    "ETA",
    "FEES",
    "FORM",
    "IRPA",
    "IRPR",
    "MINORS",
]

FORM = Source(
    title="Application for Visitor Visa (Temporary Resident Visa) Made Outside of Canada "
    "(IMM 5257)",
    section="Personal details; Marital status; Languages; Passport; National identity "
    "document; Contact information; Details of visit to Canada; Education; Employment; "
    "Background information",
    url="https://www.canada.ca/en/immigration-refugees-citizenship/services/application/"
    "application-forms-guides/imm5257.html",
    recheck="Questions are the form's in substance, paraphrased; compare with the current "
    "edition of IMM 5257 and its Family Information form (IMM 5645).",
)

CHECKLIST = Source(
    title="Document Checklist – Visitor Visa (IMM 5484)",
    section="Supporting documents: passport, photos, proof of financial support, purpose of "
    "travel, travel history, letter of invitation, minors travelling alone or with one parent",
    url="https://www.canada.ca/en/immigration-refugees-citizenship/services/application/"
    "application-forms-guides/imm5484.html",
    recheck="Visa offices add local requirements; check the checklist for the office.",
)

FEES = Source(
    title="IRCC fee list",
    section="Visitors: Visitor visa (including super visa) – per person; Visitor visa – "
    "family (5 or more); Biometrics – per person; Biometrics – per family (2 or more)",
    url="https://ircc.canada.ca/english/information/fees/fees.asp",
    recheck="Figures CAD 100 per person, CAD 500 family maximum, CAD 85 biometrics per "
    "person, CAD 170 biometrics family maximum are as known for 2024-2025; confirm them.",
)

BIOMETRICS = Source(
    title="Biometrics: Who needs to give biometrics",
    section="Who needs to give biometrics; Who doesn't need to give biometrics (under 14, "
    "over 79); Biometrics are valid for 10 years",
    url="https://www.canada.ca/en/immigration-refugees-citizenship/campaigns/biometrics.html",
    recheck="Ages 14 to 79 inclusive and the 10-year validity; confirm, and the exemptions "
    "(US citizens, heads of state) not modelled here.",
)

ELIGIBILITY = Source(
    title="Visit Canada: Who can apply (eligibility)",
    section="Eligibility requirements: a valid travel document; good health; convince an "
    "officer you have ties and will leave; enough money for your stay",
    url="https://www.canada.ca/en/immigration-refugees-citizenship/services/visit-canada/"
    "eligibility.html",
)

ETA = Source(
    title="Find out if you need a visa or eTA to travel to Canada",
    section="Entry requirements by country/territory",
    url="https://www.canada.ca/en/immigration-refugees-citizenship/services/visit-canada/"
    "entry-requirements-country.html",
    recheck="The visa-exempt list here is partial and changes; keep it in step with the page.",
)

MINORS = Source(
    title="Minor children travelling to Canada",
    section="Children travelling alone or with one parent: a consent letter from the parent(s) "
    "or guardian(s) not travelling",
    url="https://www.canada.ca/en/immigration-refugees-citizenship/services/visit-canada/"
    "minor-children-travelling-canada.html",
)

IRPA = Source(
    title="Immigration and Refugee Protection Act (S.C. 2001, c. 27)",
    section="s. 36 (serious criminality, criminality); s. 38 (health grounds); s. 41 "
    "(non-compliance with the Act)",
    url="https://laws-lois.justice.gc.ca/eng/acts/i-2.5/",
    recheck="Section numbers as known; confirm against the consolidated Act.",
)

IRPR = Source(
    title="Immigration and Refugee Protection Regulations (SOR/2002-227)",
    section="s. 179 (issuance of a temporary resident visa); s. 183(2) (authorized period "
    "of stay: six months)",
    url="https://laws-lois.justice.gc.ca/eng/regulations/SOR-2002-227/",
    recheck="Section numbers as known; confirm against the consolidated Regulations.",
)
