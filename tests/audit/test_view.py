"""
The client's view ("who touched my file"), the JSON log formatter, and the CLI.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest

from ircc_account._clock import FrozenClock
from ircc_account._model import BilingualText, Capacity
from ircc_account._storage import SqlStore
from ircc_account.audit import (
    CheckpointSigner,
    JsonLogFormatter,
    export_client,
    who_touched_my_file,
)
from ircc_account.cli import main

from .conftest import NOW, make_entry, new_log


@pytest.fixture
def history(sqlite_store: SqlStore, signer: CheckpointSigner, clock: FrozenClock) -> SqlStore:
    """A client's file read by a representative, an officer and a plugin, and the client."""
    log = new_log(sqlite_store, signer, clock)
    log.append_now(make_entry(occurred_at=NOW - dt.timedelta(hours=2)))
    log.append_now(make_entry(occurred_at=NOW - dt.timedelta(hours=1), capacity="officer",
                              actor_id="officer-jane-doe", organisation_id="ircc-montreal",
                              reason="case review", item_id="app-2"))  # fmt: skip
    log.append_now(make_entry(occurred_at=NOW, capacity="plugin",
                              actor_id="svc-passport", action="item.export", reason="grant"),
                   on_behalf_of="rep-7")  # fmt: skip
    log.append_now(make_entry(client_id="c-other"))
    log.checkpoint()
    return sqlite_store


def test_sec_66_delegate_and_plugin_reads_appear_in_the_clients_history(history: SqlStore) -> None:
    """A representative's read and a plugin's export of the file are listed, newest first, in English."""
    records = who_touched_my_file(history, "c-1")
    assert [r.capacity for r in records] == [
        Capacity.PLUGIN,
        Capacity.OFFICER,
        Capacity.REPRESENTATIVE,
    ]
    assert records[2].who == "Your representative rep-7 (org-ottawa)"
    assert records[2].what == "viewed app-1"
    assert records[0].what == "exported app-1"


def test_client_view_in_french_names_officers_by_office_only(history: SqlStore) -> None:
    """In French, the representative is named and the officer is shown by role and office, never by name."""

    class Directory:
        def describe(
            self, actor_id: str, capacity: Capacity, organisation_id: str | None
        ) -> BilingualText:
            return BilingualText(f"Name of {actor_id}", f"Nom de {actor_id}")

    records = who_touched_my_file(history, "c-1", language="fr", directory=Directory())
    officer = next(r for r in records if r.capacity is Capacity.OFFICER)
    assert officer.who == "Un agent d'IRCC (ircc-montreal)"
    assert "jane" not in officer.who
    rep = next(r for r in records if r.capacity is Capacity.REPRESENTATIVE)
    assert rep.who == "Nom de rep-7" and rep.what == "a consulté app-1"


def test_client_view_filters_by_item_and_period(history: SqlStore) -> None:
    """Filtering by item and by period keeps only the matching accesses, and never another client's."""
    assert [r.item_id for r in who_touched_my_file(history, "c-1", item_id="app-2")] == ["app-2"]
    window = who_touched_my_file(history, "c-1", since=NOW - dt.timedelta(minutes=90),
                                 until=NOW - dt.timedelta(minutes=30))  # fmt: skip
    assert [r.capacity for r in window] == [Capacity.OFFICER]
    assert who_touched_my_file(history, "c-nobody") == []


def test_sec_69_log_injection_stays_one_record() -> None:
    """A value holding a newline with fake JSON, or an ANSI escape, stays inside one JSON line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger("test.audit.injection")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(
            "login for %s", 'Marie\n{"evt":"fake"}\x1b[31m', extra={"name_claim": "x\r\ny"}
        )
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["message"] == 'login for Marie\n{"evt":"fake"}\x1b[31m'
    assert "\x1b" not in lines[0] and "evt" not in json.loads(lines[0])


def test_sec_68_secret_keys_are_redacted_at_any_depth() -> None:
    """Tokens, codes, code_verifier, nonce, state, session ids, passwords and document numbers are never logged."""
    secrets = {"token": "T1", "code": "C1", "code_verifier": "V1", "nonce": "N1", "state": "S1",
               "session_id": "SID1", "password": "P1", "document_number": "D1", "id_token": "IT1"}  # fmt: skip
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "callback", None, None)
    record.__dict__.update({"params": secrets, **secrets, "client_id": "c-1"})
    line = JsonLogFormatter().format(record)
    for value in secrets.values():
        assert value not in line
    assert json.loads(line)["client_id"] == "c-1"


def test_cli_verifies_a_database_and_an_export(
    history: SqlStore,
    signer: CheckpointSigner,
    tmp_path: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``audit verify`` exits 0 on a sound log or export with published keys, 1 once an export is edited."""
    keys = tmp_path / "keys.json"  # type: ignore[operator]
    keys.write_text(json.dumps({k: v.hex() for k, v in signer.public_keys().items()}))
    url = history.engine.url.render_as_string(hide_password=False)
    assert main(["audit", "verify", "--database", url, "--keys", str(keys)]) == 0
    assert "verifying:" in capsys.readouterr().err
    export = export_client(history, "c-1", public_keys=signer.public_keys())
    path = tmp_path / "export.json"  # type: ignore[operator]
    path.write_text(json.dumps(export))
    assert main(["audit", "verify", "--export", str(path), "--keys", str(keys)]) == 0
    export["entries"][0]["reason"] = "edited"
    path.write_text(json.dumps(export))
    assert main(["audit", "verify", "--export", str(path), "--keys", str(keys)]) == 1
    assert "c-1 seq 1: hash_mismatch" in capsys.readouterr().out
    assert (
        main(["audit", "verify", "--database", url]) == 1
    )  # no published keys: checkpoints cannot pass
