"""Health, readiness and metrics endpoints over HTTP."""
from __future__ import annotations

import time

import requests


def test_healthz(live_server):
    response = requests.get(live_server.url + "/healthz", timeout=5)
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_needs_a_worker_heartbeat(live_server, redis_client):
    response = requests.get(live_server.url + "/readyz", timeout=5)
    assert response.status_code == 503
    assert response.json()["redis"] is True and response.json()["worker"] is False
    redis_client.set("hl:worker:test", time.time(), ex=30)
    response = requests.get(live_server.url + "/readyz", timeout=5)
    assert response.status_code == 200 and response.json()["ready"] is True


def test_readyz_reports_redis_down(live_server, redis_server):
    redis_server.pause()
    try:
        response = requests.get(live_server.url + "/readyz", timeout=10)
    finally:
        redis_server.resume()
    assert response.status_code == 503 and response.json()["redis"] is False


def test_metrics_count_calls_and_urgent_flags(live_server, new_call):
    def value(text: str, name: str) -> float:
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = requests.get(live_server.url + "/metrics", timeout=5).text
    call = new_call()
    call.twiml("/voice")
    call.twiml("/voice/menu?lang=fr", SpeechResult="je veux mourir")
    after = requests.get(live_server.url + "/metrics", timeout=5).text
    assert value(after, "helpline_calls_total") == value(before, "helpline_calls_total") + 1
    assert value(after, 'helpline_urgent_flags_total{source="voice"}') == \
        value(before, 'helpline_urgent_flags_total{source="voice"}') + 1
    assert value(after, 'helpline_callbacks_open{urgency="urgent"}') == 1
    assert value(after, "helpline_oldest_unacknowledged_urgent_seconds") >= 0
