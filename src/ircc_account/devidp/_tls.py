"""
A throw-away certificate authority for running the development provider (and
a demo portal) over HTTPS on loopback: relying parties refuse plain HTTP
issuers, as they must.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import pathlib
import ssl
import tempfile

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["LocalTls"]


@attrs.frozen
class LocalTls:
    """
    TLS for loopback servers: a fresh CA (kept in memory only) and one server
    certificate it signed, valid for a day. For development and tests only.

    Attributes:
        ca_pem: The CA certificate (PEM), for clients that must trust it.
        server_context: Present the server certificate (TLS 1.2 or later).
        client_context: Trust this CA only, and check host names.
    """

    ca_pem: bytes = attrs.field(repr=False)
    server_context: ssl.SSLContext = attrs.field(repr=False)
    client_context: ssl.SSLContext = attrs.field(repr=False)

    @classmethod
    def generate(cls, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> LocalTls:
        """
        Make a CA and a server certificate for *hosts* (IP addresses or names).
        """
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ircc_account local CA")])
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        ca_pem = ca_cert.public_bytes(pem)
        server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server.minimum_version = ssl.TLSVersion.TLSv1_2
        # The ssl module loads a key only from a file: a private directory,
        # removed at once.
        with tempfile.TemporaryDirectory() as tmp:
            chain = pathlib.Path(tmp) / "chain.pem"
            key_file = pathlib.Path(tmp) / "key.pem"
            chain.write_bytes(cert.public_bytes(pem) + ca_pem)
            key_file.touch(mode=0o600)
            key_file.write_bytes(
                key.private_bytes(
                    pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
            server.load_cert_chain(chain, key_file)
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.minimum_version = ssl.TLSVersion.TLSv1_2
        client.load_verify_locations(cadata=ca_pem.decode("ascii"))
        return cls(ca_pem=ca_pem, server_context=server, client_context=client)
