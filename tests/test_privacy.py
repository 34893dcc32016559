"""Privacy by default, checked on the real stack: logs hold no full number and no message body, and
every personal key in Redis expires."""
from __future__ import annotations

import re
import time

import pytest
import redis

from helpline.simulator.cli import simulate
from tests.stack import PUBLIC, TOKEN, Stack, wait_for
from tests.twilio_clients import Caller, Texter

pytestmark = pytest.mark.slow

COORDINATOR = "+33611111111"
CALLERS = ["+33612340001", "+33612340002", "+33612340003", "+33612340004"]
BODIES = ["je n'en peux plus je veux mourir ce soir", "Depuis l'erreur de dose je ne dors plus du tout",
          "mon cadre me reproche l'incident devant toute l'équipe"]
SPEECH = "je veux en finir avec tout ça"
# Keys that hold no personal data and may live without a TTL (ids, counters, indexes, accounts).
NOT_PERSONAL = re.compile(r"^hl:(cb:seq|cb:open|stream:callbacks|alerts:due|coords|coord:[^:]+)$")


def national(number: str) -> str:
    digits = "0" + number[3:]
    return " ".join(digits[i:i + 2] for i in range(0, 10, 2))


@pytest.fixture(scope="module")
def journeys(tmp_path_factory):
    """Every kind of journey once, then the logs of every process and the Redis keys."""
    with Stack(tmp_path_factory.mktemp("privacy")) as stack:
        from click.testing import CliRunner

        runner = CliRunner()
        for script, number in (("1;completed", CALLERS[0]), ("5;1;1", CALLERS[1]), ("3;2;busy;4;silence;silence;silence;completed", CALLERS[2])):
            result = runner.invoke(simulate, ["call", "--url", stack.url, "--public-url", PUBLIC, "--token", TOKEN,
                                              "--from", number, "--script", script])
            assert result.exit_code == 0, result.output
        caller = Caller(stack.url, PUBLIC, TOKEN, number=CALLERS[3])
        caller.twiml("/voice")
        caller.twiml("/voice/menu?lang=fr", SpeechResult=SPEECH)
        texter = Texter(stack.url, PUBLIC, TOKEN, number=CALLERS[0])
        for body in ["AIDE", "RAPPEL", "OUI", *BODIES, "RESSOURCES", "STOP", "START"]:
            texter.send(body)
        wait_for(lambda: len(stack.sink.messages(to=COORDINATOR)) >= 2, 20, "coordinator alerts", stack.data)
        first = re.search(r"#(\d+)", stack.sink.messages(to=COORDINATOR)[0]["params"]["Body"]).group(1)
        Texter(stack.url, PUBLIC, TOKEN, number=COORDINATOR).send(f"OK {first}")
        time.sleep(1)
        client = redis.Redis.from_url(stack.redis.url, decode_responses=True)
        keys = {key: client.ttl(key) for key in client.scan_iter("*")}
        client.close()
        yield stack.logs(), keys


def test_the_journeys_were_logged(journeys):
    logs, _ = journeys
    assert "sid=" in logs and "from=+33" in logs  # one masked line per webhook


@pytest.mark.parametrize("number", CALLERS + [COORDINATOR])
def test_logs_hold_no_full_phone_number(journeys, number):
    logs, _ = journeys
    assert number not in logs
    assert number[1:] not in logs
    assert national(number) not in logs and national(number).replace(" ", "") not in logs


@pytest.mark.parametrize("body", BODIES + [SPEECH])
def test_logs_hold_no_message_body_or_transcript(journeys, body):
    logs, _ = journeys
    assert body not in logs
    assert body.split()[-3] + " " + body.split()[-2] not in logs


def test_every_personal_key_expires(journeys):
    _, keys = journeys
    assert any(k.startswith("hl:cb:") for k in keys) and any(k.startswith("hl:sms:") for k in keys)
    forever = sorted(k for k, ttl in keys.items() if ttl == -1 and not NOT_PERSONAL.match(k))
    assert not forever, f"personal keys without a TTL: {forever}"
