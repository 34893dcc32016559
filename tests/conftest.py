"""Fixtures that start real services: a Redis server process and the app over HTTP on loopback."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
import redis
from werkzeug.serving import make_server

from helpline import create_app
from helpline.distress import default_detector
from helpline.redis_server import RedisProcess
from tests.twilio_clients import Caller, Webhooks

DATA = Path(__file__).parent / "data"
TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_URL = "https://helpline.example.org"


@pytest.fixture(scope="session", autouse=True)
def compiled_detector():
    """The distress lexicons compiled once, first, into the detector cache: every app, gunicorn worker
    and alert worker the tests start then reads them back in a fraction of a second instead of
    compiling them itself (on a machine that never compiled these lexicons, that takes seconds per
    process, and two gunicorn workers doing it at once could outlast their boot timeout)."""
    return default_detector()


@pytest.fixture(scope="session")
def redis_server():
    """One real redis-server process for the session (no persistence: tests flush it)."""
    with RedisProcess(persistent=False) as server:
        yield server


@pytest.fixture
def redis_url(redis_server) -> str:
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def app_config(redis_url, tmp_path) -> dict:
    return {
        "TESTING": True,
        "REDIS_URL": redis_url,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "HELPLINE_PUBLIC_URL": PUBLIC_URL,
        "HELPLINE_DATA_DIR": str(tmp_path / "data"),
        "HELPLINE_CONFIG": str(DATA / "institution.toml"),
        "HELPLINE_SECRET_KEY": "test-secret",
    }


@pytest.fixture
def app(app_config):
    return create_app(app_config)


class LiveServer:
    """The app served over real HTTP on loopback, in a thread."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_server(app):
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def webhooks(live_server) -> Webhooks:
    return Webhooks(live_server.url, PUBLIC_URL, TOKEN)


@pytest.fixture
def new_call(live_server):
    """Factory: a new Caller (its own CallSid) against the live server."""

    def make(**kwargs) -> Caller:
        return Caller(live_server.url, PUBLIC_URL, TOKEN, **kwargs)

    return make
