"""
Every Python code block in the documentation runs as a test (Sybil), page by
page, top to bottom in one namespace per page. A block that only sketches
(a fragment using names from your own portal) is marked ``% skip: next``
with the reason beside it.

A block that is a whole pytest file (the plugin guide's tests, say) follows
the comment ``% test file: NAME`` and ``% skip: next``; an invisible block
after it runs it for real: ``run_test_file(page, name, paths=[...])``
writes it out as *name* and runs
pytest on it in a subprocess, with the kit's fixtures (the ``ircc_account``
pytest plugin) and *paths* (relative to the repository) importable.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

from sybil import Sybil
from sybil.parsers.myst import PythonCodeBlockParser, SkipParser

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
_CODE = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def test_file_source(page: str, name: str) -> str:
    """
    The Python block of *page* after the comment ``% test file: NAME``.

    Raises:
        LookupError: there is no such block.
    """
    text = (DOCS / page).read_text(encoding="utf-8")
    marker = text.find(f"% test file: {name}")
    match = _CODE.search(text, marker) if marker >= 0 else None
    if match is None:
        raise LookupError(f"no test file {name} in {page}")
    return match.group(1)


def run_test_file(page: str, name: str, *, paths: Sequence[str] = ()) -> None:
    """
    Write the pytest file *name* shown in *page* (the block after the
    comment ``% test file: NAME``) in a temporary folder and run pytest on it.

    Raises:
        AssertionError: pytest did not pass every test (its output attached).
    """
    source = test_file_source(page, name)
    env = dict(os.environ)
    # The file runs in another folder: relative entries of PYTHONPATH (such
    # as the repository's "src") are made absolute first.
    inherited = [os.path.abspath(p) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([*(str(ROOT / p) for p in paths), *inherited])
    with tempfile.TemporaryDirectory(prefix="docs-test-file-") as folder:
        (pathlib.Path(folder) / name).write_text(source, encoding="utf-8")
        result = subprocess.run(  # noqa: S603 - our own interpreter, on our own file.
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout, result.stdout
    assert " failed" not in result.stdout, result.stdout


def _setup(namespace: dict[str, Any]) -> None:
    namespace["run_test_file"] = run_test_file
    namespace["test_file_source"] = test_file_source


pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(), SkipParser()],
    patterns=["*.md"],
    setup=_setup,
).pytest()
