"""
Crash safety: SIGKILL a writer at random points, reopen, and find every acknowledged unit whole.
"""

from __future__ import annotations

import json
import os
import pathlib
import sqlite3
import subprocess
import sys

import pytest
import sqlalchemy as sa

HARNESS = pathlib.Path(__file__).with_name("crash_harness.py")
# SEC-90 asks for 1,000 kills; CI runs them all, a local run 120 (IRCC_CRASH_KILLS overrides).
KILLS = int(os.environ.get("IRCC_CRASH_KILLS", "1000" if os.environ.get("CI") else "120"))


def _run_harness(url: str, kills: int) -> set[int]:
    out = subprocess.run(
        [sys.executable, str(HARNESS), url, str(kills), "20261123"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1])["acked"])


def _check_units(url: str, acked: set[int]) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            accounts = {
                int(x.removeprefix("acc-"))
                for x in c.exec_driver_sql("SELECT account_id FROM accounts").scalars()
            }
            keys = {
                int(x.removeprefix("acc-"))
                for x in c.exec_driver_sql("SELECT account_id FROM account_keys").scalars()
            }
            items = {
                int(x.removeprefix("item-"))
                for x in c.exec_driver_sql("SELECT item_id FROM items").scalars()
            }
            events = {
                int(x.removeprefix("ev-"))
                for x in c.exec_driver_sql("SELECT event_id FROM timeline_events").scalars()
            }
    finally:
        engine.dispose()
    # Every acknowledged unit is present ...
    assert acked <= accounts, sorted(acked - accounts)[:10]
    # ... and every unit present is whole: no partial unit survived a kill.
    assert accounts == keys == items == events


@pytest.mark.slow
def test_sec_90_sigkill_never_loses_or_tears_a_unit_sqlite(tmp_path: pathlib.Path) -> None:
    """After 120 (1,000 in CI) SIGKILLs of a writer, every acknowledged unit is present and whole, integrity ok."""
    db = tmp_path / "crash.db"
    url = f"sqlite:///{db}"
    acked = _run_harness(url, KILLS)
    assert len(acked) >= KILLS // 4  # most kills landed mid-stream, after writes began
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    raw.close()
    _check_units(url, acked)


@pytest.mark.slow
@pytest.mark.postgres
def test_sec_90_sigkill_never_loses_or_tears_a_unit_postgres(postgres_url: str) -> None:
    """The same crash test against a real PostgreSQL server (fewer kills: each needs a new connection)."""
    acked = _run_harness(postgres_url, max(20, KILLS // 4))
    assert acked
    _check_units(postgres_url, acked)
