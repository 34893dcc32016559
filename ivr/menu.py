"""The phone menu as tables, and the pure functions that decide what a caller's input means."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from helpline.i18n import N_


@dataclass(frozen=True)
class Option:
    """One entry of the main menu: the key, what it does, how it is announced, the words that pick it."""

    key: str
    action: str
    label: str
    words: tuple[str, ...]


MENU = (
    Option("1", "sps", N_("To talk now with a professional of the SPS helpline, 24 hours a day, "
                          "for every health professional"),
           ("sps", "s p s", "esp es", "ecoute", "parler", "talk", "support", "soutien")),
    Option("2", "cnom", N_("For the helpline of the Ordre des médecins, for physicians and interns"),
           ("medecin", "medecins", "ordre", "cnom", "interne", "internes", "doctor", "physician", "intern")),
    Option("3", "resources", N_("For the support services of {institution}, such as the psychologist "
                                "or occupational health"),
           ("psychologue", "psy", "ressources", "ressource", "etablissement", "sante au travail",
            "medecine du travail", "resources", "psychologist", "occupational health")),
    Option("4", "legal", N_("If legal or disciplinary consequences worry you"),
           ("juridique", "avocat", "assurance", "plainte", "justice", "legal", "lawyer", "insurance", "lawsuit")),
    Option("5", "callback", N_("To be called back by the support team"),
           ("rappel", "rappeler", "rappelez", "rappelle", "callback", "call back", "call me")),
    Option("9", "language", "",
           ("english", "anglais", "francais", "french", "in english", "en francais")),
    Option("*", "repeat", N_("To hear this menu again"), ("repeter", "repete", "repeat", "menu", "again")),
)
BY_KEY = {option.key: option for option in MENU}
KEY_NAMES = {"*": N_("star"), "#": N_("hash")}
SPEECH_HINTS = N_("SPS, doctor, psychologist, legal, call back, French")
LANGUAGE_SWITCH = {"fr": N_("For English, press {key}."), "en": N_("For French, press {key}.")}
CALLBACK_LANGUAGES = {"1": "fr", "2": "en"}

_SPACES = re.compile(r"[^a-z0-9* ]+")


def fold(text: str) -> str:
    """Lower case, no accents, no punctuation: how spoken words and table words are compared."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_SPACES.sub(" ", text).split())


_WORD_INDEX = sorted(((fold(w), o) for o in MENU for w in o.words), key=lambda pair: -len(pair[0]))


@dataclass(frozen=True)
class Choice:
    """What the caller's input means: an option's action, 'silence' or 'invalid'."""

    action: str
    via: str = ""  # "dtmf" or "speech"


def choose(digits: str | None, speech: str | None, available: set[str]) -> Choice:
    """Decide from Digits or SpeechResult; options not in `available` count as invalid."""
    digits = (digits or "").strip()[:8]
    if digits:
        option = BY_KEY.get(digits[:1])
        if option and option.action in available:
            return Choice(option.action, "dtmf")
        return Choice("invalid", "dtmf")
    heard = fold((speech or "")[:500])
    if not heard:
        return Choice("silence")
    padded = f" {heard} "
    for word, option in _WORD_INDEX:
        if f" {word} " in padded and option.action in available:
            return Choice(option.action, "speech")
    return Choice("invalid", "speech")


def choose_index(digits: str | None, count: int) -> int | None:
    """A 1-based pick among `count` entries (resources), or None."""
    digits = (digits or "").strip()
    if digits.isdigit() and 1 <= int(digits) <= count:
        return int(digits) - 1
    return None


def dial_connected(status: str | None) -> bool:
    """A <Dial> that was answered; busy, no-answer, failed and canceled all mean: offer the menu again."""
    return (status or "").strip().lower() == "completed"
