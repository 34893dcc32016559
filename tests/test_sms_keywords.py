"""The SMS keyword table and its pure matcher: whole message, folded, French and English."""
from __future__ import annotations

import pytest

from sms.keywords import KEYWORDS, fold, match_keyword

TWILIO_OPT_OUT = ("stop", "unsubscribe", "end", "quit", "stopall", "revoke", "optout", "cancel")
TWILIO_OPT_IN = ("start", "yes", "unstop")


@pytest.mark.parametrize("body, action, lang, explanation", [
    pytest.param("AIDE", "help", "fr", "the French help word", id="aide"),
    pytest.param("  Aide !  ", "help", "fr", "spaces and punctuation do not count", id="aide-punct"),
    pytest.param("help", "help", "en", "the English help word", id="help"),
    pytest.param("Info", "help", None, "INFO is both languages: the sender's or default locale", id="info"),
    pytest.param("sps", "sps", None, "SPS is a name, not a language", id="sps"),
    pytest.param("CNOM", "cnom", None, "the Ordre's line", id="cnom"),
    pytest.param("Médecin", "cnom", "fr", "accents do not count", id="medecin"),
    pytest.param("MEDECIN", "cnom", "fr", "upper case without accent", id="medecin-upper"),
    pytest.param("Ressources", "resources", "fr", "French resources", id="ressources"),
    pytest.param("RESOURCES", "resources", "en", "English resources", id="resources"),
    pytest.param("juridique", "legal", "fr", "French legal", id="juridique"),
    pytest.param("Legal.", "legal", "en", "English legal, trailing dot", id="legal"),
    pytest.param("RAPPEL", "callback", "fr", "French callback", id="rappel"),
    pytest.param("Rappelez-moi", "callback", "fr", "the hyphen is punctuation", id="rappelez-moi"),
    pytest.param("callback", "callback", "en", "English callback", id="callback"),
    pytest.param("Call back", "callback", "en", "two words", id="call-back"),
    pytest.param("ENGLISH", "english", "en", "switch to English", id="english"),
    pytest.param("Français", "french", "fr", "switch to French, with its cedilla", id="francais"),
    pytest.param("ARRÊT", "optout", "fr", "French opt-out with its circumflex", id="arret-accent"),
    pytest.param("arret", "optout", "fr", "French opt-out without accent", id="arret"),
    pytest.param("OUI", "yes", "fr", "our consent word", id="oui"),
    pytest.param("Yes!", "yes", "en", "English consent, also Twilio's opt-in", id="yes"),
    pytest.param("non", "no", "fr", "decline", id="non"),
    pytest.param("NO", "no", "en", "decline in English", id="no"),
    pytest.param("\uff33\uff34\uff2f\uff30", "optout", None, "full-width letters fold to STOP", id="fullwidth-stop"),
])
def test_keywords(body, action, lang, explanation):
    match = match_keyword(body)
    assert match is not None, explanation
    assert (match.action, match.lang) == (action, lang), explanation


@pytest.mark.parametrize("body, explanation", [
    pytest.param("", "an empty message is not a keyword", id="empty"),
    pytest.param(None, "a missing body is not a keyword", id="none"),
    pytest.param("!!!", "punctuation only", id="punct-only"),
    pytest.param("aide moi je vais mal", "a keyword inside a sentence is free text", id="sentence"),
    pytest.param("stop " * 20, "a long message is free text even if it is one word repeated", id="long"),
    pytest.param("ok 42", "coordinator commands are not keywords", id="ok-42"),
    pytest.param("rappel 2", "only RESSOURCES takes a page", id="rappel-2"),
])
def test_free_text(body, explanation):
    assert match_keyword(body) is None, explanation


@pytest.mark.parametrize("word", TWILIO_OPT_OUT)
def test_twilio_opt_out_words_are_platform_opt_outs(word):
    match = match_keyword(word.upper())
    assert (match.action, match.platform) == ("optout", True)


@pytest.mark.parametrize("word", TWILIO_OPT_IN)
def test_twilio_opt_in_words_are_platform(word):
    match = match_keyword(word)
    assert match.platform and match.action in ("optin", "yes")


def test_only_twilio_words_are_platform_words():
    platform = {w.text for k in KEYWORDS for w in k.words if w.platform}
    assert platform == set(TWILIO_OPT_OUT) | set(TWILIO_OPT_IN)


def test_our_words_stay_clear_of_twilio_words():
    ours = {w.text for k in KEYWORDS for w in k.words if not w.platform}
    assert not ours & (set(TWILIO_OPT_OUT) | set(TWILIO_OPT_IN))
    assert "cancel" not in {w.text for k in KEYWORDS if k.action == "no" for w in k.words}


@pytest.mark.parametrize("body, page", [("RESSOURCES 2", 2), ("resources 3", 3), ("Ressources", 1),
                                        ("ressources 0", 1)])
def test_resource_pages(body, page):
    match = match_keyword(body)
    assert (match.action, match.page) == ("resources", page)


def test_fold():
    assert fold("  ARRÊT, s'il vous plaît !") == "arret s il vous plait"
