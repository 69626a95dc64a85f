"""
The runnable example scripts under ``examples/`` run as their docstrings say.
"""

from __future__ import annotations

import pathlib
import sqlite3
import subprocess
import sys

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def test_the_quickstart_stores_an_account_encrypted_and_reads_it_back(
    tmp_path: pathlib.Path,
) -> None:
    """examples/quickstart.py prints the account it stored, and the name is not in the database file in clear."""
    database = tmp_path / "quickstart.db"
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py"), str(database)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Marie Tremblay" in done.stdout
    assert "Visa de visiteur" in done.stdout
    with sqlite3.connect(database) as db:
        dump = "\n".join(db.iterdump())
    assert "Tremblay" not in dump
