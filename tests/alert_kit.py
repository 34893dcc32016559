"""Helpers for the alert tests: an institution file, the app aimed at a TwilioSink, workers in a
thread or as real `python -m helpline worker` processes, and waiting on the sink and on Redis."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from helpline import create_app
from helpline.alerts.worker import Worker
from helpline.twilio_sink import TwilioSink

ROOT = Path(__file__).resolve().parents[1]
CAMILLE, ALEX, SAM = "+33611111111", "+33622222222", "+33633333333"
CALLER = "+33698765432"
FAST = {"lease_seconds": 1, "retry_base_seconds": 0.05, "retry_cap_seconds": 0.3, "send_attempts": 4,
        "twilio_timeout_seconds": 2, "journal_every_seconds": 0.5, "sender_threads": 4}
PEOPLE = (("Camille Martin", CAMILLE, "fr"), ("Alex Durand", ALEX, "en"), ("Sam Petit", SAM, "fr"))


def institution_file(path: Path, *, coordinators: int = 2, escalate: int = 30, first_call: int = 30,
                     **alerts) -> Path:
    """A small institution file: the first `coordinators` people, fast worker settings."""
    lines = ['[institution]', 'name = "CHU Test"', '']
    for name, phone, locale in PEOPLE[:coordinators]:
        lines += ["[[coordinators]]", f'name = "{name}"', f'phone = "{phone}"', f'locale = "{locale}"', ""]
    lines += ["[alerts]", f"escalate_after_seconds = {escalate}", f"first_call_after_seconds = {first_call}"]
    lines += [f"{k} = {v}" for k, v in {**FAST, **alerts}.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def alert_app(app_config: dict, sink: TwilioSink, institution: Path):
    return create_app({**app_config, "TWILIO_API_BASE_URL": sink.url, "HELPLINE_CONFIG": str(institution)})


class ThreadWorker:
    """The real Worker, run in a thread of the test process."""

    def __init__(self, app, name: str = "test-worker"):
        self.worker = Worker(app, name=name)
        self.thread = threading.Thread(target=self.worker.run, daemon=True)

    def __enter__(self) -> Worker:
        self.thread.start()
        return self.worker

    def __exit__(self, *exc) -> None:
        self.worker.stop()
        self.thread.join(15)
        assert not self.thread.is_alive(), "the worker did not stop"


class ProcessWorker:
    """`python -m helpline worker` as a child process, configured only through its environment."""

    def __init__(self, app_config: dict, sink: TwilioSink, institution: Path, name: str, log_dir: Path):
        self.name = name
        self.env = {**os.environ, "REDIS_URL": app_config["REDIS_URL"],
                    "TWILIO_AUTH_TOKEN": app_config["TWILIO_AUTH_TOKEN"], "TWILIO_API_BASE_URL": sink.url,
                    "HELPLINE_PUBLIC_URL": app_config["HELPLINE_PUBLIC_URL"],
                    "HELPLINE_DATA_DIR": app_config["HELPLINE_DATA_DIR"], "HELPLINE_CONFIG": str(institution),
                    "HELPLINE_SECRET_KEY": app_config["HELPLINE_SECRET_KEY"], "HELPLINE_LOG_LEVEL": "INFO"}
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "ProcessWorker":
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen([sys.executable, "-m", "helpline", "worker", "--name", self.name],
                                        env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def terminate(self, timeout: float = 15) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def __enter__(self) -> "ProcessWorker":
        return self.start()

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.log.close()


def wait_until(predicate, timeout: float = 5.0, every: float = 0.02, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


def sent_to(sink: TwilioSink, number: str) -> list[tuple[str, str]]:
    """What `number` received, oldest first: ("sms", body) or ("call", url)."""
    out = []
    for r in sink.requests():
        if r["params"].get("To") != number:
            continue
        if r["kind"] == "message":
            out.append(("sms", r["params"]["Body"]))
        elif r["kind"] == "call":
            out.append(("call", r["params"]["Url"]))
    return out


def steps_of(queue, cb_id: int, step: str | None = None) -> list[dict]:
    return [s for s in queue.steps(cb_id) if step in (None, s["step"])]
