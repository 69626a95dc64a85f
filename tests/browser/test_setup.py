"""
The browser tests' own setup: they fail under CI when they cannot run
(a skip there would hide that nothing was checked), and the browser they
drive still checks certificates outside the demo's test contexts.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
from typing import Any

import pytest

from ircc_account.demo import DemoSite

from .conftest import Person, in_ci, missing_browser


def test_a_missing_chromium_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Chromium at the configured path the reason names the path and the script that installs it."""
    monkeypatch.setenv("IRCC_CHROMIUM", "/nonexistent/chromium")
    reason = missing_browser()
    assert reason is not None
    assert "/nonexistent/chromium" in reason and ".ci/install-chromium.sh" in reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), ("", False), ("0", False), ("false", False)],
)
def test_ci_is_read_as_a_flag(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    """``CI`` counts as set unless it is empty, 0, false, no or off."""
    monkeypatch.setenv("CI", value)
    assert in_ci() is expected


@pytest.mark.parametrize(("ci", "outcome"), [("1", "error"), ("", "skipped")])
def test_without_chromium_the_browser_tests_fail_under_ci_and_skip_elsewhere(
    ci: str, outcome: str, tmp_path: Any
) -> None:
    """Run with no Chromium, a browser test errors under ``CI`` (the run fails) and is skipped, with its reason shown, elsewhere."""
    env = {**os.environ, "CI": ci, "IRCC_CHROMIUM": str(tmp_path / "no-chromium")}
    here = pathlib.Path(__file__).parent
    test = f"{here / 'test_pages.py'}::test_the_step_up_and_not_found_pages"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        env=env,
        cwd=here.parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert f"1 {outcome}" in done.stdout, done.stdout
    assert "no Chromium at" in done.stdout
    if outcome == "error":
        assert done.returncode != 0 and "CI must run the browser tests" in done.stdout
    else:
        assert done.returncode == 0


def test_the_browser_checks_certificates_outside_the_demos_contexts(
    chromium: Any, demo: DemoSite
) -> None:
    """A context that makes no exception for the demo's throw-away certificate authority refuses its certificate."""
    from playwright.sync_api import Error

    context = chromium.new_context()
    try:
        page = context.new_page()
        with pytest.raises(Error, match="ERR_CERT"):
            page.goto(demo.url)
    finally:
        context.close()


def test_the_accessibility_check_finds_violations(
    chromium: Any, demo: DemoSite, tmp_path: pathlib.Path
) -> None:
    """The axe-core check fails a page with an unlabelled field and an image with no text, naming the rules broken."""
    context = chromium.new_context()
    try:
        person = Person("a broken page", demo, context, tmp_path, [])
        person.page.set_content(
            "<!DOCTYPE html><html lang='en'><head><title>Broken</title></head><body>"
            "<main><h1>Broken</h1><img src='x.png'><input type='text'></main></body></html>"
        )
        with pytest.raises(AssertionError) as failed:
            person.audit()
        assert "image-alt" in str(failed.value) and "label" in str(failed.value)
    finally:
        context.close()
