"""
The transactional outbox (SEC-85): one row per notification owed, written
by an audit observer in the very unit of work that makes the change, so the
row commits with the change and its audit entry, or not at all.

Rows hold identifiers only (the client, item, grant, audit entry, kind and
an idempotency key); recipients are resolved and decrypted by the delivery
worker when it sends. The idempotency key is derived from the audit entry's
id, so one audited change owes at most one row, whatever happens.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from ircc_account._clock import Clock, Randomness, SystemClock, SystemRandomness
from ircc_account._model import AuditEntry, ItemState
from ircc_account._storage._schema_notify import notify_outbox as _t
from ircc_account._storage.ports import SqlStorage, SqlUnit
from ircc_account.audit import AppendReceipt, AuditLog
from ircc_account.errors import NotFound, PersonalDataErased

from ._kinds import NotificationKind, kind_of

__all__ = ["Outbox", "OutboxMessage", "OutboxState"]

_c = _t.c
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class OutboxState(enum.StrEnum):
    """
    Where an outbox row is in its life. ``sent``, ``dead_lettered`` and
    ``skipped`` are terminal.
    """

    PENDING = "pending"
    RETRYING = "retrying"
    SENT = "sent"
    DEAD_LETTERED = "dead_lettered"
    SKIPPED = "skipped"


#: The states a worker may claim a row in (when it is due).
DUE_STATES = (OutboxState.PENDING.value, OutboxState.RETRYING.value)


def micros(when: dt.datetime) -> int:
    """Microseconds since the epoch of an aware UTC instant."""
    return (when - _EPOCH) // dt.timedelta(microseconds=1)


def instant(us: int) -> dt.datetime:
    """The UTC instant *us* microseconds after the epoch."""
    return _EPOCH + dt.timedelta(microseconds=us)


@attrs.frozen(kw_only=True)
class OutboxMessage:
    """
    One outbox row: a notification owed for one audited change.

    Attributes:
        message_id: Opaque identifier.
        idempotency_key: Derived from the audit entry's id; sent to GC Notify
            as each message's ``reference`` (with the recipient).
        kind: What it is about.
        client_id: The client whose file changed.
        service_id: The service of the change, if any.
        item_id: The item of the change, if any.
        grant_id: The grant of the change, if any.
        entry_id: The audit entry it was written with.
        created_at: When it was written (UTC).
        state: Where it is in its life.
        attempts: How many times a worker claimed it.
        next_attempt_at: When it is next due (while claimed: the lease's end).
        last_error: The last failure's code (``http_429``, ``connection``,
            ``erased``), never a response body.
        sent_to: The recipients (account ids) already sent to.
    """

    message_id: str
    idempotency_key: str
    kind: NotificationKind
    client_id: str
    service_id: str | None
    item_id: str | None
    grant_id: str | None
    entry_id: str
    created_at: dt.datetime
    state: OutboxState
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    sent_to: tuple[str, ...]

    @classmethod
    def from_row(cls, row: Any) -> OutboxMessage:
        """A message from a full ``notify_outbox`` row."""
        return cls(
            message_id=row.message_id,
            idempotency_key=row.idempotency_key,
            kind=NotificationKind(row.kind),
            client_id=row.client_id,
            service_id=row.service_id,
            item_id=row.item_id,
            grant_id=row.grant_id,
            entry_id=row.entry_id,
            created_at=instant(row.created_at),
            state=OutboxState(row.state),
            attempts=row.attempts,
            next_attempt_at=instant(row.next_attempt_at),
            last_error=row.last_error,
            sent_to=tuple(row.sent_to.split()),
        )


def idempotency_key(entry_id: str) -> str:
    """The outbox key of the audit entry *entry_id*: ``ntf-`` and 40 hex digits."""
    return "ntf-" + hashlib.sha256(entry_id.encode("utf-8")).hexdigest()[:40]


class Outbox:
    """
    The notifications outbox: an audit observer that writes a row in the
    change's own unit for every change that owes a notification, and the
    operator's view of the rows (dead letters, counts, requeue).

    Attach it to the door's audit log once, before any request::

        outbox = Outbox(door.store, clock=door_clock)
        outbox.attach(door.audit)

    Args:
        store: The store the outbox table lives in (the door's).
        clock: For the rows' times.
        randomness: For message ids.
    """

    def __init__(
        self,
        store: SqlStorage,
        *,
        clock: Clock | None = None,
        randomness: Randomness | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.randomness = randomness or SystemRandomness()

    def __repr__(self) -> str:
        return f"Outbox({self.store!r})"

    def attach(self, audit: AuditLog) -> None:
        """Watch *audit*: every allowed change it records in a unit may owe a row."""
        audit.watch(self)

    # --- the audit observer (in the change's unit) --------------------------------

    def __call__(self, uow: SqlUnit, entry: AuditEntry, receipt: AppendReceipt) -> None:
        """
        Write the row *entry* owes, if any, in *uow* (before it commits).
        Raising here rolls the change back: no change without its message.
        """
        kind = kind_of(entry)
        if kind is None or entry.client_id is None:
            return
        kind = self._refine(uow, entry, kind)
        now = micros(self.clock.now())
        uow.execute(
            _t.insert().values(
                message_id="msg-" + self.randomness.token_bytes(16).hex(),
                idempotency_key=idempotency_key(receipt.entry_id),
                kind=kind.value,
                client_id=entry.client_id,
                service_id=entry.service_id,
                item_id=entry.item_id,
                grant_id=entry.grant_id,
                entry_id=receipt.entry_id,
                created_at=now,
                state=OutboxState.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                last_error=None,
                sent_to="",
                updated_at=now,
            ),
            "notification",
        )

    def _refine(self, uow: SqlUnit, entry: AuditEntry, kind: NotificationKind) -> NotificationKind:
        """
        What only the unit can tell: a phase change into the decision phase
        is a decision; a change that makes a representative's request active
        (no acceptance owed before for that grant) is an acceptance.
        """
        if kind is NotificationKind.PHASE_CHANGED and entry.item_id is not None:
            try:
                item = uow.items.get(entry.item_id)
            except (NotFound, PersonalDataErased):
                return kind
            return NotificationKind.DECISION if item.state is ItemState.DECISION_MADE else kind
        if kind is NotificationKind.GRANT_CHANGED and entry.grant_id is not None:
            earlier = uow.execute(
                sa.select(_c.kind).where(_c.grant_id == entry.grant_id),
                "notification",
            ).scalars()
            kinds = set(earlier)
            if NotificationKind.GRANT_REQUESTED.value in kinds and not kinds & {
                NotificationKind.GRANT_ACCEPTED.value,
                NotificationKind.GRANT_DECLINED.value,
            }:
                return NotificationKind.GRANT_ACCEPTED
        return kind

    # --- the operator's view ------------------------------------------------------------

    def messages(
        self, *, state: OutboxState | str | None = None, limit: int = 100
    ) -> Sequence[OutboxMessage]:
        """The rows (in *state*, if given), oldest first, at most *limit*."""
        query = sa.select(_t).order_by(_c.created_at, _c.message_id).limit(limit)
        if state is not None:
            query = query.where(_c.state == OutboxState(state).value)
        with self.store.unit_of_work(write=False) as uow:
            rows = uow.execute(query, "notification").all()
        return [OutboxMessage.from_row(r) for r in rows]

    def dead_letters(self, *, limit: int = 100) -> Sequence[OutboxMessage]:
        """The dead-lettered rows, oldest first: each ``last_error`` says why."""
        return self.messages(state=OutboxState.DEAD_LETTERED, limit=limit)

    def counts(self) -> dict[OutboxState, int]:
        """How many rows are in each state."""
        with self.store.unit_of_work(write=False) as uow:
            rows: list[Any] = list(
                uow.execute(
                    sa.select(_c.state, sa.func.count()).group_by(_c.state), "notification"
                ).all()
            )
        found = {OutboxState(r[0]): int(r[1]) for r in rows}
        return {s: found.get(s, 0) for s in OutboxState}

    def requeue(self, message_id: str) -> None:
        """
        Send a dead-lettered row again (after fixing its cause): it is due
        now, with its attempts reset; recipients already sent to are not
        sent to again.

        Raises:
            NotFound: no dead-lettered row *message_id*.
        """
        now = micros(self.clock.now())
        with self.store.unit_of_work() as uow:
            result = uow.execute(
                _t.update()
                .where(
                    _c.message_id == message_id,
                    _c.state == OutboxState.DEAD_LETTERED.value,
                )
                .values(
                    state=OutboxState.PENDING.value,
                    attempts=0,
                    next_attempt_at=now,
                    updated_at=now,
                ),
                "notification",
            )
            if result.rowcount != 1:
                raise NotFound(kind="notification")
            uow.commit()
