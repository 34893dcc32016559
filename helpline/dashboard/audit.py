"""The coordinators' audit log: who did what, when, to which item. Append-only, trimmed by age.

Key schema (connection injected):
  hl:audit   stream   at who action item ip detail; every XADD trims entries older than the
                      retention (MINID ~) and renews the key's TTL, so the log never outlives it.
Nothing in the page writes anything but XADD here: there is no route to edit or delete an entry.
Actions: sign_in, sign_in_failed, sign_in_limited, sign_out, view_queue, take, note, resolve, locale.
No note text and no phone number is written here, only ids and short codes.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import redis

AUDIT_KEY = "hl:audit"
DEFAULT_RETENTION_DAYS = 365


@dataclass(frozen=True)
class Entry:
    """One audit entry as read back."""

    id: str
    at: float
    who: str
    action: str
    item: str = ""
    ip: str = ""
    detail: str = ""

    def to_dict(self) -> dict:
        return {"id": self.id, "at": self.at, "who": self.who, "action": self.action, "item": self.item,
                "ip": self.ip, "detail": self.detail}


class AuditLog:
    """Append entries to hl:audit and read them back in order."""

    def __init__(self, client: redis.Redis, *, retention_seconds: int = DEFAULT_RETENTION_DAYS * 86400):
        self.client, self.retention = client, retention_seconds

    def record(self, who: str, action: str, *, item: int | str | None = None, ip: str = "",
               detail: str = "", now: float | None = None) -> str:
        now = time.time() if now is None else now
        oldest = int((now - self.retention) * 1000)
        fields = {"at": repr(now), "who": (who or "-")[:64], "action": action,
                  "item": "" if item is None else str(item)[:200], "ip": (ip or "")[:64], "detail": detail[:200]}
        with self.client.pipeline() as pipe:
            pipe.xadd(AUDIT_KEY, fields, minid=max(oldest, 0), approximate=True)
            pipe.expire(AUDIT_KEY, self.retention)
            entry_id, _ = pipe.execute()
        return entry_id

    def entries(self, since: float | None = None, count: int | None = None) -> list[Entry]:
        start = f"{int(since * 1000)}-0" if since else "-"
        return [_entry(row) for row in self.client.xrange(AUDIT_KEY, min=start, max="+", count=count)]

    def latest(self, count: int = 50) -> list[Entry]:
        """The newest entries, newest first (the page's short view)."""
        return [_entry(row) for row in self.client.xrevrange(AUDIT_KEY, max="+", min="-", count=count)]


def _entry(row) -> Entry:
    entry_id, f = row
    return Entry(id=entry_id, at=float(f.get("at", 0)), who=f.get("who", ""), action=f.get("action", ""),
                 item=f.get("item", ""), ip=f.get("ip", ""), detail=f.get("detail", ""))
