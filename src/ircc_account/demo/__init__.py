"""
The demo portal: the front door on the web with the development provider,
made-up clients, a licensed consultant and an MP's office, on one machine.

``ircc-account demo`` runs it (:func:`run_demo`); it is built on
:mod:`ircc_account.web` alone, with its own templates and French
catalogue shipped as package data. Service plugins published under the
``ircc_account.services`` entry points by this distribution are allowed
and appear without changes here (the status tracker and decision notes,
which the seeding fills with two of Marie's applications through their
desks); the demo also registers a status service of its own
(:class:`DemoStatus`) and one whose back end is down
(:class:`DemoMessages`). Never for real accounts.
"""

from __future__ import annotations

from ircc_account._exports import present_as_public
from ircc_account.demo._pages import DemoPerson, add_portal_pages
from ircc_account.demo._plugins import DemoMessages, DemoStatus
from ircc_account.demo._run import DemoConfig, DemoSite, builtin_services, run_demo, start_demo

__all__ = [
    "DemoConfig",
    "DemoMessages",
    "DemoPerson",
    "DemoSite",
    "DemoStatus",
    "add_portal_pages",
    "builtin_services",
    "run_demo",
    "start_demo",
]

present_as_public(globals(), __name__)
