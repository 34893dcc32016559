"""The official twilio client, aimed at the loopback sink, against real HTTP."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from helpline.twilio_client import RetargetedHttpClient, make_client
from helpline.twilio_sink import TwilioSink

ACCOUNT_SID = "AC" + "a1" * 16
AUTH_TOKEN = "test-auth-token"
HOTLINE = "+33805232336"
WORKER = "+33612345678"
COORDINATOR = "+33698765432"


@pytest.fixture
def sink():
    with TwilioSink(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as running:
        yield running


@pytest.fixture
def client(sink):
    return make_client(ACCOUNT_SID, AUTH_TOKEN, api_base_url=sink.url, timeout=2)


def control(sink: TwilioSink, method: str, path: str, payload: dict | None = None):
    """Call a /_sink/ control endpoint over HTTP and return the decoded JSON."""
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(sink.url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=2) as resp:
        return json.loads(resp.read())


def send_sms(client, to=COORDINATOR, body="Alerte: rappel demandé"):
    return client.messages.create(to=to, from_=HOTLINE, body=body)


# -- sending -----------------------------------------------------------------------
def test_sms_is_created_and_recorded(sink, client):
    before = time.time()
    message = client.messages.create(to=COORDINATOR, from_=HOTLINE, body="Rappel demandé",
                                     status_callback="https://helpline.example/sms/status")
    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert (message.status, message.to, message.from_) == ("queued", COORDINATOR, HOTLINE)
    assert message.num_segments == "1"
    assert message.account_sid == ACCOUNT_SID
    assert message.date_created.year >= 2024

    [recorded] = sink.messages(to=COORDINATOR)
    assert recorded["kind"] == "message"
    assert recorded["sid"] == message.sid
    assert recorded["account_sid"] == ACCOUNT_SID
    assert recorded["params"] == {"To": COORDINATOR, "From": HOTLINE, "Body": "Rappel demandé",
                                  "StatusCallback": "https://helpline.example/sms/status"}
    assert before <= recorded["time"] <= time.time()
    assert sink.messages(to=WORKER) == [] and sink.calls() == []


def test_sms_reports_ucs2_segments_for_french_text(client):
    message = send_sms(client, body="Une personne a besoin d'être rappelée. " * 3)  # ê: UCS-2
    assert message.num_segments == "2"


def test_sms_can_be_fetched_back(client):
    sid = send_sms(client).sid
    assert client.messages(sid).fetch().body == "Alerte: rappel demandé"


def test_call_is_created_and_recorded(sink, client):
    twiml = "<Response><Say language=\"fr-FR\">Un appel attend.</Say></Response>"
    call = client.calls.create(to=COORDINATOR, from_=HOTLINE, twiml=twiml,
                               status_callback="https://helpline.example/voice/status",
                               status_callback_event=["initiated", "completed"])
    assert call.sid.startswith("CA") and len(call.sid) == 34
    assert call.status == "queued"
    [recorded] = sink.calls(to=COORDINATOR)
    assert recorded["sid"] == call.sid
    assert recorded["params"]["Twiml"] == twiml
    assert recorded["params"]["StatusCallbackEvent"] == ["initiated", "completed"]
    assert sink.messages() == []


def test_call_with_url(sink, client):
    client.calls.create(to=COORDINATOR, from_=HOTLINE, url="https://helpline.example/voice/alert")
    assert sink.calls()[0]["params"]["Url"] == "https://helpline.example/voice/alert"


def test_sink_without_credentials_accepts_any_account():
    with TwilioSink() as open_sink:
        any_client = make_client("ACanything", "any-token", api_base_url=open_sink.url)
        send_sms(any_client)
        assert open_sink.messages()[0]["account_sid"] == "ACanything"


def test_concurrent_sends_are_all_recorded(sink, client):
    threads = [threading.Thread(target=send_sms, args=(client,), kwargs={"body": f"n{i}"})
               for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recorded = sink.messages()
    assert sorted(r["params"]["Body"] for r in recorded) == [f"n{i}" for i in range(8)]
    assert len({r["sid"] for r in recorded}) == 8


# -- auth ------------------------------------------------------------------------
def test_wrong_token_is_401(sink):
    bad = make_client(ACCOUNT_SID, "wrong-token", api_base_url=sink.url, timeout=2)
    with pytest.raises(TwilioRestException) as caught:
        send_sms(bad)
    assert (caught.value.status, caught.value.code) == (401, 20003)
    assert sink.requests() == []
    assert [(r["kind"], r["status"]) for r in sink.failed_requests()] == [("message", 401)]


def test_api_key_auth(sink):
    sink.add_api_key("SK" + "b2" * 16, "key-secret")
    keyed = make_client(ACCOUNT_SID, "", api_base_url=sink.url,
                        api_key="SK" + "b2" * 16, api_secret="key-secret")
    assert send_sms(keyed).account_sid == ACCOUNT_SID
    wrong = make_client(ACCOUNT_SID, "", api_base_url=sink.url,
                        api_key="SK" + "b2" * 16, api_secret="nope")
    with pytest.raises(TwilioRestException) as caught:
        send_sms(wrong)
    assert caught.value.status == 401


# -- validation ----------------------------------------------------------------------
@pytest.mark.parametrize("to, code", [
    pytest.param("", 21604, id="missing-to"),
    pytest.param("0612345678", 21211, id="national-format"),
    pytest.param("+33 6 12 34 56 78", 21211, id="spaces"),
    pytest.param("hello", 21211, id="not-a-number"),
])
def test_invalid_recipient(sink, client, to, code):
    with pytest.raises(TwilioRestException) as caught:
        send_sms(client, to=to)
    assert (caught.value.status, caught.value.code) == (400, code)
    assert sink.messages() == [] and len(sink.failed_requests()) == 1


def test_opted_out_recipient_is_21610(sink, client):
    sink.opt_out(WORKER)
    with pytest.raises(TwilioRestException) as caught:
        send_sms(client, to=WORKER)
    assert (caught.value.status, caught.value.code) == (400, 21610)
    send_sms(client, to=COORDINATOR)  # others still receive
    assert [r["params"]["To"] for r in sink.messages()] == [COORDINATOR]


def test_error_body_has_twilio_legacy_shape(sink):
    req = urllib.request.Request(f"{sink.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
                                 data=b"To=%2B33612345678&From=%2B33805232336&Body=x")
    with pytest.raises(urllib.error.HTTPError) as caught:  # no auth header
        urllib.request.urlopen(req, timeout=2)
    body = json.loads(caught.value.read())
    assert body == {"code": 20003, "message": "Authenticate", "status": 401,
                    "more_info": "https://www.twilio.com/docs/errors/20003"}


# -- fault injection ------------------------------------------------------------------
@pytest.mark.parametrize("status, code, expected_code", [
    pytest.param(503, None, 20503, id="503-unavailable"),
    pytest.param(500, None, 20500, id="500-internal"),
    pytest.param(429, None, 20429, id="429-rate-limited"),
    pytest.param(400, 21610, 21610, id="custom-code"),
])
def test_fail_next_then_recover(sink, client, status, code, expected_code):
    sink.fail_next(1, status=status, code=code)
    with pytest.raises(TwilioRestException) as caught:
        send_sms(client)
    assert (caught.value.status, caught.value.code) == (status, expected_code)
    send_sms(client)  # only the next one failed
    assert len(sink.messages()) == 1
    assert [r["status"] for r in sink.failed_requests()] == [status]


def test_429_carries_retry_after(sink, client):
    sink.fail_next(2, status=429, retry_after=7)
    with pytest.raises(TwilioRestException):
        send_sms(client)
    assert client.http_client.last_response.headers["Retry-After"] == "7"
    req = urllib.request.Request(f"{sink.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json",
                                 data=b"To=%2B33612345678")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(req, timeout=2)
    assert caught.value.code == 429 and caught.value.headers["Retry-After"] == "7"


def test_fail_for_and_down(sink, client):
    sink.fail_for(0.3, status=503)
    with pytest.raises(TwilioRestException) as caught:
        send_sms(client)
    assert caught.value.status == 503
    time.sleep(0.35)
    send_sms(client)
    sink.set_down(True)
    with pytest.raises(TwilioRestException):
        client.calls.create(to=COORDINATOR, from_=HOTLINE, url="https://helpline.example/v")
    sink.set_down(False)
    client.calls.create(to=COORDINATOR, from_=HOTLINE, url="https://helpline.example/v")
    assert [r["kind"] for r in sink.requests()] == ["message", "call"]
    assert [r["kind"] for r in sink.failed_requests()] == ["message", "call"]


def test_delay_beyond_client_timeout(sink):
    impatient = make_client(ACCOUNT_SID, AUTH_TOKEN, api_base_url=sink.url, timeout=0.2)
    sink.set_delay(0.5)
    with pytest.raises(requests.exceptions.Timeout):
        send_sms(impatient)
    # A timed-out send may still have gone out: the sink processes it after the delay.
    recorded = sink.wait_for(lambda r: r["kind"] == "message", timeout=2)
    assert recorded["params"]["To"] == COORDINATOR


def test_wait_for_blocks_until_recorded_or_times_out(sink, client):
    with pytest.raises(TimeoutError):
        sink.wait_for(timeout=0.1)
    sender = threading.Timer(0.1, send_sms, args=(client,), kwargs={"to": WORKER})
    sender.start()
    recorded = sink.wait_for(lambda r: r["params"].get("To") == WORKER, timeout=3)
    sender.join()
    assert recorded["kind"] == "message"


# -- HTTP control endpoints -------------------------------------------------------------
def test_control_endpoints_over_http(sink, client):
    state = control(sink, "POST", "/_sink/faults", {"fail_next": 1, "status": 429})
    assert state["fail_next"] == 1 and state["status"] == 429
    with pytest.raises(TwilioRestException) as caught:
        send_sms(client)
    assert caught.value.status == 429
    send_sms(client)

    [recorded] = control(sink, "GET", "/_sink/requests")
    assert recorded["kind"] == "message" and recorded["params"]["To"] == COORDINATOR
    assert [r["status"] for r in control(sink, "GET", "/_sink/failed")] == [429]

    control(sink, "POST", "/_sink/faults", {"down": True})
    with pytest.raises(TwilioRestException):
        send_sms(client)
    assert control(sink, "POST", "/_sink/faults", {"reset": True})["down"] is False

    control(sink, "POST", "/_sink/opt_out", {"number": WORKER})
    with pytest.raises(TwilioRestException) as caught:
        send_sms(client, to=WORKER)
    assert caught.value.code == 21610

    assert control(sink, "POST", "/_sink/clear", {}) == {"cleared": True}
    assert control(sink, "GET", "/_sink/requests") == []
    assert sink.failed_requests() == []


def test_standalone_main_prints_its_url():
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "helpline.twilio_sink", "--port", "0"],
                            cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = line.strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "/_sink/requests", timeout=2) as resp:
            assert json.loads(resp.read()) == []
    finally:
        proc.terminate()
        proc.wait(timeout=5)


# -- IncomingPhoneNumbers ---------------------------------------------------------------
def test_incoming_numbers_list_and_update(sink, client):
    hotline = sink.add_number(HOTLINE)
    sink.add_number("+33800288038")
    assert hotline["sid"].startswith("PN") and len(hotline["sid"]) == 34

    [found] = client.incoming_phone_numbers.list(phone_number=HOTLINE)
    assert (found.sid, found.phone_number) == (hotline["sid"], HOTLINE)
    assert len(client.incoming_phone_numbers.list()) == 2

    updated = client.incoming_phone_numbers(found.sid).update(
        voice_url="https://helpline.example/voice", voice_method="POST",
        voice_fallback_url="https://fallback.example/voice",
        sms_url="https://helpline.example/sms", sms_fallback_url="https://fallback.example/sms")
    assert updated.voice_url == "https://helpline.example/voice"
    assert updated.sms_fallback_url == "https://fallback.example/sms"

    stored = {n["phone_number"]: n for n in sink.numbers()}
    assert stored[HOTLINE]["voice_fallback_url"] == "https://fallback.example/voice"
    assert stored["+33800288038"]["voice_url"] is None
    [update] = sink.requests("number_update")
    assert update["sid"] == found.sid and update["params"]["SmsUrl"] == "https://helpline.example/sms"


def test_updating_unknown_number_is_404(client):
    with pytest.raises(TwilioRestException) as caught:
        client.incoming_phone_numbers("PN" + "0" * 32).update(voice_url="https://x.example/v")
    assert (caught.value.status, caught.value.code) == (404, 20404)


# -- make_client -----------------------------------------------------------------------
@pytest.mark.parametrize("url, expected", [
    pytest.param("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=5",
                 "http://127.0.0.1:9/tw/2010-04-01/Accounts/AC1/Messages.json?PageSize=5",
                 id="api-with-query"),
    pytest.param("https://messaging.twilio.com/v1/Services",
                 "http://127.0.0.1:9/tw/v1/Services", id="other-twilio-domain"),
    pytest.param("https://api.dublin.ie1.twilio.com/2010-04-01/Accounts.json",
                 "http://127.0.0.1:9/tw/2010-04-01/Accounts.json", id="edge-region-host"),
    pytest.param("https://example.org/x", "https://example.org/x", id="not-twilio-untouched"),
])
def test_rewrite_to_configured_base(url, expected):
    assert RetargetedHttpClient(base_url="http://127.0.0.1:9/tw/").rewrite(url) == expected


def test_default_base_is_not_rewritten_and_has_timeout():
    client = make_client(ACCOUNT_SID, AUTH_TOKEN)
    assert client.http_client.base_url is None
    assert client.http_client.timeout == 10
    assert client.http_client.rewrite("https://api.twilio.com/x") == "https://api.twilio.com/x"


def test_client_logs_no_phone_numbers(sink, client, caplog):
    sink.add_number(HOTLINE)
    # Only our logger: urllib3's own DEBUG lines carry query strings, so the app's
    # logging setup must keep urllib3 at WARNING.
    with caplog.at_level(logging.DEBUG, logger="helpline.twilio_client"):
        client.incoming_phone_numbers.list(phone_number=HOTLINE)
        send_sms(client)
    assert "IncomingPhoneNumbers.json" in caplog.text
    assert "PhoneNumber" in caplog.text  # the key name is logged...
    assert "805232336" not in caplog.text and "698765432" not in caplog.text  # ...not the value
    assert "rappel" not in caplog.text
