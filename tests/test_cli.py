"""
The operator's command line: ``db upgrade``, ``keys rotate``, ``plugins list``
and the errors of every command, on SQLite and PostgreSQL, in process and as
a real ``python -m ircc_account.cli`` subprocess.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import pathlib
import select
import sqlite3
import subprocess
import sys
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

import ircc_account
from ircc_account._crypto import KeyEncryptionKey, Keyring
from ircc_account._model import ClientAccount, ContactDetails, PersonalDetails
from ircc_account._storage import SqlStore, open_store
from ircc_account._storage import _schema_audit as ta
from ircc_account._storage._store import _script
from ircc_account.audit import CheckpointSigner, export_client
from ircc_account.cli import main

SRC = str(pathlib.Path(ircc_account.__file__).resolve().parents[1])
ENV = {**os.environ, "PYTHONPATH": SRC}
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
OLD = KeyEncryptionKey(key_id="kek-old", secret=bytes(range(32)))
NEW = KeyEncryptionKey(key_id="kek-new", secret=bytes(range(32, 64)))
INDEX_KEY = bytes(range(64, 96))
# Every revision this library ships (a new migration must not break these tests).
REVISIONS = {s.revision for s in _script().walk_revisions()}


def cli(*args: str, python: str = sys.executable, env: dict[str, str] | None = None) -> Any:
    """Run ``python -m ircc_account.cli`` as a real process; its completed result."""
    return subprocess.run(
        [python, "-m", "ircc_account.cli", *args],
        capture_output=True, text=True, timeout=120, env=env or ENV,
    )  # fmt: skip


def b64(secret: bytes) -> str:
    """Unpadded base64url, as the keyring file holds keys."""
    return base64.urlsafe_b64encode(secret).decode().rstrip("=")


def keyring_file(
    path: pathlib.Path, keks: list[KeyEncryptionKey], primary: str, *, mode: int = 0o600
) -> str:
    """Write a keyring file for *keks*; its path."""
    data = {
        "format": "ircc-keyring/1",
        "primary": primary,
        "keks": {k.key_id: b64(k.secret) for k in keks},
        "index_key": b64(INDEX_KEY),
    }
    path.write_text(json.dumps(data))
    path.chmod(mode)
    return str(path)


def keyring(*keks: KeyEncryptionKey) -> Keyring:
    """A keyring of *keks*, the last one primary."""
    return Keyring(keks, primary=keks[-1].key_id, index_key=INDEX_KEY)


def add_accounts(store: SqlStore, count: int) -> None:
    """Add accounts acc-00001... in one unit."""
    with store.unit_of_work() as uow:
        for n in range(1, count + 1):
            uow.accounts.add(
                ClientAccount(
                    account_id=f"acc-{n:05d}",
                    personal=PersonalDetails(
                        family_name=f"Tremblay{n}", given_names="Marie", date_of_birth="1990-04-02"
                    ),
                    contact=ContactDetails(email=f"marie{n}@example.ca"),
                    preferred_language="fr",
                    created_at=NOW,
                )
            )
        uow.commit()


def all_readable(url: str, ring: Keyring, count: int) -> bool:
    """Whether every account's personal data decrypts with *ring*."""
    store = open_store(url, keyring=ring, migrate=False)
    try:
        with store.unit_of_work(write=False) as uow:
            names = [uow.accounts.get(f"acc-{n:05d}").personal.family_name
                     for n in range(1, count + 1)]  # fmt: skip
        return names == [f"Tremblay{n}" for n in range(1, count + 1)]
    finally:
        store.close()


def kek_counts(url: str) -> dict[str, int]:
    """How many data keys each KEK id wraps."""
    store = open_store(url, keyring=keyring(OLD, NEW), migrate=False)
    try:
        return store.data_keys_by_kek()
    finally:
        store.close()


@pytest.fixture
def accounts(database_url: str) -> str:
    """The URL of a migrated database holding 7 accounts under kek-old."""
    store = open_store(database_url, keyring=keyring(OLD))
    add_accounts(store, 7)
    store.close()
    return database_url


# --- db upgrade --------------------------------------------------------------------


def test_db_upgrade_reports_each_revision_once_then_nothing_to_do(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """One stderr line per revision applied, 'k of n'; a second run says it is already up to date."""
    n = len(REVISIONS)
    assert main(["db", "upgrade", "--database", database_url, "--create"]) == 0
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert [line.split()[0] for line in lines] == ["applied"] * n
    assert {line.split()[1] for line in lines} == REVISIONS
    assert [line.split(" ", 2)[2] for line in lines] == [f"({k} of {n})" for k in range(1, n + 1)]
    assert out == f"db upgrade: applied {n} revisions; the schema is up to date\n"
    assert main(["db", "upgrade", "--database", database_url]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == ("db upgrade: already up to date\n", "")


def test_db_upgrade_never_creates_a_missing_sqlite_file_unless_told(tmp_path: pathlib.Path) -> None:
    """Without --create a missing SQLite file is refused (exit 2, one line) and still does not exist."""
    path = tmp_path / "missing.db"
    done = cli("db", "upgrade", "--database", f"sqlite:///{path}")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "--create" in done.stderr
    assert not path.exists()
    assert cli("db", "upgrade", "--database", f"sqlite:///{path}", "--create").returncode == 0
    assert path.exists()


def test_db_upgrade_from_several_processes_applies_each_revision_once(database_url: str) -> None:
    """Three concurrent upgrades all succeed, and between them apply each revision exactly once."""
    args = [sys.executable, "-m", "ircc_account.cli", "db", "upgrade", "--create"]
    procs = [
        subprocess.Popen([*args, "--database", database_url], env=ENV, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]  # fmt: skip
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], results
    applied = [line.split()[1] for _, err in results for line in err.splitlines()]
    assert sorted(applied) == sorted(REVISIONS)


# --- keys rotate -------------------------------------------------------------------


def test_keys_rotate_dry_run_then_rotate_then_retire_the_old_kek(
    accounts: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The dry run only counts; the rotation moves every key (progress on stderr); the old KEK can then go."""
    ring = keyring_file(tmp_path / "ring.json", [OLD, NEW], "kek-new")
    args = ["keys", "rotate", "--database", accounts, "--keyring", ring]
    assert main([*args, "--dry-run"]) == 0
    out, _ = capsys.readouterr()
    assert out == "keys rotate: 7 data keys would be re-wrapped under kek-new (kek-old: 7)\n"
    assert kek_counts(accounts) == {"kek-old": 7}
    assert main([*args, "--batch-size", "3"]) == 0
    out, err = capsys.readouterr()
    assert out == "keys rotate: re-wrapped 7 data keys under kek-new; 0 left\n"
    assert err.startswith("re-wrapping: ") and "7/7 data keys (100.0%)" in err
    assert main(args) == 0
    assert (
        capsys.readouterr().out == "keys rotate: nothing to do: every data key is under kek-new\n"
    )
    assert all_readable(accounts, keyring(NEW), 7)


def test_keys_rotate_interrupted_between_batches_goes_on_where_it_stopped(
    accounts: str,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C after the second batch exits 130 saying what is left; the next run re-wraps just that."""
    from ircc_account._cli._output import ProgressLine

    ring = keyring_file(tmp_path / "ring.json", [OLD, NEW], "kek-new")
    calls: list[int] = []

    def interrupt(self: ProgressLine, done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(ProgressLine, "__call__", interrupt)
        status = main(["keys", "rotate", "--database", accounts, "--keyring", ring,
                       "--batch-size", "2"])  # fmt: skip
    assert status == 130 and calls == [2, 4]
    assert "interrupted; 3 data keys left" in capsys.readouterr().err
    assert kek_counts(accounts) == {"kek-new": 4, "kek-old": 3}
    assert main(["keys", "rotate", "--database", accounts, "--keyring", ring]) == 0
    assert "re-wrapped 3 data keys" in capsys.readouterr().out
    assert all_readable(accounts, keyring(NEW), 7)


def test_keys_rotate_killed_mid_way_loses_nothing_and_resumes(
    database_url: str, tmp_path: pathlib.Path
) -> None:
    """SIGKILL after the first batch leaves every key readable under old or new; a second run finishes."""
    count = 400
    store = open_store(database_url, keyring=keyring(OLD))
    add_accounts(store, count)
    store.close()
    ring = keyring_file(tmp_path / "ring.json", [OLD, NEW], "kek-new")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ircc_account.cli", "keys", "rotate", "--database", database_url,
         "--keyring", ring, "--batch-size", "1"],
        env=ENV, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        ready, _, _ = select.select([proc.stderr], [], [], 60)
        first = proc.stderr.readline() if ready else ""
    finally:
        proc.kill()
        proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
    assert first.startswith("re-wrapping: ")
    counts = kek_counts(database_url)
    assert sum(counts.values()) == count and 0 < counts.get("kek-new", 0) < count, counts
    assert all_readable(database_url, keyring(OLD, NEW), count)
    done = cli("keys", "rotate", "--database", database_url, "--keyring", ring)
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout
        == f"keys rotate: re-wrapped {counts['kek-old']} data keys under kek-new; 0 left\n"
    )
    assert all_readable(database_url, keyring(NEW), count)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"mode": 0o644}, "chmod 600"),
        ({"mode": 0o660}, "mode 0660"),
        ({"content": "not json"}, "is not JSON"),
        ({"content": "[]"}, "not a JSON object"),
        ({"drop": "index_key"}, "exactly the members"),
        ({"extra": {"primary_id": "kek-new"}}, "exactly the members"),
        ({"set": {"format": "ircc-keyring/2"}}, '"format" must be'),
        ({"set": {"keks": {"kek-new": "not base64!"}}}, "a KEK is not base64url"),
        ({"set": {"keks": {"kek-new": b64(b"short")}}}, "key-encryption key"),
        ({"set": {"primary": "kek-gone"}}, "primary key id is not in the keyring"),
        ({"set": {"index_key": b64(NEW.secret)}}, "must differ from every KEK"),
    ],
)
def test_keys_rotate_refuses_a_bad_keyring_file_without_quoting_it(
    accounts: str,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, Any],
    says: str,
) -> None:
    """An open, malformed or inconsistent keyring file is refused in one line, exit 2, keys untouched."""
    path = tmp_path / "ring.json"
    data: Any = {
        "format": "ircc-keyring/1",
        "primary": "kek-new",
        "keks": {"kek-old": b64(OLD.secret), "kek-new": b64(NEW.secret)},
        "index_key": b64(INDEX_KEY),
    }
    data.update(change.get("set", {}))
    data.update(change.get("extra", {}))
    data.pop(change.get("drop", ""), None)
    path.write_text(change.get("content", json.dumps(data)))
    path.chmod(change.get("mode", 0o600))
    assert main(["keys", "rotate", "--database", accounts, "--keyring", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and says in err, err
    for secret in (OLD.secret, NEW.secret, INDEX_KEY):
        assert b64(secret) not in err and secret.hex() not in err
    assert kek_counts(accounts) == {"kek-old": 7}


def test_keys_rotate_refuses_to_start_when_the_keyring_lacks_a_kek_in_use(
    accounts: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Keys under a KEK missing from the file are counted and named; nothing is re-wrapped."""
    ring = keyring_file(tmp_path / "ring.json", [NEW], "kek-new")
    assert main(["keys", "rotate", "--database", accounts, "--keyring", ring]) == 2
    err = capsys.readouterr().err
    assert "7 data keys are wrapped under KEKs the keyring file lacks: kek-old (7)" in err
    assert kek_counts(accounts) == {"kek-old": 7}


# --- audit verify ------------------------------------------------------------------


def _log_with_hostile_heads(url: str) -> None:
    """A signed, checkpointed log, then 25 head rows whose partition ids hold escapes."""
    from ircc_account.audit import AuditLog

    from .audit.conftest import make_entry

    store = open_store(url, keyring=keyring(OLD))
    try:
        log = AuditLog(store, signer=CheckpointSigner.generate("cli-test"))
        log.append_now(make_entry(occurred_at=dt.datetime.now(dt.UTC)))
        log.checkpoint()
        with store.engine.begin() as c:
            c.execute(ta.audit_heads.insert(), [
                {"partition": f"evil-{n:02d}\n\x1b[31mOK", "seq": 1, "head_hash": b"\0" * 32,
                 "head_time": 0} for n in range(25)
            ])  # fmt: skip
    finally:
        store.close()


def test_audit_verify_escapes_what_the_database_says_and_counts_the_rest(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Partition ids with a newline or ANSI escape print escaped on one line; past 20, '... and 6 more'."""
    _log_with_hostile_heads(database_url)
    assert main(["audit", "verify", "--database", database_url, "--quiet"]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("audit verify: FAILED: 1 entries in 1 partitions")
    failures = [line for line in lines if line.startswith("  ")]
    assert len(failures) == 21 and failures[-1] == "  ... and 6 more"
    assert "  evil-00\\x0a\\x1b[31mOK seq 1: head_mismatch" in failures
    assert "\x1b" not in out and err == ""


def test_audit_verify_fails_an_export_no_checkpoint_covers(
    accounts: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given published keys, an export without its checkpoint exits 1 with not_checkpointed."""
    from ircc_account.audit import AuditLog

    from .audit.conftest import make_entry

    signer = CheckpointSigner.generate("cli-export")
    store = open_store(accounts, keyring=keyring(OLD))
    try:
        AuditLog(store, signer=signer).append_now(make_entry(occurred_at=dt.datetime.now(dt.UTC)))
        export = export_client(store, "c-1", public_keys=signer.public_keys())
    finally:
        store.close()
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({k: v.hex() for k, v in signer.public_keys().items()}))
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    assert export["checkpoint"] is None
    assert main(["audit", "verify", "--export", str(path), "--keys", str(keys)]) == 1
    assert "  c-1 seq 1: not_checkpointed" in capsys.readouterr().out


def test_audit_verify_fails_a_chain_forged_for_a_new_client(
    database_url: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A correctly hashed entry for a partition with no head row: exit 1, head_mismatch at seq 1."""
    from ircc_account.audit import AuditLog
    from ircc_account.audit._codec import GENESIS, encode, entry_hash

    from .audit.conftest import make_entry

    signer = CheckpointSigner.generate("cli-forged")
    store = open_store(database_url, keyring=keyring(OLD))
    try:
        log = AuditLog(store, signer=signer)
        log.append_now(make_entry(occurred_at=dt.datetime.now(dt.UTC)))
        log.checkpoint()
        forged = log.prepare(make_entry(client_id="c-forged", occurred_at=dt.datetime.now(dt.UTC)))
        digest = entry_hash(GENESIS, encode(forged.hashed_values(1)))
        with store.engine.begin() as c:
            c.execute(ta.audit_entries.insert(), [
                {**forged.row(), "seq": 1, "prev_hash": GENESIS, "entry_hash": digest}
            ])  # fmt: skip
    finally:
        store.close()
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({k: v.hex() for k, v in signer.public_keys().items()}))
    assert main(["audit", "verify", "--database", database_url, "--keys", str(keys),
                 "--quiet"]) == 1  # fmt: skip
    out = capsys.readouterr().out
    assert out.startswith("audit verify: FAILED: 2 entries in 2 partitions")
    assert "  c-forged seq 1: head_mismatch" in out.splitlines()


def _files(folder: pathlib.Path) -> dict[str, bytes]:
    """Every file under *folder*, by relative path, with its bytes."""
    return {str(f.relative_to(folder)): f.read_bytes() for f in folder.rglob("*") if f.is_file()}


@pytest.mark.parametrize(
    ("keys", "export", "says"),
    [
        pytest.param(
            '{"cli-bad": "not hex at all"}', None, "holds a key that is not hex", id="non-hex"
        ),
        pytest.param('["00ff"]', None, 'must be {"key id": "hex public key"}', id="list"),
        pytest.param(
            '{"cli-bad": "' + "ab" * 16 + '"}',
            None,
            "is not a 32-byte Ed25519 public key",
            id="short-key",
        ),
        pytest.param(
            '{"cli-bad": "' + "ab" * 33 + '"}',
            None,
            "is not a 32-byte Ed25519 public key",
            id="long-key",
        ),
        pytest.param('{"cli-bad": "ab', None, "is not JSON", id="cut-keys"),
        pytest.param(None, "cut", "is not JSON", id="cut-export"),
    ],
)
def test_audit_verify_refuses_a_bad_keys_or_export_file_in_one_line(
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    keys: str | None,
    export: str | None,
    says: str,
) -> None:
    """A keys file that is not hex, a list, a key of the wrong length, or a cut-off file: exit 2, one line on stderr, nothing written."""
    from ircc_account.audit import AuditLog

    from .audit.conftest import make_entry

    url = f"sqlite:///{tmp_path / 'account.db'}"
    signer = CheckpointSigner.generate("cli-bad")
    store = open_store(url, keyring=keyring(OLD))
    try:
        log = AuditLog(store, signer=signer)
        log.append_now(make_entry(occurred_at=dt.datetime.now(dt.UTC)))
        log.checkpoint()
        whole = json.dumps(export_client(store, "c-1", public_keys=signer.public_keys()))
    finally:
        store.close()
    good_keys = json.dumps({k: v.hex() for k, v in signer.public_keys().items()})
    (tmp_path / "keys.json").write_text(good_keys if keys is None else keys)
    (tmp_path / "export.json").write_text(whole[: len(whole) // 2] if export else whole)
    before = _files(tmp_path)
    runs = [["--export", str(tmp_path / "export.json")]]
    if export is None:
        runs.append(["--database", url, "--quiet"])
    for source in runs:
        status = main(["audit", "verify", *source, "--keys", str(tmp_path / "keys.json")])
        out, err = capsys.readouterr()
        assert status == 2, (source, out, err)
        assert out == "" and err.count("\n") == 1 and says in err, err
        assert "Traceback" not in err
    assert _files(tmp_path) == before


def test_audit_verify_refuses_a_missing_or_unmigrated_database(
    database_url: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing SQLite file (not created) or an unmigrated schema: one line, exit 2."""
    missing = tmp_path / "absent.db"
    assert main(["audit", "verify", "--database", f"sqlite:///{missing}"]) == 2
    assert "no SQLite database at" in capsys.readouterr().err and not missing.exists()
    if database_url.startswith("sqlite"):
        sqlite3.connect(database_url.removeprefix("sqlite:///")).close()  # an empty file
    assert main(["audit", "verify", "--database", database_url]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "is not up to date (or not created): run ircc-account db upgrade first" in err


def test_keys_rotate_refuses_a_schema_from_a_newer_release(
    accounts: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database migrated by a newer release is named as such, not as out of date."""
    engine = sa.create_engine(accounts.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as c:
        c.execute(
            sa.text(
                "UPDATE ircc_schema_version SET version_num = '0099_future' WHERE version_num = :v"
            ),
            {"v": sorted(REVISIONS)[-1]},  # the newest revision is a head
        )
    engine.dispose()
    ring = keyring_file(tmp_path / "ring.json", [OLD, NEW], "kek-new")
    assert main(["keys", "rotate", "--database", accounts, "--keyring", ring]) == 2
    assert "[storage.schema_too_new]" in capsys.readouterr().err


@pytest.mark.postgres
def test_connection_failures_are_one_line_without_the_password(
    postgres_url: str, tmp_path: pathlib.Path
) -> None:
    """An unreachable server or an unknown role: exit 2, one stderr line, no traceback, no password."""
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    with_password = url.set(username="nobody", password="s3cret-pw")
    unreachable = with_password.set(port=1)
    ring = keyring_file(tmp_path / "ring.json", [OLD, NEW], "kek-new")
    for target, says in ((unreachable, "Connection refused"), (with_password, "nobody")):
        text = target.render_as_string(hide_password=False)
        for args in (["audit", "verify", "--database", text],
                     ["db", "upgrade", "--database", text],
                     ["keys", "rotate", "--database", text, "--keyring", ring]):  # fmt: skip
            done = cli(*args)
            assert done.returncode == 2, done
            assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
            assert "cannot connect to postgresql://nobody@" in done.stderr and says in done.stderr
            assert "s3cret-pw" not in done.stderr and "Traceback" not in done.stderr


def test_the_real_process_reports_outcomes_by_exit_status(
    tmp_path: pathlib.Path, sqlite_url: str
) -> None:
    """As a subprocess: usage errors exit 2, verification 0, no traceback anywhere."""
    assert cli("audit", "verify").returncode == 2
    assert cli("keys", "rotate", "--database", sqlite_url, "--keyring", "x", "--batch-size",
               "0").returncode == 2  # fmt: skip
    assert cli("plugins", "list", "--allow", "no-pin").returncode == 2
    assert cli("audit", "verify", "--database", "x", "--export", "y").returncode == 2
    assert cli("db", "upgrade", "--database", sqlite_url, "--create", "--quiet").stderr == ""
    done = cli("audit", "verify", "--database", sqlite_url)
    assert done.returncode == 0 and done.stdout.startswith("audit verify: OK: 0 entries")
    for args in (("audit", "verify", "--database", "mysql://h/db"),
                 ("audit", "verify", "--database", "::not a url::"),
                 ("audit", "verify", "--export", str(tmp_path / "none.json"))):  # fmt: skip
        done = cli(*args)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert "Traceback" not in done.stderr


def test_driver_errors_after_connecting_never_quote_sql_or_values(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A driver error mid-command prints its kind (and SQLite's fixed text), never the statement or its parameters."""
    from ircc_account.audit import _api as _verify

    assert main(["db", "upgrade", "--database", sqlite_url, "--create", "--quiet"]) == 0
    capsys.readouterr()

    class PgError(Exception):
        sqlstate = "23505"

    for orig, says in (
        (sqlite3.OperationalError("disk I/O error"), "database error: disk I/O error"),
        (PgError("Key (x)=(secret-value) exists"), "database error: PgError (SQLSTATE 23505)"),
    ):

        def fail(*_: Any, orig: Exception = orig, **__: Any) -> None:
            raise sa_exc.OperationalError("SELECT :v", {"v": "secret-value"}, orig)

        monkeypatch.setattr(_verify, "verify_engine", fail)
        assert main(["audit", "verify", "--database", sqlite_url, "--quiet"]) == 2
        err = capsys.readouterr().err
        assert err == f"ircc-account audit verify: {says}\n"

    def crash(*_: Any, **__: Any) -> None:
        raise RuntimeError("secret-value")

    monkeypatch.setattr(_verify, "verify_engine", crash)
    assert main(["audit", "verify", "--database", sqlite_url, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "unexpected error (RuntimeError at test_cli.py:" in err and "secret-value" not in err


# --- plugins list ------------------------------------------------------------------


def test_plugins_list_escapes_metadata_and_exits_by_the_allowed_plugins(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A distribution name holding an escape prints escaped; exit 1 only when an allowed plugin fails."""
    info = tmp_path / "evil-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: evil\x1b[2J\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[ircc_account.services]\nevil = never_imported\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["plugins", "list"]) == 0
    out = capsys.readouterr().out
    assert "evil\\x1b[2J" in out and "\x1b" not in out and "not allowlisted" in out
    assert main(["plugins", "list", "--allow", "gone=ircc-gone==1.0"]) == 1
    assert "not installed" in capsys.readouterr().out
    assert "never_imported" not in sys.modules


@pytest.fixture(scope="module")
def plugin_venv(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A fresh venv with both example plugins pip-installed (as in tests/services/test_packaging.py)."""
    import sysconfig

    examples = pathlib.Path(__file__).resolve().parents[1] / "examples"
    env = tmp_path_factory.mktemp("plugins") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", env], check=True)
    python = env / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # Reuse this environment's dependencies without installing from an index.
    parent = sysconfig.get_paths()["purelib"]
    pathlib.Path(purelib, "_ircc_parent.pth").write_text(
        f"import site; site.addsitedir({parent!r})\n"
    )
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps",
         examples / "minimal_plugin", examples / "legacy_plugin"],
        check=True, timeout=300,
    )  # fmt: skip
    return python


@pytest.mark.slow
def test_plugins_list_in_a_venv_with_the_example_plugins(plugin_venv: pathlib.Path) -> None:
    """Both examples start when pinned right; a wrong pin or a block says why and exits 1."""
    python = str(plugin_venv)
    minimal = "minimal-example=ircc-example-minimal==0.1.0"
    legacy = "legacy-portal=ircc-example-legacy==0.1.0"
    done = cli("plugins", "list", "--allow", minimal, "--allow", legacy, python=python)
    assert done.returncode == 0 and done.stderr == "", done
    rows = [line.split(None, 5) for line in done.stdout.splitlines()]
    assert rows[0] == ["NAME", "DISTRIBUTION", "VERSION", "ALLOWED", "STARTS", "REASON"]
    examples = sorted(row for row in rows[1:] if row[1] != "ircc-account")
    assert examples == [
        ["legacy-portal", "ircc-example-legacy", "0.1.0", "yes", "yes"],
        ["minimal-example", "ircc-example-minimal", "0.1.0", "yes", "yes"],
    ]
    # The library's own built-in services are listed too, and stay off until allowed.
    builtins = [row for row in rows[1:] if row[1] == "ircc-account"]
    assert builtins and all(row[3:] == ["no", "no", "not allowlisted"] for row in builtins)
    done = cli("plugins", "list", "--allow", minimal, "--allow",
               "legacy-portal=ircc-example-legacy==0.2.0", python=python)  # fmt: skip
    assert done.returncode == 1, done
    assert "pinned to version 0.2.0" in done.stdout and "not installed" in done.stdout
    done = cli("plugins", "list", "--allow", minimal, "--block", "minimal-example", python=python)
    assert done.returncode == 0, done  # a blocked plugin is not an allowed one that fails
    assert "blocked" in done.stdout and "not allowlisted" in done.stdout
    assert "Traceback" not in done.stderr


def test_db_upgrade_with_a_keyring_seals_what_older_releases_kept_in_clear(
    database_url: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --keyring, db upgrade also seals items' titles kept in clear by an older release, and says how many rows it sealed."""
    import datetime as dt

    from ircc_account._storage import _schema as t
    from ircc_account.services import BilingualText, ItemKind, ItemState, ServiceItem

    kek = KeyEncryptionKey(key_id="kek-1", secret=b"k" * 32)
    store = open_store(database_url, keyring=keyring(kek))
    add_accounts(store, 1)
    now = dt.datetime.now(dt.UTC)
    with store.unit_of_work() as uow:
        uow.items.add(
            ServiceItem(
                item_id="item-1",
                account_id="acc-00001",
                service_id="trv",
                kind=ItemKind.APPLICATION,
                reference="V123456789",
                state=ItemState.SUBMITTED,
                title=BilingualText("Visitor visa for Marie", "Visa pour Marie"),
                created_at=now,
                updated_at=now,
            )
        )
        uow.commit()
    with store.engine.begin() as c:
        # As an older release wrote it: the title in clear, nothing sealed.
        c.execute(
            t.items.update().values(
                reference="V123456789",
                title_en="Visitor visa for Marie",
                title_fr="Visa pour Marie",
                details_ct=None,
                reference_index=None,
            )
        )
    assert store.plaintext_rows_left() == 1
    ring = keyring_file(tmp_path / "ring.json", [kek], "kek-1")
    assert main(["db", "upgrade", "--database", database_url, "--keyring", ring, "--quiet"]) == 0
    out, _ = capsys.readouterr()
    assert "sealed or re-indexed 1 rows" in out
    assert store.plaintext_rows_left() == 0
    store.close()
