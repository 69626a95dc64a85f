"""
The exception hierarchy: one root, stable codes, bilingual messages with no secrets.
"""

from __future__ import annotations

import pickle
import string

import pytest

import ircc_account.errors as errors
from ircc_account.errors import IrccAccountError


def _all_error_classes() -> list[type[IrccAccountError]]:
    seen: list[type[IrccAccountError]] = []
    stack: list[type[IrccAccountError]] = [IrccAccountError]
    while stack:
        cls = stack.pop()
        seen.append(cls)
        stack.extend(cls.__subclasses__())
    return seen


def test_every_public_error_descends_from_the_root() -> None:
    """Every class errors.py exports is an IrccAccountError."""
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), IrccAccountError), name


def test_codes_are_unique_and_well_formed() -> None:
    """No two error classes share a machine code, and each code is area.reason."""
    codes = [cls.code for cls in _all_error_classes() if cls is not IrccAccountError]
    assert len(codes) == len(set(codes)), sorted(c for c in codes if codes.count(c) > 1)
    for code in codes:
        area, _, reason = code.partition(".")
        assert area and reason and code == code.lower(), code


@pytest.mark.parametrize("cls", _all_error_classes(), ids=lambda c: c.__name__)
def test_every_error_speaks_english_and_french(cls: type[IrccAccountError]) -> None:
    """Each error renders a non-empty message in both languages, with its parameters filled."""
    fields = {
        name
        for template in (cls.message_en, cls.message_fr)
        for _, name, _, _ in string.Formatter().parse(template)
        if name
    }
    params = {name: f"<{name}>" for name in fields}
    exc = cls(**params)
    en, fr = exc.message("en"), exc.message("fr")
    assert en and fr and en != fr
    assert "{" not in en and "{" not in fr
    assert str(exc).startswith(f"[{cls.code}] ")


def test_errors_survive_pickling() -> None:
    """Errors cross process boundaries with their code and parameters intact."""
    exc = errors.FieldTooLong(field="family_name", limit=100)
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is errors.FieldTooLong
    assert copy.params == {"field": "family_name", "limit": 100}


def test_builtin_kinds_are_kept() -> None:
    """Validation errors are ValueErrors, NotFound a LookupError, denials PermissionErrors."""
    assert isinstance(errors.InvalidFormat(field="uci"), ValueError)
    assert isinstance(errors.NotFound(kind="item"), LookupError)
    assert isinstance(errors.AuthorizationError(), PermissionError)


def test_a_missing_parameter_never_raises() -> None:
    """Rendering a template with a parameter missing falls back to the template."""
    assert "field" in errors.RequiredField().message("en")
