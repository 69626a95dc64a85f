"""
Decision notes: for a refused application (or one approved with
conditions), the officer's reasons, released to the client and to
representatives whose grant includes ``view_decision_notes``, each tied to
a criterion or to a requirement of the application; passages that may not
be released withheld with a visible marker and the legal basis; and what
the client can do next (request a review, reapply).

A service plugin (entry point ``decision-notes``: :data:`plugin`), a
department desk (:class:`NotesDesk`) and a portal page (:func:`notes_page`).
See ``docs/services/notes.md``.
"""

from __future__ import annotations

from ircc_account._exports import present_as_public

from ._desk import NotesDesk
from ._page import NotesPage, notes_page
from ._plugin import DecisionNotes, plugin, read_notes
from ._values import (
    SERVICE_ID,
    Criterion,
    Exemption,
    NoteReason,
    Outcome,
    ReasonView,
    Withheld,
    WithheldMarker,
)

__all__ = [
    "SERVICE_ID",
    "Criterion",
    "DecisionNotes",
    "Exemption",
    "NoteReason",
    "NotesDesk",
    "NotesPage",
    "Outcome",
    "ReasonView",
    "Withheld",
    "WithheldMarker",
    "notes_page",
    "plugin",
    "read_notes",
]

present_as_public(globals(), __name__)
