"""Which alert step comes next for a callback: pure functions of the plan, the config and the outcome.

An urgent item runs through the coordinators in the order of the institution file:

  SMS to coordinator i          at i * escalate_after (after the first SMS)
  call to coordinator i         first_call_after after that SMS
  (these 2n steps in time order: with first_call_after > escalate_after a call comes after the next SMS)
  step 2n+j: call to coordinator j mod n, escalate_after after the previous step, until someone takes it

A routine item sends one SMS to the coordinator on duty (the first one) and moves to the next
coordinator only when a send fails. A failed step in the first pass makes the next one due at once;
in the call rounds the normal rhythm is kept, so a Twilio outage does not spin the plan.
Nothing here touches Redis or the clock: the worker passes `now` and the skip set in.
"""
from __future__ import annotations

from dataclasses import dataclass

SMS, CALL = "sms", "call"
URGENT = "urgent"


@dataclass(frozen=True)
class Timing:
    """The [alerts] delays, in seconds."""

    first_call_after: float
    escalate_after: float


@dataclass(frozen=True)
class Step:
    """One alert step: its index in the plan, the channel and the coordinator (index in the file)."""

    index: int
    channel: str
    coordinator: int
    offset: float  # seconds after the item's first alert step, on the success path

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.coordinator}"


def _first_pass(coordinators: int, timing: Timing) -> list[tuple[float, int, str]]:
    """The SMS and the call of every coordinator, in time order (a call may come after the next SMS)."""
    steps = []
    for i in range(coordinators):
        steps.append((i * timing.escalate_after, i, SMS))
        steps.append((i * timing.escalate_after + timing.first_call_after, i, CALL))
    return sorted(steps, key=lambda s: (s[0], s[1], s[2] == CALL))


def step_at(index: int, urgency: str, coordinators: int, timing: Timing) -> Step | None:
    """The plan's step number `index`, or None when the plan has no such step."""
    n = coordinators
    if n <= 0 or index < 0:
        return None
    if urgency != URGENT:
        return Step(index, SMS, index, 0.0) if index < n else None
    first = _first_pass(n, timing)
    if index < len(first):
        offset, coordinator, channel = first[index]
        return Step(index, channel, coordinator, offset)
    rounds = index - len(first)
    return Step(index, CALL, rounds % n, first[-1][0] + (rounds + 1) * timing.escalate_after)


def first_step(urgency: str, coordinators: int, timing: Timing, skip: frozenset[str] = frozenset()) -> Step | None:
    """Where the plan starts: the first step not skipped."""
    return _next_from(0, urgency, coordinators, timing, skip)


def next_step(current: Step, urgency: str, coordinators: int, timing: Timing,
              skip: frozenset[str] = frozenset(), *, succeeded: bool = True) -> Step | None:
    """The step after `current`, skipping channels that failed for good (e.g. 'sms:0', 'call:1').

    A routine item is done once one SMS went out; an urgent one goes on until someone takes it
    (the worker stops the plan when the item is no longer open).
    """
    if succeeded and urgency != URGENT:
        return None
    return _next_from(current.index + 1, urgency, coordinators, timing, skip)


def _next_from(index: int, urgency: str, coordinators: int, timing: Timing, skip: frozenset[str]) -> Step | None:
    # Enough look-ahead to cover a whole first pass and a whole round of calls.
    for candidate in range(index, index + 3 * max(coordinators, 1) + 1):
        step = step_at(candidate, urgency, coordinators, timing)
        if step is None:
            return None
        if step.key not in skip:
            return step
    return None


def due_after(current: Step, following: Step, *, done_at: float, succeeded: bool, coordinators: int) -> float:
    """When `following` is due, given that `current` ended at `done_at` (success or not)."""
    if not succeeded and following.index < 2 * coordinators:
        return done_at
    return done_at + max(following.offset - current.offset, 0.0)


# Twilio error codes that will not change on a retry, and what they rule out for that coordinator.
PERMANENT_SKIPS = {
    21211: (SMS, CALL),   # invalid 'To' number: neither channel can work
    21614: (SMS,),        # not a mobile number: calls may still work
    21610: (SMS,),        # the coordinator opted out of SMS (STOP)
    21612: (SMS, CALL),   # cannot route to this number
    21408: (SMS, CALL),   # no permission for this region
    13224: (CALL,),       # invalid number for a call
    "opted-out": (SMS,),  # our own opt-out list
}


def skips_for(outcome_code, channel: str, coordinator: int) -> set[str]:
    """The skip entries a permanent failure adds: the channel that failed, or more for some codes."""
    channels = PERMANENT_SKIPS.get(outcome_code, (channel,))
    return {f"{c}:{coordinator}" for c in channels}
