"""
English and French: message catalogues (gettext ``.po`` files, read with
Babel), the person's language, and dates in it.

Every string a page shows comes from a catalogue: templates mark text with
``{{ _("...") }}`` or ``{% trans %}``, Python code marks msgids with
:func:`N_` and translates them at render time. English is the source
language (msgids are English); French comes from the ``.po`` files.
"""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from ircc_account.errors import ConfigurationError

from ._config import LANGUAGES, Catalogue

__all__ = ["N_", "Languages", "load_translations", "negotiate", "parse_language"]

Lang = Literal["en", "fr"]
_LOCALES = {"en": Locale.parse("en_CA"), "fr": Locale.parse("fr_CA")}
_MAX_ACCEPT = 512


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later".
    """
    Mark *message* for extraction into the catalogues; translated when shown.
    """
    return message


def _read(catalogue: Catalogue, language: str) -> Translations | None:
    source = catalogue.po_file(language)
    if not source.is_file():
        return None
    with source.open("rb") as f:
        parsed = read_po(f, locale=language, domain=catalogue.domain)
    # Babel reads the .po; compiling it in memory gives gettext's lookup
    # (plural forms included) without shipping generated .mo files.
    buffer = io.BytesIO()
    write_mo(buffer, parsed, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=catalogue.domain)


def load_translations(
    catalogues: Sequence[Catalogue], language: str
) -> Translations | NullTranslations:
    """
    The translations for *language* from *catalogues*, later ones winning.

    English needs none: its msgids are the text.

    Raises:
        ConfigurationError: a catalogue for French is missing.
    """
    if language == "en":
        return NullTranslations()
    merged: Translations | None = None
    for catalogue in catalogues:
        found = _read(catalogue, language)
        if found is None:
            raise ConfigurationError(reason=f"no {language} catalogue for {catalogue.domain}")
        if merged is None:
            merged = found
        else:
            merged.merge(found)
    if merged is None:
        raise ConfigurationError(reason=f"no {language} catalogue")
    return merged


def negotiate(cookie: str | None, accept_language: str | None, default: Lang) -> Lang:
    """
    The person's language: their choice (the language cookie, which the
    account's preference sets at sign-in), else the first of English or
    French their browser asks for, else *default*. Anything unknown is ignored.
    """
    if cookie == "en":
        return "en"
    if cookie == "fr":
        return "fr"
    if accept_language:
        ranked: list[tuple[float, int, str]] = []
        for position, part in enumerate(accept_language[:_MAX_ACCEPT].split(",")):
            tag, _, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            primary = tag.strip().lower().split("-", 1)[0]
            if primary in LANGUAGES and quality > 0:
                ranked.append((-quality, position, primary))
        if ranked:
            return min(ranked)[2]  # type: ignore[return-value]
    return default


class Languages:
    """
    The translations and date formats of both languages, loaded once.

    Args:
        catalogues: The catalogues, the web front door's first.
        timezone: The IANA time zone dates are shown in.

    Raises:
        ConfigurationError: a missing catalogue or an unknown time zone.
    """

    def __init__(self, catalogues: Iterable[Catalogue], timezone: str) -> None:
        found = list(catalogues)
        self.translations: Mapping[str, Translations | NullTranslations] = {
            language: load_translations(found, language) for language in LANGUAGES
        }
        try:
            self.zone = zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(reason="unknown time zone") from None

    def gettext(self, language: str, message: str) -> str:
        """
        *message* in *language*.
        """
        return str(self.translations[language].ugettext(message))

    def date(self, language: str, value: dt.date | dt.datetime | None) -> str:
        """
        A date as people in *language* write it (``12 mars 2026``).
        """
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            value = value.astimezone(self.zone).date()
        return str(format_date(value, format="long", locale=_LOCALES[language]))

    def datetime(self, language: str, value: dt.datetime | None) -> str:
        """
        A moment, in the configured time zone, as people in *language* write it.
        """
        if value is None:
            return ""
        return str(
            format_datetime(value, format="medium", tzinfo=self.zone, locale=_LOCALES[language])
        )


def parse_language(value: str | None) -> Literal["en", "fr"] | None:
    """
    *value* if it is one of the languages, else ``None``.
    """
    if value == "en":
        return "en"
    if value == "fr":
        return "fr"
    return None
