"""SMS webhooks: read the message, deduplicate on MessageSid, decide, answer TwiML <Message>. Never a 500."""
from __future__ import annotations

import functools
from dataclasses import replace
import logging
import re

from flask import current_app, request
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.exceptions import HTTPException

from helpline.callbacks import URGENT
from helpline.distress import assess
from helpline.errors import StoreUnavailable
from helpline.intake import queue_callback
from helpline.logs import webhook_line
from helpline.metrics import SMS
from helpline.numbers import callable_number
from helpline.security import twilio_signed
from helpline.store import REDIS_ERRORS, get_redis
from helpline.twiml import twiml

from . import replies
from .conversation import Conversation, ReplyCache, SmsSettings
from .actions import ACTIONS
from .handlers import decide
from .message import Inbound, Reply, event_id, urgent_reason
from .keywords import REPLAYABLE, match_keyword

log = logging.getLogger("helpline.sms")

MAX_BODY = 10_000  # Twilio caps a message at 1,600; anything longer is still read whole, up to this
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
STATELESS = ("help", "sps", "cnom", "resources", "legal")


@functools.lru_cache(maxsize=1024)
def render(text: str | None) -> str:
    """A <Response> with one <Message>, or an empty <Response/> for no message.

    Cached: replies are a few templates, the same XML again and again."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)


def inbound() -> Inbound:
    values = request.values
    body = _CONTROL.sub("", values.get("Body") or "")[:MAX_BODY].strip()
    try:
        media = int(values.get("NumMedia") or 0) > 0
    except ValueError:
        media = False
    client = get_redis()
    secret, number = current_app.config["SECRET_KEY"], (values.get("From") or "").strip()[:32]
    settings = current_app.extensions["helpline.sms_settings"]
    return Inbound(
        sid=(values.get("MessageSid") or values.get("SmsSid") or "")[:64], number=number, body=body, media=media,
        institution=current_app.config["INSTITUTION"], conversation=Conversation(client, secret, number, settings),
        optouts=current_app.extensions["helpline.optouts"], queue=current_app.extensions["helpline.callbacks"],
        settings=settings, match=match_keyword(body))


@twilio_signed
def incoming():
    msg = inbound()
    try:
        return answer(msg)
    except (StoreUnavailable, *REDIS_ERRORS):
        return degraded(msg)


def answer(msg: Inbound):
    """Deduplicate on the MessageSid where it matters, decide, answer.

    Replies that answering again reproduces (keywords, free text that raises no alert, coordinators'
    OK) are not stored: a retried webhook is answered afresh, in one Redis round trip. A message that
    consumes or changes state (OUI, NON) or may raise an alert claims its MessageSid first and its
    reply is kept, so a retry gets the same reply and no second callback or alert.
    """
    cache = ReplyCache(msg.conversation.client)
    if msg.match is None and msg.body and not is_coordinator(msg):
        msg.assessment = assess(msg.body, None)
    claim = bool(msg.sid) and needs_claim(msg)
    msg.snapshot = msg.conversation.snapshot(msg.sid if claim else None, msg.optouts.key(msg.number))
    if msg.assessment is not None and msg.snapshot.locale and msg.snapshot.locale != msg.assessment.lang:
        msg.assessment = assess(msg.body, msg.snapshot.locale)  # the sender chose a language
        if msg.sid and not claim and msg.assessment.urgent:
            claim = True
            msg.snapshot = replace(msg.snapshot, first=cache.try_claim(msg.sid))
    cached = None if not claim or msg.snapshot.first else cache.claim(msg.sid)
    if cached is not None:
        log.info(webhook_line("sms", msg.sid, number=msg.number, keyword="duplicate"))
        return twiml(cached or render(None))
    try:
        reply = decide(msg)
    except Exception:
        if claim:
            cache.release(msg.sid)
        raise
    document = render(reply.text)
    if claim and reply.cacheable:
        cache.store(msg.sid, document)
    elif claim:
        cache.release(msg.sid)
    log_reply(msg, reply)
    return twiml(document)


def needs_claim(msg: Inbound) -> bool:
    """Whether answering this message twice could differ or repeat a side effect."""
    if is_coordinator(msg):
        return False  # OK 42 is idempotent for its owner, and its reply (a number) is never stored
    if msg.match is not None:
        return msg.match.action not in REPLAYABLE
    return msg.assessment is not None and msg.assessment.urgent


def is_coordinator(msg: Inbound) -> bool:
    return any(c.phone == msg.number for c in msg.institution.coordinators)


def degraded(msg: Inbound):
    """Redis is gone: keywords that need no state still work; an urgent text goes to the journal."""
    if msg.match and msg.match.action in STATELESS:
        reply = ACTIONS[msg.match.action](msg)
    elif msg.body and not msg.match and (assessment := assess(msg.body, None)).urgent:
        number = callable_number(msg.number) or ""
        queue_callback(event=event_id(msg, "urgent"), locale=msg.locale, source="sms", urgency=URGENT,
                       number=number, reason=urgent_reason(assessment))
        template = replies.URGENT if number else replies.URGENT_NO_NUMBER
        reply = Reply(replies.text(msg.locale, msg.institution, template), "free", "urgent")
    elif msg.match and msg.match.action in ("optout", "optin"):
        reply = Reply(None, msg.match.action)  # Twilio keeps its own list; ours is unreachable
    else:
        reply = Reply(replies.text(msg.locale, msg.institution, replies.SAFETY_NET), "safety-net")
    log_reply(msg, reply, degraded=1)
    return twiml(render(reply.text))


def log_reply(msg: Inbound, reply: Reply, **fields) -> None:
    SMS.labels(kind=reply.keyword or "none").inc()
    segments = replies.count_segments(reply.text).segments if reply.text else 0
    log.info(webhook_line("sms", msg.sid, number=msg.number, keyword=reply.keyword, level=reply.level,
                          segments=segments, **reply.extra, **fields))


@twilio_signed
def fallback():
    """The number's SmsFallbackUrl: no Redis, no state, the key message, SPS and 3114/15/112."""
    log.warning(webhook_line("sms", request.values.get("MessageSid"), number=request.values.get("From"),
                             keyword="fallback", error=(request.values.get("ErrorCode") or "")[:8]))
    return twiml(current_app.extensions["helpline.sms_safety_net"][current_app.config["INSTITUTION"].default_locale])


def on_error(error: Exception):
    """Anything unexpected: log it (never the body) and still answer with the safety net."""
    if isinstance(error, HTTPException):
        return error
    log.exception("sms webhook failed on %s", request.path)
    return twiml(current_app.extensions["helpline.sms_safety_net"][current_app.config["INSTITUTION"].default_locale])


def register(bp) -> None:
    """Routes, the error handler, and the precomputed safety net."""
    bp.add_url_rule("", "incoming", incoming, methods=["POST"])
    bp.add_url_rule("/fallback", "fallback", fallback, methods=["POST"])
    bp.register_error_handler(Exception, on_error)

    @bp.record_once
    def _precompute(state):
        app = state.app
        app.extensions["helpline.sms_settings"] = SmsSettings.from_config(app.config)
        with app.app_context():
            institution = app.config["INSTITUTION"]
            app.extensions["helpline.sms_safety_net"] = {
                loc: render(replies.text(loc, institution, replies.SAFETY_NET)) for loc in ("fr", "en")}
