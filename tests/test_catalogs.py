"""Every caller-facing message exists in every catalog, with the same placeholders."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from helpline.i18n import SUPPORTED, Catalogs, VOICES

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"N_": None, "_": None, "gettext": None}
METHOD_MAP = [("helpline/**.py", "python"), ("ivr/**.py", "python"), ("sms/**.py", "python"),
              ("helpline/templates/**.html", "jinja2")]


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), METHOD_MAP, keywords=KEYWORDS):
        if isinstance(message, str) and message:
            found.add(message)
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def catalog(locale: str) -> dict[str, str]:
    with open(ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return {m.id: m.string for m in read_po(fh) if m.id}


def test_the_source_has_messages():
    assert len(source_messages()) > 30


@pytest.mark.parametrize("locale", SUPPORTED)
def test_every_message_is_translated_with_the_same_placeholders(locale):
    entries = catalog(locale)
    missing = sorted(m for m in source_messages() if not entries.get(m))
    assert not missing, f"{locale} lacks: {missing}"
    wrong = sorted(m for m, s in entries.items() if s and placeholders(m) != placeholders(s))
    assert not wrong, f"{locale} placeholders differ: {wrong}"


def test_french_catalog_translates_rather_than_copies():
    entries = catalog("fr")
    copied = [m for m, s in entries.items() if m == s and re.search(r"[a-z]{4,}", m)]
    allowed = {"For English, press {key}.", "For a call back in English, press 2."}
    assert set(copied) <= allowed


def test_loaded_catalogs_translate_the_key_message():
    catalogs = Catalogs()
    key = "What you are feeling is common after this type of event. You don't have to deal with this alone."
    assert catalogs.gettext("fr", key).startswith("Ce que vous ressentez")
    assert catalogs.gettext("en", key) == key


def test_every_locale_has_a_voice_and_language():
    for locale, voice in VOICES.items():
        assert voice.language.startswith(locale + "-") and voice.voice.startswith("Polly.")
