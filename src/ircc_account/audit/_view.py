"""
"Who touched my file": the client's own view of the log, as plain sentences
in English and French, one line per access, filtered and paged.

The entries of one request share a correlation id (the front door sets one
per call; a plugin's gated accesses carry the request's): they make one line,
named after what the request did (a change before a read, a page before the
plugin reads that filled it), with any refused part still shown. Pages are
newest first; a page token is the position below which the next page starts,
and a request's entries are never split across pages.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, overload

import attrs
import sqlalchemy as sa

from ircc_account._model import BilingualText, Capacity, Decision
from ircc_account._model import _validate as v
from ircc_account._storage import _schema_audit as t
from ircc_account._storage.ports import SqlStorage
from ircc_account.audit._directory import ActorDirectory, DefaultActorDirectory, StoreDirectory
from ircc_account.audit._wording import Phrase, action_phrase, french, long_date, reason_words
from ircc_account.errors import InvalidFormat, OutOfRange, UnknownValue

__all__ = ["AccessRecord", "HistoryPage", "who_touched_my_file"]

#: The most lines one page may ask for.
MAX_LIMIT = 500
_TOKEN = re.compile(r"[1-9][0-9]{0,17}", re.ASCII)
_ALLOWED = Decision.ALLOWED.value
_PLUGIN = Capacity.PLUGIN.value
_ANOTHER = BilingualText("Someone using another account", "Une personne utilisant un autre compte")
_AN_ITEM = ("an item", "un élément")
_SOMEONE = ("someone", "quelqu'un")


@attrs.frozen(kw_only=True)
class AccessRecord:
    """
    One line of a client's history: one access (a page, an action, a grant
    change), however many entries it recorded.

    Attributes:
        occurred_at: When (UTC).
        text: The line as a plain sentence in the requested language: "Your
            representative Jean Roy, RCIC viewed your application Visitor
            visa (V100000001), acting for you under the access you gave them
            on 1 March 2026."
        who: Who, as the subject of that sentence.
        what: What they did (or tried to do), with the verb.
        capacity: In what role they acted.
        action: The machine action the line is named after (``door.item.view``).
        item_id: The item touched, if any.
        decision: Allowed, denied or failed (of the access the line is named after).
        reason: Why it was refused, in words (or why part of it was); ``None`` if nothing was.
        basis: For a representative or an office's staff member (or a service
            acting for them): for whom and under which grant, through which
            office ("acting for you under the access you gave the Office of
            the MP for Ottawa Centre on 1 March 2026").
        person: Whose access it was, to filter by (``person=``): a
            representative's id, the client's own id; ``None`` for officers
            and other accounts.
        entry_id: The audit entry the line is named after, for follow-up.
        entry_ids: Every audit entry the line stands for, oldest first.
    """

    occurred_at: dt.datetime
    text: str
    who: str
    what: str
    capacity: Capacity
    action: str
    item_id: str | None
    decision: Decision
    reason: str | None
    basis: str | None
    person: str | None
    entry_id: str
    entry_ids: tuple[str, ...]


@attrs.frozen
class HistoryPage(Sequence[AccessRecord]):
    """
    One page of a client's history, newest first; a sequence of its lines.

    Attributes:
        records: The lines.
        next_page: The token of the next (older) page, or ``None`` at the end.
            Stable: new accesses never shift what it returns.
    """

    records: tuple[AccessRecord, ...]
    next_page: str | None = None

    @overload
    def __getitem__(self, index: int) -> AccessRecord: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[AccessRecord]: ...
    def __getitem__(self, index: int | slice) -> AccessRecord | Sequence[AccessRecord]:
        return self.records[index]

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[AccessRecord]:
        return iter(self.records)


def who_touched_my_file(
    store: SqlStorage,
    client_id: str,
    *,
    item_id: str | None = None,
    person: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    refusals_only: bool = False,
    limit: int = 50,
    page: str | None = None,
    language: Literal["en", "fr"] = "en",
    directory: ActorDirectory | None = None,
    officer_names: bool = False,
    before_reading: Callable[[], object] | None = None,
) -> HistoryPage:
    """
    A page of every recorded access to *client_id*'s file, newest first, one
    line per access, in plain sentences.

    Args:
        store: The store holding the log.
        client_id: The client (only their own partition is read).
        item_id: Only accesses to this item.
        person: Only this person's accesses (an :attr:`AccessRecord.person`:
            theirs, and services' acting for them).
        since: Only accesses at or after this time.
        until: Only accesses before this time.
        refusals_only: Only refused (or failed) accesses.
        limit: At most this many accesses (1 to 500); a request whose
            entries name several people may add a line per person.
        page: The :attr:`HistoryPage.next_page` of the previous page, with
            the same filters; ``None`` for the newest.
        language: ``"en"`` or ``"fr"``.
        directory: Names actors, items and grants; by default a
            :class:`StoreDirectory` on *store* (names from the store; services
            by id, since it has no registry). The front door passes one with
            its service registry.
        officer_names: Let *directory* describe officers too. By default officers
            are shown by role and office only, whatever the directory would say.
        before_reading: Called once the arguments are found well-formed and
            before anything is read (the front door records the client's
            reading there, and its refusal stops it): bad input records nothing.

    Raises:
        InvalidFormat: a malformed id, page token or time (naive).
        OutOfRange: *limit* outside 1 to 500.
        UnknownValue: a language other than ``"en"`` or ``"fr"``.
    """
    _check_filters(
        client_id, item_id=item_id, person=person, since=since, until=until,
        limit=limit, page=page, language=language,
    )  # fmt: skip
    before = None if page is None else int(page)
    if before_reading is not None:
        before_reading()

    def matching(table: sa.Table | Any) -> list[Any]:
        c = table.c
        conds = [c.partition == client_id]
        if item_id is not None:
            conds.append(c.item_id == item_id)
        if person is not None:
            conds.append(sa.or_(c.actor_id == person, c.on_behalf_of == person))
        if since is not None:
            conds.append(c.occurred_at >= since)
        if until is not None:
            conds.append(c.occurred_at < until)
        if refusals_only:
            conds.append(c.decision != _ALLOWED)
        return conds

    groups, next_page = _read_page(store, matching, limit, before)
    namer = _Namer(client_id, directory or StoreDirectory(store), officer_names, language)
    records: list[AccessRecord] = []
    for entries in groups:
        by_person: dict[str, list[Any]] = {}
        for r in entries:
            by_person.setdefault(_principal_id(r), []).append(r)
        lines = sorted(by_person.values(), key=lambda rs: -max(r.seq for r in rs))
        records.extend(namer.line(rs) for rs in lines)
    return HistoryPage(tuple(records), next_page)


def _check_filters(
    client_id: str,
    *,
    item_id: str | None,
    person: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    limit: int,
    page: str | None,
    language: str,
) -> None:
    """
    Refuse malformed arguments of :func:`who_touched_my_file` before anything
    is read or recorded.

    Raises:
        InvalidFormat, OutOfRange, UnknownValue: as :func:`who_touched_my_file`.
    """
    v.identifier("client_id", client_id)
    for field, value in (("item_id", item_id), ("person", person)):
        if value is not None:
            v.identifier(field, value)
    for field, when in (("since", since), ("until", until)):
        if when is not None and (not isinstance(when, dt.datetime) or when.tzinfo is None):
            raise InvalidFormat(field=field)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise OutOfRange(field="limit")
    if language not in ("en", "fr"):
        raise UnknownValue(field="language")
    if page is not None and (not isinstance(page, str) or not _TOKEN.fullmatch(page)):
        raise InvalidFormat(field="page")


def _principal_id(r: Any) -> str:
    return str(r.on_behalf_of if r.capacity == _PLUGIN and r.on_behalf_of else r.actor_id)


def _read_page(
    store: SqlStorage, matching: Any, limit: int, before: int | None
) -> tuple[list[list[Any]], str | None]:
    """
    The entries of up to *limit* requests below position *before*, each
    request's entries together (oldest first), newest request first; and the
    next page's token.
    """
    e = t.audit_entries
    conds = matching(e)
    chunk = min(4 * limit + 16, 2000)
    groups: dict[tuple[str, str], list[Any]] = {}
    first_out: int | None = None
    cursor: int | None = None
    with store.engine.connect().execution_options(ircc_write=False) as conn:
        shown_before: set[str] = set()
        if before is not None:
            # Requests shown on an earlier page (an entry at or above *before*)
            # are not shown again, even if some of their entries lie below it:
            # one read of the correlation ids above, by the primary key (a
            # correlated NOT EXISTS per row read cost a page deep in a long
            # history the square of its depth).
            shown_before = set(
                conn.execute(
                    sa.select(e.c.correlation_id).where(
                        *matching(e), e.c.seq >= before, e.c.correlation_id.is_not(None)
                    )
                ).scalars()
            )
            conds = [*conds, e.c.seq < before]
        while first_out is None:
            query = sa.select(e).where(*conds)
            if cursor is not None:
                query = query.where(e.c.seq < cursor)
            rows = conn.execute(query.order_by(e.c.seq.desc()).limit(chunk)).all()
            for r in rows:
                if r.correlation_id in shown_before:
                    continue
                key = ("c", r.correlation_id) if r.correlation_id else ("e", r.entry_id)
                if key in groups:
                    groups[key].append(r)
                elif len(groups) < limit:
                    groups[key] = [r]
                else:
                    first_out = r.seq
                    break
            if len(rows) < chunk:
                break
            cursor = rows[-1].seq
        shown = [k[1] for k in groups if k[0] == "c"]
        if first_out is not None and shown:
            # The older entries of the requests on this page, below the first
            # request left for the next one.
            rest = sa.select(e).where(
                *matching(e), e.c.correlation_id.in_(shown), e.c.seq < first_out
            )
            for r in conn.execute(rest):
                groups[("c", r.correlation_id)].append(r)
        conn.rollback()
    ordered = [sorted(rs, key=lambda r: r.seq) for rs in groups.values()]
    return ordered, None if first_out is None else str(first_out + 1)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


class _Namer:
    """
    Turns the entries of one access into one line, in one language.
    """

    def __init__(
        self, client_id: str, directory: ActorDirectory, officer_names: bool, language: str
    ) -> None:
        self.client_id = client_id
        self.directory = directory
        self.default = DefaultActorDirectory()
        self.officer_names = officer_names
        self.fr = language == "fr"

    def pick(self, en: str, fr: str) -> str:
        return fr if self.fr else en

    def line(self, entries: Sequence[Any]) -> AccessRecord:
        phrases = [action_phrase(r.action, r.reason) for r in entries]
        # Named after a change before a read, a person's own access before a
        # service's reads for them, the earliest of equals.
        at = max(
            range(len(entries)),
            key=lambda i: (phrases[i][0].changes, entries[i].capacity != _PLUGIN, -i),
        )
        primary, (phrase, name) = entries[at], phrases[at]
        capacity, decision = Capacity(primary.capacity), Decision(primary.decision)
        who, you, appositive, person = self.who(primary, capacity)
        item_id = primary.item_id or next((r.item_id for r in entries if r.item_id), None)
        grant_id = primary.grant_id or next((r.grant_id for r in entries if r.grant_id), None)
        slots = self.slots(phrase, name, primary, item_id, grant_id)
        refused = next((r for r in entries if r.decision != _ALLOWED), None)
        reason = None if refused is None else self.reason(refused)
        aux = ("avez " if you else "a ") if self.fr else ""
        if decision is Decision.ALLOWED:
            what = aux + self.pick(phrase.en, phrase.fr).format(**slots)
        else:
            tried = self.pick(phrase.en_tried, phrase.fr_tried).format(**slots)
            what = aux + self.pick(f"tried to {tried}", f"tenté de {tried}")
        basis = None
        if decision is Decision.ALLOWED and not primary.action.startswith(
            ("grant.", "door.grant.")
        ):
            basis = self.basis(
                person if person != self.client_id else None, grant_id, phrase.for_client
            )
        subject = f"{who}," if appositive else who
        text = f"{subject} {what}"
        if decision is Decision.FAILED:
            text += self.pick(", but it failed.", ", mais cela a échoué.")
        elif decision is Decision.DENIED:
            text += self.pick(f". Refused: {reason}.", f". Refus : {reason}.")
        else:
            text += f", {basis}." if basis else "."
            if reason is not None:
                text += self.pick(
                    f" Part of it was refused: {reason}.", f" Une partie a été refusée : {reason}."
                )
        if self.fr:
            text, what = french(text), french(what)
        return AccessRecord(
            occurred_at=primary.occurred_at,
            text=text,
            who=who,
            what=what,
            capacity=capacity,
            action=primary.action,
            item_id=item_id,
            decision=decision,
            reason=reason,
            basis=basis,
            person=person,
            entry_id=primary.entry_id,
            entry_ids=tuple(r.entry_id for r in entries),
        )

    def who(self, r: Any, capacity: Capacity) -> tuple[str, bool, bool, str | None]:
        """
        The subject; whether it is the client ("you"); whether it ends with
        an apposition (a comma follows); and the person, to filter by.
        """
        source = (
            self.default
            if capacity is Capacity.OFFICER and not self.officer_names
            else self.directory
        )
        if capacity is Capacity.PLUGIN and r.on_behalf_of:
            service = source.describe(r.actor_id, capacity, None)
            if r.on_behalf_of == self.client_id:
                on_behalf = BilingualText(
                    f"{service.en}, on your behalf", f"{service.fr}, en votre nom"
                )
                return self.pick(on_behalf.en, on_behalf.fr), False, True, self.client_id
            principal = source.describe(r.on_behalf_of, Capacity.REPRESENTATIVE, r.organisation_id)
            return (
                self.pick(
                    f"{service.en}, on behalf of {_lower_first(principal.en)}",
                    f"{service.fr}, pour le compte de {_lower_first(principal.fr)}",
                ),
                False,
                True,
                str(r.on_behalf_of),
            )
        if capacity is Capacity.CLIENT and r.actor_id != self.client_id:
            return self.pick(_ANOTHER.en, _ANOTHER.fr), False, False, None
        described = source.describe(r.actor_id, capacity, r.organisation_id)
        you = capacity is Capacity.CLIENT
        person = None if capacity is Capacity.OFFICER and not self.officer_names else r.actor_id
        return self.pick(described.en, described.fr), you, False, person

    def slots(
        self, phrase: Phrase, name: str | None, r: Any, item_id: str | None, grant_id: str | None
    ) -> dict[str, str]:
        item = phrase.item
        if item_id is not None:
            found = self.directory.item(self.client_id, item_id)
            item = _AN_ITEM if found is None else (found.en, found.fr)
        grantee = _SOMEONE
        if grant_id is not None:
            grant = self.directory.grant(self.client_id, grant_id)
            if grant is not None:
                grantee = (grant.grantee.en, grant.grantee.fr)
        service_id = r.service_id or (r.action[6:].split(":", 1)[0] if name else None)
        service = ("a service", "un service")
        if service_id:
            described = self.directory.describe(service_id, Capacity.PLUGIN, None)
            service = (_lower_first(described.en), _lower_first(described.fr))
        return {
            "item": self.pick(*item),
            "grantee": self.pick(*grantee),
            "service": self.pick(*service),
            "name": name or "",
        }

    def reason(self, r: Any) -> str:
        service = None
        if r.reason.startswith("restricted:"):
            described = self.directory.describe(r.reason.split(":")[1], Capacity.PLUGIN, None)
            service = BilingualText(_lower_first(described.en), _lower_first(described.fr))
        words = reason_words(r.reason, service)
        return self.pick(words.en, words.fr)

    def basis(self, person: str | None, grant_id: str | None, for_client: bool) -> str | None:
        """
        For whom and under which grant (given to whom: them, or their
        office) a representative, or a service for one, acted.
        """
        if person is None or grant_id is None:
            return None
        grant = self.directory.grant(self.client_id, grant_id)
        if grant is None:
            under = self.pick("under an access you gave", "en vertu d'un accès que vous avez donné")
        elif grant.grantee_id == person:
            day = long_date(grant.given_on)
            under = self.pick(
                f"under the access you gave them on {day.en}",
                f"en vertu de l'accès que vous lui avez donné le {day.fr}",
            )
        else:
            day = long_date(grant.given_on)
            under = self.pick(
                f"under the access you gave {grant.grantee.en} on {day.en}",
                f"en vertu de l'accès que vous avez donné à {grant.grantee.fr} le {day.fr}",
            )
        if not for_client:
            return under
        return self.pick(f"acting for you {under}", f"en agissant pour vous {under}")
