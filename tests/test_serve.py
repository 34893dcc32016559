"""`helpline serve` (what `make run` runs): local mode, embedded Redis, built-in sink, the whole loop."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from helpline.distress import native as distress_native
from helpline.redis_server import free_port
from tests.stack import ROOT, wait_for

pytestmark = pytest.mark.slow

INSTITUTION = Path(__file__).parent / "data" / "institution.toml"


def helpline(*args: str, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpline", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_serve_runs_the_whole_loop_in_local_mode_and_stops_everything(tmp_path):
    port, data = free_port(), tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "REDIS_", "HELPLINE_"))}
    env.update({"HELPLINE_DATA_DIR": str(data), "HELPLINE_CONFIG": str(INSTITUTION), "PYTHONUNBUFFERED": "1"})
    log = open(tmp_path / "serve.log", "w")
    serve = subprocess.Popen([sys.executable, "-m", "helpline", "serve", "--port", str(port)], env=env, cwd=ROOT,
                             stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: (data / "sink.url").exists() and requests.get(url + "/readyz", timeout=1).ok
                 if _up(url) else False, 60, "serve ready (web, worker heartbeat, Redis)", tmp_path)
        banner = (tmp_path / "serve.log").read_text()
        assert "LOCAL MODE" in banner and "embedded" in banner
        # the detector's C loops are used where they were built, and said missing where not
        assert ("pure Python" in banner) == (distress_native.module is None), banner
        assert oct((data / "local-auth-token").stat().st_mode & 0o777) == "0o600"
        assert oct((data / "redis.url").stat().st_mode & 0o777) == "0o600"

        sent = helpline("simulate", "sms", "je veux mourir, je n'en peux plus", "--url", url, "--from",
                        "+33698765432", env=env)
        assert sent.returncode == 0 and "3114" in sent.stdout, sent.stdout + sent.stderr
        inbox = helpline("simulate", "inbox", "--wait", "15", "--json", env=env)
        assert inbox.returncode == 0, inbox.stderr
        alerts = [m for m in json.loads(inbox.stdout) if m["params"].get("To") == "+33611111111"]
        assert alerts and alerts[0]["params"]["Body"].startswith("URGENT")
        ack = helpline("simulate", "sms", "OK 1", "--url", url, "--from", "+33611111111", env=env)
        assert "#1" in ack.stdout
        listed = helpline("callbacks", "list", "--json", env=env)
        assert json.loads(listed.stdout)[0]["status"] == "taken"
        metrics = requests.get(url + "/metrics", timeout=5).text
        assert 'helpline_sms_total{kind=' in metrics and "helpline_alerts_sent_total" in metrics
    finally:
        serve.send_signal(signal.SIGTERM)
        code = serve.wait(30)
        log.close()
    assert code == 0, (tmp_path / "serve.log").read_text()[-2000:]
    assert not (data / "redis.url").exists() and not (data / "sink.url").exists()
    assert not _up(url)
    assert (data / "redis" / "appendonly.aof").exists() or any((data / "redis").glob("appendonly*"))


def _up(url: str) -> bool:
    try:
        requests.get(url + "/healthz", timeout=1)
        return True
    except requests.RequestException:
        return False
