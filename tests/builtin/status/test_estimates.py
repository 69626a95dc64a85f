"""
Processing-time estimates: from similar decided items (same program, phase
and office, recent window), kept incrementally in histogram bins.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ircc_account.builtin import status
from ircc_account.builtin.status import EstimateBook, Phase
from ircc_account.builtin.status._estimates import compute

from .helpers import STAFF, World

DAY = dt.timedelta(days=1)


def _decided(world: World, client_id: str, days_in_checks: int, *, office: str = "ndl") -> None:
    """An item received 200 days ago, in background checks 100 days ago, decided *days_in_checks* later."""
    now = dt.datetime.now(dt.UTC)
    start = now - 200 * DAY
    staff = status.Staff(actor=STAFF.actor, office=office)
    item_id = world.desk.open(
        staff, client_id, program="visitor-visa", reference=f"D{days_in_checks}{office}",
        title=status.Phase.RECEIVED.label, received_at=start,
    ).item_id  # fmt: skip
    world.desk.change_phase(staff, item_id, Phase.BACKGROUND_CHECKS, at=now - 100 * DAY)
    world.desk.change_phase(
        staff, item_id, Phase.DECISION, at=now - 100 * DAY + days_in_checks * DAY
    )


def test_the_estimate_comes_from_similar_items_and_is_none_when_too_few(world: World) -> None:
    """Twenty-five decided items give the median and 80th percentile of time left, the sample size and the date; another office has none."""
    marie = world.client()
    for days in range(10, 60, 2):  # 25 items: 10, 12, ..., 58 days in background checks.
        _decided(world, marie.actor_id, days)
    item_id = world.application(marie)
    world.desk.change_phase(STAFF, item_id, Phase.BACKGROUND_CHECKS)
    page = status.status_page(world.door, marie, marie.actor_id, item_id)
    estimate = page.estimate
    assert estimate is not None
    assert estimate.sample_size == 25
    assert 25 <= estimate.median_days <= 40 and 38 <= estimate.p80_days <= 56
    assert estimate.median_days <= estimate.p80_days
    assert abs(estimate.computed_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    svg = page.chart("fr")
    assert svg is not None and svg.startswith("<svg") and "<script" not in svg
    assert "Jours restants" in svg

    elsewhere = status.Staff(actor=STAFF.actor, office="vo-manila")
    other = world.application(marie)
    world.desk.change_phase(elsewhere, other, Phase.BACKGROUND_CHECKS)
    assert status.status_page(world.door, marie, marie.actor_id, other).estimate is None
    assert status.status_page(world.door, marie, marie.actor_id, other).chart() is None


def test_the_estimate_reads_only_the_bins_never_the_history(world: World) -> None:
    """Once counted, an estimate is the same with every timeline event and record of the decided items gone."""
    marie = world.client()
    for days in range(10, 60, 2):
        _decided(world, marie.actor_id, days)
    book = EstimateBook()
    now = dt.datetime.now(dt.UTC)
    with world.door.store.unit_of_work(write=False) as uow:
        before = book.estimate(uow, "visitor-visa", Phase.BACKGROUND_CHECKS, "ndl", now, now)
    with world.door.store.unit_of_work() as uow:
        uow.connection.execute(sa.text("DELETE FROM timeline_events"))
        uow.connection.execute(sa.text("DELETE FROM plugin_records"))
        bins = uow.connection.execute(sa.text("SELECT COUNT(*) FROM status_time_bins")).scalar()
        uow.commit()
    with world.door.store.unit_of_work(write=False) as uow:
        after = book.estimate(uow, "visitor-visa", Phase.BACKGROUND_CHECKS, "ndl", now, now)
    assert before is not None and after == before
    # Two phases per decided item (received, background checks), 25 durations
    # each in at most 23 bins: the table grows with bins, not with items.
    assert bins is not None and bins <= 2 * 23


def test_an_item_already_long_in_its_phase_counts_only_slower_items() -> None:
    """Given days already spent, only similar items that took longer count, by their time left."""
    counts = {10: 10, 14: 10}  # 10 items of 42-56 days, 10 of 112-140 days.
    now = dt.datetime.now(dt.UTC)
    fresh = compute(counts, 0, now, 5)
    late = compute(counts, 100, now, 5)
    assert fresh is not None and late is not None
    assert fresh.sample_size == 20 and late.sample_size == 10
    # The slower ten had 12 to 40 days left (linear within their bin).
    assert (late.median_days, late.p80_days) == (26, 34)
    assert fresh.median_days == 56 and late.bins == ((12, 40, 10),)
    assert compute(counts, 200, now, 5) is None
