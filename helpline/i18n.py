"""Message catalogs (Babel) and the table from a locale to the TwiML language and voice.

Caller-facing text is written in English in the code, marked with `N_` where it sits in a module
table, and translated at the edge with the caller's locale: `translate("fr", msgid, **params)`.
"""
from __future__ import annotations

from dataclasses import dataclass
from gettext import NullTranslations
from importlib import resources
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.support import Translations


@dataclass(frozen=True)
class VoiceLocale:
    """How Twilio speaks and listens in one locale."""

    language: str  # BCP-47 for <Say> and <Gather>
    voice: str     # an Amazon Polly voice that fits the language


VOICES = {
    "fr": VoiceLocale(language="fr-FR", voice="Polly.Lea"),
    "en": VoiceLocale(language="en-GB", voice="Polly.Amy"),
}
SUPPORTED = tuple(VOICES)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, with the caller's locale."""
    return message


def normalise_locale(value: str | None, default: str = "fr") -> str:
    """'fr-FR', 'EN', None -> a supported locale."""
    if not value:
        return default
    short = str(value).strip().lower().replace("_", "-").split("-")[0]
    return short if short in VOICES else default


def other_locale(locale: str) -> str:
    return "en" if locale == "fr" else "fr"


def locales_dir() -> Path:
    """Where the catalogs live: the `locales` package (source tree or installed)."""
    return Path(str(resources.files("locales")))


def _load_catalog(directory: Path, locale: str) -> NullTranslations:
    base = directory / locale / "LC_MESSAGES"
    mo, po = base / "messages.mo", base / "messages.po"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            catalog = read_mo(fh)
    elif po.exists():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
    else:
        return NullTranslations()
    translations = Translations()
    translations._catalog = {m.id: m.string for m in catalog if m.id and m.string}
    return translations


class Catalogs:
    """The loaded catalogs of every supported locale."""

    def __init__(self, directory: Path | None = None):
        directory = directory or locales_dir()
        self.translations = {loc: _load_catalog(directory, loc) for loc in SUPPORTED}

    def gettext(self, locale: str, message: str, **params) -> str:
        text = self.translations.get(locale, NullTranslations()).gettext(message)
        return text.format(**params) if params else text


def get_catalogs() -> Catalogs:
    from flask import current_app

    return current_app.extensions["helpline.catalogs"]


def translate(locale: str, message: str, **params) -> str:
    """Translate a message for a locale, filling named placeholders."""
    return get_catalogs().gettext(locale, message, **params)
