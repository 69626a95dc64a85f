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
@pytest.mark.xfail(
    strict=True,
    reason="representatives.display_name holds a representative's name in clear "
    "(a finding of this check, reported; not sealed by the delegation tables yet)",
)
def test_the_demo_keeps_no_personal_data_in_clear(demo_folder: pathlib.Path) -> None:
    """The review's personal-data check passes on the demo's store."""
    run = _review(demo_folder, DEMO_REVIEW, "-k", "personal_data")
    assert run.returncode == 0, run.stdout[-2000:]
