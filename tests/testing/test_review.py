"""
The reviewer's run: its configuration file, its summary per requirement
group, and a whole run against the demo's own data folder.
"""

from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import sys

import pytest

from ircc_account.testing.review import GROUPS, ReviewConfigError, load_review_config
from ircc_account.testing.review._plugin import summary_lines

DEMO_REVIEW = """\
[store]
database_url = "sqlite:///demo-data/account.db"
keyring = "demo-data/keyring.json"

[plugins.code]
demo-status = "ircc_account.demo:DemoStatus"
demo-messages = "ircc_account.demo:DemoMessages"

[[providers]]
name = "dev"
issuer = "https://127.0.0.1:9000"
client_id = "demo-portal"
redirect_uri = "https://127.0.0.1:8443/login/callback"
client_auth = "client_secret"
"""


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
    """On a PostgreSQL store the audit log, data keys and personal-data checks run; the SQLite-only ones skip with a reason."""
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
    run = _review(tmp_path, config, "-k", "store and not personal_data")
    out = run.stdout
    assert run.returncode == 0, out[-4000:]
    assert "SEC-64 pass test_the_audit_log_verifies" in out, out[-4000:]
    assert "SEC-74 pass test_every_data_key_opens_with_the_keyring" in out, out[-4000:]
    assert "skip test_a_backup_restores_whole: PostgreSQL" in out, out[-4000:]
