"""
The names a client's history shows. The default directory lives in the audit
package (:class:`ircc_account.audit.StoreDirectory`); the front door builds it
over its store and service registry.
"""

from __future__ import annotations

from ircc_account.audit import StoreDirectory

__all__ = ["StoreDirectory"]
