"""
Processing-time estimates, kept incrementally.

On each decision, the desk adds the item's time from entering each phase (at
its office) to the decision into a histogram row per (program, phase,
office, 30-day period of the decision, duration bin): at most one upsert per
phase, never a read of the history. An estimate sums the bins of the last
few periods for one (program, phase, office): an index range scan of at
most ``(window + 1) × 23`` small rows, however many items and events the
store holds. Given how long the item has already been in its phase, it
keeps only the similar items that took longer, and reads the median and the
80th percentile of their time left from the bins (linear within a bin).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ircc_account._storage._schema_status import status_time_bins as _bins
from ircc_account._storage.ports import SqlUnit

from ._values import Estimate, Phase

__all__ = ["EDGES", "EstimateBook", "chart_svg", "period_of"]

#: The duration bins' edges, in days: bin *i* holds durations in
#: ``[EDGES[i], EDGES[i + 1])``; longer ones go to the last bin.
EDGES: tuple[int, ...] = (0, 1, 2, 3, 5, 7, 10, 14, 21, 28, 42, 56, 70, 91, 112, 140, 182,
                          238, 301, 365, 455, 547, 730, 1095)  # fmt: skip
_DAY_US = 86_400_000_000
_PERIOD_DAYS = 30

_READ = (
    "SELECT bin, SUM(count) FROM status_time_bins WHERE program = {m} AND phase = {m} "
    "AND office = {m} AND period >= {m} GROUP BY bin"
)


def period_of(at_us: int) -> int:
    """The 30-day period an instant (microseconds since the epoch) falls in."""
    return at_us // _DAY_US // _PERIOD_DAYS


def bin_of(days: float) -> int:
    """The bin a duration of *days* falls in."""
    for i in range(len(EDGES) - 1):
        if days < EDGES[i + 1]:
            return i
    return len(EDGES) - 2


class EstimateBook:
    """
    The histograms behind the estimates, in the store's ``status_time_bins``.

    Args:
        window: How many whole 30-day periods before the current one count
            as "recent" (6: about the last six months).
        min_sample: Fewer similar items than this gives no estimate.
    """

    def __init__(self, *, window: int = 6, min_sample: int = 20) -> None:
        self.window = window
        self.min_sample = min_sample
        self._sql: dict[str, str] = {}

    def add_decision(
        self,
        uow: SqlUnit,
        program: str,
        phases: Iterable[tuple[str, str, int]],
        decided_at: int,
    ) -> int:
        """
        Count one decided item: for each ``(phase, office, entered_at)`` it
        went through before the decision (the last time it entered each
        phase), its time from then to *decided_at* (microseconds). Returns
        how many bins it added to.
        """
        last: dict[str, tuple[str, int]] = {}
        for phase, office, at in phases:
            if phase != Phase.DECISION and phase in _KNOWN and at <= decided_at:
                last[phase] = (office, at)
        rows = [
            {
                "program": program,
                "phase": phase,
                "office": office,
                "period": period_of(decided_at),
                "bin": bin_of((decided_at - at) / _DAY_US),
                "count": 1,
            }
            for phase, (office, at) in sorted(last.items())
        ]
        if rows:
            uow.execute(upsert(uow.connection.dialect.name, rows), "status_time_bins")
        return len(rows)

    def counts(
        self, uow: SqlUnit, program: str, phase: str, office: str, now_us: int
    ) -> dict[int, int]:
        """The recent window's counts by bin, for one (program, phase, office)."""
        connection = uow.connection
        name = connection.dialect.name
        sql = self._sql.get(name)
        if sql is None:
            sql = self._sql.setdefault(name, _READ.format(m="?" if name == "sqlite" else "%s"))
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, (program, phase, office, period_of(now_us) - self.window))
            return {int(b): int(c) for b, c in cursor.fetchall()}
        finally:
            cursor.close()

    def estimate(
        self,
        uow: SqlUnit,
        program: str,
        phase: Phase,
        office: str,
        entered_at: dt.datetime,
        now: dt.datetime,
    ) -> Estimate | None:
        """
        The time left for an item of *program* in *phase* at *office* since
        *entered_at*; ``None`` after a decision or when the sample is too small.
        """
        if phase in (Phase.DECISION, Phase.PASSPORT_REQUEST):
            return None
        now_us = _us(now)
        counts = self.counts(uow, program, phase.value, office, now_us)
        return compute(counts, (now_us - _us(entered_at)) / _DAY_US, now, self.min_sample)


_KNOWN = frozenset(p.value for p in Phase)


def upsert(dialect: str, rows: Sequence[dict[str, Any]]) -> sa.Executable:
    """Add *rows*' counts to the histogram (insert, or add on conflict)."""
    insert = sqlite.insert(_bins) if dialect == "sqlite" else postgresql.insert(_bins)
    statement = insert.values(list(rows))
    return statement.on_conflict_do_update(
        index_elements=["program", "phase", "office", "period", "bin"],
        set_={"count": _bins.c["count"] + statement.excluded["count"]},
    )


def _us(at: dt.datetime) -> int:
    return (at - _EPOCH) // dt.timedelta(microseconds=1)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def compute(
    counts: dict[int, int], elapsed_days: float, now: dt.datetime, min_sample: int
) -> Estimate | None:
    """
    The estimate from bin counts, for an item *elapsed_days* into its phase:
    only similar items that took longer count, by their time left.
    """
    elapsed = max(0.0, elapsed_days)
    left: list[tuple[float, float, float]] = []  # (from, to, weight) in days left
    for i in sorted(counts):
        lo, hi = float(EDGES[i]), float(EDGES[i + 1])
        if hi <= elapsed:
            continue
        weight = counts[i] * ((hi - max(lo, elapsed)) / (hi - lo))
        left.append((max(lo, elapsed) - elapsed, hi - elapsed, weight))
    total = sum(w for _, _, w in left)
    if total < min_sample or total <= 0:
        return None
    return Estimate(
        median_days=round(_quantile(left, total, 0.5)),
        p80_days=round(_quantile(left, total, 0.8)),
        sample_size=round(total),
        computed_at=now,
        bins=tuple((round(a), round(b), round(w)) for a, b, w in left),
    )


def _quantile(bins: list[tuple[float, float, float]], total: float, q: float) -> float:
    target = q * total
    seen = 0.0
    for lo, hi, weight in bins:
        if weight > 0 and seen + weight >= target:
            return lo + (hi - lo) * ((target - seen) / weight)
        seen += weight
    return bins[-1][1]


def chart_svg(estimate: Estimate, *, title: str) -> str:
    """
    The distribution of days left as a small bar chart: SVG, no script, with
    the median and the 80th percentile marked; *title* names it for screen
    readers (escaped here).
    """
    width, height, pad = 320, 120, 20
    bins = [b for b in estimate.bins if b[2] > 0] or list(estimate.bins)
    top = max((b[2] for b in bins), default=1) or 1
    span = max((b[1] for b in bins), default=1) or 1
    scale = (width - 2 * pad) / span

    def x(days: float) -> float:
        return pad + days * scale

    bars = "".join(
        f'<rect x="{x(lo):.1f}" y="{height - pad - (n / top) * (height - 2 * pad):.1f}" '
        f'width="{max(1.0, (hi - lo) * scale - 1):.1f}" '
        f'height="{(n / top) * (height - 2 * pad):.1f}" fill="#26374a"/>'
        for lo, hi, n in bins
    )
    marks = "".join(
        f'<line x1="{x(d):.1f}" x2="{x(d):.1f}" y1="{pad / 2:.1f}" y2="{height - pad:.1f}" '
        f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'
        for d, colour, dash in (
            (estimate.median_days, "#af3c43", "4 2"),
            (estimate.p80_days, "#b3660b", "2 2"),
        )
    )
    axis = (
        f'<line x1="{pad}" x2="{width - pad}" y1="{height - pad}" y2="{height - pad}" '
        f'stroke="#333"/><text x="{pad}" y="{height - 4}" font-size="10">0</text>'
        f'<text x="{width - pad}" y="{height - 4}" font-size="10" text-anchor="end">{span}</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}"><title>{_escape(title)}</title>'
        f"{bars}{marks}{axis}</svg>"
    )


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
