"""
Where messages go: the :class:`NotificationSender` port, the GC Notify
adapter on ``notifications-python-client``, and an in-memory sender for
development and the demo portal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

from ircc_account.errors import ConfigurationError, NotifySendFailed

__all__ = ["EmailMessage", "GcNotifySender", "MemorySender", "NotificationSender"]

#: GC Notify's API (the Government of Canada's instance).
GC_NOTIFY_URL = "https://api.notification.canada.ca"


@attrs.frozen(kw_only=True)
class EmailMessage:
    """
    One email to send through a template. Personal data: its repr shows
    neither the address nor the personalisation.

    Attributes:
        email_address: The recipient's address, decrypted just now.
        template_id: The GC Notify template (in the recipient's language).
        personalisation: The template's fields (name, label, link), nothing more.
        reference: The outbox row's idempotency key and the recipient's
            account id: before sending a message it may have sent already
            (a crash between the send and its mark, an answer lost), the
            worker asks GC Notify for this reference
            (:meth:`NotificationSender.was_sent`).
    """

    email_address: str = attrs.field(repr=False)
    template_id: str
    personalisation: Mapping[str, str] = attrs.field(repr=False)
    reference: str


@runtime_checkable
class NotificationSender(Protocol):
    """
    Sends one message, and tells whether the provider already took one with
    a given reference. The delivery worker calls it outside any database
    transaction, from one thread at a time per sender.
    """

    def send_email(self, message: EmailMessage) -> str:
        """
        Send *message*; returns the provider's id for it.

        Raises:
            NotifySendFailed: the provider refused it or could not be reached
                (``params["status"]``: the HTTP status, 0 for no answer;
                ``params["retry_after"]``: seconds the provider asked to
                wait, 0 if it did not say).
        """
        ...

    def was_sent(self, reference: str) -> bool:
        """
        Whether the provider already took a message with *reference* (the
        worker asks before sending a message again that an earlier attempt
        may have sent: a row claimed again after its lease ended, or
        retried).

        Raises:
            NotifySendFailed: the provider could not tell (same ``params``
                as :meth:`send_email`).
        """
        ...

    def close(self) -> None:
        """Release the sender's connections."""
        ...


def _retry_after(headers: Mapping[str, str] | None) -> int:
    """Seconds from a ``Retry-After`` header in seconds (an HTTP date counts as none)."""
    value = (headers or {}).get("Retry-After", "")
    return min(int(value), 86_400) if value.strip().isdigit() else 0


def _client_class() -> type[Any]:
    import requests
    from notifications_python_client.notifications import NotificationsAPIClient

    class QuietClient(NotificationsAPIClient):
        """
        The client, minus its failure log (whose message can echo the
        recipient's address from the response body) and never following a
        redirect (SEC-79).
        """

        def _perform_request(self, method: str, url: str, kwargs: dict[str, Any]) -> Any:
            response = self.request_session.request(method, url, allow_redirects=False, **kwargs)
            if response.status_code >= 300:
                raise requests.HTTPError(response=response)
            return response

    return QuietClient


class GcNotifySender:
    """
    Sends through GC Notify with ``notifications-python-client`` (one client
    per thread: the client is not thread-safe). Its HTTP sessions ignore the
    process's environment (``HTTP(S)_PROXY``, ``REQUESTS_CA_BUNDLE``,
    ``~/.netrc``): requests go straight to *base_url*, verified against the
    CA bundle ``requests`` ships (``certifi``).

    Args:
        api_key: The API key, from the portal's secret store (the library
            reads no environment variable). Never logged or shown.
        base_url: GC Notify's API: ``https://`` (plain HTTP only to
            127.0.0.1 or localhost, for a local test server).
        timeout: Seconds for each request (keep it well under the worker's lease).
    """

    def __init__(
        self, api_key: str, *, base_url: str = GC_NOTIFY_URL, timeout: float = 10.0
    ) -> None:
        # A key is "name-<service id: 36>-<secret: 36>".
        if not isinstance(api_key, str) or len(api_key) < 74 or api_key[-37] != "-":
            raise ConfigurationError(reason="the GC Notify API key is malformed")
        if not base_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ConfigurationError(reason="the GC Notify URL must use https")
        self._api_key = api_key
        self.base_url = base_url
        self.timeout = timeout
        self._local = threading.local()
        self._clients: list[Any] = []
        self._lock = threading.Lock()
        self._cls = _client_class()

    def __repr__(self) -> str:
        return f"GcNotifySender(base_url={self.base_url!r})"

    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._cls(self._api_key, base_url=self.base_url, timeout=self.timeout)
            # The library reads no environment: no proxy variables, no CA
            # bundle variables, and no ~/.netrc (whose entry would replace
            # the Bearer token with the file's password).
            client.request_session.trust_env = False
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def send_email(self, message: EmailMessage) -> str:
        """Send *message* through GC Notify; see :meth:`NotificationSender.send_email`."""
        answer = self._call(
            lambda client: client.send_email_notification(
                email_address=message.email_address,
                template_id=message.template_id,
                personalisation=dict(message.personalisation),
                reference=message.reference,
            )
        )
        return str((answer or {}).get("id", ""))

    def was_sent(self, reference: str) -> bool:
        """
        Whether GC Notify holds a notification with *reference*:
        ``GET /v2/notifications?reference=`` (the client's
        ``get_all_notifications``), which lists the service's notifications
        within its data retention (7 days by default); see
        :meth:`NotificationSender.was_sent`.
        """
        answer = self._call(lambda client: client.get_all_notifications(reference=reference))
        found = (answer or {}).get("notifications") if isinstance(answer, dict) else None
        if not isinstance(found, list):
            # A 2xx answer that is not GC Notify's list: it cannot tell.
            raise NotifySendFailed(status=502, retry_after=0)
        return any(isinstance(n, dict) and n.get("reference") == reference for n in found)

    def _call(self, call: Callable[[Any], Any]) -> Any:
        """*call* with this thread's client, its failures as :class:`NotifySendFailed`."""
        import requests

        try:
            return call(self._client())
        except requests.RequestException as e:
            response = e.response
            if response is None:
                raise NotifySendFailed(status=0, retry_after=0) from None
            raise NotifySendFailed(
                status=int(response.status_code), retry_after=_retry_after(response.headers)
            ) from None
        except Exception:
            # A 2xx answer that is not JSON (the client's InvalidResponse): it
            # may have been sent; retried, as any unclear outcome is.
            raise NotifySendFailed(status=502, retry_after=0) from None

    def close(self) -> None:
        """Close every thread's HTTP session."""
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.request_session.close()


class MemorySender:
    """
    Keeps what it is asked to send, for development and tests (the demo
    portal can show :attr:`sent`). Personal data stays in this process.

    Attributes:
        sent: Every message sent, in order.
    """

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemorySender(sent={len(self.sent)})"

    def send_email(self, message: EmailMessage) -> str:
        """Keep *message*; returns its number as the id."""
        with self._lock:
            self.sent.append(message)
            return f"memory-{len(self.sent)}"

    def was_sent(self, reference: str) -> bool:
        """Whether a message with *reference* was kept."""
        with self._lock:
            return any(m.reference == reference for m in self.sent)

    def close(self) -> None:
        """Nothing to close."""
