"""
The development provider's signing keys: one RSA and one P-256 key, rotatable.
"""

from __future__ import annotations

import threading
from typing import Any

from joserfc.jwk import ECKey, KeySet, RSAKey

__all__ = ["SigningKeys"]

ALGORITHMS = ("RS256", "ES256")


class SigningKeys:
    """
    The current RS256 and ES256 keys, and the previous generation for verification.

    After :meth:`rotate`, new tokens use new keys, while the JWKS still
    publishes the previous keys so tokens already issued keep verifying,
    as a real provider does during rollover.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current = self._generate()
        self._previous: dict[str, RSAKey | ECKey] = {}

    @staticmethod
    def _generate() -> dict[str, RSAKey | ECKey]:
        # Pinning "alg" and "use" lets a strict RP pick keys without guessing.
        return {
            "RS256": RSAKey.generate_key(
                2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True
            ),
            "ES256": ECKey.generate_key(
                "P-256", parameters={"alg": "ES256", "use": "sig"}, auto_kid=True
            ),
        }

    def rotate(self) -> None:
        """
        Make new keys current; keep the old ones published for verification.
        """
        new = self._generate()
        with self._lock:
            self._previous = self._current
            self._current = new

    def signing_key(self, alg: str) -> RSAKey | ECKey:
        """
        The current private key for *alg*.

        Args:
            alg: ``RS256`` or ``ES256``.

        Raises:
            KeyError: The algorithm is not offered.
        """
        with self._lock:
            return self._current[alg]

    def public_jwks(self) -> dict[str, Any]:
        """
        The public JWK Set: current keys first, then the previous generation.
        """
        with self._lock:
            keys = [*self._current.values(), *self._previous.values()]
        return {"keys": [key.as_dict(private=False) for key in keys]}

    def verification_keys(self) -> KeySet:
        """
        Every published key, as a joserfc key set (to check an ``id_token_hint``).
        """
        return KeySet.import_key_set(self.public_jwks())  # type: ignore[arg-type]
