"""The voice menu over HTTP with signed requests, against a real Redis: every path, both languages."""
from __future__ import annotations

import json

import pytest

from helpline.lines import CNOM, SPS
from tests.twilio_clients import action_of, gather, says, spoken

KEY_FR = "Ce que vous ressentez est fréquent après ce type d'événement."
KEY_EN = "What you are feeling is common after this type of event."


def test_incoming_call_says_the_key_message_first_in_french(new_call):
    root = new_call().twiml("/voice")
    first = root[0]
    assert first.tag == "Say" and first.text.startswith(KEY_FR)
    assert first.get("language") == "fr-FR" and first.get("voice") == "Polly.Lea"
    menu = gather(root)
    assert menu.get("input") == "dtmf speech" and menu.get("language") == "fr-FR"
    assert "médecin" in menu.get("hints")
    assert action_of(menu) == "/voice/menu?lang=fr"
    text = spoken(menu)
    for words in ("SPS", "24 heures sur 24", "Ordre des médecins", "CHU Exemple", "juridiques", "rappelle"):
        assert words in text
    english = [s for s in menu.iter("Say") if s.get("language") == "en-GB"]
    assert english and "For English, press 9." in english[0].text
    assert root[-1].tag == "Redirect" and root[-1].text == "/voice/silence?lang=fr"


def test_no_minimising_or_questions_about_the_event_in_any_prompt(new_call):
    call = new_call()
    texts = spoken(call.twiml("/voice")) + spoken(call.twiml("/voice/menu", Digits="9"))
    for phrase in ("ne vous inquiétez", "ce n'est rien", "don't worry", "que s'est-il passé", "what happened", "faute"):
        assert phrase not in texts.lower()


@pytest.mark.parametrize("digits, speech, number, target", [
    ("1", None, SPS.e164, "sps"),
    ("2", None, CNOM.e164, "cnom"),
    (None, "je voudrais SPS", SPS.e164, "sps"),
    (None, "je suis médecin", CNOM.e164, "cnom"),
], ids=["key-1-sps", "key-2-cnom", "speech-sps", "speech-medecin"])
def test_transfers_dial_e164_with_an_action(new_call, digits, speech, number, target):
    root = new_call().twiml("/voice/menu?lang=fr", Digits=digits, SpeechResult=speech)
    dial = root.find("Dial")
    assert dial is not None and dial.find("Number").text == number
    assert action_of(dial).startswith(f"/voice/dial-result?target={target}")
    assert "Le numéro est le" in spoken(root)


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled"])
def test_failed_transfer_offers_the_menu_again(new_call, status):
    root = new_call().twiml("/voice/dial-result?target=sps&lang=fr", DialCallStatus=status)
    assert "La ligne n'a pas pu être jointe" in says(root)[0]
    assert gather(root) is not None and root.find("Hangup") is None


def test_completed_transfer_ends_with_a_goodbye(new_call):
    root = new_call().twiml("/voice/dial-result?target=sps&lang=fr", DialCallStatus="completed")
    assert "Merci de votre appel" in spoken(root) and root[-1].tag == "Hangup"


def test_resources_are_listed_by_name_then_transferred(new_call):
    call = new_call()
    root = call.twiml("/voice/menu?lang=fr", Digits="3")
    menu = gather(root)
    assert action_of(menu) == "/voice/resource?lang=fr"
    text = spoken(menu)
    assert "la psychologue du travail, du lundi au vendredi" in text and "tapez 1" in text
    assert "le référent seconde victime" in text and "tapez 3" in text
    chosen = call.twiml("/voice/resource?lang=fr", Digits="2")
    assert chosen.find("Dial/Number").text == "+33155555555"
    back = call.twiml("/voice/resource?lang=fr", Digits="0")
    assert action_of(gather(back)) == "/voice/menu?lang=fr"


def test_legal_reminder_then_back_to_the_menu(new_call):
    root = new_call().twiml("/voice/menu?lang=fr", Digits="4")
    assert "responsabilité civile professionnelle" in says(root)[0]
    assert gather(root) is not None


def test_switching_to_english_is_remembered_for_the_call(new_call, redis_client):
    call = new_call()
    call.twiml("/voice")
    root = call.twiml("/voice/menu?lang=fr", Digits="9")
    assert root[0].text.startswith(KEY_EN) and root[0].get("language") == "en-GB"
    assert redis_client.hget(f"hl:call:{call.sid}", "locale") == "en"
    assert 0 < redis_client.ttl(f"hl:call:{call.sid}") <= 4 * 3600
    again = call.twiml("/voice/menu?lang=fr", Digits="*")  # the stored locale wins over the URL
    assert gather(again).get("language") == "en-GB"
    french = [s for s in gather(again).iter("Say") if s.get("language") == "fr-FR"]
    assert "Pour continuer en français, tapez 9." in french[0].text


def test_silence_reprompts_twice_then_transfers_to_sps(new_call):
    call = new_call()
    for _ in range(2):
        root = call.twiml("/voice/silence?lang=fr")
        assert says(root)[0] == "Nous n'avons pas entendu de choix." and gather(root) is not None
    root = call.twiml("/voice/silence?lang=fr")
    assert "0 805 23 23 36" in spoken(root)
    assert root.find("Dial/Number").text == SPS.e164


def test_unknown_key_gets_one_message_and_the_menu(new_call):
    root = new_call().twiml("/voice/menu?lang=fr", Digits="7")
    assert says(root)[0] == "Ce choix n'est pas disponible." and gather(root) is not None


def test_callback_request_with_the_calling_number(new_call, redis_client, app):
    call = new_call(number="+33612345678")
    root = call.twiml("/voice/menu?lang=fr", Digits="5")
    assert "se termine par 7 8" in spoken(root)
    root = call.twiml(action_of(gather(root)), Digits="1")
    assert action_of(gather(root)) == "/voice/callback/language?lang=fr"
    root = call.twiml("/voice/callback/language?lang=fr", Digits="2")
    assert "within 24 hours" in spoken(root) and root[-1].tag == "Hangup"
    call.twiml("/voice/callback/language?lang=fr", Digits="2")  # Twilio retried the webhook
    with app.app_context():
        items = app.extensions["helpline.callbacks"].open_items()
    assert len(items) == 1
    assert (items[0].number, items[0].locale, items[0].source, items[0].urgency) == ("+33612345678", "en", "voice", "routine")
    assert redis_client.hget(f"hl:call:{call.sid}", "cb_number") is None
    assert 0 < redis_client.ttl(f"hl:cb:{items[0].id}")


def test_callback_with_a_typed_number_when_caller_id_is_withheld(new_call, app):
    call = new_call(number="anonymous")
    root = call.twiml("/voice/menu?lang=fr", Digits="5")
    assert "dix chiffres" in spoken(root) and gather(root).get("finishOnKey") == "#"
    root = call.twiml("/voice/callback/number?lang=fr", Digits="0612")
    assert "ne semble pas complet" in spoken(root)
    root = call.twiml("/voice/callback/number?lang=fr", Digits="0699887766")
    call.twiml(action_of(gather(root)), Digits="1")
    with app.app_context():
        (item,) = app.extensions["helpline.callbacks"].open_items()
    assert item.number == "+33699887766" and item.locale == "fr"


def test_callbacks_list_json_prints_the_open_ones(new_call, app_config, monkeypatch):
    from click.testing import CliRunner

    from helpline.cli import cli

    call = new_call()
    call.twiml("/voice/callback/confirm?lang=fr", Digits="1")
    call.twiml("/voice/callback/language?lang=fr", Digits="1")
    for key, value in app_config.items():
        if key != "TESTING":
            monkeypatch.setenv(key, value)
    result = CliRunner().invoke(cli, ["callbacks", "list", "--json"])
    assert result.exit_code == 0, result.output
    (item,) = json.loads(result.output)
    assert item["number"] == call.number and item["status"] == "new"


URGENT_PHRASES = [
    ("fr", "je veux mourir"),
    ("fr", "j'ai envie de me tuer"),
    ("en", "i want to kill myself"),
]


@pytest.mark.parametrize("lang, phrase", URGENT_PHRASES, ids=[p for _, p in URGENT_PHRASES])
def test_spoken_distress_switches_to_the_urgent_path(new_call, app, lang, phrase):
    call = new_call()
    root = call.twiml(f"/voice/menu?lang={lang}", SpeechResult=phrase)
    text = spoken(root)
    assert "31 14" in text and "112" in text
    assert root.find("Dial/Number").text == SPS.e164
    assert "urgent=1" in action_of(root.find("Dial"))
    call.twiml(f"/voice/menu?lang={lang}", SpeechResult=phrase)  # retried webhook: still one flag
    with app.app_context():
        (item,) = app.extensions["helpline.callbacks"].open_items()
    assert item.urgency == "urgent" and item.number == call.number and item.source == "voice"
    assert phrase not in json.dumps(item.to_dict())


def test_fallback_needs_no_redis(new_call, redis_server):
    redis_server.pause()
    try:
        root = new_call().twiml("/voice/fallback", ErrorCode="11200")
    finally:
        redis_server.resume()
    assert root[0].text.startswith(KEY_FR)
    assert root.find("Dial").text == SPS.e164
    assert "0 805 23 23 36" in spoken(root)


def test_redis_down_still_gives_key_message_and_sps(new_call, redis_server):
    call = new_call()
    redis_server.pause()
    try:
        first = call.twiml("/voice")
        chose_sps = call.twiml("/voice/menu?lang=fr", Digits="1")
        silent = call.twiml("/voice/silence?lang=fr")
    finally:
        redis_server.resume()
    assert first[0].text.startswith(KEY_FR) and "ligne SPS" in spoken(gather(first))
    assert chose_sps.find("Dial/Number").text == SPS.e164
    assert silent[0].text.startswith(KEY_FR) and silent.find("Dial").text == SPS.e164


def test_a_choice_starts_the_silence_count_again(new_call):
    call = new_call()
    for _ in range(2):
        call.twiml("/voice/silence?lang=fr")
    call.twiml("/voice/menu?lang=fr", Digits="4")  # the legal reminder, then the menu
    root = call.twiml("/voice/silence?lang=fr")
    assert root.find("Dial") is None and gather(root) is not None
    for _ in range(2):
        call.twiml("/voice/silence?lang=fr")
    call.twiml("/voice/dial-result?target=sps&lang=fr", DialCallStatus="busy")  # back to the menu
    root = call.twiml("/voice/silence?lang=fr")
    assert root.find("Dial") is None and gather(root) is not None
