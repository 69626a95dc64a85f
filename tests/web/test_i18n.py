"""
English and French: every string the web front door, the demo portal and
the development provider show comes from a catalogue, and every one has a
French translation; nothing in a template is hard-coded text.
"""

from __future__ import annotations

import pathlib
import re
from html.parser import HTMLParser

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

import ircc_account
from ircc_account.devidp import DevUser
from ircc_account.devidp._pages import error_page, login_page, signed_out_page
from ircc_account.web import Catalogue
from ircc_account.web._i18n import Languages, negotiate

SRC = pathlib.Path(ircc_account.__file__).parent
PACKAGES = [("web", "web"), ("demo", "demo"), ("devidp", "devidp")]
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
_VISIBLE_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")


def extract(package: pathlib.Path) -> dict[str, list[str]]:
    """Every msgid marked in *package*'s templates and Python code, with where it is."""
    found: dict[str, list[str]] = {}
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for filename, lineno, message, _, _ in extract_from_dir(
        str(package), method_map, options, keywords=KEYWORDS
    ):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def untranslated(package: pathlib.Path, domain: str) -> list[str]:
    """The msgids of *package* with no French translation (missing, empty or fuzzy)."""
    po = package / "locale" / "fr" / "LC_MESSAGES" / f"{domain}.po"
    with po.open("rb") as f:
        catalogue = read_po(f, locale="fr")
    missing = []
    for msgid, where in extract(package).items():
        entry = catalogue.get(msgid)
        if entry is None or not entry.string or entry.fuzzy:
            missing.append(f"{msgid!r} ({where[0]})")
    return missing


@pytest.mark.parametrize(("folder", "domain"), PACKAGES)
def test_every_message_has_a_french_translation(folder: str, domain: str) -> None:
    """Each string marked for translation in the package's templates and code has a French msgstr, not fuzzy."""
    package = SRC / folder
    assert extract(package), "nothing extracted: the extraction is broken"
    assert untranslated(package, domain) == []


def test_a_template_string_without_french_fails_the_check(tmp_path: pathlib.Path) -> None:
    """The check reports a template string whose French is missing, so the test above can fail."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text(
        '<p>{{ _("A sentence nobody translated") }}</p>'
    )
    (tmp_path / "locale" / "fr" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "locale" / "fr" / "LC_MESSAGES" / "x.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n'
    )
    assert untranslated(tmp_path, "x") == ["'A sentence nobody translated' (templates/page.html:1)"]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_data(self, data: str) -> None:
        self.found.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in _VISIBLE_ATTRIBUTES and value:
                self.found.append(value)


def hard_coded(source: str) -> list[str]:
    """Text a template shows that does not come from a catalogue or a value."""
    source = re.sub(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", "§", source, flags=re.S)
    source = re.sub(r"{#.*?#}", "", source, flags=re.S)
    source = re.sub(r"{{.*?}}", "§", source, flags=re.S)
    source = re.sub(r"{%.*?%}", " ", source, flags=re.S)
    parser = _Text()
    parser.feed(source)
    return [t.strip() for t in parser.found if re.search(r"[A-Za-zÀ-ÿ]", t)]


TEMPLATES = sorted((SRC / "web" / "templates").rglob("*.html")) + sorted(
    (SRC / "demo" / "templates").rglob("*.html")
)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_template_has_hard_coded_text(template: pathlib.Path) -> None:
    """Every visible text and label in the template goes through the catalogue (or is a value)."""
    assert hard_coded(template.read_text(encoding="utf-8")) == []


def test_the_hard_coded_text_check_can_fail() -> None:
    """Bare text, or an aria-label with words, is found."""
    assert hard_coded('<p>Hello</p><a aria-label="Go home">{{ _("x") }}</a>') == [
        "Hello",
        "Go home",
    ]
    assert hard_coded('<p>{{ _("Hello") }} – {{ name }}</p>{% trans %}Hi{% endtrans %}') == []


def test_the_catalogues_load_and_translate_through_babel() -> None:
    """The web and demo catalogues load together; French comes out in French, English as written."""
    languages = Languages(
        [
            Catalogue.from_package("ircc_account.web", "web"),
            Catalogue.from_package("ircc_account.demo", "demo"),
        ],
        "UTC",
    )
    assert languages.gettext("fr", "Sign out") == "Se déconnecter"
    assert languages.gettext("fr", "My clients") == "Mes clients"
    assert languages.gettext("en", "My clients") == "My clients"
    assert languages.date("fr", __import__("datetime").date(2026, 3, 12)) == "12 mars 2026"


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        ("fr", None, "fr"),
        ("en", "fr", "en"),
        ("de", None, "en"),
        (None, "fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        (None, "en-GB, fr;q=0.5", "en"),
        (None, "de, es;q=0.9", "en"),
        (None, "fr;q=0, en;q=0.1", "en"),
        (None, "fr;q=x", "en"),
        (None, "x" * 10_000, "en"),
    ],
)
def test_the_language_is_the_persons_choice_then_their_browser(
    cookie: str | None, header: str | None, expected: str
) -> None:
    """The cookie wins; then Accept-Language (only en or fr, by quality); anything unknown falls back to the default."""
    assert negotiate(cookie, header, "en") == expected


USERS = [DevUser("marie", "sub-marie", "marie@example.test", "Marie", "Tremblay")]


def test_the_providers_sign_in_page_speaks_the_language_asked_for() -> None:
    """The development provider's page is English by default, French with ui_locales=fr, and offers the other language."""
    english = login_page([("client_id", "portal")], USERS, ["urn:ircc:loa:2"])
    french = login_page(
        [("client_id", "portal"), ("ui_locales", "fr-CA fr")], USERS, ["urn:ircc:loa:2"]
    )
    assert "<html lang='en'>" in english and "Choose a test user" in english
    assert "name='ui_locales' value='fr'" in english
    assert "<html lang='fr'>" in french and "Choisissez un utilisateur de test" in french
    assert "Choose a test user" not in french and "name='ui_locales' value='en'" in french
    assert "name='ui_locales' value='fr-CA fr'" not in french  # never posted twice


def test_the_providers_other_pages_are_in_both_languages() -> None:
    """The signed-out and error pages carry an English and a French section, each marked with its language."""
    out = signed_out_page()
    assert "<section lang='en'>" in out and "<section lang='fr'>" in out
    assert "You are signed out" in out and "Vous êtes déconnecté" in out
    error = error_page("invalid_request", "bad <id_token_hint>")
    assert "Sign-in error" in error and "Erreur de connexion" in error
    assert "&lt;id_token_hint&gt;" in error


def test_the_providers_warning_is_in_each_language_its_page_is_in() -> None:
    """The "never for real accounts" warning is French on the French sign-in page, and in both languages (each marked) on the bilingual signed-out and error pages."""
    warning_en = "Development sign-in service: never for real accounts."
    warning_fr = "Service de connexion de développement : jamais pour de vrais comptes."
    french = login_page([("ui_locales", "fr")], USERS, ["urn:ircc:loa:2"])
    assert warning_fr in french and warning_en not in french
    for page in (signed_out_page(), error_page("invalid_request", "unknown or used")):
        assert f"<p lang='en'><strong>{warning_en}</strong></p>" in page
        assert f"<p lang='fr'><strong>{warning_fr}</strong></p>" in page
