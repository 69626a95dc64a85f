"""
The fuzzing harnesses: a bounded smoke run of each in the normal suite, the
harness contract itself, and the bugs the harnesses found.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import pathlib
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ircc_account import FrozenClock
from ircc_account.builtin.applications import AnswerFacts, SpanOver
from ircc_account.delegation import DelegationTokenVerifier
from ircc_account.delegation._tokens import public_jwk, sign_compact
from ircc_account.errors import InvalidCallback, InvalidToken
from ircc_account.testing.fuzz import TARGETS, ContractBroken, FuzzTarget, main, smoke
from ircc_account.testing.fuzz._engine import run_hypothesis

ROOT = pathlib.Path(__file__).resolve().parents[2]
WYCHEPROOF_JWS = ROOT / "tests" / "vectors" / "wycheproof" / "json_web_signature_test.json"
# Generated inputs per harness in the smoke run (the seeds come on top).
SMOKE_EXAMPLES = 150


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_each_harness_keeps_its_contract_on_a_bounded_run(name: str) -> None:
    """Each harness's seeds, the Wycheproof JWS vectors and a fixed set of generated inputs meet only typed errors that echo no secret."""
    corpus = [WYCHEPROOF_JWS] if name.endswith("token") else []
    checked = smoke(name, examples=SMOKE_EXAMPLES, corpus=corpus)
    assert checked >= SMOKE_EXAMPLES + len(TARGETS[name].seeds())


def test_the_targets_are_the_parsers_issue_17_names() -> None:
    """The callback, ID-token, logout-token and delegation-token parsers and the application engine's answers each have a harness."""
    assert set(TARGETS) == {"callback", "id-token", "logout-token", "delegation-token", "answers"}


def _target(body: object) -> FuzzTarget:
    return FuzzTarget(name="t", summary="a test target", body=body, seeds=list)  # type: ignore[arg-type]


def test_an_untyped_exception_breaks_the_contract() -> None:
    """An exception that is not the library's own is reported, with the original as its cause."""

    def body(data: bytes, secrets: list[str]) -> None:
        raise KeyError("kid")

    with pytest.raises(ContractBroken) as caught:
        _target(body).check(b"x")
    assert isinstance(caught.value.__cause__, KeyError)


def test_an_error_repeating_a_secret_breaks_the_contract() -> None:
    """A typed error whose message carries part of the input is reported; one that does not passes."""

    class Leaky(InvalidCallback):
        message_en = "bad state {state}"

    def leaky(data: bytes, secrets: list[str]) -> None:
        secrets.append(data.decode())
        raise Leaky(state=data.decode())

    def quiet(data: bytes, secrets: list[str]) -> None:
        secrets.append(data.decode())
        raise InvalidCallback()

    with pytest.raises(ContractBroken):
        _target(leaky).check(b"state-0123456789")
    _target(quiet).check(b"state-0123456789")


def test_an_input_that_breaks_the_contract_is_saved_under_crashes(tmp_path: pathlib.Path) -> None:
    """The hypothesis engine writes the breaking input to the crashes folder as TARGET-crash-SHA1 and stops."""

    def body(data: bytes, secrets: list[str]) -> None:
        if data == b"boom":
            raise OverflowError

    with pytest.raises(ContractBroken):
        run_hypothesis(_target(body), [b"ok", b"boom"], runs=5, seconds=None, crashes=tmp_path)
    (saved,) = tmp_path.iterdir()
    assert saved.name.startswith("t-crash-") and saved.read_bytes() == b"boom"


def test_the_command_lists_replays_and_runs(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command lists targets, replays a saved input, and reports a bounded run on which the contract held."""
    assert main(["list"]) == 0
    assert "delegation-token" in capsys.readouterr().out
    seed = tmp_path / "seed"
    seed.write_bytes(b"code=abc&state=xyz")
    assert main(["callback", "--replay", str(seed)]) == 0
    assert (
        main(["callback", "--engine", "hypothesis", "--runs", "30", "--crashes", str(tmp_path)])
        == 0
    )
    assert list(tmp_path.glob("*crash*")) == []


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris is not installed")
def test_atheris_runs_a_harness_with_one_command(tmp_path: pathlib.Path) -> None:
    """``python -m ircc_account.testing.fuzz callback --engine atheris --runs N`` fuzzes with coverage and exits 0."""
    run = subprocess.run(
        [sys.executable, "-m", "ircc_account.testing.fuzz", "callback", "--engine", "atheris",
         "--runs", "500", "--work", str(tmp_path / "corpus"), "--crashes", str(tmp_path / "crashes")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Done 500 runs" in run.stderr
    assert list((tmp_path / "corpus").iterdir())


# --- what the harnesses found ----------------------------------------------------------


def test_a_signed_delegation_token_with_an_ancient_nbf_is_refused_with_the_typed_error() -> None:
    """A delegation token whose nbf lies before 1970 is InvalidToken, not an OverflowError (found by the delegation-token harness)."""
    key = Ed25519PrivateKey.generate()
    now = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    ts = int(now.timestamp())
    verifier = DelegationTokenVerifier(
        jwks={"keys": [public_jwk(key.public_key())]},
        issuer="https://account.example",
        audience="legacy",
        clock=FrozenClock(now),
    )
    claims = {
        "iss": "https://account.example", "aud": "legacy", "sub": "client-1",
        "act": {"sub": "rep-1"}, "scope": "view_status", "iat": ts, "exp": ts + 60,
        "jti": "j1", "gid": "g1",
    }  # fmt: skip
    for nbf in (-(10**15), -(10**20), -1):
        with pytest.raises(InvalidToken):
            verifier.verify(sign_compact(key, {**claims, "nbf": nbf}))
    assert verifier.verify(sign_compact(key, {**claims, "nbf": ts})).token_id == "j1"


def test_a_stay_ending_in_the_year_9999_is_judged_not_a_crash() -> None:
    """SpanOver answers for dates whose limit falls past the year 9999 (found by the answers harness: a saved visitor-visa draft could no longer be shown)."""
    rule = SpanOver("arrival", "departure", 6)
    today = dt.date(2026, 3, 1)

    def over(a: dt.date, b: dt.date) -> bool | None:
        return rule.evaluate(AnswerFacts(answers={"arrival": a, "departure": b}, today=today))

    assert over(dt.date(9999, 12, 1), dt.date(9999, 12, 31)) is False
    assert over(dt.date(9999, 8, 31), dt.date(9999, 12, 31)) is False
    assert over(dt.date(9999, 1, 31), dt.date(9999, 12, 31)) is True
    assert over(dt.date(2026, 1, 31), dt.date(2026, 8, 1)) is True
    assert over(dt.date(2026, 1, 31), dt.date(2026, 7, 31)) is False
    TARGETS["answers"].check(b'\x00{"arrival_date": "9999-12-01", "departure_date": "9999-12-31"}')
