"""
Adult passport renewal (the simplified renewal): a built-in service plugin
on the application engine (entry point ``passport-renewal``).

Eligibility as clear questions, each refusal with its reason and what to do
instead; the application and its fees; the photo checked against the
published requirements with Pillow. See ``docs/services/passport.md``.

``plugin`` is the instance the entry point loads (one front door per
process); register a :class:`PassportRenewalService` of your own to run several.
"""

from __future__ import annotations

from ircc_account._exports import present_as_public
from ircc_account.builtin.passport._form import FORM, PHOTO, RULES
from ircc_account.builtin.passport._service import PassportRenewalService, eligible

#: The instance the ``passport-renewal`` entry point registers.
plugin = PassportRenewalService()

__all__ = [
    "FORM",
    "PHOTO",
    "RULES",
    "PassportRenewalService",
    "eligible",
    "plugin",
]

present_as_public(globals(), __name__)
