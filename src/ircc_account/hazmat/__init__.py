"""
Hazardous materials: raw token, key and signature handling.

.. warning::

    This layer is for security reviewers and for :mod:`ircc_account`'s own
    identity module. Portal code must not call it: use the recipes level
    (log in, resume a session, act for a client), which wires these
    validators with the right issuer, keys, nonce, algorithms and clock.
    A validator called with the wrong arguments here validates the wrong
    thing, silently.

Subpackages:

- :mod:`ircc_account.hazmat.jose`: strict compact JWS, JWK sets and their
  cache, ID token and back-channel logout token validation.
"""
