"""How queue items, their history and audit entries read on the page: label tables, ages, times.

Every label is an English msgid marked with `N_` and translated with the coordinator's locale.
Values the tables do not know are shown as they are (one fallback path).
"""
from __future__ import annotations

import time
from datetime import datetime

from helpline.i18n import N_
from helpline.numbers import french_display

SOURCES = {"voice": N_("Phone call"), "sms": N_("Text message")}
LANGUAGES = {"fr": N_("French"), "en": N_("English")}
AUTONYMS = {"fr": "Français", "en": "English"}  # the language switch names each language in itself
STATUSES = {"new": N_("New"), "alerted": N_("Alerted"), "taken": N_("Taken by {name}"),
            "resolved": N_("Resolved"), "declined": N_("Declined by the person")}
OUTCOMES = {  # the fixed list a coordinator resolves with, in this order
    "reached": N_("Reached"),
    "no_answer": N_("No answer"),
    "declined": N_("Declined the call"),
    "referred_sps": N_("Referred to SPS"),
    "referred_occupational_health": N_("Referred to occupational health"),
    "other": N_("Other outcome"),
}
STEPS = {
    "created": N_("Request received"),
    "alert": N_("Coordinator alerted"),
    "notice": N_("Taken notice sent"),
    "taken": N_("Taken"),
    "note": N_("Note added"),
    "resolved": N_("Resolved"),
    "declined": N_("Declined by the person"),
    "exhausted": N_("No coordinator could be reached"),
    "not-alerted": N_("No alert sent"),
    "sms-again": N_("New text from the person"),
}
CHANNELS = {"sms": N_("by text message"), "call": N_("by phone call"), "page": N_("on this page")}
DETAIL_FIELDS = ("to", "by", "channel", "via", "state", "outcome", "text")
AGES = ((86400, N_("{n} d")), (3600, N_("{n} h")), (60, N_("{n} min")), (0, N_("{n} s")))


def age(seconds: float, _) -> str:
    """'3 min', '2 h': the largest unit that fits."""
    seconds = max(0, int(seconds))
    for unit, label in AGES:
        if seconds >= unit:
            return _(label, n=seconds // (unit or 1))
    return _(AGES[-1][1], n=0)


def clock(at: float | None) -> str:
    return datetime.fromtimestamp(at).strftime("%d/%m %H:%M:%S") if at else ""


def status(item, _) -> str:
    label = STATUSES.get(item.status)
    return _(label, name=item.taken_by or "?") if label else item.status


def step_line(step: dict, _) -> dict:
    """One history step as {time, label, details} for the template."""
    kind = step.get("step", "")
    details = []
    for field in DETAIL_FIELDS:
        value = step.get(field)
        if not value:
            continue
        if field in ("channel", "via"):
            value = _(CHANNELS[value]) if value in CHANNELS else value
        elif field == "outcome":
            value = _(OUTCOMES[value]) if value in OUTCOMES else value
        details.append(str(value))
    return {"time": clock(step.get("at")), "label": _(STEPS[kind]) if kind in STEPS else kind,
            "details": ", ".join(details)}


def item_view(item, steps: list[dict], _, now: float | None = None) -> dict:
    """Everything the queue template shows for one item."""
    now = time.time() if now is None else now
    return {
        "id": item.id, "urgent": item.urgent, "status": item.status, "status_label": status(item, _),
        "source": _(SOURCES[item.source]) if item.source in SOURCES else item.source,
        "language": _(LANGUAGES[item.locale]) if item.locale in LANGUAGES else item.locale,
        "age": age(now - item.created, _), "created": clock(item.created), "created_at": int(item.created),
        "number": item.number, "number_display": french_display(item.number) if item.number else "",
        "taken_by": item.taken_by, "note": item.note, "steps": [step_line(s, _) for s in steps],
    }
