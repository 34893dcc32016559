"""The SMS webhook under hostile, odd and failing conditions: signatures, inputs, privacy, Redis down."""
from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import pytest

from helpline import create_app
from sms.segments import count_segments
from tests.conftest import PUBLIC_URL, TOKEN, LiveServer
from tests.twilio_clients import Texter, sign

ME = "+33698765432"
URGENT_FR = "je veux mourir"
SPS = "0805 23 23 36"


@pytest.fixture
def texter(live_server):
    def make(number: str = ME) -> Texter:
        return Texter(live_server.url, PUBLIC_URL, TOKEN, number=number)

    return make


@pytest.mark.parametrize("how", ["unsigned", "wrong-token", "other-url", "tampered-body"])
def test_forged_requests_are_refused_and_store_nothing(texter, redis_client, app, how):
    me = texter()
    params = me.params(URGENT_FR)
    signature = {
        "unsigned": "",
        "wrong-token": sign("not-the-token", PUBLIC_URL + "/sms", params),
        "other-url": sign(TOKEN, "https://evil.example.org/sms", params),
        "tampered-body": sign(TOKEN, PUBLIC_URL + "/sms", {**params, "Body": "AIDE"}),
    }[how]
    response = me.post("/sms", params, signature=signature)
    assert response.status_code == 403
    assert "Message" not in response.text
    assert redis_client.keys("*") == [], "no state, no callback, no stream entry"
    assert not app.extensions["helpline.callbacks"].open_items()


def test_the_fallback_url_is_signed_and_stateless(texter, redis_client):
    me = texter()
    assert me.post("/sms/fallback", me.params("AIDE"), signature="").status_code == 403
    response = me.send(URGENT_FR, path="/sms/fallback", ErrorCode="11200")
    assert response.status_code == 200 and SPS in response.text and "3114" in response.text
    assert redis_client.keys("*") == []


@pytest.mark.parametrize("params, expected, explanation", [
    pytest.param({"Body": "x" * 5000}, "Ce que vous ressentez", "over 1,600 characters: read the first 1,600",
                 id="too-long"),
    pytest.param({"Body": "je vais bien " * 150 + URGENT_FR}, "3114",
                 "an urgent phrase past character 1,600 is still read", id="urgent-past-1600"),
    pytest.param({"Body": ""}, "Ce que vous ressentez", "an empty body gets the help text", id="empty"),
    pytest.param({"Body": None, "NumMedia": "1", "MediaUrl0": "https://api.twilio.com/x.jpg"},
                 "ne pouvons pas ouvrir les images", "media only", id="media-only"),
    pytest.param({"Body": "AIDE", "NumMedia": "lots"}, "Ce que vous ressentez", "a bad NumMedia", id="bad-num-media"),
    pytest.param({"Body": "\x00\x01AIDE\x7f"}, "Ce que vous ressentez", "control characters", id="controls"),
    pytest.param({"Body": "\U0001F622\U0001F622 \u200b\u202e"}, "Ce que vous ressentez", "emoji and invisibles",
                 id="emoji"),
    pytest.param({"Body": "\ufffd\ufffd\ufffd"}, "Ce que vous ressentez", "replacement characters from a bad encoding",
                 id="replacement-chars"),
    pytest.param({"Body": "AIDE", "MessageSid": None, "SmsSid": None}, "Ce que vous ressentez",
                 "no MessageSid: answered, not deduplicated", id="no-sid"),
    pytest.param({"Body": "AIDE", "From": None}, "Ce que vous ressentez", "no From", id="no-from"),
])
def test_bad_inputs_get_a_sensible_reply(texter, params, expected, explanation):
    me = texter()
    base = me.params(params.pop("Body", "AIDE"))
    base.update(params)
    response = me.post("/sms", {k: v for k, v in base.items() if v is not None})
    assert response.status_code == 200, explanation
    assert expected in response.text, explanation
    assert count_segments(response.text).segments  # parses as text


def test_urgent_without_a_callable_number_still_alerts(texter, app):
    reply = texter("Anonymous").text(URGENT_FR)
    assert "3114" in reply and "va vous appeler" not in reply, "no promise of a call we cannot make"
    [item] = app.extensions["helpline.callbacks"].open_items()
    assert item.urgent and item.number == ""


def test_every_sms_key_has_a_ttl_and_no_raw_number(texter, redis_client):
    me = texter()
    for body in ("ENGLISH", "CALLBACK", "YES", "hello", "RESOURCES"):
        me.text(body)
    keys = redis_client.keys("*")
    assert any(k.startswith("hl:sms:lang:") for k in keys) and any(k.startswith("hl:seen:sms:") for k in keys)
    for key in keys:
        if key in ("hl:cb:seq", "hl:cb:open", "hl:stream:callbacks"):
            continue  # ids and counters only; the callback itself (with the number it was given) expires
        assert redis_client.ttl(key) > 0, key
        if not key.startswith("hl:cb:"):  # the callback holds the number the person agreed to give
            assert ME not in key and ME not in str(redis_client.dump(key)), key


def test_coordinator_replies_with_numbers_are_not_cached(texter, app, redis_client):
    texter().text(URGENT_FR)
    [item] = app.extensions["helpline.callbacks"].open_items()
    camille = texter("+33611111111")
    assert ME in camille.text(f"OK {item.id}")
    assert not redis_client.exists(f"hl:seen:sms:{camille.last_sid}")


def test_log_lines_hold_no_body_and_no_full_number(texter, caplog):
    caplog.set_level(logging.INFO, logger="helpline")
    me = texter()
    me.text(URGENT_FR)
    me.text("RAPPEL")
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("helpline")]
    sms_lines = [line for line in lines if line.startswith("sms ")]
    assert len(sms_lines) >= 2 and any("level=urgent" in line for line in sms_lines)
    for line in lines:
        assert "mourir" not in line and ME not in line, line


def _dead_redis_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def test_redis_down_urgent_goes_to_the_journal_and_keywords_still_answer(app_config, tmp_path):
    app = create_app({**app_config, "REDIS_URL": _dead_redis_url()})
    with LiveServer(app) as server:
        me = Texter(server.url, PUBLIC_URL, TOKEN, number=ME)
        urgent = me.text(URGENT_FR)
        assert "va vous appeler" in urgent and "3114" in urgent
        assert "0800 288 038" in me.text("CNOM")
        assert "CHU Exemple" in me.text("RESSOURCES")
        net = me.text("RAPPEL")
        assert SPS in net and "3114" in net, "what needs Redis falls back to the safety net"
    journal = Path(app.config["HELPLINE_DATA_DIR"]) / "journal" / "callbacks.jsonl"
    [entry] = [json.loads(line) for line in journal.read_text().splitlines()]
    assert (entry["urgency"], entry["source"], entry["number"]) == ("urgent", "sms", ME)
    assert "mourir" not in journal.read_text()


def test_urgent_texts_without_a_message_sid_are_never_merged(texter, app):
    for number in ("+33600000001", "+33600000002"):
        me = texter(number)
        params = me.params(URGENT_FR)
        params.pop("MessageSid"), params.pop("SmsSid")
        assert "3114" in me.post("/sms", params).text
    items = app.extensions["helpline.callbacks"].open_items()
    assert sorted(i.number for i in items) == ["+33600000001", "+33600000002"]
