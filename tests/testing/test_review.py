"""
The reviewer's run: its configuration file, its summary per requirement
group, and a whole run against the demo's own data folder.
"""

from __future__ import annotations

import importlib.metadata
import os
import pathlib
import re
import socket
import subprocess
import sys

import pytest

from ircc_account.testing.review import GROUPS, ReviewConfigError, load_review_config
from ircc_account.testing.review._plugin import summary_lines

#: The demo's deployment as the review tutorial describes it (the same text).
DEMO_REVIEW = re.search(
    r"```toml\n(.*?)```",
    (pathlib.Path(__file__).parents[2] / "docs" / "tutorial-review.md").read_text(encoding="utf-8"),
    re.S,
).group(1)  # type: ignore[union-attr]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A folder holding the demo's data (its database and keyring), the demo stopped."""
    pytest.importorskip("starlette")
    from ircc_account.demo import DemoConfig, start_demo

    folder = tmp_path_factory.mktemp("review")
    site = start_demo(DemoConfig(data=folder / "demo-data", port=_free_port()))
    site.close()
    return folder


def _review(folder: pathlib.Path, config: str, *args: str) -> subprocess.CompletedProcess[str]:
    path = folder / "review.toml"
    path.write_text(config, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "ircc_account.testing.review", "--config", str(path), *args],
        capture_output=True,
        text=True,
        cwd=folder,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        check=False,
        timeout=900,
    )


def _write(tmp_path: pathlib.Path, text: str) -> pathlib.Path:
    path = tmp_path / "review.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[store]\ndatabase_url = 'sqlite:///a.db'\n", "needs database_url and keyring"),
        ("[stor]\n", "unknown members: stor"),
        ("[store\n", "is not TOML"),
        (
            "[store]\ndatabase_url='sqlite:///a.db'\nkeyring='k.json'\n[plugins]\nallow=['trv']\n",
            "expected NAME=DISTRIBUTION==VERSION",
        ),
        ("[store]\ndatabase_url='sqlite:///a.db'\nkeyring='missing.json'\n", "missing.json"),
    ],
)
def test_a_bad_configuration_says_where(tmp_path: pathlib.Path, text: str, says: str) -> None:
    """A configuration that cannot be used raises ReviewConfigError naming the problem."""
    with pytest.raises(ReviewConfigError, match=says):
        load_review_config(_write(tmp_path, text))


def test_groups_cover_every_requirement_once() -> None:
    """The ten groups hold SEC-01 to SEC-97, each in exactly one group."""
    for n in range(1, 98):
        assert sum(g.holds(f"SEC-{n:02d}") for g in GROUPS) == 1, n
    assert not any(g.holds("SEC-98") or g.holds("SEC-00") for g in GROUPS)


def test_the_summary_fails_a_group_when_one_check_fails() -> None:
    """A group with one failed check is FAIL, a group of skipped checks is skip, a group with none says so."""
    secs = {"a::x": ("SEC-01",), "a::y": ("SEC-02", "SEC-64"), "a::z": ("SEC-71",), "a::w": ()}
    outcomes = {"a::x": "pass", "a::y": "FAIL", "a::z": "skip", "a::w": "pass"}
    lines = summary_lines(secs, outcomes, {"a::y": "boom", "a::z": "no data"})
    text = "\n".join(lines)
    assert "FAIL  A. OIDC relying party login" in text
    assert "pass  F. Audit and logging" not in text and "FAIL  F. Audit and logging" in text
    assert "skip  G. Data at rest" in text
    assert "----  B. Tokens and JOSE" in text
    assert "FAIL a::y: boom" not in text and "FAIL y: boom" in text
    assert "a::w" in text  # a check naming no requirement is listed
    assert lines[-1] == "2 checks passed, 1 failed, 1 skipped."


@pytest.mark.slow
def test_the_review_passes_on_the_demo_and_fails_a_bad_provider(demo_folder: pathlib.Path) -> None:
    """The run against the demo's data and plugins passes; a provider over plain HTTP fails group A with exit status 1."""
    run = _review(demo_folder, DEMO_REVIEW, "--examples", "3", "-k", "not personal_data")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    out = run.stdout
    for line in (
        "pass  A. OIDC relying party login",
        "pass  E. Delegation and authorization",
        "pass  F. Audit and logging",
        "pass  G. Data at rest",
        "pass  J. Plugin isolation",
        "SEC-64 pass test_audit_log_machine, test_the_audit_log_verifies",
    ):
        assert line in out, out[-4000:]
    bad = DEMO_REVIEW.replace('issuer = "https://127.0.0.1:9000"', 'issuer = "http://id.example"')
    failed = _review(demo_folder, bad, "--examples", "1", "-k", "configuration")
    assert failed.returncode == 1, failed.stdout[-4000:]
    assert "FAIL  A. OIDC relying party login" in failed.stdout
    assert "test_each_provider_is_one_the_relying_party_accepts" in failed.stdout


def test_the_tutorials_allowlist_pins_the_installed_distribution() -> None:
    """The review tutorial allowlists the demo's built-in services except notifications, pinned to the installed version."""
    from ircc_account.demo import builtin_services

    allowed = re.findall(r'"([a-z-]+)=ircc-account==([^"]+)"', DEMO_REVIEW)
    assert {version for _, version in allowed} == {importlib.metadata.version("ircc-account")}
    expected = {p.name for p in builtin_services()} - {"notifications"}
    assert {name for name, _ in allowed} == expected


@pytest.mark.slow
def test_the_review_fails_an_allowlisted_plugin_that_did_not_start(
    demo_folder: pathlib.Path,
) -> None:
    """An allowlisted plugin pinned to another version, or not installed, fails group J with the reason plugins list gives."""
    wrong = re.sub(
        r'"enquiries=ircc-account==[^"]+"',
        '"enquiries=ircc-account==9.9.9",\n  "nosuch=ircc-nosuch==1.0"',
        DEMO_REVIEW,
    )
    assert wrong != DEMO_REVIEW
    run = _review(demo_folder, wrong, "--examples", "1", "-k", "allowlisted_plugin")
    out = run.stdout
    assert run.returncode == 1, out[-4000:] + run.stderr[-2000:]
    assert "FAIL  J. Plugin isolation" in out, out[-4000:]
    failure = next(
        line for line in out.splitlines() if "FAIL test_every_allowlisted_plugin_starts:" in line
    )
    assert "enquiries (" in failure and "nosuch (not installed)" in failure, failure


def test_a_bad_configuration_exits_2(tmp_path: pathlib.Path) -> None:
    """ircc-account review with a configuration it cannot read exits 2 with one line on stderr."""
    run = _review(tmp_path, "[stor]\n")
    assert run.returncode == 2
    assert run.stderr.startswith("ircc-account review: ") and "Traceback" not in run.stderr


@pytest.mark.slow
def test_the_demo_keeps_no_personal_data_in_clear(demo_folder: pathlib.Path) -> None:
    """The review's personal-data check passes on the demo's store."""
    run = _review(demo_folder, DEMO_REVIEW, "-k", "personal_data")
    assert run.returncode == 0, run.stdout[-2000:]


def _keyring_file(path: pathlib.Path) -> object:
    """A keyring written as an ircc-keyring/1 file (mode 600), and the keyring."""
    import base64
    import json
    import secrets

    from ircc_account import KeyEncryptionKey, Keyring

    def enc(b: bytes) -> str:
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    secret, index = secrets.token_bytes(32), secrets.token_bytes(32)
    path.write_text(
        json.dumps(
            {
                "format": "ircc-keyring/1",
                "primary": "kek-1",
                "keks": {"kek-1": enc(secret)},
                "index_key": enc(index),
            }
        ),
        encoding="utf-8",
    )
    path.chmod(0o600)
    return Keyring([KeyEncryptionKey("kek-1", secret)], primary="kek-1", index_key=index)


@pytest.mark.slow
@pytest.mark.postgres
def test_the_store_checks_read_a_postgresql_deployment(
    tmp_path: pathlib.Path, postgres_url: str
) -> None:
    """On a PostgreSQL store the audit log, append-only, data keys and personal-data checks run; the SQLite-only ones skip with a reason."""
    from ircc_account import FrontDoor, FrontDoorConfig
    from ircc_account.testing import LicencesInGoodStanding, People

    keyring = _keyring_file(tmp_path / "keyring.json")
    door = FrontDoor.open(
        FrontDoorConfig(
            database_url=postgres_url,
            keyring=keyring,  # type: ignore[arg-type]
            licence_verifier=LicencesInGoodStanding(),
        )
    )
    try:
        people = People(door)
        client = people.client()
        people.office_staff(for_client=client)
    finally:
        door.close()
    config = f'[store]\ndatabase_url = "{postgres_url}"\nkeyring = "keyring.json"\n'
    run = _review(tmp_path, config, "-k", "store")
    out = run.stdout
    assert run.returncode == 0, out[-4000:]
    assert "SEC-63 pass test_audit_rows_cannot_be_changed_through_the_apps_connection" in out
    assert "SEC-64 pass test_the_audit_log_verifies" in out, out[-4000:]
    assert "SEC-71 pass test_personal_data_is_sealed_and_indexed_with_a_key" in out, out[-4000:]
    assert "SEC-74 pass test_every_data_key_opens_with_the_keyring" in out, out[-4000:]
    assert "skip test_a_backup_restores_whole: PostgreSQL" in out, out[-4000:]


@pytest.mark.slow
@pytest.mark.postgres
def test_the_append_only_check_fails_a_postgresql_store_without_its_trigger(
    tmp_path: pathlib.Path, postgres_url: str
) -> None:
    """On a PostgreSQL store whose audit table lost its append-only trigger, the SEC-63 check fails and no row changes."""
    import sqlalchemy as sa

    from ircc_account import FrontDoor, FrontDoorConfig
    from ircc_account.testing import LicencesInGoodStanding, People

    keyring = _keyring_file(tmp_path / "keyring.json")
    door = FrontDoor.open(
        FrontDoorConfig(
            database_url=postgres_url,
            keyring=keyring,  # type: ignore[arg-type]
            licence_verifier=LicencesInGoodStanding(),
        )
    )
    try:
        client = People(door).client()
        door.history(client, client.actor_id)  # the reading is recorded in the audit log
    finally:
        door.close()
    engine = sa.create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TRIGGER audit_entries_append_only ON audit_entries"))
            before = conn.execute(sa.text("SELECT count(*) FROM audit_entries")).scalar_one()
        config = f'[store]\ndatabase_url = "{postgres_url}"\nkeyring = "keyring.json"\n'
        run = _review(tmp_path, config, "-k", "audit_rows")
        assert run.returncode == 1, run.stdout[-4000:]
        assert "FAIL  F. Audit and logging" in run.stdout, run.stdout[-4000:]
        with engine.connect() as conn:
            after = conn.execute(sa.text("SELECT count(*) FROM audit_entries")).scalar_one()
        assert before == after > 0
    finally:
        engine.dispose()
