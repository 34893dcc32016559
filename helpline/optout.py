"""Who asked for no more messages (STOP, ARRET...), keyed by a pseudonym of the number, never the number.

Key schema:
  hl:optout:{hmac}   string  time of the opt-out; TTL OPTOUT_TTL (two years), START removes it.
The pseudonym is an HMAC with the server secret, so the set reveals no number.
"""
from __future__ import annotations

import time

import redis

from .privacy import number_key

OPTOUT_KEY = "hl:optout:{key}"
OPTOUT_TTL = 730 * 86400


class OptOuts:
    """Record and check opt-outs for outbound messages of every kind (replies, alerts, notices)."""

    def __init__(self, client: redis.Redis, secret: str):
        self.client, self.secret = client, secret

    def key(self, number: str) -> str:
        return OPTOUT_KEY.format(key=number_key(self.secret, number))

    def opt_out(self, number: str) -> None:
        self.client.set(self.key(number), repr(time.time()), ex=OPTOUT_TTL)

    def opt_in(self, number: str) -> None:
        self.client.delete(self.key(number))

    def is_opted_out(self, number: str) -> bool:
        return bool(self.client.exists(self.key(number)))
