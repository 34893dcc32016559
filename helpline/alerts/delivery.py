"""Sending one alert SMS or call through the official Twilio client, with bounded retries.

Every failure is sorted into one of three kinds, because only one of them may be retried safely:
  transient  Twilio said no for now (429, 5xx) or the connection never opened (refused, DNS,
             connect timeout): the request was not taken, so it is retried with backoff and
             full jitter, at most `attempts` times, honouring Retry-After up to the cap.
  permanent  any other 4xx (21211 invalid number, 21610 unsubscribed...): recorded, never retried.
  uncertain  the request left but no answer came back (read timeout, connection dropped): Twilio
             may have sent it. Resending could alert someone twice, so it is not retried here;
             the plan moves on (the next step is a call, or the next coordinator).
Nothing here knows about Redis: the step runner records the outcome and the idempotency keys.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

import requests
from twilio.base.exceptions import TwilioRestException
from urllib3.exceptions import NewConnectionError

SENT, PERMANENT, TRANSIENT, UNCERTAIN, SKIPPED = "sent", "permanent", "transient", "uncertain", "skipped"


@dataclass(frozen=True)
class Outcome:
    """What became of one send: state, Twilio sid or error code, attempts made."""

    state: str
    sid: str = ""
    code: int | str | None = None
    attempts: int = 0

    @property
    def sent(self) -> bool:
        return self.state == SENT

    def as_record(self) -> dict:
        return {k: v for k, v in {"state": self.state, "sid": self.sid, "code": self.code,
                                  "attempts": self.attempts}.items() if v not in ("", None)}


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter."""

    attempts: int = 4
    base: float = 0.5
    cap: float = 4.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        wait = random.uniform(0, min(self.cap, self.base * (2 ** attempt)))
        if retry_after:
            wait = max(wait, min(retry_after, self.cap))
        return wait


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def classify(exc: Exception) -> tuple[str, int | str | None]:
    """(kind, code) for an exception raised by the Twilio client."""
    if isinstance(exc, TwilioRestException):
        retry = exc.status == 429 or exc.status >= 500
        return (TRANSIENT if retry else PERMANENT), exc.code or exc.status
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TRANSIENT, "connect-timeout"
    if isinstance(exc, requests.exceptions.ConnectionError) and _never_connected(exc):
        return TRANSIENT, "connection-refused"
    if isinstance(exc, requests.exceptions.Timeout):
        return UNCERTAIN, "read-timeout"
    if isinstance(exc, requests.exceptions.RequestException):
        return UNCERTAIN, type(exc).__name__
    raise exc


class TwilioSender:
    """Sends SMS and calls from the helpline number; one instance per worker (thread-safe)."""

    def __init__(self, client, from_number: str, policy: RetryPolicy = RetryPolicy(), sleep=time.sleep):
        self.client, self.from_number, self.policy, self.sleep = client, from_number, policy, sleep

    def sms(self, to: str, body: str) -> Outcome:
        return self._send(lambda: self.client.messages.create(to=to, from_=self.from_number, body=body))

    def call(self, to: str, url: str, ring_seconds: int = 30) -> Outcome:
        return self._send(lambda: self.client.calls.create(to=to, from_=self.from_number, url=url,
                                                            method="POST", timeout=ring_seconds))

    def _retry_after(self) -> float | None:
        response = getattr(self.client.http_client, "last_response", None)
        value = (getattr(response, "headers", None) or {}).get("Retry-After")
        try:
            return float(value) if value else None
        except ValueError:
            return None

    def _send(self, create) -> Outcome:
        code = None
        for attempt in range(1, self.policy.attempts + 1):
            try:
                return Outcome(SENT, sid=create().sid, attempts=attempt)
            except Exception as exc:  # noqa: BLE001 - classify re-raises what is not a send failure
                kind, code = classify(exc)
                retry_after = self._retry_after() if isinstance(exc, TwilioRestException) else None
            if kind != TRANSIENT:
                return Outcome(kind, code=code, attempts=attempt)
            if attempt < self.policy.attempts:
                self.sleep(self.policy.delay(attempt - 1, retry_after))
        return Outcome(TRANSIENT, code=code, attempts=self.policy.attempts)
