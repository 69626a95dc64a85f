"""
The ``ircc-account`` command line.

``ircc-account audit verify --database URL [--keys FILE] [--export FILE]``
verifies the audit log (or a client's export) and exits 0 when it verifies,
1 when it does not, 2 on a usage or connection error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ircc-account")
    commands = parser.add_subparsers(dest="command", required=True)
    audit = commands.add_parser("audit", help="the tamper-evident audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser("verify", help="verify every chain and checkpoint")
    verify.add_argument("--database", help="database URL (sqlite:///path or postgresql://...)")
    verify.add_argument("--export", help="verify this client export (JSON) instead, offline")
    verify.add_argument(
        "--keys",
        help='JSON file of published checkpoint keys: {"key id": "hex public key"}; '
        "for an export, defaults to the keys it carries (reported as untrusted)",
    )
    verify.add_argument("--quiet", action="store_true", help="no progress line")
    return parser


class _ProgressLine:
    """
    A single progress line on stderr, redrawn at most ten times a second.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.drawn = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.drawn < 0.1 and done < total:
            return
        self.drawn = now
        rate = done / max(now - self.started, 1e-9)
        pct = 100.0 * done / total if total else 100.0
        self.stream.write(f"\rverifying: {done:,}/{total:,} entries ({pct:5.1f}%) {rate:,.0f}/s")
        self.stream.flush()

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")


def _load_keys(path: str | None) -> dict[str, bytes] | None:
    if path is None:
        return None
    with open(path, encoding="utf-8") as f:
        raw: dict[str, str] = json.load(f)
    return {str(k): bytes.fromhex(v) for k, v in raw.items()}


def _audit_verify(args: argparse.Namespace) -> int:
    from ircc_account.audit._export import verify_export
    from ircc_account.audit._verify import VerificationReport, verify_engine

    keys = _load_keys(args.keys)
    report: VerificationReport
    if args.export:
        with open(args.export, encoding="utf-8") as f:
            export: dict[str, Any] = json.load(f)
        report = verify_export(export, trusted_keys=keys)
    elif args.database:
        from ircc_account._storage._engine import create_engine

        # Verification needs no key-encryption key: open the engine, not a store.
        engine = create_engine(args.database, pool_size=1)
        progress = None if args.quiet else _ProgressLine(sys.stderr)
        try:
            report = verify_engine(engine, keys or {}, progress=progress)
        finally:
            engine.dispose()
            if progress is not None:
                progress.finish()
    else:
        print("audit verify: give --database URL or --export FILE", file=sys.stderr)
        return 2
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
    for failure in report.failures[:20]:
        print(f"  {failure.partition} seq {failure.seq}: {failure.problem}")


def main(argv: Sequence[str] | None = None) -> int:
    """
    Run the command line; returns the exit status.
    """
    args = _parser().parse_args(argv)
    from ircc_account.errors import IrccAccountError

    try:
        if args.command == "audit" and args.audit_command == "verify":
            return _audit_verify(args)
    except (IrccAccountError, OSError, ValueError) as e:
        print(f"ircc-account: {e}", file=sys.stderr)
        return 2
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":
    sys.exit(main())
