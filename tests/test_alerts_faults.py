"""Alert delivery under faults: Twilio errors and outages, killed workers, shared streams. Real parts only."""
from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter

import pytest

from helpline.alerts.state import GROUP, STEP_KEY
from helpline.callbacks import STREAM_KEY
from helpline.twilio_sink import TwilioSink
from tests.alert_kit import (ALEX, CALLER, CAMILLE, ProcessWorker, ThreadWorker, alert_app, institution_file,
                             sent_to, steps_of, wait_until)


@pytest.fixture
def sink():
    with TwilioSink() as server:
        yield server


@pytest.fixture
def setup(app_config, sink, tmp_path):
    """Factory: (app, queue) for a given institution file; workers are started by each test."""

    def make(**institution):
        path = institution_file(tmp_path / "institution.toml", **institution)
        app = alert_app(app_config, sink, path)
        return app, app.extensions["helpline.callbacks"], path

    return make


def urgent(queue, event="e1") -> int:
    cb_id, _ = queue.request(event=event, locale="fr", source="voice", urgency="urgent", number=CALLER)
    return cb_id


def alert_steps(queue, cb_id):
    return [(s["to"], s["channel"], s["state"], s.get("code")) for s in steps_of(queue, cb_id, "alert")]


@pytest.mark.parametrize("status, code", [pytest.param(503, None, id="503"), pytest.param(429, 20429, id="429"),
                                          pytest.param(500, None, id="500")])
def test_transient_twilio_errors_are_retried_and_the_sms_goes_out_once(setup, sink, status, code):
    app, queue, _ = setup()
    sink.fail_next(2, status=status, code=code, retry_after=0)
    with ThreadWorker(app):
        cb_id = urgent(queue)
        wait_until(lambda: steps_of(queue, cb_id, "alert"), what="the alert step")
    assert len(sink.failed_requests()) == 2 and len(sent_to(sink, CAMILLE)) == 1
    [step] = steps_of(queue, cb_id, "alert")
    assert (step["state"], step["attempts"]) == ("sent", 3)


def test_retry_after_is_honoured_up_to_the_cap(setup, sink):
    app, queue, _ = setup(retry_cap_seconds=0.6, retry_base_seconds=0.01)
    sink.fail_next(1, status=429, code=20429, retry_after=5)  # longer than the cap: the cap wins
    with ThreadWorker(app):
        urgent(queue)
        sms = sink.wait_for(lambda r: r["kind"] == "message", timeout=5)
    gap = sms["time"] - sink.failed_requests()[0]["time"]
    assert 0.55 <= gap < 2.0


def test_twilio_down_for_a_while_then_back(setup, sink):
    app, queue, _ = setup(send_attempts=40, retry_cap_seconds=0.4)
    sink.set_down(True)
    threading.Timer(1.5, sink.set_down, [False]).start()
    with ThreadWorker(app):
        cb_id = urgent(queue)
        sms = sink.wait_for(lambda r: r["kind"] == "message", timeout=8)
    assert sms["params"]["To"] == CAMILLE and len(sink.failed_requests()) >= 2
    assert alert_steps(queue, cb_id) == [("Camille Martin", "sms", "sent", None)]


def test_connection_refused_then_twilio_back_on_the_same_port(setup, sink):
    app, queue, _ = setup(send_attempts=40, retry_cap_seconds=0.4)
    port = sink.port
    sink.stop()
    with ThreadWorker(app):
        cb_id = urgent(queue)
        time.sleep(1.0)
        with TwilioSink(port=port) as back:
            sms = back.wait_for(lambda r: r["kind"] == "message", timeout=8)
    assert sms["params"]["To"] == CAMILLE
    [step] = steps_of(queue, cb_id, "alert")
    assert step["state"] == "sent" and step["attempts"] > 1


def test_exhausted_retries_move_on_to_the_next_coordinator(setup, sink):
    app, queue, _ = setup(send_attempts=2, escalate=30, first_call=30)
    sink.fail_for(1.0, status=503)
    with ThreadWorker(app):
        cb_id = urgent(queue)
        wait_until(lambda: sent_to(sink, ALEX) or sent_to(sink, CAMILLE), timeout=6, what="an alert after the outage")
    states = alert_steps(queue, cb_id)
    assert states[0] == ("Camille Martin", "sms", "transient", 20503)
    assert all(s[2] in ("transient", "sent") for s in states)


def test_a_read_timeout_is_never_resent_and_the_plan_moves_on(setup, sink):
    app, queue, _ = setup(twilio_timeout_seconds=0.3, escalate=30, first_call=30)
    sink.set_delay(1.0)  # Twilio takes the request but answers too late
    with ThreadWorker(app):
        cb_id = urgent(queue)
        wait_until(lambda: alert_steps(queue, cb_id), timeout=5, what="the first outcome")
        sink.set_delay(0)
        wait_until(lambda: any(s[2] == "sent" for s in alert_steps(queue, cb_id)), timeout=6, what="a sent alert")
        time.sleep(1.0)  # the slow requests land in the sink now
    states = alert_steps(queue, cb_id)
    assert states[0] == ("Camille Martin", "sms", "uncertain", "read-timeout")
    per_step = Counter((r["kind"], r["params"]["To"]) for r in sink.requests())
    assert per_step[("message", CAMILLE)] == 1  # the slow one landed: never sent a second time
    assert max(per_step.values()) == 1


def test_permanent_error_skips_to_the_next_coordinator_at_once(setup, sink):
    app, queue, _ = setup(escalate=30, first_call=30)
    sink.fail_next(1, status=400, code=21211)
    with ThreadWorker(app):
        cb_id = urgent(queue)
        sms = sink.wait_for(lambda r: r["kind"] == "message", timeout=3)
    assert sms["params"]["To"] == ALEX and sms["params"]["Body"].startswith("URGENT callback #1")
    assert sent_to(sink, CAMILLE) == []  # neither SMS nor call to an invalid number
    assert alert_steps(queue, cb_id)[0] == ("Camille Martin", "sms", "permanent", 21211)


def test_a_worker_killed_mid_send_is_taken_over_without_a_duplicate(setup, sink, redis_client, tmp_path):
    app, queue, path = setup(escalate=30, first_call=10)
    config = {**app.config}
    sink.set_delay(2.0)  # hold the SMS inside "Twilio"
    with ProcessWorker(config, sink, path, "worker-a", tmp_path) as first:
        cb_id = urgent(queue)
        key = STEP_KEY.format(id=cb_id, step=0)
        wait_until(lambda: "sending" in (redis_client.get(key) or ""), timeout=10, what="the send to start")
        time.sleep(0.5)  # the request is now inside the sink's delay
        first.kill()
    sink.set_delay(0)
    with ProcessWorker(config, sink, path, "worker-b", tmp_path) as second:
        call = sink.wait_for(lambda r: r["kind"] == "call", timeout=10)
        assert call["params"]["To"] == CAMILLE  # the plan moved on at once: the call follows
        time.sleep(2.0)
        assert second.terminate() == 0
    assert [r["params"]["To"] for r in sink.messages()] == [CAMILLE]  # worker A's SMS, once
    record = json.loads(redis_client.get(key))
    assert (record["state"], record["code"], record["worker"]) == ("uncertain", "worker-lost", "worker-b")
    assert alert_steps(queue, cb_id)[:2] == [("Camille Martin", "sms", "uncertain", "worker-lost"),
                                             ("Camille Martin", "call", "sent", None)]


def test_sigterm_finishes_the_step_in_hand(setup, sink, redis_client, tmp_path):
    app, queue, path = setup(escalate=30, first_call=30)
    sink.set_delay(1.0)
    with ProcessWorker({**app.config}, sink, path, "worker-t", tmp_path) as worker:
        cb_id = urgent(queue)
        key = STEP_KEY.format(id=cb_id, step=0)
        wait_until(lambda: "sending" in (redis_client.get(key) or ""), timeout=10, what="the send to start")
        assert worker.terminate(timeout=10) == 0
        assert "stopped" in worker.output()
    assert json.loads(redis_client.get(key))["state"] == "sent" and len(sink.messages()) == 1
    assert not redis_client.exists("hl:worker:worker-t")


def test_two_workers_on_one_stream_deliver_each_alert_once(setup, sink, redis_client, tmp_path):
    app, queue, path = setup(escalate=30, first_call=30)
    config = {**app.config}
    with ProcessWorker(config, sink, path, "worker-1", tmp_path), ProcessWorker(config, sink, path, "worker-2", tmp_path):
        wait_until(lambda: redis_client.exists("hl:worker:worker-1") and redis_client.exists("hl:worker:worker-2"),
                   timeout=10, what="both workers up")
        ids = [urgent(queue, event=f"e{i}") for i in range(30)]
        wait_until(lambda: len(sink.messages()) >= 30, timeout=10, what="30 alerts")
        time.sleep(1.0)
    bodies = Counter(r["params"]["Body"] for r in sink.messages())
    assert len(bodies) == 30 and set(bodies.values()) == {1}
    assert {f"URGENT rappel #{i} 06 98 76 54 32 (fr). Répondre OK {i}" for i in ids} == set(bodies)
    workers = Counter(s["worker"] for i in ids for s in [json.loads(redis_client.get(STEP_KEY.format(id=i, step=0)))])
    assert set(workers) <= {"worker-1", "worker-2"} and sum(workers.values()) == 30


def test_entries_left_pending_by_a_dead_consumer_are_reclaimed(setup, sink, redis_client):
    app, queue, _ = setup()
    redis_client.xgroup_create(STREAM_KEY, GROUP, id="0", mkstream=True)
    cb_id = urgent(queue)
    redis_client.xreadgroup(GROUP, "ghost", {STREAM_KEY: ">"}, count=10)  # read, then died before XACK
    with ThreadWorker(app):
        sink.wait_for(lambda r: r["kind"] == "message", timeout=5)
        wait_until(lambda: redis_client.xpending(STREAM_KEY, GROUP)["pending"] == 0, timeout=5,
                   what="the ghost's entry acknowledged")
    assert len(sent_to(sink, CAMILLE)) == 1 and steps_of(queue, cb_id, "alert")


def test_an_urgent_flag_journaled_while_redis_hangs_is_alerted_once_redis_is_back(setup, sink, redis_server):
    from helpline.intake import queue_callback

    app, queue, _ = setup()
    with ThreadWorker(app):
        redis_server.pause()
        try:
            with app.app_context():
                cb_id = queue_callback(event="voice:CAhang:urgent", locale="fr", source="voice", urgency="urgent",
                                       number=CALLER, reason="suicide")
            # checked while Redis still hangs: once it is back the worker may replay at any moment
            assert cb_id is None and app.extensions["helpline.journal"].pending() == 1
        finally:
            redis_server.resume()
        sms = sink.wait_for(lambda r: r["kind"] == "message", timeout=10)
    assert sms["params"]["To"] == CAMILLE and sms["params"]["Body"].startswith("URGENT rappel #1 ")
    assert app.extensions["helpline.journal"].pending() == 0


def test_pending_counts_a_request_once_while_a_replay_moves_the_journal_aside(tmp_path):
    """pending() reads two files; a replay that moves the journal aside (under its lock, as replay
    does) between the two reads must not make one request count twice."""
    import fcntl

    from helpline.journal import Journal

    journal = Journal(tmp_path / "journal.jsonl")
    stop, seen = threading.Event(), set()

    def replays():
        while not stop.is_set():
            journal.append({"event": "sms:SMx:urgent"})
            with open(journal.lock_path, "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                os.replace(journal.path, journal.replaying)
                journal.replaying.unlink()

    mover = threading.Thread(target=replays)
    mover.start()
    try:
        for _ in range(3000):
            seen.add(journal.pending())
    finally:
        stop.set()
        mover.join()
    assert seen <= {0, 1} and 1 in seen
