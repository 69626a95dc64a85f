"""
Validating entries before they are written, and the values the log returns.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ircc_account._clock import Randomness, SystemRandomness
from ircc_account._model import AuditEntry, Capacity
from ircc_account._model import _validate as v
from ircc_account.audit._codec import ENTRY_FORMAT, SYSTEM_PARTITION
from ircc_account.errors import (
    FieldTooLong,
    InvalidFormat,
    RequiredField,
    UnknownValue,
)

__all__ = ["AppendReceipt", "EntryIds", "Pending", "prepare", "to_micros"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_REQUIRED = ("occurred_at", "actor_id", "capacity", "action", "decision", "reason")
_KNOWN = frozenset(attrs.fields_dict(AuditEntry))
# A reason is a short machine-readable phrase (``grant``, ``no_grant``,
# ``scope view_status``): lower-case words, no '@', no free text, so that
# neither personal data nor a token can ride in it.
_REASON = re.compile(r"[a-z0-9][a-z0-9_.:\- ]*", re.ASCII)
# A run this long without a break looks like a token or a key: refuse it.
_LONGEST_WORD = 48
MAX_REASON = 200


def to_micros(when: dt.datetime) -> int:
    """
    Microseconds since the Unix epoch, exactly.
    """
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@attrs.frozen(kw_only=True)
class AppendReceipt:
    """
    Proof that an entry was written: where it sits in its chain.

    Attributes:
        entry_id: The entry's id.
        partition: The chain it joined (the client's id, or ``~system``).
        seq: Its position in that chain, from 1.
        entry_hash: Its chain hash (SHA-256).
    """

    entry_id: str
    partition: str
    seq: int
    entry_hash: bytes = attrs.field(repr=lambda h: h.hex()[:16] + "...")


@attrs.frozen(kw_only=True)
class Pending:
    """
    A validated entry waiting for its place in a chain.
    """

    entry: AuditEntry
    entry_id: str
    partition: str
    occurred_us: int
    on_behalf_of: str | None
    source_ip: str | None

    def row(self) -> dict[str, Any]:
        """
        The column values, without seq and hashes.
        """
        e = self.entry
        return {
            "partition": self.partition,
            "entry_id": self.entry_id,
            "format": ENTRY_FORMAT,
            "occurred_at": e.occurred_at,
            "actor_id": e.actor_id,
            "capacity": e.capacity.value,
            "action": e.action,
            "client_id": e.client_id,
            "item_id": e.item_id,
            "service_id": e.service_id,
            "decision": e.decision.value,
            "reason": e.reason,
            "grant_id": e.grant_id,
            "organisation_id": e.organisation_id,
            "on_behalf_of": self.on_behalf_of,
            "correlation_id": e.correlation_id,
            "source_ip": self.source_ip,
        }

    def hashed_values(self, seq: int) -> list[str | int | None]:
        """
        The field values in :data:`~._codec.FIELDS` order.
        """
        e = self.entry
        return [
            self.partition, seq, self.entry_id, self.occurred_us, e.actor_id,
            e.capacity.value, e.action, e.client_id, e.item_id, e.service_id,
            e.decision.value, e.reason, e.grant_id, e.organisation_id,
            self.on_behalf_of, e.correlation_id, self.source_ip,
        ]  # fmt: skip


def _coerce(entry: object) -> AuditEntry:
    if isinstance(entry, AuditEntry):
        return entry
    if not isinstance(entry, Mapping):
        raise RequiredField(field="entry")
    for name in entry:
        if name not in _KNOWN:
            raise UnknownValue(field=str(name)[:64])
    for name in _REQUIRED:
        if entry.get(name) in (None, ""):
            raise RequiredField(field=name)
    try:
        return AuditEntry(**entry)
    except TypeError:
        raise RequiredField(field="entry") from None


def _check_reason(reason: object) -> None:
    if not isinstance(reason, str) or not reason:
        raise RequiredField(field="reason")
    if len(reason) > MAX_REASON:
        raise FieldTooLong(field="reason", limit=MAX_REASON)
    if not _REASON.fullmatch(reason) or any(len(w) > _LONGEST_WORD for w in reason.split()):
        raise InvalidFormat(field="reason")


def _check_ip(value: object) -> str | None:
    if value is None:
        return None
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        raise InvalidFormat(field="source_ip") from None


# Identifiers and reasons already found valid (validation is a pure function
# of the text): most entries repeat their actors, actions and reasons, so the
# hot path checks a set instead of a regular expression. Bounded; cleared when full.
_VALID_IDS: set[str] = set()
_VALID_REASONS: set[str] = set()
_MAX_REMEMBERED = 16_384


def _identifier(field: str, value: object) -> None:
    # Only exact str is remembered: a subclass could compare or hash unlike its text.
    if type(value) is not str or value not in _VALID_IDS:
        v.identifier(field, value)
        if type(value) is not str:
            raise InvalidFormat(field=field)
        if len(_VALID_IDS) >= _MAX_REMEMBERED:
            _VALID_IDS.clear()
        _VALID_IDS.add(value)


class EntryIds:
    """
    Entry ids: ``ae-``, a random 64-bit prefix drawn once per log, a counter,
    and 32 random bits. One log's ids ascend, so its inserts land on the last
    page of the entry-id index instead of a random one each (fewer pages per
    commit); the prefix keeps logs (and processes) apart, and the random tail
    keeps ids unguessable. Ids are unique names, not secrets. Random bits are
    drawn 4 KiB at a time: one call to the operating system per thousand
    entries, not one each (each such call lets a submitting thread lose the
    interpreter lock on a busy appender). Thread-safe.
    """

    def __init__(self, randomness: Randomness) -> None:
        self._randomness = randomness
        self._lock = threading.Lock()
        self._prefix = "ae-" + randomness.token_bytes(8).hex()
        self._count = 0
        self._pool = b""
        self._at = 0

    def __call__(self) -> str:
        with self._lock:
            if self._at >= len(self._pool):
                self._pool, self._at = self._randomness.token_bytes(4096), 0
            at = self._at
            self._at = at + 4
            self._count = count = self._count + 1
            tail = self._pool[at : at + 4]
        return f"{self._prefix}{count:016x}{tail.hex()}"


def prepare(
    entry: AuditEntry | Mapping[str, Any],
    *,
    on_behalf_of: str | None,
    randomness: Randomness | None = None,
    entry_ids: Callable[[], str] | None = None,
) -> Pending:
    """
    Validate *entry* and give it an id and a partition.

    Raises:
        ValidationError: a missing field (:class:`RequiredField`), an oversized
            or free-text reason, a malformed address or identifier.
    """
    e = _coerce(entry)
    # The model validated on construction; check again what the log relies on,
    # since attrs validators can be bypassed (object.__setattr__, evolve on a subclass).
    _identifier("actor_id", e.actor_id)
    _identifier("action", e.action)
    for name, value in (
        ("client_id", e.client_id),
        ("item_id", e.item_id),
        ("service_id", e.service_id),
        ("grant_id", e.grant_id),
        ("organisation_id", e.organisation_id),
        ("correlation_id", e.correlation_id),
        ("on_behalf_of", on_behalf_of),
    ):
        if value is not None:
            _identifier(name, value)
    if not isinstance(e.occurred_at, dt.datetime) or e.occurred_at.tzinfo is None:
        raise InvalidFormat(field="occurred_at")
    if type(e.reason) is not str or e.reason not in _VALID_REASONS:
        _check_reason(e.reason)
        if type(e.reason) is not str:
            raise InvalidFormat(field="reason")
        if len(_VALID_REASONS) >= _MAX_REMEMBERED:
            _VALID_REASONS.clear()
        _VALID_REASONS.add(e.reason)
    if e.capacity is Capacity.PLUGIN and on_behalf_of is None:
        # A plugin always acts for someone (its permissions are theirs).
        raise RequiredField(field="on_behalf_of")
    return Pending(
        entry=e,
        entry_id=(
            entry_ids()
            if entry_ids is not None
            else "ae-" + (randomness or SystemRandomness()).token_bytes(16).hex()
        ),
        partition=e.client_id if e.client_id is not None else SYSTEM_PARTITION,
        occurred_us=to_micros(e.occurred_at),
        on_behalf_of=on_behalf_of,
        source_ip=_check_ip(e.source_ip),
    )
