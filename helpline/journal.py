"""A local append-only journal for callback requests that could not reach Redis.

Each line is one JSON request, written with a single O_APPEND write and fsynced before the caller
is told anything. `replay` moves the journal aside under a lock, queues every request (the
callback queue dedupes on the request's event, so a replay that is interrupted and run again
creates nothing twice), then deletes it.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from pathlib import Path

from .errors import StoreUnavailable

log = logging.getLogger("helpline.journal")


class Journal:
    """The journal file of one data directory."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.replaying = self.path.with_suffix(".replaying")
        self.lock_path = self.path.with_suffix(".lock")

    def append(self, request: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(request, separators=(",", ":")) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def pending(self) -> int:
        """Requests journaled and not yet replayed.  Counted under the replay lock when it is free
        (a replay moves the journal aside under it: read without it, a move between the two reads
        would count a request twice); while a replay holds it, perhaps for as long as Redis hangs,
        the files are read without it, again until neither changed under the reading."""
        if not self.path.exists() and not self.replaying.exists():
            return 0        # the usual case (readiness probe, worker loop): no lock file, no directory made
        with open(self.lock_path, "w") as lock:
            for _ in range(20):
                try:
                    fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    time.sleep(0.001)
                    continue
                try:
                    return self._count_both()
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
        for _ in range(10):
            before = self._state()
            count = self._count_both()
            if self._state() == before:
                return count
        return count

    def _count_both(self) -> int:
        return sum(self._count(p) for p in (self.path, self.replaying))

    def _state(self) -> tuple:
        out = []
        for p in (self.path, self.replaying):
            try:
                st = p.stat()
                out.append((st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
            except FileNotFoundError:
                out.append(None)
        return tuple(out)

    @staticmethod
    def _count(path: Path) -> int:
        try:
            return sum(1 for line in path.read_bytes().splitlines() if line.strip())
        except FileNotFoundError:
            return 0

    def replay(self, queue) -> int:
        """Queue every journaled request; returns how many were queued. Safe to run concurrently."""
        if not self.path.exists() and not self.replaying.exists():
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self.path.exists():
                if self.replaying.exists():  # an earlier replay was interrupted: keep both
                    with open(self.replaying, "ab") as out:
                        out.write(self.path.read_bytes())
                        os.fsync(out.fileno())
                    self.path.unlink()
                else:
                    os.replace(self.path, self.replaying)
            if not self.replaying.exists():
                return 0
            queued = 0
            for raw in self.replaying.read_bytes().splitlines():
                if not raw.strip():
                    continue
                try:
                    request = json.loads(raw)
                except ValueError:
                    log.error("journal: skipped an unreadable line in %s", self.replaying)
                    continue
                try:
                    queue.request(**request)
                except StoreUnavailable:
                    log.warning("journal: Redis still unavailable, %s kept for the next replay", self.replaying)
                    return queued
                queued += 1
            self.replaying.unlink()
            if queued:
                log.warning("journal: replayed %d callback request(s) into Redis", queued)
            return queued
