"""
Run an ASGI app with uvicorn in a background thread, on a socket bound beforehand.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

__all__ = ["RunningServer"]

_START_TIMEOUT = 15.0


class RunningServer:
    """
    A uvicorn server running in a daemon thread; a context manager.

    Attributes:
        url: The base URL it serves, such as ``https://127.0.0.1:43121``.

    .. versionadded:: 0.1
    """

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, url: str) -> None:
        self._server = server
        self._thread = thread
        self.url = url

    @classmethod
    def start(
        cls, app: Any, sock: socket.socket, url: str, ssl_context: ssl.SSLContext | None
    ) -> RunningServer:
        """
        Serve *app* on the bound *sock* and wait until it accepts connections.

        Args:
            app: The ASGI application.
            sock: A bound, not yet listening, TCP socket; the server owns it.
            url: The URL clients use.
            ssl_context: A server-side context for HTTPS, or ``None``.

        Raises:
            RuntimeError: The server did not start in time.
        """
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="off",
            # uvicorn builds its own SSLContext from files unless given a factory.
            ssl_context_factory=(lambda _cfg, _default: ssl_context) if ssl_context else None,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn {url}", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                sock.close()
                raise RuntimeError(f"the server at {url} did not start")
            time.sleep(0.01)
        return cls(server, thread, url)

    def stop(self) -> None:
        """
        Stop the server and wait for its thread to end.
        """
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"RunningServer(url={self.url!r})"
