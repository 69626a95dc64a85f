"""
A server that speaks the GC Notify API on 127.0.0.1, for testing a portal's
notifications wiring against the real ``notifications-python-client``
rather than a patched function: it checks each request's JWT against its
API key as GC Notify does, answers ``POST /v2/notifications/email`` and
``GET /v2/notifications`` (the list, filtered by ``reference``) like GC
Notify, keeps what it accepted, and can be scripted to answer 429 (with
``Retry-After``), 5xx or 400 next, or to accept a message and lose its
answer.
"""

from __future__ import annotations

import collections
import datetime as dt
import http.server
import json
import socket
import threading
import urllib.parse
import uuid
from typing import Any

import attrs

__all__ = ["NotifyServer", "ReceivedEmail"]

#: A well-formed API key's parts: the service id and the secret.
_SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
_SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"  # noqa: S105 (a test server's, made up)


@attrs.frozen
class ReceivedEmail:
    """
    One email the server accepted.

    Attributes:
        email_address: The recipient's address.
        template_id: The template asked for.
        personalisation: The template's fields.
        reference: The sender's reference, if it gave one.
    """

    email_address: str
    template_id: str
    personalisation: dict[str, str]
    reference: str | None


class NotifyServer:
    """
    A GC Notify API on 127.0.0.1, in a thread: ``NotifyServer().start()``,
    then hand the sender :attr:`url` as the base URL and :attr:`api_key` as
    the key; :meth:`stop` when done.

    Attributes:
        received: Every email it accepted, in order.
        requests: How many requests it answered.
        refused_tokens: How many it refused for a bad or missing token.
        lookups: Each list request it answered: the ``reference`` asked
            for (``None`` if none) and how many notifications matched.

    Args:
        service_id: The GC Notify service id the key names.
        secret: The key's secret, which signs the client's tokens.
    """

    def __init__(self, *, service_id: str = _SERVICE_ID, secret: str = _SECRET) -> None:
        self.service_id = service_id
        self.secret = secret
        self.received: list[ReceivedEmail] = []
        self.requests = 0
        self.refused_tokens = 0
        self.lookups: list[tuple[str | None, int]] = []
        #: What GET /v2/notifications lists: (id, created_at, email), in order.
        self._notifications: list[tuple[str, str, ReceivedEmail]] = []
        self._script: collections.deque[tuple[int, dict[str, str], Any, bool]] = collections.deque()
        self._lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's
                # algorithm and the client's delayed ACK add 40 ms to each answer.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                self._reply(*server.answer(self.path, self.headers.get("Authorization", ""), body))

            def do_GET(self) -> None:
                self._reply(
                    *server.answer(
                        self.path, self.headers.get("Authorization", ""), b"", method="GET"
                    )
                )

            def _reply(self, status: int, headers: dict[str, str], answer: Any) -> None:
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def api_key(self) -> str:
        """An API key this server accepts (GC Notify's format: name, service id, secret)."""
        return f"ircc_test-{self.service_id}-{self.secret}"

    @property
    def url(self) -> str:
        """The API's base URL."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> NotifyServer:
        """Start serving; returns the server."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def script(self, *answers: tuple[int, dict[str, str]], accepted: bool = False) -> None:
        """
        Answer the next requests (with a valid token: sends and lookups
        alike) with these statuses and headers. With *accepted*, a send so
        answered is accepted all the same (kept, and listed by reference):
        GC Notify took it, but its answer was lost on the way back (a
        gateway's 502 or 504, a connection cut). A 2xx status answers as
        usual (to script a later request only).
        """
        with self._lock:
            for status, headers in answers:
                self._script.append((status, headers, _error_body(status), accepted))

    def references(self) -> list[str]:
        """The references of every accepted email, in order."""
        with self._lock:
            return [r.reference or "" for r in self.received]

    def answer(
        self, path: str, authorization: str, body: bytes, *, method: str = "POST"
    ) -> tuple[int, dict[str, str], Any]:
        """
        The status, headers and JSON body GC Notify would answer a POST (or
        with *method* ``GET``, a GET) to *path* with (the request handler
        calls it; a test may too).
        """
        from notifications_python_client.authentication import (
            decode_jwt_token,
            get_token_issuer,
        )

        with self._lock:
            self.requests += 1
        token = authorization.removeprefix("Bearer ")
        try:
            if get_token_issuer(token) != self.service_id:  # type: ignore[no-untyped-call]
                raise ValueError("issuer")
            decode_jwt_token(token, self.secret)  # type: ignore[no-untyped-call]
        except Exception:
            with self._lock:
                self.refused_tokens += 1
            return 403, {}, _error_body(403)
        if method == "GET":
            return self._list(path)
        if path != "/v2/notifications/email":
            return 404, {}, _error_body(404)
        data = json.loads(body or b"{}")
        if not data.get("email_address") or not data.get("template_id"):
            return 400, {}, _error_body(400)
        email = ReceivedEmail(
            email_address=data["email_address"],
            template_id=data["template_id"],
            personalisation=dict(data.get("personalisation") or {}),
            reference=data.get("reference"),
        )
        notification_id = str(uuid.uuid4())
        with self._lock:
            if self._script and self._script[0][0] >= 300:
                status, headers, answer, accepted = self._script.popleft()
                if accepted:
                    self._keep(notification_id, email)
                elif status == 400:
                    # GC Notify echoes the bad address in its message.
                    answer = {
                        "errors": [
                            {
                                "error": "ValidationError",
                                "message": (
                                    f"email_address {data['email_address']} "
                                    "Not a valid email address"
                                ),
                            }
                        ],
                        "status_code": 400,
                    }
                return status, headers, answer
            if self._script:
                self._script.popleft()  # a 2xx: answered as usual
            self._keep(notification_id, email)
        return (
            201,
            {},
            {
                "id": notification_id,
                "reference": data.get("reference"),
                "content": {"subject": "Update", "body": "...", "from_email": "n@notify.test"},
                "uri": f"{self.url}/v2/notifications/{notification_id}",
                "template": {
                    "id": data["template_id"],
                    "version": 1,
                    "uri": f"{self.url}/v2/template/{data['template_id']}",
                },
                "scheduled_for": None,
            },
        )

    def _keep(self, notification_id: str, email: ReceivedEmail) -> None:
        """Keep an accepted email (the lock held)."""
        self.received.append(email)
        created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self._notifications.append((notification_id, created, email))

    def _list(self, path: str) -> tuple[int, dict[str, str], Any]:
        """
        ``GET /v2/notifications``: the service's notifications, newest first,
        250 a page, filtered by ``reference`` (exactly), ``template_type``
        and ``status`` and paged by ``older_than`` as GC Notify does; any
        other parameter is a 400.
        """
        parts = urllib.parse.urlsplit(path)
        if parts.path != "/v2/notifications":
            return 404, {}, _error_body(404)
        query = urllib.parse.parse_qs(parts.query)
        if set(query) - {"reference", "template_type", "status", "older_than", "include_jobs"}:
            return 400, {}, _error_body(400)
        reference = query.get("reference", [None])[-1]
        with self._lock:
            if self._script:
                status, headers, answer, _ = self._script.popleft()
                if status >= 300:
                    return status, headers, answer
            found = list(reversed(self._notifications))
            if "older_than" in query:
                ids = [n[0] for n in found]
                older = query["older_than"][-1]
                found = found[ids.index(older) + 1 :] if older in ids else []
            found = [
                n
                for n in found
                if (reference is None or n[2].reference == reference)
                and "email" in query.get("template_type", ["email"])
                and "sending" in query.get("status", ["sending"])
            ][:250]
            self.lookups.append((reference, len(found)))
        links = {"current": f"{self.url}{path}"}
        if found:
            links["next"] = f"{self.url}/v2/notifications?older_than={found[-1][0]}" + (
                "" if reference is None else f"&reference={urllib.parse.quote(reference)}"
            )
        return 200, {}, {"notifications": [self._serialise(*n) for n in found], "links": links}

    def _serialise(
        self, notification_id: str, created: str, email: ReceivedEmail
    ) -> dict[str, Any]:
        """One notification as GC Notify lists it."""
        return {
            "id": notification_id,
            "reference": email.reference,
            "email_address": email.email_address,
            "phone_number": None,
            "line_1": None,
            "line_2": None,
            "line_3": None,
            "line_4": None,
            "line_5": None,
            "line_6": None,
            "postcode": None,
            "type": "email",
            "status": "sending",
            "status_description": "In transit",
            "provider_response": None,
            "template": {
                "id": email.template_id,
                "version": 1,
                "uri": f"{self.url}/v2/template/{email.template_id}",
            },
            "body": "...",
            "subject": "Update",
            "created_at": created,
            "created_by_name": None,
            "sent_at": None,
            "completed_at": None,
            "scheduled_for": None,
            "postage": None,
        }


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client killed mid-request (the kill test) is expected, not an error.
        pass


def _error_body(status: int) -> dict[str, Any]:
    error, message = {
        403: ("AuthError", "Invalid token: signature"),
        404: ("NotFound", "Not found"),
        400: ("BadRequestError", "Bad request"),
        429: (
            "RateLimitError",
            "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
        ),
    }.get(status, ("Exception", "Internal server error"))
    return {"errors": [{"error": error, "message": message}], "status_code": status}
