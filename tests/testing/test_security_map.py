"""
docs/security.md maps every requirement of docs/security-requirements.md to
code and tests that exist.
"""

from __future__ import annotations

import ast
import functools
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
_ROW = re.compile(r"^\| (SEC-\d{2}) \|(.*)\|(.*)\|(.*)\|\s*$", re.M)
_CITED = re.compile(r"`([^`]+)`")


def _rows(text: str) -> list[tuple[str, str, list[str], list[str]]]:
    return [
        (sec, summary.strip(), _CITED.findall(code), _CITED.findall(tests))
        for sec, summary, code, tests in _ROW.findall(text)
    ]


def _map() -> list[tuple[str, str, list[str], list[str]]]:
    return _rows((DOCS / "security.md").read_text(encoding="utf-8"))


@functools.cache
def _defined(path: pathlib.Path) -> frozenset[str]:
    """Every test function of *path*, as ``name`` or ``Class::name``."""
    names: set[str] = set()

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(prefix + child.name)
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}::")

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return frozenset(names)


def _missing(code: list[str], tests: list[str]) -> list[str]:
    missing = [c for c in code if not (ROOT / "src" / "ircc_account" / c).is_file()]
    for cited in tests:
        path, _, name = cited.partition("::")
        file = ROOT / "tests" / path
        if not name or not file.is_file() or name.split("[")[0] not in _defined(file):
            missing.append(cited)
    return missing


def test_every_requirement_is_mapped_once() -> None:
    """The map has one row for each of SEC-01 to SEC-97, in order, each citing code and a test."""
    rows = _map()
    assert [sec for sec, *_ in rows] == [f"SEC-{n:02d}" for n in range(1, 98)]
    for sec, summary, code, tests in rows:
        assert summary, sec
        assert code, f"{sec} cites no code"
        assert tests, f"{sec} cites no test"


def test_the_requirements_text_holds_every_mapped_requirement() -> None:
    """docs/security-requirements.md states each requirement the map cites, once."""
    text = (DOCS / "security-requirements.md").read_text(encoding="utf-8")
    for n in range(1, 98):
        assert len(re.findall(rf"^\| SEC-{n:02d} \|", text, re.M)) == 1, n


def test_every_cited_module_and_test_exists() -> None:
    """Each module the map cites is a file under src/ircc_account, each test a function in its file."""
    problems = {sec: m for sec, _, code, tests in _map() if (m := _missing(code, tests))}
    assert problems == {}


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (
            "| SEC-01 | x | `nowhere.py` | `test_crypto.py::test_keys_refuse_to_be_pickled` |",
            "code",
        ),
        ("| SEC-01 | x | `errors.py` | `test_crypto.py::test_no_such_test` |", "test"),
        ("| SEC-01 | x | `errors.py` | `no_such_file.py::test_x` |", "test"),
    ],
)
def test_the_check_catches_a_citation_that_does_not_exist(row: str, problem: str) -> None:
    """A row citing a missing module, test or test file is reported."""
    ((_, _, code, tests),) = _rows(row + "\n")
    missing = _missing(code, tests)
    assert missing == (code if problem == "code" else tests)
