"""
The client's view ("who touched my file"), the JSON log formatter, and the CLI.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import random
from collections.abc import Callable

import pytest

from ircc_account import FrontDoor
from ircc_account._clock import FrozenClock
from ircc_account._model import BilingualText, Capacity, Decision
from ircc_account._storage import SqlStore
from ircc_account.audit import (
    CheckpointSigner,
    GrantSummary,
    JsonLogFormatter,
    export_client,
    who_touched_my_file,
)
from ircc_account.cli import main
from ircc_account.errors import InvalidFormat, OutOfRange, UnknownValue

from .conftest import NOW, make_entry, new_log


@pytest.fixture
def history(sqlite_store: SqlStore, signer: CheckpointSigner, clock: FrozenClock) -> SqlStore:
    """A client's file read by a representative, an officer and a plugin, and the client."""
    log = new_log(sqlite_store, signer, clock)
    log.append_now(make_entry(occurred_at=NOW - dt.timedelta(hours=2), action="door.item.view"))
    log.append_now(make_entry(occurred_at=NOW - dt.timedelta(hours=1), capacity="officer",
                              actor_id="officer-jane-doe", organisation_id="ircc-montreal",
                              action="authz.view_decision_notes", reason="case review",
                              item_id="app-2", grant_id=None))  # fmt: skip
    log.append_now(make_entry(occurred_at=NOW, capacity="plugin", actor_id="svc-passport",
                              action="service.item.update", reason="grant"),
                   on_behalf_of="rep-7")  # fmt: skip
    log.append_now(make_entry(client_id="c-other"))
    log.checkpoint()
    return sqlite_store


class Directory:
    """A directory that knows every name, item and grant (and says so)."""

    def describe(
        self, actor_id: str, capacity: Capacity, organisation_id: str | None
    ) -> BilingualText:
        return BilingualText(f"Name of {actor_id}", f"Nom de {actor_id}")

    def item(self, client_id: str, item_id: str) -> BilingualText | None:
        return BilingualText(f"your item {item_id}", f"votre élément {item_id}")

    def grant(self, client_id: str, grant_id: str) -> GrantSummary | None:
        return GrantSummary(grantee_id="rep-7", grantee=BilingualText("R7", "R7"),
                            to_organisation=False, given_on=dt.date(2026, 2, 1))  # fmt: skip


def test_sec_66_delegate_and_plugin_reads_appear_in_the_clients_history(history: SqlStore) -> None:
    """A representative's view and a plugin's change, for the representative, read newest first in English."""
    records = who_touched_my_file(history, "c-1")
    assert [r.capacity for r in records] == [
        Capacity.PLUGIN,
        Capacity.OFFICER,
        Capacity.REPRESENTATIVE,
    ]
    assert records[2].who == "Your representative rep-7 (org-ottawa)"
    assert records[2].what == "viewed an item"
    assert records[2].text == (
        "Your representative rep-7 (org-ottawa) viewed an item, "
        "acting for you under an access you gave."
    )
    assert records[0].text == (
        "The service svc-passport, on behalf of your representative rep-7 (org-ottawa), "
        "changed an item, acting for you under an access you gave."
    )
    assert records[1].text == "An IRCC officer (ircc-montreal) read the decision notes of an item."
    assert records.next_page is None


def test_client_view_in_french_names_people_items_and_grants_but_officers_by_office_only(
    history: SqlStore,
) -> None:
    """In French, the representative, the item and the grant are named; the officer only by role and office."""
    records = who_touched_my_file(history, "c-1", language="fr", directory=Directory())
    officer = next(r for r in records if r.capacity is Capacity.OFFICER)
    assert officer.who == "Un agent d'IRCC (ircc-montreal)"
    assert "jane" not in officer.text and officer.person is None
    rep = next(r for r in records if r.capacity is Capacity.REPRESENTATIVE)
    assert rep.who == "Nom de rep-7" and rep.what == "a consulté votre élément app-1"
    assert rep.text == (
        "Nom de rep-7 a consulté votre élément app-1, en agissant pour vous "
        "en vertu de l'accès que vous lui avez donné le 1er février 2026."
    )
    assert rep.person == "rep-7"


def test_client_view_filters_by_item_person_period_and_refusals(
    history: SqlStore, signer: CheckpointSigner, clock: FrozenClock
) -> None:
    """Each filter keeps only the matching accesses, and never another client's."""
    assert [r.item_id for r in who_touched_my_file(history, "c-1", item_id="app-2")] == ["app-2"]
    window = who_touched_my_file(history, "c-1", since=NOW - dt.timedelta(minutes=90),
                                 until=NOW - dt.timedelta(minutes=30))  # fmt: skip
    assert [r.capacity for r in window] == [Capacity.OFFICER]
    assert list(who_touched_my_file(history, "c-nobody")) == []
    mine = who_touched_my_file(history, "c-1", person="rep-7")
    assert [r.capacity for r in mine] == [Capacity.PLUGIN, Capacity.REPRESENTATIVE]
    assert list(who_touched_my_file(history, "c-1", refusals_only=True)) == []
    log = new_log(history, signer, clock)
    log.append_now(make_entry(decision="denied", reason="scope", action="door.item.view"))
    (refused,) = who_touched_my_file(history, "c-1", refusals_only=True)
    assert refused.decision is Decision.DENIED
    assert refused.text == (
        "Your representative rep-7 (org-ottawa) tried to view an item. "
        "Refused: the access you gave them does not include this."
    )
    assert refused.reason == "the access you gave them does not include this"


def test_one_request_is_one_line_and_refused_parts_stay_visible(
    sqlite_store: SqlStore, signer: CheckpointSigner, clock: FrozenClock
) -> None:
    """A page view and the plugin reads it caused, sharing a correlation id, make one line; a refused read shows in it."""
    log = new_log(sqlite_store, signer, clock)
    view = {"action": "door.item.view", "correlation_id": "req-1"}
    log.append_now(make_entry(**view))
    log.append_now(make_entry(capacity="plugin", actor_id="svc-a", action="service.timeline.read",
                              correlation_id="req-1"), on_behalf_of="rep-7")  # fmt: skip
    log.append_now(make_entry(capacity="plugin", actor_id="svc-b", action="service.timeline.read",
                              correlation_id="req-1", decision="denied",
                              reason="restricted:svc-b:embargo"), on_behalf_of="rep-7")  # fmt: skip
    log.append_now(make_entry(actor_id="rep-8", action="door.item.view", correlation_id="req-1"))
    records = who_touched_my_file(sqlite_store, "c-1", directory=Directory())
    assert len(records) == 2
    rep8, rep7 = records
    assert rep8.person == "rep-8" and len(rep8.entry_ids) == 1
    assert rep7.action == "door.item.view" and rep7.decision is Decision.ALLOWED
    assert len(rep7.entry_ids) == 3
    assert rep7.text == (
        "Name of rep-7 viewed your item app-1, acting for you under the access you gave "
        "them on 1 February 2026. Part of it was refused: name of svc-b restricted it."
    )
    changed = make_entry(capacity="plugin", actor_id="svc-a", action="service.item.update",
                         correlation_id="req-2")  # fmt: skip
    log.append_now(make_entry(action="door.item.view", correlation_id="req-2"))
    log.append_now(changed, on_behalf_of="rep-7")
    latest = who_touched_my_file(sqlite_store, "c-1", limit=1)
    assert [r.action for r in latest] == ["service.item.update"]


def test_pages_hold_whole_requests_and_stay_stable(
    sqlite_store: SqlStore, signer: CheckpointSigner, clock: FrozenClock
) -> None:
    """Paging by token lists each request once, whole, newest first, even as new accesses arrive."""
    log = new_log(sqlite_store, signer, clock)
    # Two requests interleaved: req-a's entries straddle req-b's.
    for corr in ("req-a", "req-b", "req-a", "req-c", "req-b", None, "req-d"):
        log.append_now(make_entry(action="door.item.view", correlation_id=corr))
    everything = who_touched_my_file(sqlite_store, "c-1")
    assert len(everything) == 5
    seen: list[tuple[str, ...]] = []
    token = None
    for _ in range(10):
        page = who_touched_my_file(sqlite_store, "c-1", limit=2, page=token)
        seen += [r.entry_ids for r in page]
        if token is None:
            log.append_now(make_entry(action="door.item.view", correlation_id="req-new"))
        token = page.next_page
        if token is None:
            break
    assert seen == [r.entry_ids for r in everything]
    assert sorted(len(ids) for ids in seen) == [1, 1, 1, 2, 2]


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_pages_of_many_interleaved_requests_list_each_line_once(
    sqlite_store: SqlStore, signer: CheckpointSigner, clock: FrozenClock, limit: int
) -> None:
    """Forty requests whose entries interleave at random page, at any size, into the lines one read gives."""
    log = new_log(sqlite_store, signer, clock)
    rng = random.Random(limit)
    open_requests: list[str] = []
    entries = 0
    for n in range(40):
        open_requests.append(f"req-{n}")
        while open_requests and (rng.random() < 0.6 or n == 39):
            corr: str | None = rng.choice([*open_requests, None])
            log.append_now(make_entry(action="door.item.view", correlation_id=corr))
            entries += 1
            if corr is not None and rng.random() < 0.4:
                open_requests.remove(corr)
    everything = who_touched_my_file(sqlite_store, "c-1", limit=500)
    assert sum(len(r.entry_ids) for r in everything) == entries
    seen: list[tuple[str, ...]] = []
    token = None
    while True:
        page = who_touched_my_file(sqlite_store, "c-1", limit=limit, page=token)
        assert len(page) <= limit
        seen += [r.entry_ids for r in page]
        token = page.next_page
        if token is None:
            break
    assert seen == [r.entry_ids for r in everything]


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"limit": 0}, OutOfRange),
        ({"limit": 501}, OutOfRange),
        ({"limit": True}, OutOfRange),
        ({"page": "0"}, InvalidFormat),
        ({"page": "12abc"}, InvalidFormat),
        ({"page": "-3"}, InvalidFormat),
        ({"since": dt.datetime(2026, 1, 1)}, InvalidFormat),  # naive on purpose
        ({"item_id": "app 1\n"}, InvalidFormat),
        ({"person": ""}, InvalidFormat),
        ({"language": "de"}, UnknownValue),
    ],
)
def test_bad_filters_are_refused_with_a_typed_error(
    history: SqlStore, arguments: dict[str, object], error: type[Exception]
) -> None:
    """A malformed limit, page token, time, id or language is a typed error, never a wrong page."""
    with pytest.raises(error):
        who_touched_my_file(history, "c-1", **arguments)  # type: ignore[arg-type]


def test_sec_69_log_injection_stays_one_record() -> None:
    """A value holding a newline with fake JSON, or an ANSI escape, stays inside one JSON line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger("test.audit.injection")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(
            "login for %s", 'Marie\n{"evt":"fake"}\x1b[31m', extra={"name_claim": "x\r\ny"}
        )
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["message"] == 'login for Marie\n{"evt":"fake"}\x1b[31m'
    assert "\x1b" not in lines[0] and "evt" not in json.loads(lines[0])


def test_sec_68_secret_keys_are_redacted_at_any_depth() -> None:
    """Tokens, codes, code_verifier, nonce, state, session ids, passwords and document numbers are never logged."""
    # Values that cannot occur by chance in the rest of the line (a short
    # "T1" matched the timestamp at ten o'clock).
    secrets = {k: f"secret-{k}-7f3a9c" for k in ("token", "code", "code_verifier", "nonce",
               "state", "session_id", "password", "document_number", "id_token")}  # fmt: skip
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "callback", None, None)
    record.__dict__.update({"params": secrets, **secrets, "client_id": "c-1"})
    line = JsonLogFormatter().format(record)
    for value in secrets.values():
        assert value not in line
    assert json.loads(line)["client_id"] == "c-1"


def test_cli_verifies_a_database_and_an_export(
    history: SqlStore,
    signer: CheckpointSigner,
    tmp_path: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``audit verify`` exits 0 on a sound log or export with published keys, 1 once an export is edited."""
    keys = tmp_path / "keys.json"  # type: ignore[operator]
    keys.write_text(json.dumps({k: v.hex() for k, v in signer.public_keys().items()}))
    url = history.engine.url.render_as_string(hide_password=False)
    assert main(["audit", "verify", "--database", url, "--keys", str(keys)]) == 0
    assert "verifying:" in capsys.readouterr().err
    export = export_client(history, "c-1", public_keys=signer.public_keys())
    path = tmp_path / "export.json"  # type: ignore[operator]
    path.write_text(json.dumps(export))
    assert main(["audit", "verify", "--export", str(path), "--keys", str(keys)]) == 0
    export["entries"][0]["reason"] = "edited"
    path.write_text(json.dumps(export))
    assert main(["audit", "verify", "--export", str(path), "--keys", str(keys)]) == 1
    assert "c-1 seq 1: hash_mismatch" in capsys.readouterr().out
    assert (
        main(["audit", "verify", "--database", url]) == 1
    )  # no published keys: checkpoints cannot pass


def test_the_client_view_names_representatives_from_the_store_by_default(
    make_front_door: Callable[..., FrontDoor], database_url: str
) -> None:
    """Read without a directory, the history names a representative by their display name from the store, not by id."""
    from ircc_account.testing import People

    door = make_front_door(database_url=database_url)
    people = People(door)
    client = people.client()
    rep = people.representative(for_client=client, display_name="Jean Roy")
    door.grants.of(rep, client.actor_id)
    lines = who_touched_my_file(door.store, client.actor_id)
    viewed = next(r for r in lines if r.capacity is Capacity.REPRESENTATIVE)
    assert viewed.who == "Your representative Jean Roy", viewed.who
    assert "rep-" not in viewed.text
    french = who_touched_my_file(door.store, client.actor_id, language="fr")
    assert any(r.who == "Votre représentant Jean Roy" for r in french)
