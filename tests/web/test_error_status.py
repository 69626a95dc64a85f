"""
Which HTTP status each of the library's errors is answered with.
"""

from __future__ import annotations

import inspect

import pytest

from ircc_account import errors
from ircc_account.web._errors import status_for

#: The errors nobody at the browser can correct: a deployment's configuration
#: or keys are wrong, or the base class itself was raised.
SERVER_FAULTS = {
    "IrccAccountError",
    "ConfigurationError",
    "CryptoError",
    "DecryptionFailed",
    "KeyNotFound",
    "PersonalDataErased",
    "NotificationError",
    "NotifyTemplateMissing",
}


def _error_classes() -> list[type[errors.IrccAccountError]]:
    return [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.IrccAccountError) and cls.__module__ == errors.__name__
    ]


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda c: c.__name__)
def test_only_server_faults_are_answered_with_500(cls: type[errors.IrccAccountError]) -> None:
    """Every error a person can correct, or that means something is down, has its own 4xx or 503, never 500."""
    status = status_for(cls.__new__(cls))
    if cls.__name__ in SERVER_FAULTS:
        assert status == 500
    else:
        assert 400 <= status < 500 or status == 503, status


@pytest.mark.parametrize(
    ("cls", "status"),
    [
        (errors.DocumentTooLarge, 413),
        (errors.DocumentTypeRefused, 415),
        (errors.DocumentBomb, 422),
        (errors.DraftExpired, 410),
        (errors.AnswersInvalid, 400),
        (errors.SchemaOutOfDate, 503),
    ],
)
def test_application_and_storage_errors_have_their_status(
    cls: type[errors.IrccAccountError], status: int
) -> None:
    """The application engine's refusals and an unusable schema map to the statuses docs/web.md lists."""
    assert status_for(cls.__new__(cls)) == status
