"""
Every Python code block in the documentation runs as a test (Sybil), page by
page, top to bottom in one namespace per page. A block that only sketches
(a fragment using names from your own portal) is marked ``% skip: next``
with the reason beside it.
"""

from __future__ import annotations

from sybil import Sybil
from sybil.parsers.myst import PythonCodeBlockParser, SkipParser

pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(), SkipParser()],
    patterns=["*.md"],
).pytest()
