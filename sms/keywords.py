"""The SMS keyword table and the pure matcher: a whole message is a keyword or it is free text.

Matching folds the message (case, accents, punctuation, full-width forms) and compares the whole of
it with the table, so "Aide !", "aide" and "AIDE" are one keyword and "aide moi je vais mal" is free
text for the distress detector. "RESSOURCES 2" carries a page number.

Twilio's own words (TWILIO.md) stay Twilio's: STOP, UNSUBSCRIBE, END, QUIT, STOPALL, REVOKE, OPTOUT,
CANCEL opt out and START, UNSTOP, YES opt in, whatever the conversation. Twilio answers those itself,
so they are marked `platform` and the SMS line adds no text of its own. YES is both Twilio's opt-in
and, while a RAPPEL is waiting for consent, an English "yes" to the callback; OUI is ours only and is
the word the French replies ask for. To decline a call, our word is NON/NO (never CANCEL: Twilio
would unsubscribe the person).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_NOT_WORD = re.compile(r"[^a-z0-9]+")
_PAGE = re.compile(r"^(?P<head>.+?) (?P<page>\d{1,2})$")


@dataclass(frozen=True)
class Word:
    """One spelling of a keyword: folded text, the language it reveals (or None), Twilio's own or not."""

    text: str
    lang: str | None = None
    platform: bool = False


@dataclass(frozen=True)
class Keyword:
    """One action and the words that ask for it."""

    action: str
    words: tuple[Word, ...]
    paged: bool = False


def _w(spec: str, lang: str | None = None, platform: bool = False) -> tuple[Word, ...]:
    return tuple(Word(text, lang, platform) for text in spec.split(","))


KEYWORDS = (
    Keyword("help", _w("aide", "fr") + _w("help", "en") + _w("info,infos")),
    Keyword("sps", _w("sps")),
    Keyword("cnom", _w("cnom") + _w("medecin,medecins", "fr") + _w("doctor", "en")),
    Keyword("resources", _w("ressources,ressource", "fr") + _w("resources,resource", "en"), paged=True),
    Keyword("legal", _w("juridique", "fr") + _w("legal", "en")),
    Keyword("callback", _w("rappel,rappelez moi", "fr") + _w("callback,call back,call me", "en")),
    Keyword("english", _w("english,anglais", "en")),
    Keyword("french", _w("francais,french", "fr")),
    Keyword("optout", _w("arret,arreter", "fr")
            + _w("stop,unsubscribe,end,quit,stopall,revoke,optout,cancel", platform=True)),
    Keyword("optin", _w("start,unstop", platform=True)),
    Keyword("yes", _w("oui", "fr") + _w("yes", "en", platform=True)),
    Keyword("no", _w("non", "fr") + _w("no", "en")),
)
# Answering these again gives the same reply and changes nothing more, so a retried webhook is simply
# answered again and no reply is stored for them. OUI/NON consume or change state: their replies are kept.
REPLAYABLE = frozenset({"help", "sps", "cnom", "resources", "legal", "callback", "english", "french",
                        "optout", "optin"})
_INDEX = {word.text: (keyword, word) for keyword in KEYWORDS for word in keyword.words}
assert len(_INDEX) == sum(len(k.words) for k in KEYWORDS), "a word appears twice in KEYWORDS"


@dataclass(frozen=True)
class Match:
    """What a whole message asked for, and why: the action, the folded word, its language, a page."""

    action: str
    word: str
    lang: str | None = None
    platform: bool = False
    page: int = 1


def fold(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces: 'ARRÊT !' -> 'arret'."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", text).split())


def match_keyword(body: str | None) -> Match | None:
    """The keyword a whole message is, or None for free text (and for an empty message)."""
    folded = fold((body or "")[:64])
    if not folded or len(body or "") > 64:
        return None
    found = _INDEX.get(folded)
    if found:
        keyword, word = found
        return Match(keyword.action, word.text, word.lang, word.platform)
    paged = _PAGE.match(folded)
    if paged and paged["head"] in _INDEX and _INDEX[paged["head"]][0].paged:
        keyword, word = _INDEX[paged["head"]]
        return Match(keyword.action, word.text, word.lang, word.platform, page=max(int(paged["page"]), 1))
    return None
