"""
Consent evidence: in-account consent signed with the account's own Ed25519
key, and written consent forms kept by digest.

Each client account gets one Ed25519 key pair the first time it consents.
The private half is sealed with the account's data key (AES-256-GCM, bound to
this table, column and account by :class:`~ircc_account._crypto.FieldContext`),
so it never sits in the database in clear and is destroyed with the rest of the
account's personal data when the data key is shredded. The public half is kept
in clear so anyone holding the database can check a consent without the keyring.

Why a stored key rather than one derived from a server secret (HKDF): a
derived key can be re-derived by whoever holds the server secret, for any
account, at any time; a stored, sealed key exists only for accounts that
consented, dies with the account's data key, and can be rotated per account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import attrs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ircc_account._clock import Randomness
from ircc_account._crypto import FieldContext
from ircc_account._model._delegation import ConsentEvidence, ConsentGrant, LegalBasis
from ircc_account._storage.ports import SqlUnit
from ircc_account.delegation import _repo
from ircc_account.errors import ConsentStale, DelegationError, NotFound

__all__ = ["ConsentSigner", "WrittenConsent", "consent_statement", "statement_message"]

#: Written consent forms older than this are stale (SEC-55, IMM 5476 guidance).
WRITTEN_CONSENT_MAX_AGE_DAYS = 90

_STATEMENT_VERSION = 1

#: What every signed statement other than a consent grant starts with. Consent
#: statements are bare JSON objects (they start with ``{``), so a signature
#: over anything else a client signs in their account (an application they
#: reviewed) can never pass as their consent to a grant, and the reverse.
_STATEMENT_DOMAIN = b"ircc-account/signed-statement/v1\n"


@attrs.frozen(kw_only=True)
class WrittenConsent:
    """
    An uploaded, signed consent form (such as IMM 5476).

    Attributes:
        form: The uploaded file's bytes; only its SHA-256 digest is kept.
        signed_on: The date written on the form.
    """

    form: bytes = attrs.field(repr=False, validator=attrs.validators.instance_of(bytes))
    signed_on: dt.date = attrs.field(validator=attrs.validators.instance_of(dt.date))

    def evidence(self, today: dt.date) -> ConsentEvidence:
        """
        The evidence to keep: the form's digest and date.

        Raises:
            ConsentStale: dated more than 90 days before *today*, or after it (SEC-55).
        """
        if isinstance(self.signed_on, dt.datetime):
            raise ConsentStale(days=WRITTEN_CONSENT_MAX_AGE_DAYS)
        age = (today - self.signed_on).days
        if age < 0 or age > WRITTEN_CONSENT_MAX_AGE_DAYS:
            raise ConsentStale(days=WRITTEN_CONSENT_MAX_AGE_DAYS)
        return ConsentEvidence(
            basis=LegalBasis.WRITTEN,
            digest=hashlib.sha256(self.form).digest(),
            signed_on=self.signed_on,
        )


def consent_statement(grant: ConsentGrant, appointed_by: str | None = None) -> bytes:
    """
    The canonical statement a client's in-account consent signs: every term
    of the grant that decides access, and its version; for a guardian's
    appointment for a dependant (SEC-54), the guardian's account too.
    """
    g = grant
    body = {
        "v": _STATEMENT_VERSION,
        "grant_id": g.grant_id,
        "version": g.version,
        "client": g.client_account_id,
        "grantee": g.grantee_id,
        "grantee_is_organisation": g.grantee_is_organisation,
        "access_group": g.access_group,
        "scopes": sorted(g.scopes),
        "coverage": g.coverage.value,
        "target": g.target,
        "valid_from": g.valid_from.isoformat(),
        "valid_until": None if g.valid_until is None else g.valid_until.isoformat(),
    }
    if appointed_by is not None:
        # Only when set, so every statement signed before guardians existed
        # keeps its exact bytes.
        body["appointed_by"] = appointed_by
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def statement_message(purpose: str, statement: bytes) -> bytes:
    """
    The bytes a client's in-account signature over *statement* covers: a
    domain prefix, the *purpose* (``application``), and the statement.
    """
    if not purpose.isascii() or not purpose.isidentifier():
        raise DelegationError()
    return _STATEMENT_DOMAIN + purpose.encode("ascii") + b"\n" + statement


class ConsentSigner:
    """
    Signs and checks in-account consent with each account's own Ed25519 key.

    Args:
        randomness: Where new private keys come from.
    """

    def __init__(self, randomness: Randomness) -> None:
        self._randomness = randomness

    def sign(
        self,
        uow: SqlUnit,
        grant: ConsentGrant,
        now: dt.datetime,
        *,
        appointed_by: str | None = None,
    ) -> ConsentEvidence:
        """
        Sign *grant*'s terms with its client's key (created on first use), or
        with the key of the guardian who appoints for their dependant.
        """
        account_id = appointed_by or grant.client_account_id
        key_id, private = self._key(uow, account_id, now)
        statement = consent_statement(grant, appointed_by)
        return ConsentEvidence(
            basis=LegalBasis.IN_ACCOUNT,
            digest=hashlib.sha256(statement).digest(),
            signature=private.sign(statement),
            key_id=key_id,
        )

    def verify(self, uow: SqlUnit, grant: ConsentGrant) -> None:
        """
        Check that *grant*'s evidence matches its terms.

        For in-account consent, the signature must verify under the client's
        public key (the appointing guardian's, for a dependant) over the
        grant's current terms; for written consent, a digest must be present
        (the form itself is checked by a person).

        Raises:
            DelegationError: the evidence is missing or does not match.
        """
        e = grant.evidence
        if e is None:
            raise DelegationError()
        if e.basis is LegalBasis.WRITTEN:
            return
        try:
            appointed_by = _repo.get_grant_appointed(uow, grant.grant_id)[1]
        except NotFound:
            raise DelegationError() from None
        signer = appointed_by or grant.client_account_id
        row = _repo.get_signing_key_by_id(uow, e.key_id or "")
        if row is None or row.account_id != signer or e.signature is None:
            raise DelegationError()
        statement = consent_statement(grant, appointed_by)
        if hashlib.sha256(statement).digest() != e.digest:
            raise DelegationError()
        try:
            Ed25519PublicKey.from_public_bytes(bytes(row.public_key)).verify(e.signature, statement)
        except InvalidSignature:
            raise DelegationError() from None

    def sign_statement(
        self, uow: SqlUnit, account_id: str, purpose: str, statement: bytes, now: dt.datetime
    ) -> ConsentEvidence:
        """
        Sign *statement* for *purpose* with *account_id*'s key (created on
        first use), domain-separated from consent (:func:`statement_message`).
        """
        message = statement_message(purpose, statement)
        key_id, private = self._key(uow, account_id, now)
        return ConsentEvidence(
            basis=LegalBasis.IN_ACCOUNT,
            digest=hashlib.sha256(message).digest(),
            signature=private.sign(message),
            key_id=key_id,
        )

    def verify_statement(
        self,
        uow: SqlUnit,
        account_id: str,
        purpose: str,
        statement: bytes,
        evidence: ConsentEvidence,
    ) -> None:
        """
        Check that *evidence* is *account_id*'s signature over *statement* for *purpose*.

        Raises:
            DelegationError: it is not (which check failed is not said).
        """
        message = statement_message(purpose, statement)
        row = _repo.get_signing_key_by_id(uow, evidence.key_id or "")
        if (
            evidence.basis is not LegalBasis.IN_ACCOUNT
            or row is None
            or row.account_id != account_id
            or evidence.signature is None
            or hashlib.sha256(message).digest() != evidence.digest
        ):
            raise DelegationError()
        try:
            Ed25519PublicKey.from_public_bytes(bytes(row.public_key)).verify(
                evidence.signature, message
            )
        except InvalidSignature:
            raise DelegationError() from None

    def _key(
        self, uow: SqlUnit, account_id: str, now: dt.datetime
    ) -> tuple[str, Ed25519PrivateKey]:
        row = _repo.get_signing_key(uow, account_id)
        data_key = uow.data_key(account_id)
        if row is not None:
            context = _context(account_id, row.key_id)
            secret = data_key.decrypt(bytes(row.private_ct), context)
            return row.key_id, Ed25519PrivateKey.from_private_bytes(secret)
        secret = self._randomness.token_bytes(32)
        private = Ed25519PrivateKey.from_private_bytes(secret)
        public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        key_id = "ask-" + hashlib.sha256(public).hexdigest()[:24]
        sealed = data_key.encrypt(secret, _context(account_id, key_id))
        _repo.add_signing_key(uow, account_id, key_id, public, sealed, now)
        return key_id, private


def _context(account_id: str, key_id: str) -> FieldContext:
    return FieldContext(
        table="account_signing_keys", column="private_key", record_id=key_id, account_id=account_id
    )
