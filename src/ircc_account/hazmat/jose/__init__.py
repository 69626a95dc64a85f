"""
JOSE, written for our trust contexts: strict compact JWS, key sets, ID and logout tokens.

.. warning::

    Hazardous materials: for reviewers and the identity module, not portal code.

Signatures are verified with :mod:`cryptography` directly, after our own
strict parser; joserfc and authlib are not in this path. What the library
signs (client assertions, delegation tokens) is signed by :func:`sign_jws`.
Only asymmetric algorithms are in the allowlists (RS/PS/ES 256–512 and EdDSA
with Ed25519); ``none`` never exists, and HMAC only for ID tokens whose
provider opted in with an explicit :class:`HmacKey` (the client secret).
"""

from __future__ import annotations

import logging

from ircc_account._exports import present_as_public

from ._algs import DEFAULT_ALGORITHMS, SUPPORTED_ALGORITHMS
from ._claims import DEFAULT_LEEWAY, MAX_LEEWAY
from ._codec import b64url_decode, b64url_encode, fail, json_object
from ._hmac import HMAC_ALGORITHMS, HmacKey
from ._id_token import IdTokenClaims, validate_id_token, validate_refreshed_id_token
from ._jwk import Jwk, KeySet
from ._jwks_cache import JwksCache
from ._jws import KeySource, ParsedJws, parse_compact_jws, verify_jws
from ._keys import (
    LoadedKey,
    jwk_thumbprint,
    key_algorithms,
    load_private_key,
    private_jwk,
    public_jwk,
)
from ._logout_token import InMemoryJtiStore, JtiStore, LogoutTokenClaims, validate_logout_token
from ._sign import check_signing_key, sign_jws

__all__ = [
    "DEFAULT_ALGORITHMS",
    "DEFAULT_LEEWAY",
    "HMAC_ALGORITHMS",
    "MAX_LEEWAY",
    "SUPPORTED_ALGORITHMS",
    "HmacKey",
    "IdTokenClaims",
    "InMemoryJtiStore",
    "JtiStore",
    "Jwk",
    "JwksCache",
    "KeySet",
    "KeySource",
    "LoadedKey",
    "LogoutTokenClaims",
    "ParsedJws",
    "b64url_decode",
    "b64url_encode",
    "check_signing_key",
    "fail",
    "json_object",
    "jwk_thumbprint",
    "key_algorithms",
    "load_private_key",
    "parse_compact_jws",
    "private_jwk",
    "public_jwk",
    "sign_jws",
    "validate_id_token",
    "validate_logout_token",
    "validate_refreshed_id_token",
    "verify_jws",
]

# Readers and docs see ircc_account.hazmat.jose.Name, not the private module.
present_as_public(globals(), __name__)

# Nothing reaches stderr unless the application configures logging.
logging.getLogger(__name__).addHandler(logging.NullHandler())
