"""
The development provider's few HTML pages, in English and French: pick a
test user, signed out, errors.

The sign-in page speaks the language the relying party asked for in
``ui_locales`` (OpenID Connect Core §3.1.2.1), and has a button to switch;
the signed-out and error pages, which know nothing of the request, are in
both languages, one after the other (the warning that it is no real
sign-in service included). Every string comes from the
``devidp`` message catalogue (French, read with Babel); every value is
escaped; the pages load nothing from elsewhere.
"""

from __future__ import annotations

import functools
import importlib.resources
import io
from collections.abc import Iterable
from html import escape

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from ircc_account.devidp._config import DevUser

__all__ = ["error_page", "login_page", "signed_out_page"]

_LANGUAGES = ("en", "fr")


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later".
    """Mark *message* for the catalogue."""
    return message


_TITLE_SIGN_IN = N_("Sign in (development)")
_TITLE_SIGNED_OUT = N_("Signed out")
_TITLE_ERROR = N_("Sign-in error")
_WARNING = N_("Development sign-in service: never for real accounts.")
_CHOOSE = N_("Choose a test user")
_ASSURANCE = N_("Assurance level")
_USER_DEFAULT = N_("The user's own level")
_SIGNED_OUT = N_("You are signed out of the development sign-in service.")
_OTHER_LANGUAGE = N_("Français")


@functools.cache
def _french() -> Translations:
    source = importlib.resources.files("ircc_account.devidp") / "locale/fr/LC_MESSAGES/devidp.po"
    with source.open("rb") as f:
        catalogue = read_po(f, locale="fr", domain="devidp")
    compiled = io.BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled, domain="devidp")


def _(language: str, message: str) -> str:
    """*message* in *language*, escaped for HTML."""
    text = message if language == "en" else str(_french().ugettext(message))
    return escape(text)


def _head(language: str, title: str, *, bilingual: bool = False) -> str:
    shown = _(language, title)
    if bilingual:
        shown = f"{_('en', title)} / {_('fr', title)}"
    return (
        f"<!DOCTYPE html><html lang='{language}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{shown}</title></head><body>"
    )


def _notice(*languages: str) -> str:
    """The warning that this is no real sign-in service, in each of *languages*."""
    lines = "".join(
        f"<p lang='{lang}'><strong>{_(lang, _WARNING)}</strong></p>" for lang in languages
    )
    return f"<header>{lines}</header>"


_TAIL = "</body></html>"


def _language_of(params: Iterable[tuple[str, str]]) -> str:
    for key, value in params:
        if key == "ui_locales":
            for tag in value.split():
                primary = tag.lower().split("-", 1)[0]
                if primary in _LANGUAGES:
                    return primary
    return "en"


def login_page(
    params: Iterable[tuple[str, str]], users: Iterable[DevUser], acr_values: Iterable[str]
) -> str:
    """
    A form that re-posts the authorization request with the chosen user and
    ``acr``, in the language of ``ui_locales`` (English by default), with a
    button that shows it in the other language.

    Args:
        params: The authorization request's parameters, as hidden fields.
        users: The test users, one button each.
        acr_values: The assurance levels to choose from.
    """
    params = list(params)
    language = _language_of(params)
    other = "fr" if language == "en" else "en"
    hidden = "".join(
        f"<input type='hidden' name='{escape(k)}' value='{escape(v)}'>"
        for k, v in params
        if k not in ("username", "acr", "ui_locales")
    )
    options = "".join(f"<option value='{escape(a)}'>{escape(a)}</option>" for a in acr_values)
    buttons = "".join(
        f"<li><button type='submit' name='username' value='{escape(u.username)}' "
        f"id='user-{escape(u.username)}'>"
        f"{escape(u.given_name)} {escape(u.family_name)} ({escape(u.username)})</button></li>"
        for u in users
    )
    return (
        _head(language, _TITLE_SIGN_IN)
        + _notice(language)
        + "<main><form method='post' action='authorize' id='devidp-form'>"
        + hidden
        + f"<p><button type='submit' name='ui_locales' value='{other}' lang='{other}' "
        f"id='devidp-language'>{_(language, _OTHER_LANGUAGE)}</button></p>"
        + f"<h1>{_(language, _CHOOSE)}</h1>"
        + f"<p><label for='acr'>{_(language, _ASSURANCE)}</label> "
        + f"<select name='acr' id='acr'><option value=''>{_(language, _USER_DEFAULT)}</option>"
        + options
        + "</select></p><ul id='devidp-users'>"
        + buttons
        + "</ul></form></main>"
        + _TAIL
    )


def signed_out_page() -> str:
    """
    The page shown after logout when no return address was given, in both
    languages (its warning too).
    """
    sections = "".join(
        f"<section lang='{lang}'><h{1 if lang == 'en' else 2}>{_(lang, _TITLE_SIGNED_OUT)}"
        f"</h{1 if lang == 'en' else 2}><p>{_(lang, _SIGNED_OUT)}</p></section>"
        for lang in _LANGUAGES
    )
    return (
        _head("en", _TITLE_SIGNED_OUT, bilingual=True)
        + _notice(*_LANGUAGES)
        + f"<main>{sections}</main>"
        + _TAIL
    )


def error_page(error: str, description: str) -> str:
    """
    A page for errors that must not be redirected to an unverified address,
    in both languages (its warning too). The OAuth error code and its description are the
    protocol's own words and are shown as they are.

    Args:
        error: The OAuth error code.
        description: A short explanation.
    """
    detail = f"<p><code>{escape(error)}</code>: <span lang='en'>{escape(description)}</span></p>"
    sections = "".join(
        f"<section lang='{lang}'><h{1 if lang == 'en' else 2}>{_(lang, _TITLE_ERROR)}"
        f"</h{1 if lang == 'en' else 2}></section>"
        for lang in _LANGUAGES
    )
    return (
        _head("en", _TITLE_ERROR, bilingual=True)
        + _notice(*_LANGUAGES)
        + f"<main>{sections}{detail}</main>"
        + _TAIL
    )
