"""
The plugin's configuration: GC Notify templates per kind and language, and
the delivery worker's retry policy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from ircc_account._model import Language
from ircc_account.errors import ConfigurationError, NotifyTemplateMissing

from ._kinds import NotificationKind

__all__ = ["NotifyTemplates", "RetryPolicy"]


@attrs.frozen
class NotifyTemplates:
    """
    The GC Notify template ids of every notification kind, in English and
    in French; a message uses the one in its recipient's preferred language.

    Attributes:
        ids: Template id by kind, then by language.
    """

    ids: Mapping[NotificationKind, Mapping[Language, str]]

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> NotifyTemplates:
        """
        Read ``{"phase_changed": {"en": "<id>", "fr": "<id>"}, ...}``: every
        kind, both languages.

        Raises:
            NotifyTemplateMissing: a kind lacks a template in one language
                (or both: English is named first).
            ConfigurationError: an unknown kind, or a template id that is not a string.
        """
        if not isinstance(raw, Mapping):
            raise ConfigurationError(reason="notification templates must be a mapping")
        unknown = sorted(set(raw) - {k.value for k in NotificationKind})
        if unknown:
            raise ConfigurationError(reason=f"unknown notification kind {unknown[0][:40]}")
        ids: dict[NotificationKind, dict[Language, str]] = {}
        for kind in NotificationKind:
            given = raw.get(kind.value) or {}
            if not isinstance(given, Mapping):
                raise ConfigurationError(reason=f"the templates of {kind.value} must be a mapping")
            for language in Language:
                template = given.get(language.value)
                if template is None or template == "":
                    raise NotifyTemplateMissing(kind=kind.value, language=language.value)
                if not isinstance(template, str) or len(template) > 64:
                    raise ConfigurationError(reason=f"a template id of {kind.value} is not valid")
                ids.setdefault(kind, {})[language] = template
        return cls(ids)

    def template(self, kind: NotificationKind, language: Language) -> str:
        """The template id of *kind* in *language*."""
        return self.ids[kind][language]


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """
    How the delivery worker retries a message GC Notify could not take now
    (429, 5xx, no answer): exponential backoff with jitter, at least what a
    ``Retry-After`` asks, then the dead letters.

    With the defaults a message is tried 8 times over about an hour and a
    half (30 s, 1, 2, 4, 8, 16, 32 minutes between tries, each ±50 %),
    then dead-lettered.

    Attributes:
        max_attempts: Tries before a message is dead-lettered.
        first_delay: The wait after the first failure.
        max_delay: The longest wait between two tries.
    """

    max_attempts: int = attrs.field(default=8, validator=attrs.validators.in_(range(1, 101)))
    first_delay: dt.timedelta = dt.timedelta(seconds=30)
    max_delay: dt.timedelta = dt.timedelta(hours=1)

    def delay(self, attempts: int, *, retry_after: int, jitter: float) -> dt.timedelta:
        """
        The wait after the *attempts*-th try failed: ``first_delay × 2^(attempts-1)``
        capped at ``max_delay``, times *jitter* (0.5 to 1.5), and never less
        than *retry_after* seconds.
        """
        base: dt.timedelta = min(self.first_delay * (2 ** max(attempts - 1, 0)), self.max_delay)
        floor = dt.timedelta(seconds=retry_after)
        wait: dt.timedelta = base * jitter
        return wait if wait > floor else floor
