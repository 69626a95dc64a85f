"""
The visitor visa (temporary resident visa) application: a built-in service
plugin on the application engine (entry point ``trv``).

The questions of IMM 5257 in substance, the IMM 5484 checklist following
the answers, biometrics by age and previous enrolment, fees with the family
caps, and eligibility hints with their reasons. See ``docs/services/trv.md``.

``plugin`` is the instance the entry point loads (one front door per
process); register a :class:`TrvService` of your own to run several.
"""

from __future__ import annotations

from ircc_account._exports import present_as_public
from ircc_account.builtin.trv._form import FORM, VISA_EXEMPT
from ircc_account.builtin.trv._service import BIOMETRICS, BiometricsRule, TrvService

#: The instance the ``trv`` entry point registers.
plugin = TrvService()

__all__ = [
    "BIOMETRICS",
    "FORM",
    "VISA_EXEMPT",
    "BiometricsRule",
    "TrvService",
    "plugin",
]

present_as_public(globals(), __name__)
