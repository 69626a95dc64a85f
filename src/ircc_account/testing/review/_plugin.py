"""
The pytest plugin of the reviewer's run: the ``--ircc-review-config``
option, the fixtures the checks (and a reviewer's own tests) use, and the
summary per requirement group.
"""

from __future__ import annotations

import contextlib
import pathlib
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings

from ircc_account._crypto import Keyring
from ircc_account._door import FrontDoor, FrontDoorConfig
from ircc_account._storage import SqlStore, open_store

from ._config import ReviewConfig, load_review_config

__all__ = ["GROUPS", "Group"]

_SEC = re.compile(r"SEC-(\d{2})")


@attrs.frozen
class Group:
    """
    One group of the requirements (``docs/SECURITY-REQUIREMENTS.md``).

    Attributes:
        letter: Its letter, A to J.
        title: What it is about.
        first: Its first SEC number.
        last: Its last SEC number.
    """

    letter: str
    title: str
    first: int
    last: int

    def holds(self, sec: str) -> bool:
        """Whether ``SEC-NN`` is in this group."""
        match = _SEC.fullmatch(sec)
        return match is not None and self.first <= int(match.group(1)) <= self.last

    def __str__(self) -> str:
        return f"{self.letter}. {self.title} (SEC-{self.first:02d}..{self.last:02d})"


#: The ten requirement groups, in order.
GROUPS: tuple[Group, ...] = (
    Group("A", "OIDC relying party login", 1, 22),
    Group("B", "Tokens and JOSE", 23, 32),
    Group("C", "Sessions and cookies", 33, 42),
    Group("D", "Logout", 43, 48),
    Group("E", "Delegation and authorization", 49, 62),
    Group("F", "Audit and logging", 63, 70),
    Group("G", "Data at rest", 71, 77),
    Group("H", "Input handling and limits", 78, 84),
    Group("I", "Storage durability", 85, 91),
    Group("J", "Plugin isolation", 92, 97),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """The review's options."""
    group = parser.getgroup("ircc-review", "ircc_account reviewer's run")
    group.addoption("--ircc-review-config", metavar="FILE", help="the review configuration")
    group.addoption(
        "--ircc-review-examples", type=int, default=None, metavar="N", help="examples per property"
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``sec`` marker and the review's hypothesis profile; start the summary."""
    config.addinivalue_line("markers", "sec(*ids): the SEC requirements this check pins")
    examples = config.getoption("--ircc-review-examples")
    path = config.getoption("--ircc-review-config")
    if path is not None:
        review = load_review_config(pathlib.Path(path))
        config.stash[_CONFIG] = review
        examples = examples or review.examples
    settings.register_profile(
        "ircc-review",
        max_examples=examples or 25,
        stateful_step_count=20,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )
    settings.load_profile("ircc-review")
    config.pluginmanager.register(_Summary(config), "ircc-review-summary")


_CONFIG = pytest.StashKey[ReviewConfig]()


class _Summary:
    """Collects each check's outcome and SEC ids; prints them per group."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.secs: dict[str, tuple[str, ...]] = {}
        self.outcomes: dict[str, str] = {}
        self.reasons: dict[str, str] = {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            ids: list[str] = []
            for mark in item.iter_markers("sec"):
                ids.extend(str(a) for a in mark.args)
            self.secs[item.nodeid] = tuple(dict.fromkeys(ids))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        previous = self.outcomes.get(report.nodeid)
        if report.failed:
            self.outcomes[report.nodeid] = "FAIL"
            self.reasons[report.nodeid] = _one_line(report)
        elif report.skipped and previous is None:
            self.outcomes[report.nodeid] = "skip"
            self.reasons[report.nodeid] = _skip_reason(report)
        elif report.when == "call" and report.passed and previous is None:
            self.outcomes[report.nodeid] = "pass"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        write = terminalreporter.write_line
        review = self.config.stash.get(_CONFIG, None)
        write("")
        write("=" * 78)
        title = "ircc_account security review"
        if review is not None:
            title += f": {review.path}"
        write(title)
        write("=" * 78)
        for line in summary_lines(self.secs, self.outcomes, self.reasons):
            write(line)


def _name(nodeid: str) -> str:
    return nodeid.split("::", 1)[-1]


def _one_line(report: pytest.TestReport) -> str:
    text = str(report.longrepr or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("E ")]
    reason = lines[0][2:].strip() if lines else (text.strip().splitlines() or [""])[-1]
    return reason[:160]


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")[:160]
    return ""


def summary_lines(
    secs: dict[str, tuple[str, ...]], outcomes: dict[str, str], reasons: dict[str, str]
) -> list[str]:
    """
    The review's summary: per group, pass or FAIL (or skip when every check
    of it was skipped), then each SEC id with its checks' outcomes.
    """
    lines: list[str] = []
    totals = {"pass": 0, "FAIL": 0, "skip": 0}
    for outcome in outcomes.values():
        totals[outcome] = totals.get(outcome, 0) + 1
    for group in GROUPS:
        by_sec: dict[str, list[str]] = {}
        for nodeid, ids in secs.items():
            for sec in ids:
                if group.holds(sec) and nodeid in outcomes:
                    by_sec.setdefault(sec, []).append(nodeid)
        checks = {n for ns in by_sec.values() for n in ns}
        states = {outcomes[n] for n in checks}
        if not checks:
            status = "----"
        elif "FAIL" in states:
            status = "FAIL"
        elif states == {"skip"}:
            status = "skip"
        else:
            status = "pass"
        lines.append(f"{status:<5} {group}")
        if not checks:
            lines.append(
                "      no check here: pinned by the library's own tests (docs/security.md)"
            )
        for sec in sorted(by_sec):
            ran = [n for n in by_sec[sec] if outcomes[n] != "skip"]
            sec_state = (
                "FAIL"
                if any(outcomes[n] == "FAIL" for n in by_sec[sec])
                else ("pass" if ran else "skip")
            )
            names = ", ".join(_name(n) for n in by_sec[sec])
            lines.append(f"      {sec} {sec_state:<4} {names}")
            for n in by_sec[sec]:
                if outcomes[n] != "pass" and reasons.get(n):
                    lines.append(f"           {outcomes[n]} {_name(n)}: {reasons[n]}")
    unmapped = [n for n, ids in secs.items() if not ids and n in outcomes]
    if unmapped:
        lines.append("      checks that name no requirement (add @pytest.mark.sec(...)):")
        for n in unmapped:
            lines.append(f"      {outcomes[n]:<4} {n}")
    lines.append(
        f"{totals['pass']} checks passed, {totals['FAIL']} failed, {totals['skip']} skipped."
    )
    return lines


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def review_config(pytestconfig: pytest.Config) -> ReviewConfig:
    """
    The review configuration (``--ircc-review-config``); without one, the
    checks that need it are skipped.
    """
    review = pytestconfig.stash.get(_CONFIG, None)
    if review is None:
        pytest.skip("no review configuration (--ircc-review-config FILE)")
    return review


@pytest.fixture(scope="session")
def deployment_copy_url(review_config: ReviewConfig) -> Iterator[str]:
    """
    The deployment's store to read: for SQLite, a consistent copy taken with
    the backup API (so nothing the review does touches the deployment's
    file); for PostgreSQL, the store itself, read (the append-only check's
    UPDATE and DELETE match no row and are rolled back).
    """
    if not review_config.is_sqlite:
        yield review_config.database_url
        return
    source = review_config.sqlite_path()
    if not source.exists():
        pytest.fail(f"the store {source} does not exist")
    with tempfile.TemporaryDirectory(prefix="ircc-review-") as folder:
        copy = pathlib.Path(folder) / "copy.db"
        with (
            contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
            contextlib.closing(sqlite3.connect(copy)) as dst,
        ):
            src.backup(dst)
        yield f"sqlite:///{copy}"


@pytest.fixture(scope="session")
def deployment_store(review_config: ReviewConfig, deployment_copy_url: str) -> Iterator[SqlStore]:
    """The deployment's store (its copy, for SQLite), opened with its keyring, not migrated."""
    store = open_store(deployment_copy_url, keyring=review_config.keyring, migrate=False)
    yield store
    store.close()


@pytest.fixture
def scratch_url(review_config: ReviewConfig, tmp_path: pathlib.Path) -> str:
    """
    Where the kit may write: the configured scratch database (which the
    kit empties), else a temporary SQLite file.
    """
    return review_config.scratch_database_url or f"sqlite:///{tmp_path / 'scratch.db'}"


def _empty(url: str) -> None:
    """Drop everything in the scratch database *url*."""
    if url.startswith("sqlite"):
        path = pathlib.Path(url.split(":///", 1)[1])
        for suffix in ("", "-wal", "-shm", "-journal"):
            pathlib.Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


@pytest.fixture
def open_scratch_door(
    review_config: ReviewConfig, scratch_url: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., FrontDoor]]:
    """
    Open front doors on the scratch database with the deployment's plugins
    (its allowlist, blocked names, plugins registered in code, settings and
    deadline) and session lifetimes, a fresh keyring and
    :class:`~ircc_account.testing.LicencesInGoodStanding`.

    The factory takes more plugins by id (``extra_plugins``), ``fresh=True``
    (empty the scratch database first: a state machine's run each time),
    ``logins=True`` (the kit's development provider as ``dev``) and any
    :class:`~ircc_account.FrontDoorConfig` field.
    """
    from ircc_account.identity import SessionPolicy
    from ircc_account.testing._people import LicencesInGoodStanding

    doors: list[FrontDoor] = []
    keyring = Keyring.generate()
    _empty(scratch_url)

    def make(
        extra_plugins: dict[str, object] | None = None,
        *,
        fresh: bool = False,
        logins: bool = False,
        **options: Any,
    ) -> FrontDoor:
        if fresh:
            while doors:
                with contextlib.suppress(Exception):
                    doors.pop().close()
            _empty(scratch_url)
        options.setdefault("keyring", keyring)
        options.setdefault("licence_verifier", LicencesInGoodStanding())
        options.setdefault("allowed_plugins", list(review_config.allowed_plugins))
        options.setdefault("blocked_plugins", list(review_config.blocked_plugins))
        options.setdefault("plugin_settings", dict(review_config.plugin_settings))
        options.setdefault("plugin_deadline", review_config.plugin_deadline)
        options.setdefault(
            "session_policy",
            SessionPolicy(
                idle_timeout=review_config.idle_timeout,
                absolute_timeout=review_config.absolute_timeout,
            ),
        )
        plugins = {**review_config.code_plugins, **(extra_plugins or {})}
        if logins:
            provider = request.getfixturevalue("dev_provider")
            config = provider.door_config(scratch_url, **options)
        else:
            config = FrontDoorConfig(database_url=scratch_url, **options)
        door = FrontDoor.open(config, plugins=plugins)
        doors.append(door)
        return door

    yield make
    for door in reversed(doors):
        with contextlib.suppress(Exception):
            door.close()


@pytest.fixture
def scratch_door(open_scratch_door: Callable[..., FrontDoor]) -> FrontDoor:
    """A front door on the scratch database with the deployment's plugins."""
    return open_scratch_door()


def sec_ids(ids: Sequence[str]) -> tuple[str, ...]:
    """Checked SEC ids (``SEC-01`` to ``SEC-97``)."""
    for sec in ids:
        match = _SEC.fullmatch(sec)
        if match is None or not 1 <= int(match.group(1)) <= 97:
            raise ValueError(f"not a requirement id: {sec!r}")
    return tuple(ids)
