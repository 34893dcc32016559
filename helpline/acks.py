"""Coordinators taking a callback: `OK 42` by SMS, 1 on the alert call, or the coordinator page.

Every path ends in `CallbackQueue.take`, so the first taker owns the item whichever way they answered,
escalation stops (the worker checks the status before each step), and the `taken` entry it puts on the
stream lets the worker tell the other alerted coordinators, once.
"""
from __future__ import annotations

import re

from .callbacks import CallbackQueue
from .config import Coordinator
from .errors import Conflict, NotFound
from .i18n import N_

ACK_PATTERN = re.compile(r"^\s*(?:ok|pris|prise|take|taken)\s*#?\s*(\d{1,9})\s*[.!]*\s*$", re.IGNORECASE)
TAKEN_BY_YOU = N_("Callback #{id} is yours. Number: {number} ({lang}).")
TAKEN_ALREADY = N_("Callback #{id} was already taken by {name}.")
UNKNOWN_ITEM = N_("No open callback #{id}.")
NOT_A_COMMAND = N_("To take a callback, answer OK followed by its number, for example OK 42.")


def parse_ack(body: str | None) -> int | None:
    """'OK 42', 'ok #42', 'PRIS 42' -> 42; anything else -> None."""
    match = ACK_PATTERN.match(body or "")
    return int(match.group(1)) if match else None


def coordinator_command(queue: CallbackQueue, coordinator: Coordinator, body: str, gettext) -> str:
    """The reply to an SMS from a coordinator's number. `gettext(message, **params)` is in their locale."""
    cb_id = parse_ack(body)
    if cb_id is None:
        return gettext(NOT_A_COMMAND)
    try:
        item, _ = queue.take(cb_id, coordinator.name, via="sms")
    except NotFound:
        return gettext(UNKNOWN_ITEM, id=cb_id)
    except Conflict:
        owner = queue.get(cb_id).taken_by or "?"
        return gettext(TAKEN_ALREADY, id=cb_id, name=owner)
    return gettext(TAKEN_BY_YOU, id=item.id, number=item.number or "-", lang=item.locale)
