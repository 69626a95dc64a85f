"""
The development provider's few HTML pages: pick a test user, signed out, errors.

Every value is escaped; the pages load nothing from elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from ircc_account.devidp._config import DevUser

__all__ = ["error_page", "login_page", "signed_out_page"]

_HEAD = (
    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
    "<meta name='viewport' content='width=device-width, initial-scale=1'>"
    "<title>{title}</title></head><body><main>"
    "<p><strong>Development sign-in provider: not for real accounts.</strong></p>"
)
_TAIL = "</main></body></html>"


def login_page(
    params: Iterable[tuple[str, str]], users: Iterable[DevUser], acr_values: Iterable[str]
) -> str:
    """
    A form that re-posts the authorization request with the chosen user and ``acr``.

    Args:
        params: The authorization request's parameters, as hidden fields.
        users: The test users, one button each.
        acr_values: The assurance levels to choose from.
    """
    hidden = "".join(
        f"<input type='hidden' name='{escape(k)}' value='{escape(v)}'>"
        for k, v in params
        if k not in ("username", "acr")
    )
    options = "".join(f"<option value='{escape(a)}'>{escape(a)}</option>" for a in acr_values)
    buttons = "".join(
        f"<li><button type='submit' name='username' value='{escape(u.username)}'>"
        f"{escape(u.given_name)} {escape(u.family_name)} ({escape(u.username)})</button></li>"
        for u in users
    )
    return (
        _HEAD.format(title="Sign in (development)")
        + "<h1>Choose a test user</h1><form method='post' action='authorize'>"
        + hidden
        + "<label>Assurance level <select name='acr'><option value=''>user default</option>"
        + options
        + "</select></label><ul>"
        + buttons
        + "</ul></form>"
        + _TAIL
    )


def signed_out_page() -> str:
    """The page shown after logout when no return address was given."""
    return _HEAD.format(title="Signed out") + "<h1>You are signed out.</h1>" + _TAIL


def error_page(error: str, description: str) -> str:
    """
    A page for errors that must not be redirected to an unverified address.

    Args:
        error: The OAuth error code.
        description: A short explanation.
    """
    return (
        _HEAD.format(title="Sign-in error")
        + f"<h1>Sign-in error</h1><p><code>{escape(error)}</code>: {escape(description)}</p>"
        + _TAIL
    )
