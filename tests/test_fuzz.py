"""Property-based fuzzing of every webhook and of the detector: any parameters, any text, any length.

A webhook answers well-formed TwiML (200) or a 4xx, never a 5xx; nothing the sender wrote ends up as
markup inside the TwiML. The detector always returns a valid assessment.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.distress import assess
from tests.conftest import PUBLIC_URL, TOKEN, LiveServer
from tests.twilio_clients import Webhooks

pytestmark = pytest.mark.slow

ROUTES = ["/voice", "/voice/menu?lang=fr", "/voice/menu?lang=en", "/voice/silence", "/voice/resource",
          "/voice/callback/confirm", "/voice/callback/number", "/voice/callback/language",
          "/voice/dial-result?target=sps", "/voice/fallback", "/sms", "/alerts/call?id=1",
          "/alerts/call/answer?id=1"]
ALLOWED_TAGS = {"Response", "Say", "Gather", "Redirect", "Dial", "Number", "Hangup", "Message", "Pause", "Body"}
FIELDS = ["CallSid", "MessageSid", "From", "To", "Body", "Digits", "SpeechResult", "DialCallStatus",
          "NumMedia", "ErrorCode", "Caller", "AccountSid", "Confidence"]

SAMPLED = ["<Say>hi</Say>", "]]><Hangup/>", "&amp;&lt;", "\x00", "OK 1", "STOP", "AIDE", "1", "*", "+33612345678",
           "anonymous", "je veux mourir", "completed", "0" * 40]
texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=4000),
    st.sampled_from(SAMPLED),
)
params = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(min_size=1, max_size=20)), texts, max_size=8)

# Hypothesis also draws string constants from the code under test ("0805 23 23 36"), which every reply
# carries anyway: a value that our own code or catalogs contain is not an echo of the sender's words.
ROOT = Path(__file__).resolve().parents[1]
OWN_TEXT = "\n".join(path.read_text(encoding="utf-8") for package in ("helpline", "ivr", "sms", "locales")
                     for path in sorted((ROOT / package).rglob("*")) if path.suffix in (".py", ".po"))


@pytest.fixture(scope="module")
def fuzz_server(redis_server, tmp_path_factory):
    from helpline import create_app
    from tests.conftest import DATA

    app = create_app({"TESTING": True, "REDIS_URL": redis_server.url, "TWILIO_AUTH_TOKEN": TOKEN,
                      "HELPLINE_PUBLIC_URL": PUBLIC_URL, "HELPLINE_SECRET_KEY": "fuzz",
                      "HELPLINE_DATA_DIR": str(tmp_path_factory.mktemp("fuzz")),
                      "HELPLINE_CONFIG": str(DATA / "institution.toml"), "HELPLINE_LOG_LEVEL": "ERROR"})
    with LiveServer(app) as server:
        yield Webhooks(server.url, PUBLIC_URL, TOKEN)


@pytest.mark.parametrize("route", ROUTES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=params)
def test_any_signed_parameters_give_twiml_or_4xx(fuzz_server, route, fields):
    response = fuzz_server.post(route, fields)
    assert response.status_code < 500, response.text[:300]
    if response.status_code == 200 and response.headers.get("Content-Type", "").startswith("application/xml"):
        root = ET.fromstring(response.content)
        assert root.tag == "Response"
        tags = {el.tag for el in root.iter()}
        assert tags <= ALLOWED_TAGS, tags
        for value in fields.values():
            if len(value) > 12 and value.strip() and (value in SAMPLED or value not in OWN_TEXT):
                assert value not in response.text


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=2000), locale=st.sampled_from([None, "fr", "en", "fr-FR", "xx", ""]))
def test_detector_always_answers(text, locale):
    result = assess(text, locale)
    assert result.level in ("urgent", "concern", "none")
    assert result.lang in ("fr", "en")
    for signal in result.signals:
        assert 0 <= signal.start <= signal.end <= len(text)
