"""
Verifying a store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from ircc_account._storage.ports import SqlStorage
from ircc_account.audit._export import verify_export
from ircc_account.audit._signer import CheckpointSigner
from ircc_account.audit._verify import Progress, VerificationReport, verify_engine

__all__ = ["verify"]


def verify(
    store: SqlStorage | sa.Engine | Mapping[str, Any],
    *,
    public_keys: Mapping[str, bytes] | CheckpointSigner,
    progress: Progress | None = None,
) -> VerificationReport:
    """
    Verify the whole audit log in *store*: every chain, every checkpoint.

    Args:
        store: The store; or a bare engine (``ircc_account.storage.create_engine``,
            no keyring needed: verification reads no personal data); or an
            export from :func:`export_client` (then this is
            :func:`verify_export` with *public_keys* trusted).
        public_keys: The published checkpoint keys (raw bytes by key id), or a signer.
        progress: Called with (entries done, entries in all) as verification goes.

    Returns:
        The report; call :meth:`~VerificationReport.raise_for_failure` to raise instead.
    """
    keys = public_keys.public_keys() if isinstance(public_keys, CheckpointSigner) else public_keys
    if isinstance(store, Mapping):
        return verify_export(store, trusted_keys=keys)
    engine = store if isinstance(store, sa.Engine) else store.engine
    return verify_engine(engine, keys, progress=progress)
