"""
The GC Notify sender on its own, against the local server: it reads nothing
from the process's environment (proxy variables, ~/.netrc), and it asks GC
Notify whether a message with a reference was already taken, as GC Notify
answers (the kit's server lists notifications in GC Notify's shape).
"""

from __future__ import annotations

import pathlib

import pytest

from ircc_account.builtin.notify import EmailMessage, GcNotifySender
from ircc_account.errors import NotifySendFailed

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
        assert sender.was_sent("ntf-1.client-1")
    finally:
        sender.close()
    assert server.references() == ["ntf-1.client-1"]
    assert server.refused_tokens == 0


def test_was_sent_asks_gc_notify_by_reference_with_the_api_token(server: NotifyServer) -> None:
    """The sender finds a message GC Notify holds by its exact reference (GET /v2/notifications?reference=), not another's, and a wrong key's lookup is refused."""
    sender = GcNotifySender(API_KEY, base_url=server.url)
    wrong = GcNotifySender(API_KEY[:-4] + "0000", base_url=server.url)
    try:
        assert not sender.was_sent("ntf-1.client-1")
        sender.send_email(_message("ntf-1.client-1"))
        sender.send_email(_message("ntf-2.client-1"))
        assert sender.was_sent("ntf-1.client-1")
        assert not sender.was_sent("ntf-1.client-2")
        assert not sender.was_sent("ntf-1")
        with pytest.raises(NotifySendFailed) as refused:
            wrong.was_sent("ntf-1.client-1")
        assert refused.value.params["status"] == 403
    finally:
        sender.close()
        wrong.close()
    assert server.lookups == [
        ("ntf-1.client-1", 0),
        ("ntf-1.client-1", 1),
        ("ntf-1.client-2", 0),
        ("ntf-1", 0),
    ]
    assert server.refused_tokens == 1


def test_the_local_server_lists_notifications_as_gc_notify_does(server: NotifyServer) -> None:
    """The kit's server answers the real client's get_all_notifications with GC Notify's shape: notifications (newest first, with their reference, type and template) and links."""
    from notifications_python_client.notifications import NotificationsAPIClient

    sender = GcNotifySender(API_KEY, base_url=server.url)
    try:
        sender.send_email(_message("ntf-1.client-1"))
        sender.send_email(_message("ntf-2.client-1"))
    finally:
        sender.close()
    client = NotificationsAPIClient(API_KEY, base_url=server.url)
    listed = client.get_all_notifications(template_type="email")
    assert set(listed) == {"notifications", "links"}
    assert [n["reference"] for n in listed["notifications"]] == ["ntf-2.client-1", "ntf-1.client-1"]
    first = listed["notifications"][0]
    assert first["type"] == "email" and first["template"]["id"] == "tpl-phase_changed-en"
    assert first["email_address"] == "marie@example.test" and first["created_at"].endswith("Z")
    assert set(listed["links"]) == {"current", "next"}
    older = client.get_all_notifications(older_than=first["id"])
    assert [n["reference"] for n in older["notifications"]] == ["ntf-1.client-1"]
    one = client.get_all_notifications(reference="ntf-1.client-1")
    assert [n["reference"] for n in one["notifications"]] == ["ntf-1.client-1"]
