"""
Accounts behind logins: registration, linking a second credential, and
claiming a legacy file with attempt limits.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import attrs
import sqlalchemy as sa

from ircc_account._model import (
    AuditEntry,
    Capacity,
    ClientAccount,
    ContactDetails,
    Decision,
    Language,
    LinkedCredential,
    LinkedLegacyFile,
    PersonalDetails,
)
from ircc_account._storage._schema_identity import claim_attempt_key
from ircc_account._storage._schema_identity import identity_claim_attempts as t_attempts
from ircc_account._storage.ports import SqlUnit
from ircc_account.errors import ConfigurationError, IdentityError, LegacyClaimFailed, SessionExpired

from ._context import IdentityContext
from ._session_values import IssuedSession, SessionState
from ._sessions import SessionManager

__all__ = ["Accounts", "ClaimPolicy", "LegacyFileRef", "LegacyFileVerifier"]


@attrs.frozen
class LegacyFileRef:
    """
    A file in a legacy system.

    Attributes:
        system: The legacy system (a service id).
        file_number: The file or application number there.
    """

    system: str
    file_number: str


class LegacyFileVerifier(Protocol):
    """
    Asks a legacy system whether what the client knows matches a file (the port).
    """

    def match_details(
        self, *, uci: str, date_of_birth: dt.date, application_number: str
    ) -> LegacyFileRef | None:
        """The file these details all match, or ``None``."""

    def redeem_code(self, code: str) -> LegacyFileRef | None:
        """The file a one-time claim code opens (consuming the code), or ``None``."""


@attrs.frozen(kw_only=True)
class ClaimPolicy:
    """
    Attempt limits for legacy claims, counted in the database.

    Attributes:
        max_failures: Failures allowed per account, and per target person, in a window.
        window: The counting window.
        lockout: How long claims stay refused once the limit is reached.
    """

    max_failures: int = 5
    window: dt.timedelta = dt.timedelta(hours=24)
    lockout: dt.timedelta = dt.timedelta(hours=24)


class Accounts:
    """
    The accounts component: registration, linking and legacy claims.
    :class:`Identity` documents each operation.

    Args:
        context: The shared context.
        sessions: The session component.
        legacy: The legacy-file verifier, for claims.
        claim_policy: Attempt limits for claims.
    """

    def __init__(
        self,
        context: IdentityContext,
        sessions: SessionManager,
        *,
        legacy: LegacyFileVerifier | None,
        claim_policy: ClaimPolicy,
    ) -> None:
        self._ctx = context
        self._sessions = sessions
        self.legacy = legacy
        self.claim_policy = claim_policy

    def register_account(
        self,
        cookie: str | None,
        *,
        personal: PersonalDetails,
        contact: ContactDetails,
        preferred_language: Language = Language.ENGLISH,
    ) -> tuple[ClientAccount, IssuedSession]:
        """
        See :meth:`Identity.register_account`.
        """
        now = self._ctx.clock.now()
        with self._ctx.store.unit_of_work() as uow:
            row = self._sessions.require_row(uow, cookie)
            if (
                row["state"] != SessionState.PENDING.value
                or row["pending_issuer"] is None
                or now - row["pending_at"] > self._ctx.policy.link_window
            ):
                raise SessionExpired()
            account = ClientAccount(
                account_id="acct-" + self._ctx.randomness.token_bytes(16).hex(),
                personal=personal,
                contact=contact,
                preferred_language=preferred_language,
                created_at=now,
            )
            uow.accounts.add(account)
            uow.credentials.link(
                LinkedCredential(
                    account_id=account.account_id,
                    issuer=row["pending_issuer"],
                    subject=row["pending_subject"],
                    assurance=row["pending_assurance"],
                    linked_at=now,
                    last_login_at=now,
                )
            )
            self._ctx.record(
                uow, _entry(now, account.account_id, "account.register", "new credential")
            )
            issued = self._sessions.carry(
                uow,
                row,
                state=SessionState.AUTHENTICATED.value,
                account_id=account.account_id,
                provider=row["pending_provider"],
                issuer=row["pending_issuer"],
                subject=row["pending_subject"],
                provider_sid=row["pending_sid"],
                assurance=row["pending_assurance"],
                authenticated_at=row["pending_at"],
                **_NO_PENDING,
            )
            uow.commit()
        return account, issued

    def link_credential(self, cookie: str | None) -> tuple[LinkedCredential, IssuedSession]:
        """
        See :meth:`Identity.link_credential`.
        """
        now = self._ctx.clock.now()
        window = self._ctx.policy.link_window
        with self._ctx.store.unit_of_work() as uow:
            row = self._sessions.require_row(uow, cookie)
            if (
                row["state"] != SessionState.AUTHENTICATED.value
                or row["account_id"] is None
                or row["pending_issuer"] is None
                or row["authenticated_at"] is None
                or now - row["authenticated_at"] > window
                or now - row["pending_at"] > window
            ):
                raise SessionExpired()
            credential = LinkedCredential(
                account_id=row["account_id"],
                issuer=row["pending_issuer"],
                subject=row["pending_subject"],
                assurance=row["pending_assurance"],
                linked_at=now,
                last_login_at=now,
            )
            uow.credentials.link(credential)
            self._ctx.record(uow, _entry(now, row["account_id"], "credential.link", "fresh logins"))
            issued = self._sessions.carry(uow, row, **_NO_PENDING)
            uow.commit()
        return credential, issued

    # --- legacy files -------------------------------------------------------------------

    def claim_legacy_file(
        self,
        cookie: str | None,
        *,
        client_key: str,
        uci: str | None = None,
        date_of_birth: dt.date | None = None,
        application_number: str | None = None,
        code: str | None = None,
    ) -> LinkedLegacyFile:
        """
        See :meth:`Identity.claim_legacy_file`.
        """
        if self.legacy is None:
            raise ConfigurationError(reason="no legacy file verifier is configured")
        by_code = code is not None
        if by_code == (
            uci is not None or date_of_birth is not None or application_number is not None
        ):
            raise ConfigurationError(reason="give either the details or a claim code")
        self._ctx.rate_limits.legacy_claim.check(client_key)
        now = self._ctx.clock.now()
        with self._ctx.store.unit_of_work(write=False) as uow:
            row = self._sessions.require_row(uow, cookie)
            if row["state"] != SessionState.AUTHENTICATED.value or row["account_id"] is None:
                raise SessionExpired()
            account_id: str = row["account_id"]
            # Keyed (a blind index), never a plain hash: a UCI has about 1e10
            # values, so a hash of one is reversed by trying them all.
            keys = [claim_attempt_key(self._ctx.store.keyring, account_id=account_id)]
            if not by_code:
                keys.append(claim_attempt_key(self._ctx.store.keyring, uci=str(uci)))
            locked = self._locked(uow, keys, now)
        found: LegacyFileRef | None = None
        if not locked:
            try:
                if by_code:
                    found = self.legacy.redeem_code(str(code))
                else:
                    assert date_of_birth is not None
                    found = self.legacy.match_details(
                        uci=str(uci),
                        date_of_birth=date_of_birth,
                        application_number=str(application_number),
                    )
            except IdentityError:
                found = None
        return self._settle_claim(account_id, keys, found, now)

    def _settle_claim(
        self, account_id: str, keys: list[bytes], found: LegacyFileRef | None, now: dt.datetime
    ) -> LinkedLegacyFile:
        with self._ctx.store.unit_of_work() as uow:
            self._expire(uow, now)
            reason = "no match"
            if self._locked(uow, keys, now):
                reason = "locked"
            elif found is not None:
                existing = uow.legacy_files.find(found.system, found.file_number)
                if existing is None or existing.account_id == account_id:
                    linked = existing or LinkedLegacyFile(
                        account_id=account_id,
                        system=found.system,
                        file_number=found.file_number,
                        linked_at=now,
                    )
                    if existing is None:
                        uow.legacy_files.link(linked)
                    self._ctx.record(uow, _entry(now, account_id, "legacy.claim", "matched"))
                    uow.commit()
                    return linked
                reason = "claimed elsewhere"
            for key in keys:
                self._count_failure(uow, key, now)
            self._ctx.record(
                uow, _entry(now, account_id, "legacy.claim", reason, decision=Decision.DENIED)
            )
            uow.commit()
        raise LegacyClaimFailed()

    def _expire(self, uow: SqlUnit, now: dt.datetime) -> None:
        """
        Delete the counters that no longer count: window over and not locked.
        A counter therefore outlives its last failure by at most the window
        plus the lockout (until the next claim, from any account, settles).
        """
        c = t_attempts.c
        uow.execute(
            t_attempts.delete().where(
                c.window_start < now - self.claim_policy.window,
                sa.or_(c.locked_until.is_(None), c.locked_until <= now),
            ),
            "claim attempts",
        )

    def _locked(self, uow: SqlUnit, keys: list[bytes], now: dt.datetime) -> bool:
        rows = uow.execute(
            sa.select(t_attempts.c.locked_until).where(t_attempts.c.key_hash.in_(keys)),
            "claim attempts",
        ).all()
        return any(r.locked_until is not None and r.locked_until > now for r in rows)

    def _count_failure(self, uow: SqlUnit, key: bytes, now: dt.datetime) -> None:
        policy = self.claim_policy
        row = uow.execute(
            sa.select(t_attempts).where(t_attempts.c.key_hash == key), "claim attempts"
        ).first()
        if row is None or now - row.window_start > policy.window:
            failures, start = 1, now
            if row is not None:
                uow.execute(
                    t_attempts.delete().where(t_attempts.c.key_hash == key), "claim attempts"
                )
        else:
            failures, start = row.failures + 1, row.window_start
            uow.execute(t_attempts.delete().where(t_attempts.c.key_hash == key), "claim attempts")
        locked = now + policy.lockout if failures >= policy.max_failures else None
        uow.execute(
            t_attempts.insert().values(
                key_hash=key, window_start=start, failures=failures, locked_until=locked
            ),
            "claim attempts",
        )


_NO_PENDING = {
    "pending_provider": None,
    "pending_issuer": None,
    "pending_subject": None,
    "pending_sid": None,
    "pending_assurance": None,
    "pending_at": None,
}


def _entry(
    now: dt.datetime,
    account_id: str,
    action: str,
    reason: str,
    *,
    decision: Decision = Decision.ALLOWED,
) -> AuditEntry:
    return AuditEntry(
        occurred_at=now,
        actor_id=account_id,
        client_id=account_id,
        capacity=Capacity.CLIENT,
        action=action,
        decision=decision,
        reason=reason,
    )
