"""
The commands: each takes the parsed arguments and returns the exit status.

Exit statuses: 0 done (or verified), 1 the command ran and found a failure
(verification failed, a plugin does not start, keys left), 2 a usage,
configuration or database error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any

from ircc_account._cli._database import open_engine, require_current_schema
from ircc_account._cli._keyfile import load_keyring
from ircc_account._cli._output import CliError, ProgressLine, escape, table
from ircc_account.errors import CryptoError

__all__ = ["audit_verify", "db_upgrade", "keys_rotate", "plugins_list"]

#: Failures listed by ``audit verify`` before ``... and N more``.
MAX_FAILURES = 20

#: The length of a raw Ed25519 public key (what checkpoints are signed with).
_PUBLIC_KEY_BYTES = 32


def _json_file(path: str, what: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise CliError(f"cannot read the {what} {escape(path)}: {escape(e.strerror)}") from None
    except ValueError:
        raise CliError(f"the {what} {escape(path)} is not JSON") from None


def _load_keys(path: str | None) -> dict[str, bytes] | None:
    if path is None:
        return None
    raw = _json_file(path, "keys file")
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise CliError(f'the keys file {escape(path)} must be {{"key id": "hex public key"}}')
    try:
        keys = {str(k): bytes.fromhex(v) for k, v in raw.items()}
    except ValueError:
        raise CliError(f"the keys file {escape(path)} holds a key that is not hex") from None
    if any(len(key) != _PUBLIC_KEY_BYTES for key in keys.values()):
        # A mistyped key is the operator's file, not a forged signature: refuse it as such.
        raise CliError(
            f"the keys file {escape(path)} holds a key that is not a "
            f"{_PUBLIC_KEY_BYTES}-byte Ed25519 public key"
        )
    return keys


def audit_verify(args: argparse.Namespace) -> int:
    """
    ``audit verify``: 0 when the log (or export) verifies, 1 when it does not.
    """
    from ircc_account.audit import VerificationReport, verify, verify_export

    keys = _load_keys(args.keys)
    report: VerificationReport
    if args.export:
        export = _json_file(args.export, "export")
        report = verify_export(export, trusted_keys=keys)
    else:
        # Verification needs no key-encryption key: open the engine, not a store.
        engine = open_engine(args.database)
        progress = None if args.quiet else ProgressLine(sys.stderr, "verifying", "entries")
        try:
            require_current_schema(engine)
            report = verify(engine, public_keys=keys or {}, progress=progress)
        finally:
            engine.dispose()
            if progress is not None:
                progress.finish()
    _print_report(report, trusted=keys is not None)
    return 0 if report.ok else 1


def _print_report(report: Any, *, trusted: bool) -> None:
    status = "OK" if report.ok else "FAILED"
    print(
        f"audit verify: {status}: {report.entries:,} entries in {report.partitions:,} partitions, "
        f"{report.checkpoints:,} checkpoints, {report.covered_entries:,} entries under the latest"
    )
    if not trusted:
        print(
            "audit verify: warning: no --keys given; "
            "signatures were not checked against published keys"
        )
    for failure in report.failures[:MAX_FAILURES]:
        print(f"  {escape(failure.partition)} seq {failure.seq}: {escape(failure.problem)}")
    if len(report.failures) > MAX_FAILURES:
        print(f"  ... and {len(report.failures) - MAX_FAILURES:,} more")


def db_upgrade(args: argparse.Namespace) -> int:
    """
    ``db upgrade``: apply the migrations, one progress line per revision on stderr.
    """
    from ircc_account.storage import upgrade_schema

    def report(revision: str, n: int, total: int) -> None:
        print(f"applied {escape(revision)} ({n} of {total})", file=sys.stderr, flush=True)

    import sqlalchemy as sa

    from ircc_account.storage import PostgresStore, SqliteStore, SqlStore

    keyring = None if args.keyring is None else load_keyring(args.keyring)
    engine = open_engine(args.database, create=args.create)
    try:
        # A database with no tables has no rows from older releases to seal.
        fresh = not sa.inspect(engine).get_table_names()
        applied = upgrade_schema(engine, progress=None if args.quiet else report)
        sealed = None
        if keyring is not None:
            cls: type[SqlStore] = SqliteStore if engine.dialect.name == "sqlite" else PostgresStore
            sealed = cls(engine, keyring).seal_plaintext_rows()
    finally:
        engine.dispose()
    if applied:
        print(f"db upgrade: applied {applied} revisions; the schema is up to date")
    else:
        print("db upgrade: already up to date")
    if sealed is not None:
        print(f"db upgrade: sealed or re-indexed {sealed:,} rows")
    elif applied and not fresh:
        print(
            "db upgrade: rows written by older releases are sealed when the library next "
            "opens the store, or now with --keyring"
        )
    return 0


def keys_rotate(args: argparse.Namespace) -> int:
    """
    ``keys rotate``: re-wrap every data key not under the keyring's primary KEK.
    """
    from ircc_account.storage import PostgresStore, SqliteStore, SqlStore

    keyring = load_keyring(args.keyring)
    engine = open_engine(args.database)
    cls: type[SqlStore] = SqliteStore if engine.dialect.name == "sqlite" else PostgresStore
    store = cls(engine, keyring)
    try:
        require_current_schema(engine)
        by_kek = store.data_keys_by_kek()
        _refuse_missing_keks(by_kek, keyring.key_ids)
        primary = escape(keyring.primary_id)
        left = sum(n for kek, n in by_kek.items() if kek != keyring.primary_id)
        if args.dry_run:
            detail = ", ".join(
                f"{escape(k)}: {n:,}" for k, n in sorted(by_kek.items()) if k != keyring.primary_id
            )
            print(f"keys rotate: {left:,} data keys would be re-wrapped under {primary}"
                  + (f" ({detail})" if detail else ""))  # fmt: skip
            return 0
        if not left:
            print(f"keys rotate: nothing to do: every data key is under {primary}")
            return 0
        return _rewrap(store, args.batch_size, primary, quiet=args.quiet)
    finally:
        store.close()


def _refuse_missing_keks(by_kek: Mapping[str, int], key_ids: tuple[str, ...]) -> None:
    missing = {k: n for k, n in by_kek.items() if k not in key_ids}
    if missing:
        listed = ", ".join(f"{escape(k)} ({n:,})" for k, n in sorted(missing.items()))
        raise CliError(
            f"{sum(missing.values()):,} data keys are wrapped under KEKs the keyring file "
            f"lacks: {listed}; add them to it (nothing was changed)"
        )


def _rewrap(store: Any, batch_size: int, primary: str, *, quiet: bool) -> int:
    progress = ProgressLine(sys.stderr, "re-wrapping", "data keys")
    try:
        done = store.rewrap_data_keys(batch_size=batch_size, progress=None if quiet else progress)
    except KeyboardInterrupt:
        progress.finish()
        print(f"keys rotate: interrupted; {store.data_keys_to_rewrap():,} data keys left; "
              "run the command again to go on", file=sys.stderr)  # fmt: skip
        return 130
    except CryptoError as e:
        progress.finish()
        print(f"keys rotate: stopped: {escape(e)}; {store.data_keys_to_rewrap():,} data keys "
              "left (the ones before it are done)", file=sys.stderr)  # fmt: skip
        return 1
    progress.finish()
    left = store.data_keys_to_rewrap()
    print(f"keys rotate: re-wrapped {done:,} data keys under {primary}; {left:,} left")
    if left:
        print("keys rotate: keys were wrapped meanwhile under an older KEK: is every process "
              "using the rotated keyring? Run the command again.", file=sys.stderr)  # fmt: skip
        return 1
    return 0


def plugins_list(args: argparse.Namespace) -> int:
    """
    ``plugins list``: one row per installed service plugin; 0 when every allowed one starts.
    """
    from ircc_account.services import survey

    verdicts = survey(args.allow, args.block)
    if not verdicts:
        print("plugins list: no service plugins are installed or allowlisted")
        return 0
    rows = [
        [v.name, v.distribution, v.version, _yes(v.allowed), _yes(v.starts), v.reason or ""]
        for v in verdicts
    ]
    for line in table(["NAME", "DISTRIBUTION", "VERSION", "ALLOWED", "STARTS", "REASON"], rows):
        print(line)
    return 0 if all(v.starts for v in verdicts if v.allowed) else 1


def _yes(value: bool) -> str:
    return "yes" if value else "no"
