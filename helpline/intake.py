"""Queueing a callback request from any channel, with the journal as the safety net for urgent ones."""
from __future__ import annotations

import logging
import time

from flask import current_app

from .callbacks import URGENT
from .errors import StoreUnavailable
from .metrics import JOURNALED, URGENT_FLAGS

log = logging.getLogger("helpline.intake")


def queue_callback(*, event: str, locale: str, source: str, urgency: str, number: str = "",
                   reason: str = "") -> int | None:
    """Queue once per event. Returns the id, or None when Redis is down (urgent ones are journaled)."""
    request = {"event": event, "locale": locale, "source": source, "urgency": urgency,
               "number": number, "reason": reason, "now": time.time()}
    try:
        cb_id, created = current_app.extensions["helpline.callbacks"].request(**request)
    except StoreUnavailable:
        if urgency == URGENT:
            current_app.extensions["helpline.journal"].append(request)
            JOURNALED.inc()
            URGENT_FLAGS.labels(source=source).inc()
            log.error("redis unavailable: urgent %s flag journaled for replay", source)
        else:
            log.error("redis unavailable: routine %s callback not stored", source)
        return None
    if created and urgency == URGENT:
        URGENT_FLAGS.labels(source=source).inc()
    log.info("callback #%s %s %s %s", cb_id, urgency, source, "created" if created else "duplicate")
    return cb_id
