"""
The delivery worker: claims due outbox rows, resolves and decrypts their
recipients, sends through a :class:`NotificationSender`, and records the
outcome, with retries, backoff and the dead letters.

Claiming is safe under concurrency on both databases: a short transaction
picks the due rows (PostgreSQL ``FOR UPDATE SKIP LOCKED``, so two workers
never pick the same row; SQLite's single writer, ``BEGIN IMMEDIATE``) and
leases them (``next_attempt_at`` moved to the lease's end, ``attempts``
counted), then commits. Sending happens outside any transaction. Every
later write is fenced on the claimed ``attempts``, so a worker whose lease
ran out (and whose row another worker took) changes nothing.

Each recipient is marked sent in its own commit right after GC Notify took
the message. A crash between the two (or an answer lost on the way back)
leaves a message that may have been sent: so before sending a row it
claims again (after a lease ended, or a failure), the worker asks GC Notify
for each remaining recipient's ``reference`` (the row's idempotency key and
the recipient, :meth:`NotificationSender.was_sent`), and marks sent those
GC Notify already holds instead of sending them again. GC Notify's lookup
by reference is the idempotency check; ``docs/services/notifications.md``
says what window remains.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from typing import Any

import attrs
import sqlalchemy as sa

from ircc_account._clock import Clock, Randomness, SystemClock, SystemRandomness
from ircc_account._model import AuditEntry, Capacity, ClientAccount, Decision, Language
from ircc_account._storage._schema_notify import notify_outbox as _t
from ircc_account._storage.ports import SqlStorage, SqlUnit
from ircc_account.audit import AuditLog
from ircc_account.delegation import _repo
from ircc_account.errors import NotFound, NotifySendFailed, PersonalDataErased, StorageError

from ._config import NotifyTemplates, RetryPolicy
from ._kinds import NotificationKind
from ._outbox import DUE_STATES, OutboxMessage, OutboxState, micros
from ._recipients import recipient_accounts
from ._senders import EmailMessage, NotificationSender

__all__ = ["DeliveryWorker", "preferences_off"]

_log = logging.getLogger("ircc_account.notify")
_c = _t.c
#: The notifications service's id (its records hold the preferences).
SERVICE_ID = "notifications"
#: The plugin record holding a client's notification preferences.
PREFERENCES_KEY = "preferences"


def preferences_off(uow: SqlUnit, account_id: str) -> frozenset[str]:
    """The kinds *account_id* switched off (never a mandatory one)."""
    found = uow.plugin_records.get(account_id, SERVICE_ID, PREFERENCES_KEY)
    if found is None:
        return frozenset()
    value = json.loads(found[1].decode("utf-8"))
    off = value.get("off", []) if isinstance(value, dict) else []
    return frozenset(
        k
        for k in off
        if k in NotificationKind.__members__.values() and not NotificationKind(k).mandatory
    )


def _reference(message: OutboxMessage, account_id: str) -> str:
    """The GC Notify reference of *message* to *account_id*."""
    return f"{message.idempotency_key}.{account_id}"[:128]


def _retryable(status: int) -> bool:
    return status == 0 or status == 429 or 500 <= status <= 599


def _code(status: int) -> str:
    return "connection" if status == 0 else f"http_{status}"


class _Skip(Exception):
    """The row owes nothing any more (the client's data is erased)."""


class DeliveryWorker:
    """
    Delivers the outbox: :meth:`run_once` and :meth:`drain` for a test or a
    portal's own scheduler, :meth:`start` / :meth:`stop` for a thread.

    Args:
        store: The store the outbox lives in (the door's).
        sender: Where messages go (:class:`GcNotifySender`, :class:`MemorySender`).
        templates: The template ids by kind and language.
        portal_url: The link the messages carry (the portal's sign-in page).
        clock: For due times and leases.
        randomness: For the backoff's jitter.
        retry: When to retry and when to dead-letter.
        lease: How long a claimed row is the worker's; longer than a
            message's sends (the sender's timeout times its recipients).
        batch_size: Rows claimed at once.
        audit: The door's audit log: each use of a recipient's contact
            details is recorded in their history ("who touched my file"),
            and for a representative, in the client's too.
    """

    def __init__(
        self,
        store: SqlStorage,
        sender: NotificationSender,
        templates: NotifyTemplates,
        *,
        portal_url: str,
        clock: Clock | None = None,
        randomness: Randomness | None = None,
        retry: RetryPolicy | None = None,
        lease: dt.timedelta = dt.timedelta(minutes=5),
        batch_size: int = 20,
        audit: AuditLog,
    ) -> None:
        self.store = store
        self.audit = audit
        self.sender = sender
        self.templates = templates
        self.portal_url = portal_url
        self.clock = clock or SystemClock()
        self.randomness = randomness or SystemRandomness()
        self.retry = retry or RetryPolicy()
        self.lease = lease
        self.batch_size = batch_size
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"DeliveryWorker({self.store!r}, sender={self.sender!r})"

    # --- one round ------------------------------------------------------------------

    def run_once(self) -> int:
        """
        Claim the due rows (up to ``batch_size``) and deliver each; returns
        how many were claimed (0: nothing was due).
        """
        claimed = self._claim()
        for message in claimed:
            if self._stopping.is_set():
                # Stopping: the rest wait for their lease to end.
                break
            self._deliver(message)
        return len(claimed)

    def drain(self, *, max_rounds: int = 10_000) -> int:
        """
        Run rounds until nothing is due (rows waiting for a retry later are
        left); returns how many rows were claimed in all.
        """
        total = 0
        for _ in range(max_rounds):
            n = self.run_once()
            if n == 0:
                break
            total += n
        return total

    def _claim(self) -> list[OutboxMessage]:
        now = micros(self.clock.now())
        lease_end = now + self.lease // dt.timedelta(microseconds=1)
        with self.store.unit_of_work() as uow:
            query = (
                sa.select(_t)
                .where(_c.state.in_(DUE_STATES), _c.next_attempt_at <= now)
                .order_by(_c.next_attempt_at, _c.message_id)
                .limit(self.batch_size)
            )
            if uow.connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = uow.execute(query, "notification").all()
            if not rows:
                return []
            ids = [r.message_id for r in rows]
            uow.execute(
                _t.update()
                .where(_c.message_id.in_(ids))
                .values(attempts=_c.attempts + 1, next_attempt_at=lease_end, updated_at=now),
                "notification",
            )
            uow.commit()
        return [attrs.evolve(OutboxMessage.from_row(r), attempts=r.attempts + 1) for r in rows]

    # --- one row --------------------------------------------------------------------

    def _deliver(self, message: OutboxMessage) -> None:
        if message.attempts > self.retry.max_attempts:
            self._settle(message, OutboxState.DEAD_LETTERED, "attempts")
            return
        if message.attempts >= 2 or message.last_error is not None:
            # An earlier attempt may have sent some of it.
            try:
                found = self._already_sent(message)
            except StorageError:
                self._again(message, "storage", retry_after=0)
                return
            except NotifySendFailed as failed:
                self._failed(message, failed)
                return
            if found is None:
                return
            message = found
        try:
            sends = self._plan(message)
        except _Skip:
            self._settle(message, OutboxState.SKIPPED, "erased")
            return
        except StorageError:
            self._again(message, "storage", retry_after=0)
            return
        for n, (account_id, email) in enumerate(sends, 1):
            try:
                self.sender.send_email(email)
            except NotifySendFailed as failed:
                self._failed(message, failed)
                return
            message = attrs.evolve(message, sent_to=(*message.sent_to, account_id))
            if n == len(sends):
                # The last recipient's mark and the row's end: one commit.
                break
            if not self._mark_sent(message):
                return
        self._settle(message, OutboxState.SENT, None)

    def _failed(self, message: OutboxMessage, failed: NotifySendFailed) -> None:
        """Retry later what may succeed then; dead-letter what cannot."""
        status = int(failed.params.get("status", 0))
        if _retryable(status):
            self._again(
                message, _code(status), retry_after=int(failed.params.get("retry_after", 0))
            )
        else:
            # 400, 403 (a bad template or address, a bad key): trying
            # again cannot help.
            self._settle(message, OutboxState.DEAD_LETTERED, _code(status))

    def _already_sent(self, message: OutboxMessage) -> OutboxMessage | None:
        """
        Ask the sender, for each recipient not yet marked sent, whether it
        already holds their message (by its reference; no personal data is
        read for it); mark those found sent (fenced). Returns the message
        with them in ``sent_to``, or ``None`` if the lease was lost.
        """
        with self.store.unit_of_work(write=False) as uow:
            recipients = recipient_accounts(uow, message, self.clock.now())
        found = [
            account_id
            for account_id in recipients
            if account_id not in message.sent_to
            and self.sender.was_sent(_reference(message, account_id))
        ]
        if not found:
            return message
        _log.info("notification %s: %d already sent", message.message_id, len(found))
        message = attrs.evolve(message, sent_to=(*message.sent_to, *found))
        return message if self._mark_sent(message) else None

    def _plan(self, message: OutboxMessage) -> list[tuple[str, EmailMessage]]:
        """
        Resolve the recipients and decrypt their details, in one unit, now:
        who is still owed the message, and what to send them. Each use of a
        person's details is recorded in their history in the same unit, so
        nothing leaves for GC Notify before its read is on record (SEC-66).
        """
        now = self.clock.now()
        sends: list[tuple[str, EmailMessage]] = []
        with self.store.unit_of_work() as uow:
            try:
                client = uow.accounts.get(message.client_id)
            except (PersonalDataErased, NotFound):
                raise _Skip() from None
            for account_id in recipient_accounts(uow, message, now):
                if account_id in message.sent_to:
                    continue
                try:
                    account = (
                        client if account_id == client.account_id else uow.accounts.get(account_id)
                    )
                    off = preferences_off(uow, account_id)
                except (PersonalDataErased, NotFound):
                    continue
                if message.kind.value in off:
                    continue
                sends.append((account_id, self._email(uow, message, account)))
            # On the audit log's clock, which judges its entries' times.
            at = self.audit.clock.now()
            for account_id, _ in sends:
                self._record(uow, message, account_id, at)
            uow.commit()
        return sends

    def _record(
        self, uow: SqlUnit, message: OutboxMessage, account_id: str, now: dt.datetime
    ) -> None:
        """
        Record that the worker read *account_id*'s name, address and language
        (and, for the client, the item's title) to send *message*; for a
        representative, the client's history also says a notice about their
        file went to one of their representatives.
        """
        own = account_id == message.client_id
        self._note(uow, message, account_id, now, action="notify.send", client_id=account_id,
                   item_id=message.item_id if own else None)  # fmt: skip
        if not own:
            self._note(uow, message, account_id, now, action="notify.send_representative",
                       client_id=message.client_id, item_id=message.item_id)  # fmt: skip

    def _note(
        self,
        uow: SqlUnit,
        message: OutboxMessage,
        recipient: str,
        now: dt.datetime,
        *,
        action: str,
        client_id: str,
        item_id: str | None,
    ) -> None:
        """One entry in *client_id*'s history about sending *message* to *recipient*."""
        about_client = client_id == message.client_id
        self.audit.append(
            uow,
            AuditEntry(
                occurred_at=now,
                actor_id=SERVICE_ID,
                capacity=Capacity.SYSTEM,
                action=action,
                client_id=client_id,
                service_id=message.service_id if about_client else None,
                item_id=item_id,
                grant_id=message.grant_id if about_client else None,
                decision=Decision.ALLOWED,
                reason=message.kind.value,
                # One access per recipient: its own line in a history.
                correlation_id=f"{message.message_id}.{recipient}"[:128],
            ),
        )

    def _email(self, uow: SqlUnit, message: OutboxMessage, account: ClientAccount) -> EmailMessage:
        language = account.preferred_language
        personal = account.personal
        name = " ".join(p for p in (personal.given_names, personal.family_name) if p)
        return EmailMessage(
            email_address=account.contact.email,
            template_id=self.templates.template(message.kind, language),
            personalisation={
                "name": name,
                "label": self._label(uow, message, language),
                "link": self.portal_url,
            },
            reference=_reference(message, account.account_id),
        )

    def _label(self, uow: SqlUnit, message: OutboxMessage, language: Language) -> str:
        """What the message is about: the item's title, or for a grant, who holds it."""
        if message.kind.mandatory and message.grant_id is not None:
            try:
                grant = _repo.get_grant(uow, message.grant_id)
                if grant.grantee_is_organisation:
                    return _repo.get_organisation(uow, grant.grantee_id).name
                return _repo.get_representative(uow, grant.grantee_id)[0].display_name
            except NotFound:
                return ""
        if message.item_id is not None:
            try:
                title = uow.items.get(message.item_id).title
            except (NotFound, PersonalDataErased):
                return ""
            return title.fr if language is Language.FRENCH else title.en
        return ""

    # --- recording outcomes (fenced on the claimed attempt) ------------------------------

    def _fenced(self, uow: SqlUnit, message: OutboxMessage, **values: Any) -> bool:
        result = uow.execute(
            _t.update()
            .where(
                _c.message_id == message.message_id,
                _c.attempts == message.attempts,
                _c.state.in_(DUE_STATES),
            )
            .values(updated_at=micros(self.clock.now()), **values),
            "notification",
        )
        return bool(result.rowcount == 1)

    def _mark_sent(self, message: OutboxMessage) -> bool:
        """Record *message*'s ``sent_to`` (fenced); whether the lease still held."""
        with self.store.unit_of_work() as uow:
            ok = self._fenced(uow, message, sent_to=" ".join(message.sent_to))
            uow.commit()
        if not ok:
            _log.warning("notification %s: lease lost while sending", message.message_id)
        return ok

    def _settle(self, message: OutboxMessage, state: OutboxState, code: str | None) -> None:
        with self.store.unit_of_work() as uow:
            ok = self._fenced(
                uow,
                message,
                state=state.value,
                last_error=code,
                sent_to=" ".join(message.sent_to),
            )
            uow.commit()
        if ok and state is OutboxState.DEAD_LETTERED:
            _log.warning(
                "notification %s (%s) dead-lettered: %s", message.message_id, message.kind, code
            )

    def _again(self, message: OutboxMessage, code: str, *, retry_after: int) -> None:
        if message.attempts >= self.retry.max_attempts:
            self._settle(message, OutboxState.DEAD_LETTERED, code)
            return
        jitter = 0.5 + int.from_bytes(self.randomness.token_bytes(4), "big") / 2**32
        wait = self.retry.delay(message.attempts, retry_after=retry_after, jitter=jitter)
        due = micros(self.clock.now() + wait)
        with self.store.unit_of_work() as uow:
            self._fenced(
                uow, message, state=OutboxState.RETRYING.value, last_error=code, next_attempt_at=due
            )
            uow.commit()
        _log.info("notification %s: %s, retry %d later", message.message_id, code, message.attempts)

    # --- a thread -------------------------------------------------------------------

    def wake(self) -> None:
        """Look for due rows now (after a commit that wrote some)."""
        self._wake.set()

    def start(self, *, interval: float = 1.0) -> None:
        """
        Deliver in a daemon thread: a round every *interval* seconds, or at
        once when woken (:meth:`wake`). A failing round is logged and retried.
        """
        if self._thread is not None:
            return
        self._stopping.clear()
        thread = threading.Thread(
            target=self._loop, args=(interval,), name="ircc-notify-worker", daemon=True
        )
        self._thread = thread
        thread.start()

    def stop(self, *, timeout: float = 10.0) -> bool:
        """
        Stop the thread after its current send; returns whether it stopped
        within *timeout* seconds (a row it held is taken again when its
        lease ends).
        """
        thread, self._thread = self._thread, None
        if thread is None:
            return True
        self._stopping.set()
        self._wake.set()
        thread.join(timeout)
        return not thread.is_alive()

    def _loop(self, interval: float) -> None:
        while not self._stopping.is_set():
            try:
                busy = self.run_once() > 0
            except Exception:
                _log.exception("notification delivery round failed")
                busy = False
            if busy:
                continue
            self._wake.wait(interval)
            self._wake.clear()
