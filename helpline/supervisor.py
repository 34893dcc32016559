"""`helpline serve`: one machine's whole service as child processes, stopped together.

Children: gunicorn (the web app) and `helpline worker` (alert delivery). Without REDIS_URL, a private
persistent Redis for the data directory is started first and its URL written to
`<data dir>/redis.url` (0600) so that the CLI finds it; both are removed on exit. In local mode (no
TWILIO_AUTH_TOKEN) alerts go to a built-in Twilio-compatible sink instead of api.twilio.com: its URL is
given to the children as TWILIO_API_BASE_URL and kept in `<data dir>/sink.url` for
`helpline simulate inbox`.
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from .config import DEFAULTS
from .distress import native as distress_native
from .errors import HelplineError
from .redis_server import embedded_redis
from .twilio_sink import TwilioSink

log = logging.getLogger("helpline.serve")


class Supervisor:
    """Start the children, restart none silently: if one dies, stop everything and say why."""

    def __init__(self, settings: dict, *, host: str, port: int, web_workers: int = 2):
        self.settings, self.host, self.port, self.web_workers = dict(settings), host, port, web_workers
        self.data_dir = Path(settings["HELPLINE_DATA_DIR"]).resolve()
        self.redis = None
        self.sink: TwilioSink | None = None
        self.children: dict[str, subprocess.Popen] = {}
        self.stopping = False

    def environment(self) -> dict:
        env = os.environ.copy()
        env["HELPLINE_DATA_DIR"] = str(self.data_dir)
        if not self.settings.get("HELPLINE_PUBLIC_URL"):
            env["HELPLINE_PUBLIC_URL"] = f"http://{self.host}:{self.port}"
        if self.redis:
            env["REDIS_URL"] = self.redis.url
        if self.sink:
            env["TWILIO_API_BASE_URL"] = self.sink.url
        env["PROMETHEUS_MULTIPROC_DIR"] = str(self.metrics_dir)
        return env

    @property
    def metrics_dir(self) -> Path:
        """Where every child writes its Prometheus counters, so /metrics adds them all up."""
        return self.data_dir / "metrics"

    def reset_metrics(self) -> None:
        """Counters start at zero with each start (files of dead processes would be added forever)."""
        if self.metrics_dir.exists():
            shutil.rmtree(self.metrics_dir)
        self.metrics_dir.mkdir(parents=True)

    def commands(self) -> dict[str, list[str]]:
        return {
            "web": [sys.executable, "-m", "gunicorn", "--bind", f"{self.host}:{self.port}",
                    "--workers", str(self.web_workers), "--timeout", "20", "--graceful-timeout", "5",
                    "helpline:create_app()"],
            "worker": [sys.executable, "-m", "helpline", "worker"],
        }

    def check(self, env: dict) -> None:
        """Build the app once in a child, so a broken config stops start-up with its message."""
        probe = subprocess.run([sys.executable, "-c", "from helpline import create_app; create_app()"],
                               env=env, capture_output=True, text=True)
        if probe.returncode != 0:
            lines = [ln for ln in probe.stderr.strip().splitlines() if ln.strip()]
            raise HelplineError(lines[-1] if lines else "the service failed to start")

    def banner(self, env: dict) -> None:
        local = not self.settings.get("TWILIO_AUTH_TOKEN")
        print(f"helpline: web on http://{self.host}:{self.port}, data in {self.data_dir}", flush=True)
        print(f"helpline: Redis {'embedded (private, persistent)' if self.redis else 'from REDIS_URL'}", flush=True)
        if distress_native.wanted(None) is None:
            print("helpline: the distress detector runs in pure Python (its C module was not built: no C "
                  "compiler at install, or HELPLINE_PURE_PYTHON=1): same decisions, about half the speed.",
                  flush=True)
        if local:
            print("helpline: LOCAL MODE - no TWILIO_AUTH_TOKEN: webhooks must be signed with the token in "
                  f"{self.data_dir / 'local-auth-token'}; signature checks stay on.", flush=True)
        if self.sink:
            print(f"helpline: LOCAL MODE - alerts go to the built-in Twilio sink at {self.sink.url}, not to "
                  "phones: read them with `helpline simulate inbox`.", flush=True)

    def start_sink(self) -> None:
        """Local mode with the default API base: a loopback sink that holds the helpline's number."""
        local = not self.settings.get("TWILIO_AUTH_TOKEN")
        base = self.settings.get("TWILIO_API_BASE_URL") or DEFAULTS["TWILIO_API_BASE_URL"]
        if local and base.rstrip("/") == DEFAULTS["TWILIO_API_BASE_URL"]:
            self.sink = TwilioSink().start()
            self.sink.add_number(self.settings.get("HELPLINE_FROM_NUMBER") or DEFAULTS["HELPLINE_FROM_NUMBER"])
            _write_private(self.data_dir / "sink.url", self.sink.url)

    def run(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        url_file = self.data_dir / "redis.url"
        if not self.settings.get("REDIS_URL"):
            _stop_stale_redis(self.data_dir / "redis.pid")
            self.redis = embedded_redis(self.data_dir).start()
            _write_private(url_file, self.redis.url)
            _write_private(self.data_dir / "redis.pid", str(self.redis.process.pid))
        try:
            self.start_sink()
            self.reset_metrics()
            env = self.environment()
            self.check(env)
            self.banner(env)
            for name, command in self.commands().items():
                self.children[name] = subprocess.Popen(command, env=env)
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
            self._watch()
        finally:
            self._stop_children()
            if self.redis:
                self.redis.stop()
                url_file.unlink(missing_ok=True)
                (self.data_dir / "redis.pid").unlink(missing_ok=True)
            if self.sink:
                self.sink.stop()
                (self.data_dir / "sink.url").unlink(missing_ok=True)

    def _on_signal(self, signum, frame) -> None:
        self.stopping = True

    def _watch(self) -> None:
        while not self.stopping:
            for name, child in self.children.items():
                code = child.poll()
                if code is not None:
                    raise HelplineError(f"the {name} process exited with code {code}; stopping the service")
            time.sleep(0.5)

    def _stop_children(self) -> None:
        stop_all(self.children.values())


def stop_all(children, timeout: float = 10) -> None:
    """SIGTERM every child at once, then wait for each; SIGKILL what is still there after `timeout`."""
    children = list(children)
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _stop_stale_redis(pid_file: Path) -> None:
    """A previous `serve` killed without cleaning up leaves its Redis on this data directory: stop it."""
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if b"redis-server" in cmdline:
        log.warning("stopping the Redis left running by an earlier start (pid %s)", pid)
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.05)


def _write_private(path: Path, value: str) -> None:
    """Write a one-line file readable by its owner only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
