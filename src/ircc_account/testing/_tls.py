"""
A throw-away certificate authority for tests that speak TLS.

Tests run the development provider, the npm ``oidc-provider`` and small
receivers over HTTPS, as production does, so a test never needs an
"insecure transport" switch. :func:`make_test_ca` makes a fresh CA with
:mod:`trustme` and one certificate for ``127.0.0.1`` and ``localhost``.
"""

from __future__ import annotations

import pathlib
import ssl

import attrs
import trustme

__all__ = ["TestCA", "make_test_ca"]


@attrs.frozen(repr=False)
class TestCA:
    """
    A test CA, its server certificate, and SSL contexts that use them.

    Attributes:
        ca: The :class:`trustme.CA` (to issue more certificates).
        server_cert: The certificate for ``127.0.0.1`` and ``localhost``.
        server_context: A server-side context presenting *server_cert*.
        client_context: A client-side context that trusts only this CA.
    """

    # Pytest would try to collect a class whose name starts with "Test".
    __test__ = False

    ca: trustme.CA
    server_cert: trustme.LeafCert
    server_context: ssl.SSLContext
    client_context: ssl.SSLContext

    def write_pem_files(
        self, directory: pathlib.Path
    ) -> tuple[pathlib.Path, pathlib.Path, pathlib.Path]:
        """
        Write the CA certificate, server chain and server key as PEM files.

        Programs outside Python (Node, curl) read certificates from files.

        Args:
            directory: An existing directory; the files are overwritten.

        Returns:
            The paths ``(ca.pem, server-chain.pem, server-key.pem)``.
        """
        ca_path = directory / "ca.pem"
        chain_path = directory / "server-chain.pem"
        key_path = directory / "server-key.pem"
        self.ca.cert_pem.write_to_path(str(ca_path))
        chain_path.write_bytes(b"".join(blob.bytes() for blob in self.server_cert.cert_chain_pems))
        self.server_cert.private_key_pem.write_to_path(str(key_path))
        key_path.chmod(0o600)
        return ca_path, chain_path, key_path

    def __repr__(self) -> str:
        # The private keys stay out of logs and tracebacks.
        return "TestCA(hosts=('127.0.0.1', 'localhost'))"


def make_test_ca() -> TestCA:
    """
    Make a fresh CA and a server certificate for ``127.0.0.1`` and ``localhost``.

    Returns:
        The CA with a server context (TLS 1.2 or later) and a client context
        that verifies hostnames against this CA only.
    """
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1", "localhost")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.minimum_version = ssl.TLSVersion.TLSv1_2
    server_cert.configure_cert(server_context)
    # Not create_default_context(): that also trusts the system roots, and a
    # test should trust its own CA only. PROTOCOL_TLS_CLIENT checks hostnames.
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.minimum_version = ssl.TLSVersion.TLSv1_2
    ca.configure_trust(client_context)
    return TestCA(
        ca=ca,
        server_cert=server_cert,
        server_context=server_context,
        client_context=client_context,
    )
