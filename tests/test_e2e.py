"""End to end: the service as production runs it, driven by the simulator's scripted mode over HTTP.

gunicorn (two workers) and `helpline worker` run as child processes against a real Redis and the loopback
Twilio server (TWILIO_API_BASE_URL). HELPLINE_PUBLIC_URL differs from the listening address, as behind a
TLS proxy: the simulator signs for the public URL and sends to the loopback one. Expected texts come
from the real catalogs and reply builders, in an app context built with the same settings.
"""
from __future__ import annotations

import itertools
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from helpline import create_app
from helpline.callbacks import CallbackQueue
from helpline.i18n import translate
from helpline.lines import SPS
from helpline.simulator.cli import simulate
from helpline.twilio_sink import TwilioSink
from tests.stack import PUBLIC, TOKEN, Stack
from sms import replies
from sms.conversation import SmsSettings

pytestmark = pytest.mark.slow

COORDINATOR, SECOND = "+33611111111", "+33622222222"  # from tests/data/institution.toml
_numbers = itertools.count(1)


def new_number() -> str:
    """A fresh caller for each journey: conversation state and rate limits are per number."""
    return f"+3367{os.getpid() % 1000:03d}{next(_numbers):04d}"


def national_digits(number: str) -> str:
    return "0" + number[3:]


@dataclass
class Service:
    url: str
    sink: TwilioSink
    queue: CallbackQueue
    app: object
    logs: Path

    def tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.logs.glob("*.log")))


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with Stack(tmp_path_factory.mktemp("e2e")) as stack:
        app = create_app(stack.settings)
        client = redis.Redis.from_url(stack.redis.url, decode_responses=True)
        with app.app_context():
            yield Service(stack.url, stack.sink, CallbackQueue(client), app, stack.data)
        client.close()


def call(service: Service, script: str, number: str | None = None) -> str:
    """One scripted call through the CLI; returns the transcript."""
    args = ["call", "--url", service.url, "--public-url", PUBLIC, "--token", TOKEN,
            "--from", number or new_number(), "--script", script]
    result = CliRunner().invoke(simulate, args)
    assert result.exit_code == 0, result.output + service.tail()
    assert "script step(s) not used" not in result.output, result.output
    return result.output


def text(service: Service, body: str, number: str) -> str:
    """One SMS through the CLI; returns the printed replies."""
    args = ["sms", body, "--url", service.url, "--public-url", PUBLIC, "--token", TOKEN, "--from", number]
    result = CliRunner().invoke(simulate, args)
    assert result.exit_code == 0, result.output + service.tail()
    return result.output


def reply_of(output: str) -> str:
    """The reply text(s) of `simulate sms`, without the header lines."""
    return "\n".join(line[2:] for line in output.splitlines() if line.startswith("  "))


def spoken(locale: str, message: str, **params) -> str:
    """How the transcript shows a catalog message (whitespace folded, as <Say> text is)."""
    return " ".join(translate(locale, message, **params).split())


def alert_for(service: Service, number: str, timeout: float = 15.0) -> dict:
    """The coordinator's alert SMS that carries this caller's number."""
    return service.sink.wait_for(
        lambda r: r["kind"] == "message" and r["params"].get("To") == COORDINATOR
        and national_digits(number) in re.sub(r"\D", "", r["params"].get("Body", "")), timeout=timeout)


def callbacks_of(service: Service, number: str) -> list:
    return [item for item in service.queue.open_items() if item.number == number]


# -- every voice menu path, in both languages ------------------------------------------------------------

class Voice:  # the voice channel's msgids (English source text), translated with the catalogs
    DIAL_DONE = "Thank you for calling. You can call this number again at any time."
    DIAL_FAILED = "The line could not be reached just now."
    RESOURCES_INTRO = "The support services of {institution}."
    LEGAL = ("If legal or disciplinary consequences worry you: your professional liability insurance and your "
             "legal protection cover can inform and support you. If you work for an institution, your employer "
             "also owes you protection. Their details are in your contract, or with your human resources "
             "department.")
    INVALID = "That choice is not available."
    NOT_HEARD = "We did not hear a choice."
    CB_DONE = ("Thank you. Someone from the support team will call you back within {hours} hours. Until then, "
               "the SPS helpline answers 24 hours a day on {number}.")
    URGENT_NOW = ("Thank you for saying it. What you are going through matters, and you do not have to face it "
                  "alone. We are connecting you now with the SPS helpline, where psychologists answer 24 hours a "
                  "day. If you are in immediate danger, call 31 14, or 15, or 112.")


LOCALES = {"fr": ("", "fr-FR"), "en": ("9;", "en-GB")}  # how to reach the locale, its <Say> language
SPEECH_RESOURCES = {"fr": "je voudrais voir la psychologue", "en": "I would like to see a psychologist"}
INSTITUTION_NAME = "CHU Exemple"


def voice_paths(locale: str) -> dict:
    """path -> (script after the language choice, lines the transcript must show)."""
    lang = f"lang={locale}"
    return {
        "sps": ("1;completed", [f"> POST /voice/menu?{lang}  Digits=1", "~ transfer to +33805232336 (30 s) <- completed",
                                f"/voice/dial-result?target=sps&{lang}  DialCallStatus=completed",
                                spoken(locale, Voice.DIAL_DONE), "= call ended: <Hangup>"]),
        "cnom": ("2;no-answer", ["~ transfer to +33800288038 (30 s) <- no-answer",
                                 spoken(locale, Voice.DIAL_FAILED), "= call ended: the caller hung up"]),
        "resources": ("3;2;failed", [spoken(locale, Voice.RESOURCES_INTRO, institution=INSTITUTION_NAME),
                                     f"> POST /voice/resource?{lang}  Digits=2",
                                     "~ transfer to +33155555555 (30 s) <- failed", "target=resource"]),
        "resources-back": ("3;0;4", [f"> POST /voice/resource?{lang}  Digits=0", spoken(locale, Voice.LEGAL)]),
        "legal": ("4", [f"> POST /voice/menu?{lang}  Digits=4", spoken(locale, Voice.LEGAL)]),
        "repeat": ("*", [f"> POST /voice/menu?{lang}  Digits=*"]),
        "invalid": ("8", [spoken(locale, Voice.INVALID)]),
        "silence": ("silence;silence;silence;completed",
                    [f"> POST /voice/silence?{lang}", spoken(locale, Voice.NOT_HEARD),
                     "~ transfer to +33805232336 (30 s) <- completed"]),
        "speech": (f"say:{SPEECH_RESOURCES[locale]}",
                   ["SpeechResult=", spoken(locale, Voice.RESOURCES_INTRO, institution=INSTITUTION_NAME)]),
    }


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("path", ("sps", "cnom", "resources", "resources-back", "legal", "repeat", "invalid",
                                  "silence", "speech"))
def test_voice_menu_path(service, locale, path):
    prefix, language = LOCALES[locale]
    script, expected = voice_paths(locale)[path]
    transcript = call(service, prefix + script)
    for line in expected:
        assert line in transcript, f"missing {line!r} in\n{transcript}"
    said = [line for line in transcript.splitlines() if line.startswith("  [")]
    assert said[-1].startswith(f"  [{language}]"), transcript
    if path == "repeat":
        assert transcript.count("  ? keys or speech") == (3 if prefix else 2), transcript  # the menu again


@pytest.mark.parametrize("locale, script, cb_locale", [
    ("fr", "5;1;1", "fr"), ("en", "9;5;1;2", "en"), ("fr", "5;2;0612345678#;2", "en")],
    ids=["fr-own-number", "en-own-number", "fr-typed-number-english-callback"])
def test_voice_callback_request(service, locale, script, cb_locale):
    number = new_number()
    transcript = call(service, script, number)
    hours = service.app.config["INSTITUTION"].callback_within_hours
    assert spoken(cb_locale, Voice.CB_DONE, hours=hours, number=SPS.spoken) in transcript
    assert transcript.rstrip().endswith("= call ended: <Hangup>")
    wanted = "+33612345678" if "#" in script else number
    items = callbacks_of(service, wanted)
    assert [(i.urgency, i.source, i.locale) for i in items] == [("routine", "voice", cb_locale)]


def test_a_distress_phrase_in_the_menu_raises_an_urgent_callback_and_alerts(service):
    number = new_number()
    transcript = call(service, "say:je n'en peux plus, je veux mourir;completed", number)
    assert spoken("fr", Voice.URGENT_NOW) in transcript
    assert "~ transfer to +33805232336 (30 s) <- completed" in transcript
    assert "/voice/dial-result?target=sps&lang=fr&urgent=1" in transcript
    [item] = callbacks_of(service, number)
    assert (item.urgency, item.source) == ("urgent", "voice")
    alert = alert_for(service, number)
    assert f"OK {item.id}" in alert["params"]["Body"] and alert["params"]["From"] == "+33100000000"


# -- SMS ------------------------------------------------------------------------------------------------

def test_sms_keywords(service):
    institution = service.app.config["INSTITUTION"]
    expected = {
        "AIDE": replies.help_text("fr", institution), "HELP": replies.help_text("en", institution),
        "SPS": replies.text("fr", institution, replies.SPS_INFO),
        "CNOM": replies.text("fr", institution, replies.CNOM_INFO),
        "RESSOURCES": replies.resources_text("fr", institution),
        "JURIDIQUE": replies.text("fr", institution, replies.LEGAL),
        "LEGAL": replies.text("en", institution, replies.LEGAL),
    }
    for body, reply in expected.items():
        output = text(service, body, new_number())
        assert reply_of(output) == reply, f"{body}:\n{output}"
        assert re.search(r"< reply 1: \d segment\(s\), (GSM-7|UCS-2), \d+ units", output), output


def test_sms_callback_request_with_consent(service):
    institution, number = service.app.config["INSTITUTION"], new_number()
    minutes = max(SmsSettings.from_config(service.app.config).consent_ttl // 60, 1)
    asked = text(service, "RAPPEL", number)
    assert reply_of(asked) == replies.text("fr", institution, replies.CALLBACK_ASK, minutes=minutes)
    assert callbacks_of(service, number) == []  # nothing kept before consent
    done = text(service, "OUI", number)
    assert reply_of(done) == replies.text("fr", institution, replies.CALLBACK_DONE,
                                          hours=institution.callback_within_hours)
    assert [(i.urgency, i.source) for i in callbacks_of(service, number)] == [("routine", "sms")]


def test_a_distress_text_reaches_a_coordinator_who_takes_it(service):
    number = new_number()
    urgent = text(service, "je n'en peux plus, je veux mourir", number)
    institution = service.app.config["INSTITUTION"]
    assert reply_of(urgent) == replies.text("fr", institution, replies.URGENT)
    alert = alert_for(service, number)
    cb_id = int(re.search(r"OK (\d+)", alert["params"]["Body"]).group(1))
    assert service.queue.get(cb_id).urgent

    taken = text(service, f"OK {cb_id}", COORDINATOR)
    assert f"#{cb_id}" in taken and number in taken  # the coordinator gets the number to call
    item = service.queue.get(cb_id)
    assert (item.status, item.taken_by) == ("taken", "Camille Martin")
    again = text(service, f"OK {cb_id}", SECOND)
    assert "Camille Martin" in again and number not in again  # already taken: no number for the second

    time.sleep(1.0)  # an alert sent twice would show up by now
    alerts = [r for r in service.sink.messages(COORDINATOR) if f"OK {cb_id}" in r["params"]["Body"]]
    assert len(alerts) == 1


def test_unsigned_requests_are_refused_end_to_end(service):
    result = CliRunner().invoke(simulate, ["sms", "AIDE", "--url", service.url, "--public-url", PUBLIC,
                                           "--token", "forged", "--from", new_number()])
    assert result.exit_code == 1 and "HTTP 403" in result.output
