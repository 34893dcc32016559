"""Running one due alert step exactly once: check the item, claim the step's record, send, record, plan on.

The step record (hl:alert:step:{id}:{step}, see helpline.alerts.state) is the idempotency key: it is
created with SET NX *before* the Twilio request, so whoever creates it is the only one who may send.
A record still saying "sending" when its worker no longer has a heartbeat means that worker died
during the request: the send is marked "uncertain" and never repeated, and the plan moves on at once
(the call follows the SMS, or the next coordinator is alerted).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from contextlib import contextmanager

from helpline.callbacks import ITEM_KEY
from helpline.errors import NotFound
from helpline.metrics import ALERT_LATENCY, ALERTS_FAILED, ALERTS_SENT
from helpline.privacy import mask_number

from . import plan
from .delivery import PERMANENT, SKIPPED, UNCERTAIN, Outcome
from .messages import alert_sms, taken_sms

log = logging.getLogger("helpline.alerts")
OPEN = ("new", "alerted")


class StepRunner:
    """Executes due members of hl:alerts:due for one worker; shared by its threads."""

    def __init__(self, *, queue, state, sender, institution, gettext, optouts, call_url, worker: str,
                 timing: plan.Timing):
        self.queue, self.state, self.sender, self.institution = queue, state, sender, institution
        self.gettext, self.optouts, self.call_url = gettext, optouts, call_url
        self.worker, self.timing = worker, timing
        self._active: set[str] = set()  # "id:step" being sent by this process right now
        self._lock = threading.Lock()

    @contextmanager
    def _sending(self, cb_id, step):
        with self._lock:
            self._active.add(f"{cb_id}:{step}")
        try:
            yield
        finally:
            with self._lock:
                self._active.discard(f"{cb_id}:{step}")

    @property
    def coordinators(self):
        return self.institution.coordinators

    def run(self, member: str) -> None:
        cb_id, _, step = member.partition(":")
        try:
            item = self.queue.get(cb_id)
        except NotFound:  # expired or never existed: nothing to alert
            self.state.drop(member)
            return
        if step == "taken":
            self.notify_taken(item, member)
        elif item.status not in OPEN:  # taken, resolved or declined: escalation stops here
            self.state.drop(member)
        else:
            self.run_plan_step(item, int(step), member)

    # -- the plan ---------------------------------------------------------------------------
    def run_plan_step(self, item, index: int, member: str) -> None:
        step = plan.step_at(index, item.urgency, len(self.coordinators), self.timing)
        if step is None or step.coordinator >= len(self.coordinators):
            self.state.drop(member)
            return
        coordinator = self.coordinators[step.coordinator]
        with self._sending(item.id, index):
            ours, raw = self.state.begin(item.id, index, self.worker, time.time())
            if ours:
                outcome = self._send(item, step.channel, step.coordinator, coordinator)
                record = self._finish(item, index, outcome, step.channel, step.coordinator, kind="alert")
        if not ours:  # done before (a redelivery, or its worker died after the send): never again
            record = self._settle(item, index, raw, step.channel, step.coordinator)
            if record is None:
                return
        # Idempotent follow-ups, so a worker that died half-way through them is completed here.
        if record["state"] == "sent":
            self.state.set_alerted_status(ITEM_KEY.format(id=item.id), record["at"])
        if record["state"] in (PERMANENT, SKIPPED):
            self.state.add_skips(item.id, plan.skips_for(record.get("code"), step.channel, step.coordinator))
        self._advance(item, step, member, record)
        if self._status(item.id) == "taken":  # taken while we sent: this one hears it too
            self.state.schedule(f"{item.id}:taken", time.time())

    def _status(self, cb_id) -> str:
        try:
            return self.queue.get(cb_id).status
        except NotFound:
            return ""

    def _send(self, item, channel: str, index: int, coordinator) -> Outcome:
        if channel == plan.SMS:
            if self.optouts.is_opted_out(coordinator.phone):
                return Outcome(SKIPPED, code="opted-out")
            body = alert_sms(self.gettext, coordinator.locale, cb_id=item.id, urgency=item.urgency,
                             number=item.number, lang=item.locale)
            return self.sender.sms(coordinator.phone, body)
        url = self.call_url(item.id, index, coordinator.locale)
        if not url:
            log.error("alert #%s: HELPLINE_PUBLIC_URL is not set, the alert call cannot be placed", item.id)
            return Outcome(PERMANENT, code="no-public-url")
        return self.sender.call(coordinator.phone, url)

    def _advance(self, item, step: plan.Step, member: str, record: dict) -> None:
        n, succeeded = len(self.coordinators), record["state"] == "sent"
        following = plan.next_step(step, item.urgency, n, self.timing, self.state.skips(item.id),
                                   succeeded=succeeded)
        if following is None:
            if not succeeded:
                log.error("alert #%s: no coordinator could be reached on any channel", item.id)
                self.queue.add_step(item.id, "exhausted")
            self.state.advance(member)
            return
        due = plan.due_after(step, following, done_at=record["at"], succeeded=succeeded, coordinators=n)
        self.state.advance(member, f"{item.id}:{following.index}", due)

    # -- records ----------------------------------------------------------------------------
    def _finish(self, item, step, outcome: Outcome, channel: str, index: int, *, kind: str) -> dict:
        record = {**outcome.as_record(), "worker": self.worker, "at": time.time(), "channel": channel,
                  "coordinator": index}
        self.state.finish(item.id, step, record)
        if outcome.sent:
            ALERTS_SENT.labels(channel=channel).inc()
            if step == 0 and kind == "alert":
                ALERT_LATENCY.observe(max(0.0, record["at"] - item.created))
        else:
            ALERTS_FAILED.labels(channel=channel, kind=outcome.state).inc()
        if outcome.sent or outcome.state == UNCERTAIN:
            self.state.mark_alerted(item.id, index)
        self._log(item, kind, step, outcome.as_record(), channel, index)
        return record

    def _settle(self, item, step, raw: str, channel: str, index: int) -> dict | None:
        """A record exists: done (return it), or in the hands of a live worker (None), or orphaned."""
        record = json.loads(raw)
        if record.get("state") != "sending":
            return record
        holder = record.get("worker", "")
        if (holder == self.worker and f"{item.id}:{step}" in self._active) or (
                holder != self.worker and self.state.worker_alive(holder)):
            return None  # still being sent; the member comes back after its lease
        settled = {"state": UNCERTAIN, "code": "worker-lost", "worker": self.worker, "at": time.time(),
                   "channel": channel, "coordinator": index}
        if not self.state.swap(item.id, step, raw, settled):
            return None  # someone finished it in between: look again next time
        self.state.mark_alerted(item.id, index)
        self._log(item, "alert" if str(step).isdigit() else "notice", step, settled, channel, index)
        return settled

    def _log(self, item, kind: str, step, record: dict, channel: str, index: int) -> None:
        coordinator = self.coordinators[index]
        fields = {k: record[k] for k in ("state", "sid", "code", "attempts") if k in record}
        self.queue.add_step(item.id, kind, channel=channel, to=coordinator.name, plan_step=str(step), **fields)
        level = logging.INFO if record["state"] == "sent" else logging.WARNING
        log.log(level, "alert #%s %s step=%s %s to %s: %s", item.id, kind, step, channel,
                mask_number(coordinator.phone), " ".join(f"{k}={v}" for k, v in fields.items()))

    # -- "taken by" notices -------------------------------------------------------------------
    def notify_taken(self, item, member: str) -> None:
        """One short SMS to every other coordinator who was alerted; each notice has its own record."""
        owner, pending = item.taken_by, False
        for index in sorted(self.state.alerted(item.id)):
            if not owner or index >= len(self.coordinators) or self.coordinators[index].name == owner:
                continue
            step, coordinator = f"taken-{index}", self.coordinators[index]
            with self._sending(item.id, step):
                ours, raw = self.state.begin(item.id, step, self.worker, time.time())
                if ours:
                    self._finish(item, step, self._notice(item, coordinator, owner), plan.SMS, index,
                                 kind="notice")
            if not ours:
                pending |= self._settle(item, step, raw, plan.SMS, index) is None
        if not pending:
            self.state.drop(member)

    def _notice(self, item, coordinator, owner: str) -> Outcome:
        if self.optouts.is_opted_out(coordinator.phone):
            return Outcome(SKIPPED, code="opted-out")
        return self.sender.sms(coordinator.phone, taken_sms(self.gettext, coordinator.locale, cb_id=item.id,
                                                              name=owner))
