"""The SMS line over real HTTP and a real Redis: keywords, consent, opt-out, duplicates, limits, distress."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from helpline.callbacks import STREAM_KEY
from helpline.privacy import number_key
from sms.conversation import CALLBACK_KEY, CONSENT_KEY, LANG_KEY
from sms.segments import count_segments
from tests.conftest import PUBLIC_URL, TOKEN
from tests.twilio_clients import Texter

ME = "+33698765432"
KEY_FR = "Ce que vous ressentez est fréquent après ce type d'événement."
KEY_EN = "What you are feeling is common after this type of event."
SPS, CNOM = "0805 23 23 36", "0800 288 038"
URGENT_FR, URGENT_EN = "je veux mourir", "I want to kill myself"
CONCERN_FR = "je suis épuisée, je n'arrive plus à dormir depuis l'erreur"


@pytest.fixture
def texter(live_server):
    def make(number: str = ME) -> Texter:
        return Texter(live_server.url, PUBLIC_URL, TOKEN, number=number)

    return make


@pytest.fixture
def queue(app):
    return app.extensions["helpline.callbacks"]


def who(number: str = ME) -> str:
    return number_key("test-secret", number)


def within_budget(text: str) -> str:
    assert count_segments(text).segments <= 3, count_segments(text)
    return text


@pytest.mark.parametrize("body, expected, unexpected", [
    pytest.param("AIDE", (KEY_FR, SPS, CNOM, "RAPPEL", "ENGLISH"), (KEY_EN,), id="aide-fr"),
    pytest.param("help", (KEY_EN, SPS, CNOM, "CALLBACK", "FRANCAIS"), (KEY_FR,), id="help-en"),
    pytest.param("Info", (KEY_FR, SPS, CNOM), (), id="info-default-locale"),
    pytest.param("SPS", (SPS, "24h/24", "psychologues"), (CNOM,), id="sps"),
    pytest.param("cnom", (CNOM, "médecins", "internes", "24h/24"), (), id="cnom"),
    pytest.param("Médecin", (CNOM, "internes"), (), id="medecin"),
    pytest.param("doctor", (CNOM, "physicians and interns", "24 hours"), (), id="doctor-en"),
    pytest.param("RESSOURCES", ("CHU Exemple", "01 44 44 44 44", "du lundi au vendredi", "01 66 66 66 66"), (),
                 id="ressources"),
    pytest.param("resources", ("Support offered by CHU Exemple", "01 55 55 55 55"), (), id="resources-en"),
    pytest.param("Juridique", ("responsabilité civile professionnelle", "protection juridique", SPS), (),
                 id="juridique"),
    pytest.param("LEGAL", ("professional liability insurance", "legal protection"), (), id="legal-en"),
    pytest.param("RAPPEL", ("répondez OUI", "15 minutes", "CHU Exemple"), (), id="rappel"),
    pytest.param("Call back", ("reply YES", "15 minutes"), (), id="callback-en"),
    pytest.param("ENGLISH", (KEY_EN, "FRANCAIS"), (), id="english"),
    pytest.param("français", (KEY_FR, "ENGLISH"), (), id="francais"),
    # free text the detector rates none: the key message, SPS, the emergency numbers, how to go on
    pytest.param("bonjour", (KEY_FR, SPS, "3114", "RAPPEL", "AIDE"), (CNOM,), id="free-text-none"),
])
def test_keywords(texter, body, expected, unexpected):
    reply = within_budget(texter().text(body))
    for part in expected:
        assert part in reply
    for part in unexpected:
        assert part not in reply


def test_language_is_remembered_for_the_sender_with_a_ttl(texter, redis_client):
    me = texter()
    assert KEY_EN in me.text("ENGLISH")
    assert KEY_EN in me.text("AIDE"), "the sender's choice wins over the keyword's language"
    assert "Support offered" in me.text("RESSOURCES")
    assert 0 < redis_client.ttl(LANG_KEY.format(who=who())) <= 30 * 86400
    assert KEY_FR in texter("+33611112222").text("INFO"), "another sender keeps the default"
    assert KEY_FR in me.text("FRANCAIS") and KEY_FR in me.text("help")


def test_consent_yes_queues_one_routine_callback(texter, queue, redis_client):
    me = texter()
    assert "OUI" in me.text("RAPPEL")
    assert not queue.open_items(), "no callback before consent"
    assert ME not in str(redis_client.keys("*")) + str([redis_client.get(k) for k in redis_client.keys("hl:sms:*")])
    reply = me.text("oui")
    assert "24 heures" in reply and "NON" in reply
    sid = me.last_sid
    assert me.text("oui", sid=sid) == reply, "a retried webhook gets the same reply"
    [item] = queue.open_items()
    assert (item.source, item.urgency, item.number, item.locale) == ("sms", "routine", ME, "fr")
    assert redis_client.get(f"hl:cb:event:sms:{sid}:callback") == str(item.id)
    assert redis_client.xlen(STREAM_KEY) == 1
    assert "Aucune demande" in me.text("OUI"), "consent is used once"
    assert len(queue.open_items()) == 1


def test_english_consent_with_yes(texter, queue):
    me = texter("+447700900123")
    assert "reply YES" in me.text("CALLBACK")
    assert "call you back within 24 hours" in me.text("YES")
    [item] = queue.open_items()
    assert (item.locale, item.number) == ("en", "+447700900123")


def test_consent_no_stores_nothing(texter, queue, redis_client):
    me = texter()
    me.text("RAPPEL")
    assert "ne vous appellerons pas" in me.text("NON")
    assert "Aucune demande" in me.text("OUI")
    assert not queue.open_items()
    assert not redis_client.keys("hl:cb:*")


def test_consent_times_out(texter, queue, redis_client):
    me = texter()
    me.text("RAPPEL")
    key = CONSENT_KEY.format(who=who())
    assert 0 < redis_client.ttl(key) <= 15 * 60
    redis_client.pexpire(key, 1)
    redis_client.execute_command("DEBUG", "SLEEP", "0.01")
    assert "Aucune demande de rappel" in me.text("OUI")
    assert not queue.open_items()


def test_no_declines_the_queued_callback(texter, queue):
    me = texter()
    me.text("RAPPEL")
    me.text("OUI")
    [item] = queue.open_items()
    assert "ne vous appellerons pas" in me.text("non")
    assert queue.get(item.id).status == "declined" and not queue.open_items()
    assert "Aucun appel" in me.text("NON")


def test_yes_while_a_callback_is_open_does_not_queue_another(texter, queue):
    me = texter()
    me.text("RAPPEL"), me.text("OUI"), me.text("RAPPEL"), me.text("OUI")
    assert len(queue.open_items()) == 1


def test_opt_out_and_back_in(texter, app):
    me, optouts = texter(), app.extensions["helpline.optouts"]
    assert me.text("STOP") is None, "Twilio confirms its own opt-out words"
    assert optouts.is_opted_out(ME)
    assert me.text("AIDE") is None and me.text("RAPPEL") is None and me.text("OUI") is None
    assert me.text("START") is None, "Twilio confirms its own opt-in words"
    assert not optouts.is_opted_out(ME)
    assert KEY_FR in me.text("AIDE")


def test_french_opt_out_is_confirmed_by_us(texter, app, redis_client):
    me = texter()
    me.text("ENGLISH")
    me.text("RAPPEL")
    reply = me.text("Arrêt")
    assert "ne recevrez plus" in reply and "START" in reply and SPS not in reply
    assert app.extensions["helpline.optouts"].is_opted_out(ME)
    assert not redis_client.keys("hl:sms:consent:*") and not redis_client.keys("hl:sms:lang:*")
    assert me.text("YES") is None, "Twilio's YES opts back in (Twilio confirms)"
    assert KEY_FR in me.text("AIDE")


def test_opted_out_urgent_text_still_reaches_the_coordinators(texter, queue):
    me = texter()
    me.text("STOP")
    assert me.text(URGENT_FR) is None
    [item] = queue.open_items()
    assert (item.urgency, item.number) == ("urgent", ME)


def test_duplicate_message_sid_gives_the_same_reply_and_one_alert(texter, queue, redis_client):
    me = texter()
    first = me.text(URGENT_FR)
    sid = me.last_sid
    assert me.text(URGENT_FR, sid=sid) == first
    assert len(queue.open_items()) == 1 and redis_client.xlen(STREAM_KEY) == 1
    assert 0 < redis_client.ttl(f"hl:seen:sms:{sid}") <= 24 * 3600


def test_rate_limit_one_notice_then_silence_but_urgent_still_alerts(texter, queue):
    me = texter()
    replies = [me.text("bonjour") for _ in range(10)]
    assert all(KEY_FR in r for r in replies)
    notice = me.text("bonjour")
    assert "beaucoup de messages" in notice and "3114" in notice
    assert me.text("bonjour") is None and me.text("AIDE") is None
    assert me.text(URGENT_FR) is None
    [item] = queue.open_items()
    assert item.urgent and item.number == ME
    assert KEY_FR in texter("+33611112222").text("AIDE"), "the limit is per sender"


def test_urgent_text(texter, queue, redis_client):
    me = texter()
    reply = within_budget(me.text(URGENT_FR))
    for part in ("va vous appeler", "NON", SPS, "3114", "15", "112"):
        assert part in reply
    assert "mourir" not in reply, "the reply never repeats what they wrote"
    [item] = queue.open_items()
    assert (item.urgency, item.source, item.number, item.reason) == ("urgent", "sms", ME, "suicidal_ideation")
    assert redis_client.get(CALLBACK_KEY.format(who=who())) == str(item.id)
    dump = " ".join(str(redis_client.dump(k)) for k in redis_client.keys("*"))
    assert "mourir" not in dump, "the body is stored nowhere"
    again = me.text("je pense au suicide")
    assert "va vous appeler" in again
    assert len(queue.open_items()) == 1, "a second urgent text joins the open alert"
    assert [s["step"] for s in queue.steps(item.id)] == ["created", "sms-again"]
    assert "3114" in me.text("NON")
    assert queue.get(item.id).status == "declined"
    # Alerts stop, but coordinators still see that someone at risk declined, until one resolves it.
    assert [i.id for i in queue.open_items()] == [item.id]
    assert queue.resolve(item.id, "Camille Martin", "declined").status == "resolved"
    assert not queue.open_items()


def test_urgent_text_in_english(texter, queue):
    reply = texter("+447700900123").text(URGENT_EN)
    assert "will call you" in reply and "reply NO" in reply and "3114" in reply
    assert queue.open_items()[0].locale == "en"


def test_concern_text(texter, queue):
    reply = within_budget(texter().text(CONCERN_FR))
    assert KEY_FR in reply and SPS in reply and "RAPPEL" in reply
    assert "3114" in reply, "a concern may be an urgent message the detector missed: the emergency numbers go too"
    assert "dormir" not in reply and "épuisée" not in reply
    assert not queue.open_items(), "concern offers a callback, it does not queue one"


def test_coordinator_takes_a_callback(texter, queue):
    texter().text(URGENT_FR)
    [item] = queue.open_items()
    camille, alex = texter("+33611111111"), texter("+33622222222")
    hint = camille.text("bonjour")
    assert "OK 42" in hint and "répondez" in hint, "a coordinator's text is a command, in their locale"
    assert KEY_FR not in hint
    taken = camille.text(f"OK {item.id}")
    assert f"Le rappel #{item.id}" in taken and ME in taken
    assert queue.get(item.id).taken_by == "Camille Martin"
    already = alex.text(f"ok {item.id}")
    assert "Camille Martin" in already and "already taken" in already, "Alex's locale is English"
    assert f"#{item.id}" in camille.text(f"OK {item.id}"), "asking again is idempotent for the owner"
    assert "#999" in camille.text("OK 999")


def test_concurrent_retries_of_one_message_alert_once(texter, queue, redis_client):
    me = texter()
    params = me.params(URGENT_FR)
    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(lambda _: me.post("/sms", params), range(4)))
    assert [r.status_code for r in responses] == [200] * 4
    assert len({r.text for r in responses}) == 1, "every retry gets the first reply"
    assert len(queue.open_items()) == 1 and redis_client.xlen(STREAM_KEY) == 1


def test_a_retried_keyword_is_answered_again_without_storing_a_reply(texter, redis_client):
    me = texter()
    sid = me.params("AIDE")["MessageSid"]
    first = me.text("AIDE", sid=sid)
    assert me.text("AIDE", sid=sid) == first
    assert not redis_client.exists(f"hl:seen:sms:{sid}")
    oui_sid = me.params("OUI")["MessageSid"]
    me.text("RAPPEL")
    consented = me.text("OUI", sid=oui_sid)
    assert me.text("OUI", sid=oui_sid) == consented, "a message that changes state keeps its reply"
    assert redis_client.exists(f"hl:seen:sms:{oui_sid}")
