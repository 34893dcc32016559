"""Applying `[privacy] retention_days` now: resolved callbacks, over-long TTLs, the audit log."""
from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from .callbacks import ITEM_KEY, LOG_KEY, OPEN_KEY

AUDIT_STREAM = "hl:audit"


@dataclass(frozen=True)
class PurgeReport:
    """What a purge did."""

    deleted: int
    shortened: int
    audit_trimmed: int


def purge(client: redis.Redis, retention_days: int, now: float | None = None, *,
          audit_retention_days: int = 365) -> PurgeReport:
    """Delete resolved callbacks older than the retention; no callback key keeps a longer TTL;
    audit entries older than their own (longer) retention go too."""
    now = time.time() if now is None else now
    limit = retention_days * 86400
    deleted = shortened = 0
    for key in client.scan_iter(match="hl:cb:*", count=500):
        key = key.decode() if isinstance(key, bytes) else key
        parts = key.split(":")
        if len(parts) != 3 or not parts[2].isdigit():
            continue
        item = client.hgetall(key)
        if not item:
            continue
        item = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
                for k, v in item.items()}
        resolved_at = float(item.get("resolved_at") or 0)
        if item.get("status") in ("resolved", "declined") and resolved_at and now - resolved_at > limit:
            with client.pipeline() as pipe:
                pipe.delete(ITEM_KEY.format(id=parts[2]), LOG_KEY.format(id=parts[2]))
                pipe.zrem(OPEN_KEY, parts[2])
                pipe.execute()
            deleted += 1
            continue
        for each in (key, LOG_KEY.format(id=parts[2])):
            ttl = client.ttl(each)
            if ttl == -1 or ttl > limit:
                client.expire(each, limit)
                shortened += 1
    audit_limit = audit_retention_days * 86400
    trimmed = (client.xtrim(AUDIT_STREAM, minid=f"{int((now - audit_limit) * 1000)}-0", approximate=False)
               if client.exists(AUDIT_STREAM) else 0)
    return PurgeReport(deleted=deleted, shortened=shortened, audit_trimmed=int(trimmed or 0))
