"""Signatures on every voice webhook, and bad input never turning into a 500."""
from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from twilio.request_validator import RequestValidator

from tests.conftest import PUBLIC_URL, TOKEN
from tests.twilio_clients import sign

ROUTES = ["/voice", "/voice/menu?lang=fr", "/voice/silence", "/voice/resource", "/voice/callback/confirm",
          "/voice/callback/number", "/voice/callback/language", "/voice/dial-result?target=sps", "/voice/fallback"]


def test_known_vector_from_the_twilio_docs():
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    validator = RequestValidator("12345")
    assert validator.validate(url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not validator.validate(url.replace("https", "http"), params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("kind", ["unsigned", "forged", "other-url", "other-token"])
def test_bad_signatures_are_refused_and_nothing_is_stored(webhooks, redis_client, route, kind):
    params = {"CallSid": "CAforged", "From": "+33612345678", "SpeechResult": "je veux mourir", "Digits": "5"}
    signature = {
        "unsigned": "",
        "forged": base64.b64encode(hmac.new(b"x", b"y", hashlib.sha1).digest()).decode(),
        "other-url": sign(TOKEN, "https://evil.example.org" + route, params),
        "other-token": sign("not-the-token", PUBLIC_URL + route, params),
    }[kind]
    response = webhooks.post(route, params, signature=signature)
    assert response.status_code == 403
    assert "CAforged" not in response.text
    assert redis_client.keys("*") == []


def test_proxy_headers_do_not_change_what_is_validated(webhooks, redis_client):
    params = {"CallSid": "CAproxy", "From": "+33612345678"}
    signature = sign(TOKEN, "https://evil.example.org/voice", params)
    response = webhooks.post("/voice", params, signature=signature,
                             headers={"X-Forwarded-Host": "evil.example.org", "X-Forwarded-Proto": "https"})
    assert response.status_code == 403


def test_secondary_token_is_accepted_during_rotation(app_config, redis_url):
    from helpline import create_app

    app = create_app({**app_config, "TWILIO_AUTH_TOKEN_SECONDARY": "next-token"})
    params = {"CallSid": "CArotate", "From": "+33612345678"}
    client = app.test_client()
    for token, expected in (("next-token", 200), (TOKEN, 200), ("old-token", 403)):
        response = client.post("/voice", data=params,
                               headers={"X-Twilio-Signature": sign(token, PUBLIC_URL + "/voice", params)})
        assert response.status_code == expected


def test_hmac_sha256_signature_settings_header(webhooks):
    params = {"CallSid": "CAsha256", "From": "+33612345678"}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + "/voice", params, "HMAC_SHA256")
    response = webhooks.post("/voice", params, signature=signature,
                             headers={"X-Twilio-Webhooks-Signature-Settings": "algorithm=HMAC_SHA256"})
    assert response.status_code == 200


BAD_INPUTS = {
    "no-callsid": {"From": "+33612345678"},
    "no-from": {"CallSid": "CAnofrom"},
    "garbage-digits": {"CallSid": "CAgarbage", "Digits": "abc"},
    "huge-speech": {"CallSid": "CAhuge", "SpeechResult": "bla " * 12_500},
    "control-chars": {"CallSid": "CActl", "SpeechResult": "\x00\x01<Say>&amp;</Say>", "Digits": "\x7f"},
    "long-digits": {"CallSid": "CAlong", "Digits": "1" * 5000},
}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_gives_twiml_never_a_500(webhooks, route, name):
    params = BAD_INPUTS[name]
    response = webhooks.post(route, params)
    assert response.status_code in (200, 400), response.text[:200]
    if response.status_code == 200:
        assert response.text.startswith("<?xml") and "<Response>" in response.text
        assert "Traceback" not in response.text


def test_invalid_utf8_body_is_answered(webhooks):
    body = b"CallSid=CAutf8&SpeechResult=%ff%fe%fd&From=%2B33612345678"
    # The signature covers the decoded parameters; sign what Flask will decode.
    params = {"CallSid": "CAutf8", "SpeechResult": "\ufffd\ufffd\ufffd", "From": "+33612345678"}
    response = webhooks.http.post(webhooks.base_url + "/voice/menu?lang=fr", data=body,
                                  headers={"Content-Type": "application/x-www-form-urlencoded",
                                           "X-Twilio-Signature": sign(TOKEN, PUBLIC_URL + "/voice/menu?lang=fr", params)})
    assert response.status_code in (200, 400, 403)
    assert response.status_code != 500
