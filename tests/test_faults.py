"""Breaking things on purpose against the real stack: Redis stopped or hung, processes killed mid-burst.

gunicorn (two web workers), alert workers, a persistent Redis (AOF, fsync always) and the loopback
Twilio server run as child processes (tests/stack.py). Nothing here mocks a failure: Redis is really
stopped, paused (SIGSTOP) or restarted, processes are really SIGKILLed.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest
import redis
import requests

from helpline.callbacks import CallbackQueue
from helpline.lines import SPS
from tests.stack import PUBLIC, ROOT, TOKEN, Stack, wait_for
from tests.twilio_clients import Caller, Texter, spoken

pytestmark = pytest.mark.slow

COORDINATOR = "+33611111111"  # first coordinator of tests/data/institution.toml
URGENT_TEXT = "je n'en peux plus je veux mourir ce soir"
KEY_FR = "Ce que vous ressentez est fréquent"
ALERT_ID = re.compile(r"#(\d+)")


def texter(stack: Stack, number: str) -> Texter:
    return Texter(stack.url, PUBLIC, TOKEN, number=number)


def coordinator_alerts(stack: Stack) -> list[int]:
    """Ids named by urgent alert SMS to the first coordinator, one entry per SMS."""
    ids = []
    for request in stack.sink.messages(to=COORDINATOR):
        body = request["params"].get("Body", "")
        if body.startswith("URGENT") and (match := ALERT_ID.search(body)):
            ids.append(int(match.group(1)))
    return ids


def open_urgent(stack: Stack) -> list:
    client = redis.Redis.from_url(stack.redis.url, decode_responses=True)
    try:
        return [c for c in CallbackQueue(client).open_items() if c.urgent]
    finally:
        client.close()


@pytest.fixture
def stack(tmp_path):
    with Stack(tmp_path, persistent_redis=True) as running:
        yield running


def test_redis_stopped_mid_scenario_loses_no_urgent_flag_and_doubles_none(stack):
    assert KEY_FR in texter(stack, "+33670000001").text("AIDE")
    stack.redis.stop()
    started = time.monotonic()
    down_caller = Caller(stack.url, PUBLIC, TOKEN, number="+33670000002")
    root = down_caller.twiml("/voice")
    voice_seconds = time.monotonic() - started
    assert root[0].text.startswith(KEY_FR) and "ligne SPS" in spoken(root)
    assert down_caller.twiml("/voice/menu?lang=fr", Digits="1").find("Dial/Number").text == SPS.e164
    assert down_caller.twiml("/voice/silence?lang=fr").find("Dial").text == SPS.e164
    help_reply = texter(stack, "+33670000003").text("AIDE")
    assert KEY_FR in help_reply and SPS.display in help_reply
    senders = ["+33670000011", "+33670000012", "+33670000013"]
    for number in senders:
        reply = texter(stack, number).text(URGENT_TEXT)
        assert "3114" in reply and SPS.display in reply
    retry = texter(stack, senders[0])
    first_sid = retry.params(URGENT_TEXT)["MessageSid"]
    assert "3114" in retry.text(URGENT_TEXT, sid=first_sid)
    assert "3114" in retry.text(URGENT_TEXT, sid=first_sid)  # Twilio retried the same message
    caller = Caller(stack.url, PUBLIC, TOKEN, number="+33670000021")
    urgent_call = caller.twiml("/voice/menu?lang=fr", SpeechResult="je veux mourir")
    assert "31 14" in spoken(urgent_call)
    journal = stack.data / "data" / "journal" / "callbacks.jsonl"
    assert journal.exists() and len(journal.read_text().splitlines()) >= 5
    assert coordinator_alerts(stack) == []

    stack.redis.start()
    expected = 5  # three texters, the retried message's sender once more (new MessageSid), one caller
    wait_for(lambda: len(set(coordinator_alerts(stack))) >= expected, 30, "alerts after Redis came back",
             stack.data)
    time.sleep(2)  # room for a duplicate to show up, if there were one
    alerts = coordinator_alerts(stack)
    assert len(alerts) == len(set(alerts)) == expected, alerts
    items = open_urgent(stack)
    assert sorted(i.id for i in items) == sorted(alerts)
    assert sorted(i.number for i in items) == sorted(senders + [senders[0], caller.number])
    assert not journal.exists()
    print(f"voice answered in {voice_seconds:.2f}s with Redis stopped")


def test_redis_hung_still_answers_callers_and_texters(stack):
    stack.redis.pause()
    try:
        started = time.monotonic()
        hung_caller = Caller(stack.url, PUBLIC, TOKEN, number="+33670000031")
        root = hung_caller.twiml("/voice")
        voice_seconds = time.monotonic() - started
        silent = hung_caller.twiml("/voice/silence?lang=fr")
        reply = texter(stack, "+33670000032").text("bonjour")
        urgent = texter(stack, "+33670000033").text(URGENT_TEXT)
    finally:
        stack.redis.resume()
    assert root[0].text.startswith(KEY_FR) and "ligne SPS" in spoken(root)
    assert silent[0].text.startswith(KEY_FR) and silent.find("Dial").text == SPS.e164
    assert KEY_FR in reply and SPS.display in reply
    assert "3114" in urgent
    wait_for(lambda: len(coordinator_alerts(stack)) == 1, 30, "the journaled urgent text alerted", stack.data)
    print(f"voice answered in {voice_seconds:.2f}s with Redis hung")


def _post_until_answered(sender: Texter, body: str) -> ET.Element:
    """Post like Twilio: the same MessageSid again when the connection died with the process."""
    params = sender.params(body)
    for _ in range(5):
        try:
            response = sender.post("/sms", params)
        except requests.ConnectionError:
            time.sleep(0.2)
            continue
        if response.status_code == 200:
            return ET.fromstring(response.text)
        time.sleep(0.2)
    raise AssertionError("the SMS webhook never answered")


def test_processes_killed_during_a_burst_lose_nothing_and_send_nothing_twice(tmp_path):
    with Stack(tmp_path, persistent_redis=True, alert_workers=2) as stack:
        senders = [f"+3367100{n:04d}" for n in range(30)]
        for n, number in enumerate(senders):
            if n == 8:
                stack.kill("worker1")
            if n == 12:
                victim = stack.web_worker_pids()[0]
                subprocess.run(["kill", "-9", str(victim)], check=True)
            if n == 18:
                stack.start_worker("worker3")
            reply = _post_until_answered(texter(stack, number), URGENT_TEXT)
            assert "3114" in (reply.findtext("Message") or "")
        client = redis.Redis.from_url(stack.redis.url, decode_responses=True)
        queue = CallbackQueue(client)
        wait_for(lambda: len(open_urgent(stack)) >= len(senders), 30, "a callback for every text", stack.data)
        items = open_urgent(stack)

        def unalerted() -> list[int]:
            return [i.id for i in items if not any(s["step"] == "alert" for s in queue.steps(i.id))]

        # Every item is alerted; a send cut short by the kill is recorded ("uncertain") once its
        # lease runs out, and the plan moves on rather than risk sending it twice.
        try:
            wait_for(lambda: not unalerted(), 60, "every item having an alert step", stack.data)
        except AssertionError:
            raise AssertionError({i: queue.steps(i) for i in unalerted()}) from None
        time.sleep(2)  # room for a duplicate to show up, if there were one
        alerts = coordinator_alerts(stack)
        assert len(items) == len(senders), "one urgent callback per text, none lost, none doubled"
        assert sorted(i.number for i in items) == sorted(senders)
        assert len(alerts) == len(set(alerts)), f"an alert SMS was sent twice: {alerts}"
        # An acknowledgement through one web process is seen by every other process.
        taken = items[0].id
        ack = texter(stack, COORDINATOR).text(f"OK {taken}")
        assert f"#{taken}" in ack
        shown = subprocess.run([sys.executable, "-m", "helpline", "callbacks", "show", str(taken), "--json"],
                               env=stack.env(), cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["status"] == "taken"
        client.close()
