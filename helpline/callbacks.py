"""The callback queue: requests from callers and texters, urgent flags, and what was done with them.

Key schema (redis connection injected; every key carries the retention TTL):
  hl:cb:seq               counter   callback ids: short and speakable ("OK 42")
  hl:cb:{id}              hash      id number locale source urgency status created reason
                                    taken_by taken_at resolved_at outcome note
  hl:cb:{id}:log          list      JSON steps, oldest first (created, alerted, called, taken, resolved...)
  hl:cb:open              zset      open ids scored by creation time
  hl:cb:event:{event}     string    the id created for one event (CallSid/MessageSid based): dedupe
  hl:stream:callbacks     stream    {id, kind}: new work for the alert workers (consumer groups)
A request is created by one Lua script, so the item, its index, its dedupe key and its stream entry
exist together or not at all, and the same event never creates two callbacks.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

import redis

from .errors import Conflict, NotFound, StoreUnavailable

SEQ_KEY = "hl:cb:seq"
ITEM_KEY = "hl:cb:{id}"
LOG_KEY = "hl:cb:{id}:log"
OPEN_KEY = "hl:cb:open"
EVENT_KEY = "hl:cb:event:{event}"
STREAM_KEY = "hl:stream:callbacks"
URGENT, ROUTINE = "urgent", "routine"
OPEN_STATUSES = ("new", "alerted", "taken")
REDIS_ERRORS = (redis.RedisError, OSError)

_CREATE = """
local existing = redis.call('GET', KEYS[1])
if existing then return {tonumber(existing), 0} end
local id = redis.call('INCR', KEYS[2])
local item = 'hl:cb:' .. id
local ttl = tonumber(ARGV[1])
redis.call('HSET', item, 'id', id, unpack(ARGV, 4))
redis.call('EXPIRE', item, ttl)
redis.call('RPUSH', item .. ':log', ARGV[3])
redis.call('EXPIRE', item .. ':log', ttl)
redis.call('SET', KEYS[1], id, 'EX', ttl)
redis.call('ZADD', KEYS[3], ARGV[2], id)
redis.call('XADD', KEYS[4], '*', 'id', id, 'kind', 'new')
return {id, 1}
"""

_TAKE = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing', ''} end
local owner = redis.call('HGET', KEYS[1], 'taken_by') or ''
if status == 'taken' or status == 'resolved' or status == 'declined' then return {status, owner} end
redis.call('HSET', KEYS[1], 'status', 'taken', 'taken_by', ARGV[1], 'taken_at', ARGV[2])
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('XADD', KEYS[3], '*', 'id', ARGV[4], 'kind', 'taken')
return {'ok', ARGV[1]}
"""


@dataclass(frozen=True)
class Callback:
    """One callback request as stored; `number` is present only with consent or for an urgent flag."""

    id: int
    locale: str
    source: str
    urgency: str
    status: str
    created: float
    number: str = ""
    reason: str = ""
    taken_by: str = ""
    taken_at: float | None = None
    resolved_at: float | None = None
    outcome: str = ""
    note: str = ""

    @property
    def urgent(self) -> bool:
        return self.urgency == URGENT

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @classmethod
    def from_hash(cls, data: dict) -> "Callback":
        floats = {k: float(data[k]) if data.get(k) else None for k in ("taken_at", "resolved_at")}
        return cls(
            id=int(data["id"]), locale=data.get("locale", "fr"), source=data.get("source", ""),
            urgency=data.get("urgency", ROUTINE), status=data.get("status", "new"),
            created=float(data.get("created", 0)), number=data.get("number", ""),
            reason=data.get("reason", ""), taken_by=data.get("taken_by", ""),
            outcome=data.get("outcome", ""), note=data.get("note", ""), **floats,
        )

    def to_dict(self, *, with_number: bool = True) -> dict:
        data = asdict(self)
        if not with_number:
            data["number"] = ""
        return data


class CallbackQueue:
    """Create, read and move callback requests through their states."""

    def __init__(self, client: redis.Redis, *, retention_seconds: int = 30 * 86400):
        self.client = client
        self.retention = retention_seconds
        self._create = client.register_script(_CREATE)
        self._take = client.register_script(_TAKE)

    def request(self, *, event: str, locale: str, source: str, urgency: str = ROUTINE,
                number: str = "", reason: str = "", now: float | None = None) -> tuple[int, bool]:
        """Queue a callback once per event; returns (id, created)."""
        now = time.time() if now is None else now
        fields = {"locale": locale, "source": source, "urgency": urgency, "status": "new",
                  "created": repr(now), "number": number or "", "reason": reason or "", "event": event}
        step = json.dumps({"at": now, "step": "created", "source": source, "urgency": urgency})
        flat = [x for pair in fields.items() for x in pair]
        keys = [EVENT_KEY.format(event=event), SEQ_KEY, OPEN_KEY, STREAM_KEY]
        try:
            cb_id, created = self._create(keys=keys, args=[self.retention, repr(now), step, *flat])
        except REDIS_ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc
        return int(cb_id), bool(created)

    def get(self, cb_id: int | str) -> Callback:
        data = self.client.hgetall(ITEM_KEY.format(id=int(cb_id)))
        if not data:
            raise NotFound(f"no callback #{cb_id}")
        return Callback.from_hash(data)

    def steps(self, cb_id: int | str) -> list[dict]:
        return [json.loads(s) for s in self.client.lrange(LOG_KEY.format(id=int(cb_id)), 0, -1)]

    def add_step(self, cb_id: int | str, step: str, now: float | None = None, **data) -> None:
        entry = json.dumps({"at": time.time() if now is None else now, "step": step, **data})
        key = LOG_KEY.format(id=int(cb_id))
        with self.client.pipeline() as pipe:
            pipe.rpush(key, entry)
            pipe.expire(key, self.retention)
            pipe.execute()

    def set_status(self, cb_id: int | str, status: str, **fields) -> None:
        self.client.hset(ITEM_KEY.format(id=int(cb_id)), mapping={"status": status, **fields})

    def open_items(self) -> list[Callback]:
        """Open callbacks, urgent first, then oldest first."""
        ids = self.client.zrange(OPEN_KEY, 0, -1)
        items = []
        for cb_id in ids:
            data = self.client.hgetall(ITEM_KEY.format(id=cb_id))
            if data:
                items.append(Callback.from_hash(data))
            else:  # expired: keep the index honest
                self.client.zrem(OPEN_KEY, cb_id)
        return sorted(items, key=lambda c: (not c.urgent, c.created))

    def take(self, cb_id: int | str, by: str, via: str = "", now: float | None = None) -> tuple[Callback, bool]:
        """The first taker owns the callback: returns (item, newly_taken); another taker gets Conflict.

        Taking records the step and puts a `taken` entry on the stream in the same script, so the
        worker stops escalating and tells the other alerted coordinators exactly once.
        """
        now = time.time() if now is None else now
        cb_id = int(cb_id)
        step = json.dumps({"at": now, "step": "taken", "by": by, "via": via})
        status, owner = self._take(keys=[ITEM_KEY.format(id=cb_id), LOG_KEY.format(id=cb_id), STREAM_KEY],
                                   args=[by, repr(now), step, cb_id])
        if status == "missing":
            raise NotFound(f"no callback #{cb_id}")
        if status != "ok" and not (status == "taken" and owner == by):
            raise Conflict(f"callback #{cb_id} is {status}" + (f" by {owner}" if owner else ""))
        return self.get(cb_id), status == "ok"

    def resolve(self, cb_id: int | str, by: str, outcome: str, note: str = "", now: float | None = None) -> Callback:
        now = time.time() if now is None else now
        item = self.get(cb_id)
        if item.status == "resolved" or (item.status == "declined" and not item.urgent):
            raise Conflict(f"callback #{cb_id} is already {item.status}")
        with self.client.pipeline() as pipe:
            pipe.hset(ITEM_KEY.format(id=item.id), mapping={
                "status": "resolved", "resolved_at": repr(now), "outcome": outcome, "note": note[:500],
                "taken_by": item.taken_by or by})
            pipe.zrem(OPEN_KEY, item.id)
            pipe.rpush(LOG_KEY.format(id=item.id), json.dumps({"at": now, "step": "resolved", "by": by,
                                                                "outcome": outcome}))
            pipe.execute()
        return self.get(cb_id)

    def decline(self, cb_id: int | str, now: float | None = None) -> None:
        """The person said they no longer want the call (NON/NO): alerts stop.

        A routine request is closed. An urgent one stays in the coordinators' queue, marked as
        declined, until a coordinator resolves it: they know the person was at risk and said no.
        """
        now = time.time() if now is None else now
        item = self.get(cb_id)
        with self.client.pipeline() as pipe:
            if item.urgent:
                pipe.hset(ITEM_KEY.format(id=item.id), "status", "declined")
            else:
                pipe.hset(ITEM_KEY.format(id=item.id), mapping={"status": "declined", "resolved_at": repr(now)})
                pipe.zrem(OPEN_KEY, item.id)
            pipe.rpush(LOG_KEY.format(id=item.id), json.dumps({"at": now, "step": "declined"}))
            pipe.execute()


def get_queue() -> CallbackQueue:
    """The app's callback queue (created in create_app)."""
    from flask import current_app

    return current_app.extensions["helpline.callbacks"]
