"""Operations endpoints: /healthz (process up), /readyz (Redis and a worker heartbeat), /metrics."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from .metrics import CONTENT_TYPE, exposition
from .store import REDIS_ERRORS, get_redis

WORKER_PATTERN = "hl:worker:*"


def healthz():
    return jsonify(status="ok")


def readyz():
    checks = {"redis": False, "worker": False}
    try:
        client = get_redis()
        checks["redis"] = bool(client.ping())
        checks["worker"] = next(iter(client.scan_iter(match=WORKER_PATTERN, count=100)), None) is not None
    except REDIS_ERRORS:
        pass
    journal = current_app.extensions["helpline.journal"].pending()
    ready = all(checks.values())
    return jsonify(ready=ready, journal_pending=journal, **checks), 200 if ready else 503


def metrics():
    return Response(exposition(current_app.extensions["helpline.callbacks"]), mimetype=CONTENT_TYPE)


def create_blueprint() -> Blueprint:
    bp = Blueprint("ops", __name__)
    bp.add_url_rule("/healthz", "healthz", healthz)
    bp.add_url_rule("/readyz", "readyz", readyz)
    bp.add_url_rule("/metrics", "metrics", metrics)
    return bp
