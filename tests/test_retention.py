"""`helpline purge`: resolved callbacks past the retention are deleted, no TTL outlives it, audit trimmed."""
from __future__ import annotations

import time

from click.testing import CliRunner

from helpline.callbacks import CallbackQueue
from helpline.cli import cli
from helpline.retention import AUDIT_STREAM, purge


def test_purge_deletes_old_resolved_callbacks_and_shortens_ttls(redis_client):
    queue = CallbackQueue(redis_client, retention_seconds=400 * 86400)
    now = time.time()
    old, _ = queue.request(event="e-old", locale="fr", source="sms", number="+33612345678", now=now - 40 * 86400)
    recent, _ = queue.request(event="e-new", locale="fr", source="sms", number="+33698765432", now=now - 86400)
    still_open, _ = queue.request(event="e-open", locale="fr", source="voice", number="+33611112222",
                                  urgency="urgent", now=now - 40 * 86400)
    queue.take(old, "Camille")
    queue.resolve(old, "Camille", "reached", now=now - 35 * 86400)
    queue.take(recent, "Camille")
    queue.resolve(recent, "Camille", "reached", now=now - 2 * 86400)
    redis_client.xadd(AUDIT_STREAM, {"who": "camille", "action": "take"}, id=f"{int((now - 400 * 86400) * 1000)}-0")
    redis_client.xadd(AUDIT_STREAM, {"who": "camille", "action": "take"})

    report = purge(redis_client, retention_days=30, now=now)

    assert report.deleted == 1 and report.audit_trimmed == 1
    assert not redis_client.exists(f"hl:cb:{old}") and not redis_client.exists(f"hl:cb:{old}:log")
    assert redis_client.hget(f"hl:cb:{recent}", "number") == "+33698765432"
    assert redis_client.hget(f"hl:cb:{still_open}", "status") == "new"
    for cb_id in (recent, still_open):
        for key in (f"hl:cb:{cb_id}", f"hl:cb:{cb_id}:log"):
            assert 0 < redis_client.ttl(key) <= 30 * 86400
    assert redis_client.xlen(AUDIT_STREAM) == 1


def test_purge_command_reports_what_it_did(app_config, monkeypatch, redis_client):
    for key, value in app_config.items():
        if key != "TESTING":
            monkeypatch.setenv(key, value)
    result = CliRunner().invoke(cli, ["purge"])
    assert result.exit_code == 0, result.output
    assert "retention 30 days: 0 resolved callback(s) deleted" in result.output
