"""
The "who touched my file" walk-through of ``docs/audit.md`` runs on SQLite and
on PostgreSQL: Sybil runs the page on SQLite; this runs the same blocks with
the page's database swapped for the test's.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any

PAGE = pathlib.Path(__file__).parents[2] / "docs" / "audit.md"
_BLOCK = re.compile(
    r"^(?:% skip: next\n\n)?```python\n(.*?)^```$|^<!-- invisible-code-block: python\n(.*?)^-->$",
    re.S | re.M,
)
_SQLITE = 'f"sqlite:///{folder.name}/account.db"'


def _blocks() -> list[str]:
    """The page's Python blocks in order, without those marked to skip."""
    return [
        visible or invisible
        for m in _BLOCK.finditer(PAGE.read_text())
        for visible, invisible in [m.groups()]
        if not m.group(0).startswith("% skip")
    ]


def test_the_page_has_its_history_walk_through() -> None:
    """The blocks found are the walk-through's, opening the door on the URL this test replaces."""
    blocks = _blocks()
    assert sum(_SQLITE in b for b in blocks) == 1
    assert any("door.history(" in b for b in blocks)


def test_the_history_walk_through_runs_on_both_databases(database_url: str) -> None:
    """The page's history, read through the door and directly, reads the same on either database."""
    namespace: dict[str, Any] = {"__name__": "audit_md"}
    for block in _blocks():
        exec(compile(block.replace(_SQLITE, repr(database_url)), str(PAGE), "exec"), namespace)  # noqa: S102
    dialect = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    assert namespace["door"].store.engine.dialect.name == dialect
    assert namespace["page"][0].text == "You viewed the history of your file."
