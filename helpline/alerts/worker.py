"""`helpline worker`: turn callback requests into coordinator alerts, on any number of machines at once.

Work arrives on the stream hl:stream:callbacks (consumer group "alerts"): a `new` entry plans the item
once (hl:alert:plan:{id}, set NX with its first step in the due set); a `taken` entry schedules the
"taken by" notices. Entries are acknowledged only after that; entries left pending by a dead worker
are taken over with XAUTOCLAIM once idle for a lease. Every send then goes through the due set
hl:alerts:due: workers claim due members atomically (Lua) with a short lease that a live worker
renews every lease/4, so the member of a killed worker is due again within about two leases.
Each send has its own record, created NX before the Twilio request (see helpline.alerts.steps):
a redelivered entry, a doubled XADD or a reclaimed member never sends the same step twice.

Residual window: a worker killed after Twilio accepted a request but before its record says "sent"
leaves the record at "sending". The next worker cannot know whether that SMS or call went out, so
it marks the step "uncertain" and does not repeat it; the plan moves on at once (the call after the
SMS, or the next coordinator). The coordinator may therefore miss that one message, never get it
twice; an urgent item keeps escalating until someone takes it. The same holds for a read timeout.
Redis itself: with AOF everysec a crash can lose the last second of writes (see TWILIO.md).

The worker also replays the local journal of urgent flags written while Redis was down, sweeps open
items that were never planned (a lost stream entry), and writes hl:worker:{name} as a heartbeat.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import redis

from helpline.callbacks import OPEN_KEY, STREAM_KEY, CallbackQueue
from helpline.errors import NotFound
from helpline.store import REDIS_ERRORS

from . import plan
from .settings import AlertSettings, build_runner
from .state import GROUP, PLAN_KEY, AlertState

log = logging.getLogger("helpline.alerts.worker")


class Worker:
    """One alert worker process: a reader of the stream and a small pool of senders."""

    def __init__(self, app, *, name: str | None = None, client: redis.Redis | None = None):
        self.app = app
        self.settings = AlertSettings.from_institution(app.config["INSTITUTION"])
        self.client = client or redis.Redis.from_url(
            app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2, decode_responses=True,
            health_check_interval=30)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        retention = app.config["INSTITUTION"].retention_days * 86400
        self.queue = CallbackQueue(self.client, retention_seconds=retention)
        self.state = AlertState(self.client, retention)
        self.runner = build_runner(app, self.queue, self.state, self.settings, self.name, self.client)
        self.journal = app.extensions["helpline.journal"]
        self.pool = ThreadPoolExecutor(self.settings.threads, thread_name_prefix="alert")
        self.inflight: dict[str, Future] = {}
        self.stopping = threading.Event()
        self._timers: dict[str, float] = {}
        self._redis_down = False
        self._lock = threading.Lock()
        self._finished = threading.Event()

    # -- lifecycle ----------------------------------------------------------------------------
    def stop(self, *_args) -> None:
        """Ask the loop to stop after the steps in hand (safe from a signal handler)."""
        self.stopping.set()

    def run(self) -> None:
        log.info("alert worker %s started (%d sender threads, lease %.1fs)", self.name,
                 self.settings.threads, self.settings.lease)
        beat = threading.Thread(target=self._heartbeat_loop, name="alert-heartbeat", daemon=True)
        beat.start()
        failures = 0
        while not self.stopping.is_set():
            try:
                self.tick()
                failures, self._redis_down = 0, False
            except REDIS_ERRORS as exc:
                failures += 1
                if not self._redis_down:
                    log.error("alert worker: Redis unavailable (%s); retrying", type(exc).__name__)
                self._redis_down = True
                self.stopping.wait(min(0.1 * 2 ** failures, 2.0))
        self.pool.shutdown(wait=True)  # finish the steps in hand
        self._finished.set()
        beat.join(5)
        try:
            self.state.worker_gone(self.name)
        except REDIS_ERRORS:
            pass
        log.info("alert worker %s stopped", self.name)

    def tick(self) -> None:
        now = time.time()
        if self._every("group", 30, now):
            self._ensure_group()
        if self._every("journal", self.settings.journal_every, now) and self.journal.pending():
            self.journal.replay(self.queue)
        if self._every("sweep", 5, now):
            self.sweep()
        if self._every("trim", 60, now):
            self.tidy()
        free = self.claim_due(now)
        if self._every("autoclaim", self.settings.lease / 2, now):
            reply = self.client.xautoclaim(STREAM_KEY, GROUP, self.name, int(self.settings.lease * 1000),
                                           start_id="0-0", count=100)
            self.handle(reply[1])
        replies = self.client.xreadgroup(GROUP, self.name, {STREAM_KEY: ">"}, count=100,
                                         block=self._block_ms(now, free))
        for _stream, entries in replies or ():
            self.handle(entries)

    def _every(self, what: str, seconds: float, now: float) -> bool:
        if now < self._timers.get(what, 0):
            return False
        self._timers[what] = now + seconds
        return True

    def _ensure_group(self) -> None:
        try:
            self.client.xgroup_create(STREAM_KEY, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _block_ms(self, now: float, free: int) -> int:
        if free <= 0:
            return 20  # every sender busy: look again soon
        due = self.state.next_due()
        wait = 0.5 if due is None else due - now
        return int(min(max(wait, 0.005), 0.5) * 1000)

    # -- stream -------------------------------------------------------------------------------
    def handle(self, entries) -> None:
        for entry_id, fields in entries or ():
            fields = fields or {}  # a trimmed entry has no fields left
            if fields.get("kind") == "new":
                self.start(fields.get("id"))
            elif fields.get("kind") == "taken" and fields.get("id"):
                self.state.schedule(f"{int(fields['id'])}:taken", time.time())
            self.client.xack(STREAM_KEY, GROUP, entry_id)

    def start(self, cb_id) -> None:
        """Plan an item once; with no coordinator configured, say so once."""
        try:
            item = self.queue.get(cb_id)
        except (NotFound, ValueError, TypeError):
            return
        if item.status not in ("new", "alerted"):
            return
        n = len(self.runner.coordinators)
        first = plan.first_step(item.urgency, n, self.settings.timing)
        member = f"{item.id}:{first.index}" if first else ""
        if self.state.start(item.id, member, time.time()) and first is None:
            self.queue.add_step(item.id, "not-alerted", reason="no coordinators configured")
            log.error("callback #%s (%s) not alerted: no coordinators in the institution file", item.id,
                      item.urgency)

    def tidy(self) -> None:
        """Keep the stream bounded and forget consumers of workers long gone (nothing pending)."""
        self.client.xtrim(STREAM_KEY, maxlen=10000, approximate=True)
        for consumer in self.client.xinfo_consumers(STREAM_KEY, GROUP):
            if consumer["pending"] == 0 and consumer["idle"] > 3600_000 and consumer["name"] != self.name:
                self.client.xgroup_delconsumer(STREAM_KEY, GROUP, consumer["name"])

    def sweep(self) -> None:
        """Plan open items that were never planned (their stream entry was lost)."""
        ids = self.client.zrange(OPEN_KEY, 0, -1)
        with self.client.pipeline() as pipe:
            for cb_id in ids:
                pipe.exists(PLAN_KEY.format(id=cb_id))
            planned = pipe.execute()
        for cb_id, done in zip(ids, planned):
            if not done:
                self.start(cb_id)

    # -- due steps ------------------------------------------------------------------------------
    def claim_due(self, now: float) -> int:
        """Claim as many due members as there are free senders; returns the senders left free."""
        with self._lock:
            for member in [m for m, f in self.inflight.items() if f.done()]:
                self.inflight.pop(member)
            free = self.settings.threads - len(self.inflight)
            if free <= 0 or self.stopping.is_set():
                return free
            for member in self.state.claim(now, self.settings.lease, free):
                self.inflight[member] = self.pool.submit(self._run, member)
            return self.settings.threads - len(self.inflight)

    def _run(self, member: str) -> None:
        try:
            self.runner.run(member)
        except Exception:  # noqa: BLE001 - the member stays leased and is retried after its lease
            log.exception("alert step %s failed; it will be retried", member)

    def _heartbeat_loop(self) -> None:
        """Say we are alive and keep the leases of the steps in hand, until the senders are done."""
        while True:
            try:
                with self._lock:
                    held = [m for m, f in self.inflight.items() if not f.done()]
                self.state.heartbeat(self.name, self.settings.lease, pid=os.getpid(), host=socket.gethostname(),
                                     inflight=len(held))
                self.state.renew(held, time.time() + self.settings.lease)
            except REDIS_ERRORS:
                pass
            if self._finished.wait(self.settings.lease / 4):
                return
