"""
The GC Notify sender on its own, against the local server: it reads nothing
from the process's environment (proxy variables, ~/.netrc).
"""

from __future__ import annotations

import pathlib

import pytest

from ircc_account.builtin.notify import EmailMessage, GcNotifySender

from .notify_server import API_KEY, NotifyServer


def _message(reference: str) -> EmailMessage:
    return EmailMessage(
        email_address="marie@example.test",
        template_id="tpl-phase_changed-en",
        personalisation={"name": "Marie Tremblay", "label": "Visitor visa", "link": "https://x"},
        reference=reference,
    )


def test_the_sender_ignores_proxy_variables_and_netrc(
    server: NotifyServer, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With HTTP_PROXY pointing at a closed port and a ~/.netrc entry for the server, a send still goes straight to GC Notify with its own token."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-the-token\n")
    netrc.chmod(0o600)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "no-such-bundle.pem"))
    sender = GcNotifySender(API_KEY, base_url=server.url, timeout=5.0)
    try:
        assert sender.send_email(_message("ntf-1.client-1"))
    finally:
        sender.close()
    assert server.references() == ["ntf-1.client-1"]
    assert server.refused_tokens == 0
