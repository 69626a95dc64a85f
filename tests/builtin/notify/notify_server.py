"""
The GC Notify API on 127.0.0.1 the notifications tests use: the kit's
:class:`ircc_account.testing.NotifyServer`, and the API key a server with
its default service id and secret accepts.
"""

from __future__ import annotations

from ircc_account.testing import NotifyServer, ReceivedEmail

__all__ = ["API_KEY", "NotifyServer", "Received", "ReceivedEmail"]

#: A default NotifyServer's service id and secret (GC Notify's key format).
SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
#: The API key a default NotifyServer accepts.
API_KEY = f"ircc_test-{SERVICE_ID}-{SECRET}"
Received = ReceivedEmail
