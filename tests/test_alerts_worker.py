"""Alert delivery end to end: real Redis, the app over HTTP, the worker, the TwilioSink as Twilio."""
from __future__ import annotations

import json
import logging
import time
import xml.etree.ElementTree as ET
from contextlib import ExitStack
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from helpline.alerts.cli import ack, resolve
from helpline.callbacks import STREAM_KEY
from helpline.twilio_sink import TwilioSink
from tests.alert_kit import (ALEX, CALLER, CAMILLE, ThreadWorker, alert_app, institution_file, sent_to,
                             steps_of, wait_until)
from tests.conftest import PUBLIC_URL, TOKEN, LiveServer
from tests.twilio_clients import Texter, Webhooks


@pytest.fixture
def sink():
    with TwilioSink() as server:
        yield server


@pytest.fixture
def alerts(app_config, sink, tmp_path):
    """Factory: the app with a given institution file, served over HTTP, with a worker running."""
    stack = ExitStack()

    def make(*, worker: bool = True, **institution):
        app = alert_app(app_config, sink, institution_file(tmp_path / "institution.toml", **institution))
        live = stack.enter_context(LiveServer(app))
        running = stack.enter_context(ThreadWorker(app)) if worker else None
        return SimpleNamespace(app=app, queue=app.extensions["helpline.callbacks"], sink=sink, worker=running,
                               webhooks=Webhooks(live.url, PUBLIC_URL, TOKEN), url=live.url,
                               texter=lambda number=CALLER: Texter(live.url, PUBLIC_URL, TOKEN, number=number))

    with stack:
        yield make


def urgent(queue, event="e1", number=CALLER, locale="fr") -> int:
    cb_id, created = queue.request(event=event, locale=locale, source="sms", urgency="urgent", number=number,
                                   reason="suicide")
    assert created
    return cb_id


def test_urgent_text_sends_one_lock_screen_safe_sms_to_the_first_coordinator(alerts, redis_client):
    kit = alerts()
    reply = kit.texter().text("je veux mourir, je n'en peux plus")
    assert reply  # the texter got the urgent reply from the SMS channel
    sms = kit.sink.wait_for(lambda r: r["kind"] == "message", timeout=5)
    assert sms["params"]["To"] == CAMILLE
    assert sms["params"]["Body"] == "URGENT rappel #1 06 98 76 54 32 (fr). Répondre OK 1"
    assert wait_until(lambda: kit.queue.get(1).status == "alerted", what="status alerted")
    [step] = steps_of(kit.queue, 1, "alert")
    assert step == {**step, "channel": "sms", "to": "Camille Martin", "state": "sent", "sid": sms["sid"]}
    assert sent_to(kit.sink, ALEX) == []  # escalation only after escalate_after_seconds
    assert "mourir" not in json.dumps(kit.sink.requests())
    beat = json.loads(redis_client.get("hl:worker:test-worker"))
    assert beat["pid"] and redis_client.pttl("hl:worker:test-worker") > 0


def test_routine_callback_sends_one_sms_to_the_coordinator_on_duty_and_nothing_more(alerts):
    kit = alerts(escalate=1, first_call=1)
    cb_id, _ = kit.queue.request(event="r1", locale="en", source="voice", urgency="routine", number="+447700900123")
    kit.sink.wait_for(lambda r: r["kind"] == "message")
    time.sleep(1.5)
    assert sent_to(kit.sink, CAMILLE) == [("sms", f"Demande de rappel #{cb_id} +447700900123 (en). Répondre OK {cb_id}")]
    assert len(kit.sink.requests()) == 1


def test_ok_reply_takes_it_stops_escalation_and_tells_the_other_alerted_coordinator_once(alerts):
    kit = alerts(escalate=2, first_call=1)
    cb_id = urgent(kit.queue)
    wait_until(lambda: sent_to(kit.sink, ALEX), timeout=6, what="escalation to Alex")
    alex = kit.texter(ALEX)
    reply = alex.text(f"OK {cb_id}")
    assert reply.startswith(f"Callback #{cb_id} is yours") and "+33698765432" in reply
    notice = ("sms", f"Rappel #{cb_id} pris en charge par Alex Durand.")
    wait_until(lambda: notice in sent_to(kit.sink, CAMILLE), what="taken notice")
    assert alex.text(f"OK {cb_id}", sid=alex.last_sid) == reply  # Twilio retried the webhook
    before = len(kit.sink.requests())
    time.sleep(2.5)  # Alex's alert call was due 1 s after his SMS: it must not come
    assert len(kit.sink.requests()) == before
    assert sent_to(kit.sink, CAMILLE).count(notice) == 1
    item = kit.queue.get(cb_id)
    assert (item.status, item.taken_by) == ("taken", "Alex Durand")
    assert steps_of(kit.queue, cb_id, "taken")[0]["via"] == "sms"


def _post_twiml(webhooks: Webhooks, url: str, **params) -> ET.Element:
    parts = urlsplit(url)
    response = webhooks.post(f"{parts.path}?{parts.query}", params)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/xml")
    return ET.fromstring(response.text)


def test_pressing_1_on_the_alert_call_takes_the_callback(alerts):
    kit = alerts(escalate=30, first_call=1)
    cb_id = urgent(kit.queue)
    call = kit.sink.wait_for(lambda r: r["kind"] == "call", timeout=5)
    assert call["params"]["To"] == CAMILLE and call["params"]["Url"].startswith(f"{PUBLIC_URL}/alerts/call?")
    call_params = {"CallSid": call["sid"], "To": CAMILLE, "From": "+33100000000", "CallStatus": "in-progress"}
    root = _post_twiml(kit.webhooks, call["params"]["Url"], **call_params)
    gather = root.find("Gather")
    assert gather.get("numDigits") == "1" and gather.get("input") == "dtmf"
    said = [s.text for s in gather.iter("Say")]
    assert said == [f"Demande de rappel urgente, numéro {cb_id}.", "Pour la prendre en charge, appuyez sur 1."]
    assert {s.get("language") for s in gather.iter("Say")} == {"fr-FR"}

    forged = kit.webhooks.post(urlsplit(gather.get("action")).path + "?" + urlsplit(gather.get("action")).query,
                               {**call_params, "Digits": "1"}, signature="bm90IGEgc2lnbmF0dXJl")
    assert forged.status_code == 403 and kit.queue.get(cb_id).status == "alerted"

    answer = _post_twiml(kit.webhooks, gather.get("action"), **call_params, Digits="1")
    assert "06, 98, 76, 54, 32" in answer.find("Say").text and answer.find("Hangup") is not None
    item = kit.queue.get(cb_id)
    assert (item.status, item.taken_by) == ("taken", "Camille Martin")
    assert steps_of(kit.queue, cb_id, "taken")[0]["via"] == "call"
    time.sleep(0.5)
    assert sent_to(kit.sink, ALEX) == [] and len(sent_to(kit.sink, CAMILLE)) == 2  # SMS + call, no notice


def test_another_key_on_the_alert_call_leaves_it_open(alerts):
    kit = alerts(worker=False)
    cb_id = urgent(kit.queue)
    root = _post_twiml(kit.webhooks, f"/alerts/call/answer?id={cb_id}&c=0&lang=en", To=CAMILLE, Digits="2")
    assert root.find("Say").text == "No choice was made. The request stays open and the alert goes on."
    assert kit.queue.get(cb_id).status == "new"
    kit.queue.take(cb_id, "Camille Martin", via="sms")
    late = _post_twiml(kit.webhooks, f"/alerts/call/answer?id={cb_id}&c=1&lang=en", To=ALEX, Digits="1")
    assert late.find("Say").text == f"Callback {cb_id} has already been taken by Camille Martin. Thank you."
    ringing = _post_twiml(kit.webhooks, f"/alerts/call?id={cb_id}&c=1&lang=en", To=ALEX)
    assert ringing.find("Gather") is None and "already been taken" in ringing.find("Say").text


def test_escalation_goes_through_coordinators_then_rounds_of_calls_until_taken(alerts):
    kit = alerts(escalate=2, first_call=1)
    cb_id = urgent(kit.queue)
    wait_until(lambda: len(kit.sink.requests()) >= 5, timeout=8, what="five alert steps")
    first_five = [(r["kind"], r["params"]["To"]) for r in kit.sink.requests()[:5]]
    assert first_five == [("message", CAMILLE), ("call", CAMILLE), ("message", ALEX), ("call", ALEX),
                          ("call", CAMILLE)]
    times = [r["time"] for r in kit.sink.requests()[:5]]
    assert [round(b - a) for a, b in zip(times, times[1:])] == [1, 1, 1, 2]
    kit.queue.take(cb_id, "Alex Durand", via="page")
    wait_until(lambda: ("sms", f"Rappel #{cb_id} pris en charge par Alex Durand.") in sent_to(kit.sink, CAMILLE),
               what="taken notice")
    settled = len(kit.sink.requests())
    time.sleep(2.2)
    assert len(kit.sink.requests()) == settled
    assert [s["plan_step"] for s in steps_of(kit.queue, cb_id, "alert")][:5] == ["0", "1", "2", "3", "4"]


def test_cli_ack_and_resolve(alerts, app_config, sink, tmp_path):
    kit = alerts(worker=False)
    cb_id = urgent(kit.queue)
    env = {"REDIS_URL": app_config["REDIS_URL"], "TWILIO_AUTH_TOKEN": TOKEN,
           "HELPLINE_DATA_DIR": app_config["HELPLINE_DATA_DIR"], "HELPLINE_CONFIG": str(tmp_path / "institution.toml"),
           "HELPLINE_SECRET_KEY": "test-secret", "TWILIO_API_BASE_URL": sink.url}
    runner = CliRunner()
    taken = runner.invoke(ack, [str(cb_id), "--as", "Camille Martin", "--json"], env=env)
    assert taken.exit_code == 0, taken.output
    assert json.loads(taken.output)["taken_by"] == "Camille Martin"
    other = runner.invoke(ack, [str(cb_id), "--as", "Alex Durand"], env=env)
    assert other.exit_code == 1 and "taken by Camille Martin" in other.output
    done = runner.invoke(resolve, [str(cb_id), "--outcome", "reached", "--note", "rappel fait", "--json"], env=env)
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert (data["status"], data["outcome"], data["note"], data["taken_by"]) == (
        "resolved", "reached", "rappel fait", "Camille Martin")
    assert kit.queue.open_items() == []
    bad = runner.invoke(resolve, [str(cb_id), "--outcome", "fixed"], env=env)
    assert bad.exit_code == 2
    missing = runner.invoke(ack, ["999", "--as", "Camille Martin"], env=env)
    assert missing.exit_code == 1 and "no callback #999" in missing.output


def test_no_coordinators_is_recorded_and_logged_once_per_item(alerts, redis_client, caplog):
    caplog.set_level(logging.ERROR, logger="helpline.alerts")
    kit = alerts(coordinators=0)
    cb_id = urgent(kit.queue)
    wait_until(lambda: steps_of(kit.queue, cb_id, "not-alerted"), what="not-alerted step")
    redis_client.xadd(STREAM_KEY, {"id": cb_id, "kind": "new"})  # a redelivery must not log again
    second = urgent(kit.queue, event="e2")
    wait_until(lambda: steps_of(kit.queue, second, "not-alerted"), what="the worker still working")
    assert len(steps_of(kit.queue, cb_id, "not-alerted")) == 1
    errors = [r for r in caplog.records if "no coordinators" in r.getMessage()]
    assert len(errors) == 2 and kit.sink.requests() == []


def test_opted_out_numbers_get_no_sms_and_twilio_21610_is_not_retried(alerts):
    kit = alerts(escalate=1, first_call=30)
    kit.app.extensions["helpline.optouts"].opt_out(CAMILLE)  # our own list: never even tried
    kit.sink.opt_out(ALEX)  # Twilio's list: 21610
    cb_id = urgent(kit.queue)
    wait_until(lambda: len(kit.sink.calls()) >= 2, timeout=5, what="calls to both coordinators")
    assert [k for k, _ in sent_to(kit.sink, CAMILLE)] == ["call"]
    assert [k for k, _ in sent_to(kit.sink, ALEX)] == ["call"]
    failed = [r for r in kit.sink.failed_requests() if r["params"].get("To") == ALEX]
    assert [r["code"] for r in failed] == [21610]
    states = {(s["to"], s["channel"]): (s["state"], s.get("code")) for s in steps_of(kit.queue, cb_id, "alert")}
    assert states[("Camille Martin", "sms")] == ("skipped", "opted-out")
    assert states[("Alex Durand", "sms")] == ("permanent", 21610)


def test_doubled_stream_entries_never_send_twice(alerts, redis_client):
    kit = alerts(escalate=1, first_call=30)
    cb_id = urgent(kit.queue)
    wait_until(lambda: sent_to(kit.sink, ALEX), timeout=5, what="escalation to Alex")
    redis_client.xadd(STREAM_KEY, {"id": cb_id, "kind": "new"})  # a Redis retry that doubled the XADD
    kit.queue.take(cb_id, "Alex Durand", via="page")
    redis_client.xadd(STREAM_KEY, {"id": cb_id, "kind": "taken"})
    wait_until(lambda: len(sent_to(kit.sink, CAMILLE)) >= 2, what="taken notice")
    time.sleep(1.0)
    assert [k for k, _ in sent_to(kit.sink, CAMILLE)] == ["sms", "sms"]  # the alert, then one notice
    assert [k for k, _ in sent_to(kit.sink, ALEX)] == ["sms"]


def test_journaled_urgent_flag_is_replayed_then_alerted(alerts):
    kit = alerts(worker=False)
    kit.app.extensions["helpline.journal"].append(
        {"event": "voice:CAjournal:urgent", "locale": "en", "source": "voice", "urgency": "urgent",
         "number": CALLER, "reason": "suicide", "now": time.time()})
    with ThreadWorker(kit.app):
        sms = kit.sink.wait_for(lambda r: r["kind"] == "message", timeout=5)
    assert sms["params"]["Body"].startswith("URGENT rappel #1 06 98 76 54 32 (en)")
    assert kit.app.extensions["helpline.journal"].pending() == 0
