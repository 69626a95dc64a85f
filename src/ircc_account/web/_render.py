"""
Templates: one Jinja2 environment per language, with the catalogues
installed (``{{ _("...") }}`` and ``{% trans %}``), autoescaping on, and
filters for dates and bilingual values.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import jinja2

from ircc_account.services import BilingualText

from ._config import LANGUAGES
from ._i18n import Languages

__all__ = ["Renderer"]


def _pick(language: str, value: object) -> str:
    if isinstance(value, BilingualText):
        return value[language]
    return "" if value is None else str(value)


class Renderer:
    """
    Renders templates in either language.

    Args:
        languages: The translations and date formats.
        loaders: Where templates are found, first match wins (the
            portal's before the web front door's own).
        template_globals: Values every template sees.
    """

    def __init__(
        self,
        languages: Languages,
        loaders: Sequence[jinja2.BaseLoader],
        template_globals: Mapping[str, Any],
    ) -> None:
        loader = jinja2.ChoiceLoader(list(loaders))
        self._environments: dict[str, jinja2.Environment] = {}
        for language in LANGUAGES:
            env = jinja2.Environment(
                loader=loader,
                autoescape=True,
                extensions=["jinja2.ext.i18n"],
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(  # type: ignore[attr-defined]
                languages.translations[language], newstyle=True
            )
            env.filters["t"] = functools.partial(_pick, language)
            env.filters["date"] = functools.partial(languages.date, language)
            env.filters["datetime"] = functools.partial(languages.datetime, language)
            env.globals.update(template_globals)
            env.globals["lang"] = language
            env.globals["other_lang"] = "fr" if language == "en" else "en"
            self._environments[language] = env

    def render(self, language: str, name: str, context: Mapping[str, Any]) -> str:
        """
        The template *name* rendered in *language* with *context*.
        """
        return self._environments[language].get_template(name).render(context)
