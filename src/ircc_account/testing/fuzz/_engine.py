"""
The two engines: atheris (coverage-guided libFuzzer, in its own process) and
hypothesis (random and mutated inputs, in process; what the smoke run uses).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import pathlib
import re
import sys
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ircc_account.testing.fuzz._harness import ContractBroken, FuzzTarget

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["corpus_seeds", "run_atheris", "run_hypothesis"]

# A compact JWS (three base64url segments), as found in vector files.
_COMPACT = re.compile(r"\A[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\Z")
# Bytes that matter to the parsers, spliced in by the hypothesis engine.
_SPLICES = (
    b".", b"..", b"=", b"&", b"%", b"%00", b"%zz", b"+", b'"', b"\\u0000", b"\x00", b"\xff",
    b"null", b"true", b"[]", b"{}", b"-1", b"0", b"1e999", b"99999999999999999999",
    b"9999-12-31", b"0001-01-01", b"2024-02-29", b"eyJ", b"AAAA",
)  # fmt: skip


def corpus_seeds(paths: Iterable[pathlib.Path]) -> list[bytes]:
    """
    Seeds from *paths*: every file of a directory (one input each); from a
    ``.json`` file (such as Wycheproof's ``json_web_signature_test.json``),
    every compact JWS string in it, as a token harness's raw token (mode 0).
    """
    seeds: list[bytes] = []
    for path in paths:
        if path.is_dir():
            seeds += [p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()]
        elif path.suffix == ".json":
            seeds += [b"\x00" + s.encode() for s in _compact_strings(json.loads(path.read_text()))]
        else:
            seeds.append(path.read_bytes())
    return seeds


def _compact_strings(value: object) -> Iterable[str]:
    if isinstance(value, str) and _COMPACT.match(value):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _compact_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _compact_strings(item)


def save_crash(crashes: pathlib.Path, target: FuzzTarget, data: bytes) -> pathlib.Path:
    """Write *data* to *crashes* under the name atheris would give it."""
    crashes.mkdir(parents=True, exist_ok=True)
    path = crashes / f"{target.name}-crash-{hashlib.sha1(data).hexdigest()}"  # noqa: S324 (a name)
    path.write_bytes(data)
    return path


def run_hypothesis(
    target: FuzzTarget,
    seeds: Sequence[bytes],
    *,
    runs: int | None,
    seconds: float | None,
    crashes: pathlib.Path | None,
    derandomize: bool = False,
) -> int:
    """
    Check every seed, then generated inputs (seeds mutated, JSON members
    replaced, random bytes) until *runs* inputs or *seconds* have passed.
    Returns how many inputs were checked.

    Raises:
        ContractBroken: an input broke the contract (saved under *crashes*).
    """
    from hypothesis import HealthCheck, Phase, given, settings

    checked = 0

    def check(data: bytes) -> None:
        nonlocal checked
        checked += 1
        try:
            target.check(data)
        except ContractBroken:
            if crashes is not None:
                print(f"crash saved to {save_crash(crashes, target, data)}", file=sys.stderr)
            raise

    for seed in seeds:
        check(seed)
    deadline = None if seconds is None else time.monotonic() + seconds
    strategy = _inputs(seeds)
    while (runs is None or checked < runs) and (deadline is None or time.monotonic() < deadline):
        batch = 500 if runs is None else min(500, runs - checked)
        if batch <= 0:
            break

        @settings(
            max_examples=batch,
            database=None,
            deadline=None,
            derandomize=derandomize,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def generated(data: bytes) -> None:
            check(data)

        generated()
        if derandomize:
            break
    return checked


def _inputs(seeds: Sequence[bytes]) -> SearchStrategy[bytes]:
    from hypothesis import strategies as st

    pool = list(seeds) or [b""]
    members = sorted({k for s in pool if (o := _object(s[1:])) for k in o})
    values = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(max_size=40),
        st.dates().map(lambda d: d.isoformat()),
        st.from_regex(r"\A-?[0-9]{1,12}\Z"),
        st.lists(st.one_of(st.text(max_size=12), st.integers()), max_size=3),
        st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=2),
        st.lists(st.dictionaries(st.sampled_from(members or ["x"]), st.text(max_size=12))),
    )

    @st.composite
    def mutated(draw: st.DrawFn) -> bytes:
        data = bytearray(draw(st.sampled_from(pool)))
        obj = _object(bytes(data[1:]))
        if obj is not None and draw(st.booleans()):
            for _ in range(draw(st.integers(1, 3))):
                name = draw(st.sampled_from(members or ["x"]) | st.text(max_size=8))
                obj[name] = draw(values)
            return bytes(data[:1]) + json.dumps(obj).encode()
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(data)))
            op = draw(st.integers(0, 3))
            if op == 0 and i < len(data):
                data[i] = draw(st.integers(0, 255))
            elif op == 1:
                data[i:i] = draw(st.binary(min_size=1, max_size=8))
            elif op == 2:
                del data[i : i + draw(st.integers(1, 16))]
            else:
                data[i:i] = draw(st.sampled_from(_SPLICES))
        return bytes(data)

    return st.one_of(mutated(), st.binary(max_size=2048))


def _object(data: bytes) -> dict[str, object] | None:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def run_atheris(
    target: FuzzTarget,
    seeds: Sequence[bytes],
    *,
    runs: int | None,
    seconds: float | None,
    crashes: pathlib.Path,
    work: pathlib.Path,
    extra_corpora: Sequence[pathlib.Path] = (),
) -> None:
    """
    Fuzz with atheris until *runs* inputs or *seconds* (forever when neither);
    never returns: the process exits with libFuzzer's status (0 when nothing
    broke the contract). New interesting inputs go to *work* (seeded with
    *seeds*), crashing ones to *crashes*.
    """
    import atheris

    work.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        name = hashlib.sha1(seed).hexdigest()  # noqa: S324 (a file name)
        (work / name).write_bytes(seed)
    # libFuzzer appends "crash-SHA1" (or "timeout-", "oom-") to the prefix.
    args = [sys.argv[0], f"-artifact_prefix={crashes}/{target.name}-"]
    if runs is not None:
        args.append(f"-runs={runs}")
    if seconds is not None:
        args.append(f"-max_total_time={max(1, int(seconds))}")
    args += [str(work), *(str(p) for p in extra_corpora if p.is_dir())]
    # Import what the harness needs, then instrument the library's own code
    # for coverage feedback (atheris.instrument_all would take minutes).
    for seed in seeds[:1]:
        _quietly(target, seed)
    _instrument_library(atheris)
    atheris.Setup(args, target.check)
    atheris.Fuzz()


def _quietly(target: FuzzTarget, data: bytes) -> None:
    # A broken seed is met again among the corpus, where the fuzzer reports it.
    with contextlib.suppress(ContractBroken):
        target.check(data)


def _instrument_library(atheris: Any) -> None:
    """Instrument every function of ``ircc_account`` outside the kit."""
    import gc
    import types

    for obj in gc.get_objects():
        if (
            isinstance(obj, types.FunctionType)
            and isinstance(obj.__module__, str)
            and obj.__module__.startswith("ircc_account.")
            and not obj.__module__.startswith("ircc_account.testing")
        ):
            atheris.instrument_func(obj)
