"""Server-side sessions for the coordinators' page, and the sign-in rate limit.

Key schema (connection injected; all keys expire):
  hl:dash:session:{digest}    hash   user, csrf, locale, created        TTL idle timeout, renewed on use
  hl:dash:user:{username}     set    session digests of one user        TTL the longest session
  hl:dash:fail:user:{digest}  string failed sign-ins for one username   TTL the rate-limit window
  hl:dash:fail:ip:{ip}        string failed sign-ins from one address   TTL the rate-limit window
The cookie holds a random token; Redis holds only its SHA-256, so reading Redis gives no usable cookie.
Signing out deletes the session; changing a password or removing an account deletes all of its sessions.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import redis

SESSION_KEY = "hl:dash:session:{digest}"
USER_KEY = "hl:dash:user:{username}"
FAIL_USER_KEY = "hl:dash:fail:user:{digest}"
FAIL_IP_KEY = "hl:dash:fail:ip:{ip}"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:40]


@dataclass(frozen=True)
class Session:
    """A signed-in coordinator: the CSRF token of the session and the page language."""

    digest: str
    user: str
    csrf: str
    locale: str
    created: float


class Sessions:
    """Create, load (sliding idle timeout, absolute maximum), and end sessions."""

    def __init__(self, client: redis.Redis, *, idle_seconds: int = 1800, max_seconds: int = 12 * 3600):
        self.client, self.idle, self.max = client, int(idle_seconds), int(max_seconds)

    def create(self, user: str, locale: str, now: float | None = None) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        session = Session(_digest(token), user, secrets.token_urlsafe(32), locale, time.time() if now is None else now)
        key = SESSION_KEY.format(digest=session.digest)
        with self.client.pipeline() as pipe:
            pipe.hset(key, mapping={"user": user, "csrf": session.csrf, "locale": locale,
                                    "created": repr(session.created)})
            pipe.expire(key, self.idle)
            pipe.sadd(USER_KEY.format(username=user), session.digest)
            pipe.expire(USER_KEY.format(username=user), self.max)
            pipe.execute()
        return token, session

    def load(self, token: str | None, *, touch: bool = True, now: float | None = None) -> Session | None:
        """The session for a cookie token, or None when unknown, idle too long or too old."""
        if not token or len(token) > 100:
            return None
        key = SESSION_KEY.format(digest=_digest(token))
        data = self.client.hgetall(key)
        if not data.get("user"):
            return None
        now = time.time() if now is None else now
        if now - float(data.get("created", 0)) > self.max:
            self.client.delete(key)
            return None
        if touch:
            self.client.expire(key, self.idle)
        return Session(_digest(token), data["user"], data["csrf"], data.get("locale", "fr"), float(data["created"]))

    def set_locale(self, session: Session, locale: str) -> None:
        self.client.hset(SESSION_KEY.format(digest=session.digest), "locale", locale)

    def end(self, session: Session) -> None:
        with self.client.pipeline() as pipe:
            pipe.delete(SESSION_KEY.format(digest=session.digest))
            pipe.srem(USER_KEY.format(username=session.user), session.digest)
            pipe.execute()

    def end_all(self, username: str) -> int:
        """End every session of a user (password changed, account removed); returns how many."""
        digests = self.client.smembers(USER_KEY.format(username=username))
        with self.client.pipeline() as pipe:
            for digest in digests:
                pipe.delete(SESSION_KEY.format(digest=digest))
            pipe.delete(USER_KEY.format(username=username))
            results = pipe.execute()
        return sum(results[:-1])


class LoginLimiter:
    """At most `per_user` failed sign-ins per username and `per_ip` per address in a window."""

    def __init__(self, client: redis.Redis, *, window: int = 900, per_user: int = 5, per_ip: int = 20):
        self.client, self.window, self.per_user, self.per_ip = client, int(window), int(per_user), int(per_ip)

    def _keys(self, username: str, ip: str) -> tuple[str, str]:
        return (FAIL_USER_KEY.format(digest=_digest((username or "").strip().lower())),
                FAIL_IP_KEY.format(ip=(ip or "unknown")[:64]))

    def blocked(self, username: str, ip: str) -> bool:
        user_key, ip_key = self._keys(username, ip)
        user_fails, ip_fails = self.client.mget(user_key, ip_key)
        return int(user_fails or 0) >= self.per_user or int(ip_fails or 0) >= self.per_ip

    def failed(self, username: str, ip: str) -> None:
        with self.client.pipeline() as pipe:
            for key in self._keys(username, ip):
                pipe.set(key, 0, ex=self.window, nx=True)  # the window starts at the first failure
                pipe.incr(key)
            pipe.execute()

    def succeeded(self, username: str) -> None:
        self.client.delete(self._keys(username, "")[0])
