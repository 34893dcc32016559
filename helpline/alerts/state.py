"""Alert delivery state in Redis: the due set, one record per step, plan markers and heartbeats.

Key schema (connection injected; ids and Twilio sids only, no numbers, no text):
  hl:alerts:due               zset    member "{id}:{step}" (step = plan index, or "taken" for the
                                      "taken by" notices); score = due time, or the end of the lease
                                      while a worker holds it. Members leave when done.
  hl:alert:plan:{id}          string  time the plan started; set once (NX): an item is planned once   TTL retention
  hl:alert:step:{id}:{step}   string  JSON {state: sending|sent|permanent|transient|uncertain|skipped,
                                      worker, sid, code, at}: the idempotency key of one send        TTL retention
  hl:alert:alerted:{id}       set     coordinator indices that were (or may have been) alerted      TTL retention
  hl:alert:skip:{id}          set     "sms:0", "call:1": channels that failed for good for this item TTL retention
  hl:worker:{name}            string  JSON heartbeat {pid, host, at, inflight}                      TTL heartbeat_ttl
The work itself arrives on the stream hl:stream:callbacks (helpline.callbacks), group GROUP.
Times are the workers' wall clocks (keep them NTP-synchronised).
"""
from __future__ import annotations

import json
import time

import redis

DUE_KEY = "hl:alerts:due"
PLAN_KEY = "hl:alert:plan:{id}"
STEP_KEY = "hl:alert:step:{id}:{step}"
ALERTED_KEY = "hl:alert:alerted:{id}"
SKIP_KEY = "hl:alert:skip:{id}"
WORKER_KEY = "hl:worker:{name}"
GROUP = "alerts"

# Take up to ARGV[3] due members and lease them until ARGV[2]: one worker per member at a time.
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], member) end
return due
"""
# Plan an item once: the marker and its first due step exist together or not at all.
_START = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', tonumber(ARGV[2])) then return 0 end
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[2], 'NX', ARGV[1], ARGV[3]) end
return 1
"""
# Finish a member and schedule the next one in one step, so a crash leaves either or both.
_ADVANCE = """
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then redis.call('ZADD', KEYS[1], 'NX', ARGV[3], ARGV[2]) end
return 1
"""
# Replace a step record only if it is still the one read (a compare-and-set).
_SWAP = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
return 1
"""
# new -> alerted, never over taken/resolved/declined.
_ALERTED = """
if redis.call('HGET', KEYS[1], 'status') == 'new' then
  redis.call('HSET', KEYS[1], 'status', 'alerted', 'alerted_at', ARGV[1])
  return 1
end
return 0
"""


class AlertState:
    """Small atomic operations on the alert keys."""

    def __init__(self, client: redis.Redis, retention: int):
        self.client, self.retention = client, retention
        self._claim = client.register_script(_CLAIM)
        self._start = client.register_script(_START)
        self._advance = client.register_script(_ADVANCE)
        self._swap = client.register_script(_SWAP)
        self._alerted = client.register_script(_ALERTED)

    def claim(self, now: float, lease: float, limit: int) -> list[str]:
        return self._claim(keys=[DUE_KEY], args=[repr(now), repr(now + lease), limit])

    def renew(self, members, until: float) -> None:
        if members:
            self.client.zadd(DUE_KEY, {m: until for m in members}, xx=True, gt=True)

    def release(self, members, now: float) -> None:
        if members:
            self.client.zadd(DUE_KEY, {m: now for m in members}, xx=True)

    def next_due(self) -> float | None:
        first = self.client.zrange(DUE_KEY, 0, 0, withscores=True)
        return first[0][1] if first else None

    def start(self, cb_id: int, first_member: str, now: float) -> bool:
        return bool(self._start(keys=[PLAN_KEY.format(id=cb_id), DUE_KEY],
                                args=[repr(now), self.retention, first_member]))

    def is_planned(self, cb_id) -> bool:
        return bool(self.client.exists(PLAN_KEY.format(id=cb_id)))

    def schedule(self, member: str, due: float) -> None:
        self.client.zadd(DUE_KEY, {member: due}, nx=True)

    def advance(self, member: str, following: str = "", due: float = 0.0) -> None:
        self._advance(keys=[DUE_KEY], args=[member, following, repr(due)])

    def drop(self, member: str) -> None:
        self.client.zrem(DUE_KEY, member)

    # -- step records: the idempotency keys ------------------------------------------
    def begin(self, cb_id, step, worker: str, now: float) -> tuple[bool, str]:
        """Mark a send as started (SET NX). Returns (ours, the record now stored)."""
        key = STEP_KEY.format(id=cb_id, step=step)
        record = json.dumps({"state": "sending", "worker": worker, "at": now})
        if self.client.set(key, record, nx=True, ex=self.retention):
            return True, record
        return False, self.client.get(key) or record

    def finish(self, cb_id, step, record: dict) -> None:
        self.client.set(STEP_KEY.format(id=cb_id, step=step), json.dumps(record), ex=self.retention)

    def swap(self, cb_id, step, old: str, record: dict) -> bool:
        return bool(self._swap(keys=[STEP_KEY.format(id=cb_id, step=step)],
                               args=[old, json.dumps(record), self.retention]))

    # -- per-item sets ------------------------------------------------------------------
    def _add(self, template: str, cb_id, *values) -> None:
        if not values:
            return
        key = template.format(id=cb_id)
        with self.client.pipeline() as pipe:
            pipe.sadd(key, *values)
            pipe.expire(key, self.retention)
            pipe.execute()

    def mark_alerted(self, cb_id, coordinator: int) -> None:
        self._add(ALERTED_KEY, cb_id, coordinator)

    def alerted(self, cb_id) -> set[int]:
        return {int(i) for i in self.client.smembers(ALERTED_KEY.format(id=cb_id))}

    def add_skips(self, cb_id, skips) -> None:
        self._add(SKIP_KEY, cb_id, *skips)

    def skips(self, cb_id) -> frozenset[str]:
        return frozenset(self.client.smembers(SKIP_KEY.format(id=cb_id)))

    def set_alerted_status(self, item_key: str, now: float) -> bool:
        return bool(self._alerted(keys=[item_key], args=[repr(now)]))

    # -- workers -------------------------------------------------------------------------
    def heartbeat(self, name: str, ttl: float, **info) -> None:
        payload = json.dumps({"at": time.time(), **info})
        self.client.set(WORKER_KEY.format(name=name), payload, px=int(ttl * 1000))

    def worker_alive(self, name: str) -> bool:
        return bool(self.client.exists(WORKER_KEY.format(name=name)))

    def worker_gone(self, name: str) -> None:
        self.client.delete(WORKER_KEY.format(name=name))
