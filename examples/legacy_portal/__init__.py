"""
A small stand-in for a legacy case-management portal, with its own data.

Run it with ``python -m legacy_portal --port 8765`` from ``examples/`` (or
``python -m examples.legacy_portal`` from the repository root). A control
endpoint, ``POST /_control {"mode": ..., "delay": ...}``, or ``--mode``
switches it between ``normal``, ``slow`` (sleeps *delay* seconds before each
answer), ``garbage`` (answers 200 with HTML instead of JSON) and ``down``
(answers 503), to drive the adapter's tests.
"""

from legacy_portal.app import create_app

__all__ = ["create_app"]
