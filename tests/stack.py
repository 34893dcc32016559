"""The service as production runs it, as child processes: gunicorn (web), `helpline worker`, a real
Redis and the loopback Twilio server. Used by the end-to-end and fault tests and the soak benchmark."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from helpline.redis_server import RedisProcess, free_port
from helpline.supervisor import stop_all
from helpline.twilio_sink import TwilioSink

ROOT = Path(__file__).resolve().parent.parent
INSTITUTION = Path(__file__).parent / "data" / "institution.toml"
TOKEN, ACCOUNT = "e2e-auth-token-0123456789abcdef", "AC" + "e2" * 16
PUBLIC = "https://helpline.example.org"


def wait_for(predicate, timeout: float, what: str, logs: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    tail = "\n".join(p.read_text(errors="replace")[-2000:] for p in logs.glob("*.log")) if logs else ""
    raise AssertionError(f"{what} did not happen within {timeout}s\n{tail}")


def answers(url: str) -> bool:
    try:
        requests.get(url + "/healthz", timeout=1)
        return True
    except requests.RequestException:
        return False


class Stack:
    """Start everything in `data`; stop it all on exit. Redis is persistent (AOF) when asked."""

    def __init__(self, data: Path, *, web_workers: int = 2, alert_workers: int = 1, persistent_redis: bool = False,
                 institution: Path = INSTITUTION, extra_env: dict | None = None):
        self.data = Path(data)
        self.data.mkdir(parents=True, exist_ok=True)
        self.web_workers, self.alert_workers = web_workers, alert_workers
        self.redis = RedisProcess(self.data / "redis" if persistent_redis else None, persistent=persistent_redis,
                                  fsync="always")
        self.sink = TwilioSink(account_sid=ACCOUNT, auth_token=TOKEN)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.institution, self.extra_env = institution, extra_env or {}
        self.children: dict[str, subprocess.Popen] = {}

    @property
    def settings(self) -> dict:
        return {"REDIS_URL": self.redis.url, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_ACCOUNT_SID": ACCOUNT,
                "TWILIO_API_BASE_URL": self.sink.url, "HELPLINE_PUBLIC_URL": PUBLIC,
                "HELPLINE_DATA_DIR": str(self.data / "data"), "HELPLINE_CONFIG": str(self.institution),
                "HELPLINE_SECRET_KEY": "e2e-secret", "HELPLINE_FROM_NUMBER": "+33100000000"}

    def env(self) -> dict:
        return {**os.environ, **self.settings, "PYTHONUNBUFFERED": "1", **self.extra_env}

    def start_child(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.data / f"{name}.log", "a")
        self.children[name] = subprocess.Popen(command, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        return self.children[name]

    def start_worker(self, name: str) -> subprocess.Popen:
        child = self.start_child(name, [sys.executable, "-m", "helpline", "worker", "--name", name])
        wait_for(lambda: "started" in (self.data / f"{name}.log").read_text(), 30, f"{name} starting", self.data)
        return child

    def __enter__(self) -> "Stack":
        self.redis.start()
        self.sink.start()
        self.start_child("web", [sys.executable, "-m", "gunicorn", "--workers", str(self.web_workers),
                                 "--bind", f"127.0.0.1:{self.port}", "--timeout", "20", "helpline:create_app()"])
        wait_for(lambda: answers(self.url), 30, "gunicorn answering", self.data)
        for n in range(self.alert_workers):
            self.start_worker(f"worker{n + 1}")
        return self

    def web_worker_pids(self) -> list[int]:
        """The gunicorn worker processes (children of the arbiter)."""
        arbiter, pids = self.children["web"].pid, []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == arbiter:
                pids.append(int(stat.parent.name))
        return pids

    def kill(self, name: str) -> None:
        child = self.children.pop(name)
        child.send_signal(signal.SIGKILL)
        child.wait(10)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.data.glob("*.log")))

    def __exit__(self, *exc) -> None:
        stop_all(self.children.values())
        self.sink.stop()
        self.redis.stop()
