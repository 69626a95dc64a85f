"""
Fixtures for the interop tests: the npm ``oidc-provider`` over HTTPS with a test CA.

Without node and npm the tests are skipped with a loud reason, except under
``CI``, where they fail: CI must prove interoperability.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterator

import pytest

from ircc_account.testing._oidc_provider import LogoutReceiver, NodeOidcProvider
from ircc_account.testing._tls import TestCA, make_test_ca

WORKDIR = pathlib.Path(__file__).parent / "oidc-provider"
_FALSE = frozenset({"", "0", "false", "no", "off"})
EXTRA_FIELDS = {"trace_id": "op-trace-1", "tenant": "ircc"}


@pytest.fixture(scope="session")
def interop_ca() -> TestCA:
    """The throw-away CA every interop server and client uses."""
    return make_test_ca()


@pytest.fixture(scope="session")
def logout_receiver(interop_ca: TestCA) -> Iterator[LogoutReceiver]:
    """An HTTPS endpoint, registered at the provider, that records logout tokens."""
    with LogoutReceiver(interop_ca) as receiver:
        yield receiver


@pytest.fixture(scope="session")
def oidc_provider(
    interop_ca: TestCA, logout_receiver: LogoutReceiver
) -> Iterator[NodeOidcProvider]:
    """The npm oidc-provider, started once per session on a free port."""
    if NodeOidcProvider.find_node() is None:
        if os.environ.get("CI", "").strip().lower() not in _FALSE:
            pytest.fail("node and npm not found; CI must run the oidc-provider interop tests")
        pytest.skip("node and npm not found: install Node.js 20+ to run the interop tests")
    provider = NodeOidcProvider(
        WORKDIR,
        interop_ca,
        backchannel_logout_uri=logout_receiver.url,
        # BCL §2.5 allows other form values; this provider sends two.
        backchannel_extra_fields=EXTRA_FIELDS,
        # RFC 9449 §8: DPoP clients must first fetch a server nonce.
        dpop_require_nonce=True,
    )
    with provider:
        yield provider
