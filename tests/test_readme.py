"""
The README stays true to the checkout: the requirements it counts, the
tutorials it lists, where the docs build lands, and the commands CI runs.
"""

from __future__ import annotations

import configparser
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _console_commands() -> list[str]:
    """Every line of the README's console blocks."""
    blocks = re.findall(r"```console\n(.*?)```", README, re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_readme_counts_every_requirement() -> None:
    """The README's requirement range ends at the last requirement the docs hold (SEC-97)."""
    text = (ROOT / "docs" / "security-requirements.md").read_text(encoding="utf-8")
    last = max(int(n) for n in re.findall(r"\bSEC-(\d+)\b", text))
    assert last == 97
    assert f"SEC-01 to SEC-{last:02d}" in README
    assert not re.search(r"SEC-01 to SEC-(?!97\b)\d+", README)


def test_the_readme_lists_every_tutorial_and_the_security_page() -> None:
    """Each docs/tutorial-*.md page, and docs/security.md, is named in the README."""
    tutorials = sorted((ROOT / "docs").glob("tutorial-*.md"))
    assert len(tutorials) >= 3
    for page in [*tutorials, ROOT / "docs" / "security.md"]:
        assert f"docs/{page.name}" in README, page.name


def test_the_docs_build_lands_where_the_readme_says() -> None:
    """Tox's docs environment writes the site to docs/_build/html, which the README names, git ignores and Sphinx leaves out of its sources."""
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini", encoding="utf-8")
    command = tox["testenv:docs"]["commands"]
    assert command.split()[-1] == "{tox_root}/docs/_build/html", command
    assert "`docs/_build/html`" in README
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "docs/_build/" in ignored
    conf = (ROOT / "docs" / "conf.py").read_text(encoding="utf-8")
    assert re.search(r"exclude_patterns = \[[^\]]*\"_build\"", conf)


def test_the_readme_commands_need_no_system_pip_and_ci_runs_the_test_command() -> None:
    """The demo and test commands install tox in a virtual environment (PEP 668), and .ci/run runs the test command exactly, after every .ci install script."""
    commands = _console_commands()
    demo = "python3 -m venv .venv && .venv/bin/pip install tox && .venv/bin/tox -e demo"
    tests = "python3 -m venv .venv && .venv/bin/pip install tox && .venv/bin/tox"
    assert demo in commands and tests in commands
    assert not [c for c in commands if c.startswith(("python3 -m pip", "pip "))], commands
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert run[-1] == tests
    for script in sorted((ROOT / ".ci").glob("install-*.sh")):
        assert f"bash .ci/{script.name}" in run, script.name
        assert f"`.ci/{script.name}`" in README, script.name
