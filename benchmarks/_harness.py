"""
A small, dependency-free benchmark harness.

Each benchmark module exposes ``run(report)``: it measures our operation and
the bare floor (or peer) it is compared with *in the same run*, and hands the
figures to ``report``. ``python benchmarks/run.py`` runs them all.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Measurement:
    """Figures for one operation: calls per second and latency percentiles (µs)."""

    name: str
    ops_per_s: float
    p50_us: float
    p99_us: float
    n: int
    note: str = ""
    #: Set by :func:`measure_interleaved` only.
    p90_us: float = 0.0


@dataclass
class Report:
    """Collects measurements and prints them as a table, with ratios to a baseline."""

    title: str
    rows: list[Measurement] = field(default_factory=list)

    def add(self, m: Measurement) -> Measurement:
        self.rows.append(m)
        return m

    def render(self) -> str:
        lines = [
            f"## {self.title}",
            "",
            "| operation | ops/s | p50 µs | p99 µs | n | note |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
        ]
        for r in self.rows:
            lines.append(
                f"| {r.name} | {r.ops_per_s:,.0f} | {r.p50_us:,.1f} | {r.p99_us:,.1f}"
                f" | {r.n} | {r.note} |"
            )
        return "\n".join(lines)


def measure(
    name: str,
    fn: Callable[[], object],
    *,
    n: int = 2000,
    warmup: int = 100,
    note: str = "",
) -> Measurement:
    """Call *fn* ``warmup`` then ``n`` times, timing each call with perf_counter_ns."""
    for _ in range(warmup):
        fn()
    samples: list[int] = []
    clock = time.perf_counter_ns
    start = clock()
    for _ in range(n):
        t0 = clock()
        fn()
        samples.append(clock() - t0)
    total = clock() - start
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return Measurement(
        name=name,
        ops_per_s=n / (total / 1e9),
        p50_us=statistics.median(samples) / 1e3,
        p99_us=p99 / 1e3,
        n=n,
        note=note,
    )


def measure_interleaved(
    ops: Sequence[tuple[str, Callable[[], object]]],
    *,
    n: int = 2000,
    warmup: int = 100,
    block: int = 10,
) -> list[Measurement]:
    """
    Like :func:`measure` for several operations at once, run in alternating
    blocks of *block* calls, so that a change of load on a shared machine
    weighs on each of them alike and their ratio stays meaningful.

    Each operation is called ``warmup`` then ``n`` times; ops/s is from the
    time spent in its own calls.
    """
    for _ in range(warmup):
        for _, fn in ops:
            fn()
    samples: list[list[int]] = [[] for _ in ops]
    clock = time.perf_counter_ns
    done = 0
    while done < n:
        size = min(block, n - done)
        for (_, fn), mine in zip(ops, samples, strict=True):
            for _ in range(size):
                t0 = clock()
                fn()
                mine.append(clock() - t0)
        done += size
    results = []
    for (name, _), mine in zip(ops, samples, strict=True):
        total = sum(mine)
        mine.sort()
        results.append(
            Measurement(
                name=name,
                ops_per_s=n / (total / 1e9),
                p50_us=statistics.median(mine) / 1e3,
                p99_us=mine[min(len(mine) - 1, int(len(mine) * 0.99))] / 1e3,
                n=n,
                p90_us=mine[min(len(mine) - 1, int(len(mine) * 0.9))] / 1e3,
            )
        )
    return results


def ratio(a: Measurement, b: Measurement) -> float:
    """How many times slower *a* is than *b*, by median latency."""
    return a.p50_us / b.p50_us if b.p50_us else float("inf")
