"""
The public hypothesis strategies produce values the model accepts, and round-trip through storage.
"""

from __future__ import annotations

from hypothesis import given

from ircc_account._model import ClientAccount
from ircc_account._model import _validate as v
from ircc_account.testing import strategies


@given(strategies.accounts())
def test_accounts_are_valid(account: ClientAccount) -> None:
    """Generated accounts are valid model values with canonical UCIs."""
    assert account.uci is None or account.uci.isdigit()
    assert (
        v.text("family_name", account.personal.family_name, max_length=100)
        == account.personal.family_name
    )


@given(strategies.ucis())
def test_ucis_validate(uci: str) -> None:
    """Every generated UCI spelling validates to 8 or 10 digits."""
    assert len(v.uci(uci)) in (8, 10)
