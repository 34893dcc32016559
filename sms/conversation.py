"""What the SMS line remembers about a sender, keyed by an HMAC of the number, never the number.

Key schema ({who} = helpline.privacy.number_key(SECRET_KEY, From); every key has a TTL):
  hl:sms:lang:{who}      string  locale chosen with ENGLISH/FRANCAIS             TTL lang_ttl (30 days)
  hl:sms:consent:{who}   string  locale of a RAPPEL waiting for OUI/YES          TTL consent_ttl (15 min)
  hl:sms:cb:{who}        string  id of the last callback queued for this sender  TTL callback_ttl (24 h)
                                 (NON/NO declines it; a second urgent text reuses it)
  hl:sms:rate:{who}      counter messages in the current window                  TTL rate_window (60 s)
  hl:seen:sms:{MessageSid} string the TwiML reply already given (helpline.store.SEEN_KEY)  TTL SEEN_TTL
The raw number is never written here: only inside a callback the person agreed to, or an urgent one.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import redis

from helpline.errors import StoreUnavailable
from helpline.privacy import number_key
from helpline.store import REDIS_ERRORS, SEEN_KEY, SEEN_TTL

LANG_KEY = "hl:sms:lang:{who}"
CONSENT_KEY = "hl:sms:consent:{who}"
CALLBACK_KEY = "hl:sms:cb:{who}"
RATE_KEY = "hl:sms:rate:{who}"
IN_PROGRESS = "…"  # placeholder while the first delivery of a MessageSid is being answered
_SNAPSHOT = """
local first = 1
if ARGV[4] == '1' then
  first = redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[1], 'NX') and 1 or 0
end
redis.call('SET', KEYS[2], 0, 'EX', ARGV[2], 'NX')
local count = redis.call('INCR', KEYS[2])
return {first, count, redis.call('GET', KEYS[3]) or '', redis.call('EXISTS', KEYS[4])}
"""


@dataclass(frozen=True)
class SmsSettings:
    """Limits and lifetimes, from app.config SMS_* (tests shorten them)."""

    rate_limit: int = 10
    rate_window: int = 60
    consent_ttl: int = 15 * 60
    lang_ttl: int = 30 * 86400
    callback_ttl: int = 24 * 3600

    @classmethod
    def from_config(cls, config) -> "SmsSettings":
        names = {"rate_limit": "SMS_RATE_LIMIT", "rate_window": "SMS_RATE_WINDOW",
                 "consent_ttl": "SMS_CONSENT_TTL", "lang_ttl": "SMS_LANG_TTL", "callback_ttl": "SMS_CALLBACK_TTL"}
        return cls(**{field: int(config[key]) for field, key in names.items() if config.get(key)})


def _store_errors(method):
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except REDIS_ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc

    wrapper.__doc__, wrapper.__name__ = method.__doc__, method.__name__
    return wrapper


@dataclass(frozen=True)
class Snapshot:
    """What one message needs to know before deciding, read in a single round trip."""

    first: bool              # this delivery claimed its MessageSid (or it has none)
    count: int               # messages from this sender in the current rate window, this one included
    locale: str | None       # ENGLISH/FRANCAIS choice
    opted_out: bool


class Conversation:
    """Locale, pending consent, last callback and rate counter of one sender."""

    def __init__(self, client: redis.Redis, secret: str, number: str, settings: SmsSettings):
        self.client, self.settings = client, settings
        self.who = number_key(secret, number or "-")

    def _key(self, template: str) -> str:
        return template.format(who=self.who)

    @_store_errors
    def locale(self) -> str | None:
        return self.client.get(self._key(LANG_KEY))

    @_store_errors
    def set_locale(self, locale: str) -> None:
        self.client.set(self._key(LANG_KEY), locale, ex=self.settings.lang_ttl)

    @_store_errors
    def ask_consent(self, locale: str) -> None:
        """RAPPEL: wait consent_ttl seconds for OUI/YES."""
        self.client.set(self._key(CONSENT_KEY), locale, ex=self.settings.consent_ttl)

    @_store_errors
    def take_consent(self) -> str | None:
        """The locale of a pending RAPPEL, consumed (GETDEL: one OUI gives one callback)."""
        return self.client.getdel(self._key(CONSENT_KEY))

    @_store_errors
    def remember_callback(self, cb_id: int) -> None:
        self.client.set(self._key(CALLBACK_KEY), cb_id, ex=self.settings.callback_ttl)

    @_store_errors
    def last_callback(self) -> int | None:
        value = self.client.get(self._key(CALLBACK_KEY))
        return int(value) if value else None

    @_store_errors
    def forget(self) -> None:
        """Opt-out: drop everything kept about this sender (locale, pending consent, callback link)."""
        self.client.delete(self._key(LANG_KEY), self._key(CONSENT_KEY), self._key(CALLBACK_KEY))

    @_store_errors
    def snapshot(self, sid: str | None, optout_key: str) -> Snapshot:
        """Claim the MessageSid, count the message in the rate window, read the locale and the opt-out.

        One script, one round trip: this runs for every text.
        """
        keys = [ReplyCache.key(sid) if sid else "", self._key(RATE_KEY), self._key(LANG_KEY), optout_key]
        first, count, locale, opted_out = _snapshot_script(self.client)(
            keys=keys, args=[SEEN_TTL, self.settings.rate_window, IN_PROGRESS, 1 if sid else 0])
        return Snapshot(first=bool(first), count=int(count), locale=locale or None, opted_out=bool(opted_out))


@functools.lru_cache(maxsize=8)
def _snapshot_script(client: redis.Redis):
    """The snapshot script bound to a client (EVALSHA; loaded into Redis on first use), made once per
    client rather than per message (making one hashes the script)."""
    return client.register_script(_SNAPSHOT)


class ReplyCache:
    """The reply given to each MessageSid, so a retried webhook gets the same answer and no new work."""

    def __init__(self, client: redis.Redis, ttl: int = SEEN_TTL):
        self.client, self.ttl = client, ttl

    @staticmethod
    def key(sid: str) -> str:
        return SEEN_KEY.format(channel="sms", sid=sid)

    @_store_errors
    def try_claim(self, sid: str) -> bool:
        """Claim the MessageSid if nobody has: True when this delivery is the first."""
        return bool(self.client.set(self.key(sid), IN_PROGRESS, ex=self.ttl, nx=True))

    @_store_errors
    def claim(self, sid: str, wait: float = 3.0) -> str | None:
        """None: answer this delivery (it is the first, or the first died); else the reply already given."""
        if self.client.set(self.key(sid), IN_PROGRESS, ex=self.ttl, nx=True):
            return None
        deadline = time.monotonic() + wait
        while True:
            value = self.client.get(self.key(sid))
            if value not in (None, IN_PROGRESS):
                return value
            if time.monotonic() >= deadline:
                # The first delivery never finished (its process died): answer this one in full.
                # Its side effects are keyed by the MessageSid (callback events), so none doubles.
                return None
            time.sleep(0.05)

    @_store_errors
    def store(self, sid: str, reply: str) -> None:
        self.client.set(self.key(sid), reply, ex=self.ttl)

    @_store_errors
    def release(self, sid: str) -> None:
        """The first delivery failed: let Twilio's retry be answered afresh."""
        self.client.delete(self.key(sid))
