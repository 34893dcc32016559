"""The Redis connection and the short-lived conversation state of calls.

Key schema (every personal key has a TTL):
  hl:call:{CallSid}          hash  locale, silences, cb_number (pending consent)   TTL CALL_TTL
  hl:seen:{channel}:{sid}    string  response already given for a retried webhook  TTL SEEN_TTL
Callbacks have their own schema in helpline.callbacks.
"""
from __future__ import annotations

import redis
from flask import current_app
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from .errors import StoreUnavailable

CALL_KEY = "hl:call:{sid}"
SEEN_KEY = "hl:seen:{channel}:{sid}"
CALL_TTL = 4 * 3600
SEEN_TTL = 6 * 3600  # Twilio retries within minutes; six hours covers a replayed fallback too
REDIS_ERRORS = (redis.RedisError, OSError)


def connect(url: str, *, socket_timeout: float = 0.5, retries: int = 1) -> redis.Redis:
    """A client with short timeouts: a webhook must answer even when Redis is slow or gone.

    A dropped connection (Redis restarted) is retried once on a fresh one; a timeout is not retried,
    so a hung Redis costs a webhook one socket timeout before it answers without Redis.
    """
    return redis.Redis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=socket_timeout,
        retry=Retry(ExponentialBackoff(cap=0.1, base=0.01), retries, supported_errors=(redis.ConnectionError,)),
        decode_responses=True,
    )


class CallState:
    """Language, silence count and a pending callback number for one call, keyed by CallSid."""

    FIELDS = ("locale", "silences", "cb_number", "cb_tries")

    def __init__(self, client: redis.Redis, sid: str | None):
        self.client, self.sid = client, sid

    @property
    def key(self) -> str:
        return CALL_KEY.format(sid=self.sid)

    def load(self) -> dict:
        if not self.sid:
            return {}
        try:
            return self.client.hgetall(self.key)
        except REDIS_ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc

    def update(self, **values) -> None:
        if not self.sid:
            return
        clean = {k: v for k, v in values.items() if v is not None}
        drop = [k for k, v in values.items() if v is None]
        try:
            with self.client.pipeline(transaction=False) as pipe:
                if clean:
                    pipe.hset(self.key, mapping=clean)
                if drop:
                    pipe.hdel(self.key, *drop)
                pipe.expire(self.key, CALL_TTL)
                pipe.execute()
        except REDIS_ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc

    def bump(self, field: str) -> int:
        """Add one to a counter (silences, tries) and return it."""
        if not self.sid:
            return 1
        try:
            with self.client.pipeline(transaction=False) as pipe:
                pipe.hincrby(self.key, field, 1)
                pipe.expire(self.key, CALL_TTL)
                value, _ = pipe.execute()
            return int(value)
        except REDIS_ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc


def get_redis() -> redis.Redis:
    """The app's Redis client (created in create_app)."""
    return current_app.extensions["helpline.redis"]


def init_app(app, client: redis.Redis | None = None) -> None:
    """Attach a Redis client built from REDIS_URL."""
    app.extensions["helpline.redis"] = client or connect(app.config["REDIS_URL"])
