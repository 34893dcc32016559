"""Webhooks of the alert call: announce the urgent callback, and let the coordinator take it with 1."""
from __future__ import annotations

import logging

from flask import abort, current_app, request, url_for
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from helpline.errors import Conflict, NotFound
from helpline.i18n import N_, VOICES, normalise_locale, translate
from helpline.logs import webhook_line
from helpline.security import twilio_signed
from helpline.store import REDIS_ERRORS
from helpline.twiml import twiml

from .messages import (CALL_INTRO, CALL_NO_CHOICE, CALL_NOT_OPEN, CALL_PRESS_ONE, CALL_TAKEN_ALREADY, CALL_YOURS,
                       CALL_YOURS_NO_NUMBER, spoken_number)

log = logging.getLogger("helpline.alerts.call")
CALL_NOT_RECORDED = N_("Your answer could not be recorded. To take callback {id}, reply OK {id} by text message.")
TAKE_KEY = "1"


class AlertCall:
    """One alert call: which callback, which coordinator, which locale, and the TwiML being built."""

    def __init__(self):
        self.cb_id = request.args.get("id", type=int)
        self.index = request.args.get("c", type=int)
        coordinators = current_app.config["INSTITUTION"].coordinators
        if self.cb_id is None or self.index is None or not 0 <= self.index < len(coordinators):
            abort(400)
        self.coordinator = coordinators[self.index]
        self.locale = normalise_locale(request.args.get("lang"), self.coordinator.locale)
        self.response = VoiceResponse()

    def say(self, message: str, *, into=None, **params) -> None:
        voice = VOICES[self.locale]
        (into or self.response).say(translate(self.locale, message, id=self.cb_id, **params),
                                    language=voice.language, voice=voice.voice)

    def log(self, step: str, **fields) -> None:
        log.info(webhook_line("alerts", request.values.get("CallSid"), number=request.values.get("To"),
                              step=step, callback=self.cb_id, **fields))

    def finish(self):
        self.response.hangup()
        return twiml(self.response)


@twilio_signed
def call():
    """The alert: 'urgent callback #42, press 1 to take it', twice, then the call ends."""
    alert = AlertCall()
    again = request.args.get("again") == "1"
    alert.log("call", again=int(again))
    queue = current_app.extensions["helpline.callbacks"]
    try:
        item = queue.get(alert.cb_id)
    except NotFound:
        alert.say(CALL_NOT_OPEN)
        return alert.finish()
    if item.status == "taken":
        alert.say(CALL_TAKEN_ALREADY, name=item.taken_by)
        return alert.finish()
    if item.status not in ("new", "alerted"):
        alert.say(CALL_NOT_OPEN)
        return alert.finish()
    params = {"id": alert.cb_id, "c": alert.index, "lang": alert.locale}
    gather = alert.response.gather(action=url_for("alerts.answer", **params), method="POST", num_digits=1,
                                   input="dtmf", timeout=8)
    alert.say(CALL_INTRO, into=gather)
    alert.say(CALL_PRESS_ONE, into=gather)
    if again:
        alert.say(CALL_NO_CHOICE)
        return alert.finish()
    alert.response.redirect(url_for("alerts.call", again=1, **params), method="POST")
    return twiml(alert.response)


@twilio_signed
def answer():
    """1 takes the callback for this coordinator (the first taker owns it); anything else leaves it open."""
    alert = AlertCall()
    digits = (request.values.get("Digits") or "").strip()[:1]
    called = request.values.get("To")
    alert.log("answer", digits=digits)
    if digits != TAKE_KEY or (called and called != alert.coordinator.phone):
        alert.say(CALL_NO_CHOICE)
        return alert.finish()
    queue = current_app.extensions["helpline.callbacks"]
    try:
        item, _ = queue.take(alert.cb_id, alert.coordinator.name, via="call")
    except NotFound:
        alert.say(CALL_NOT_OPEN)
        return alert.finish()
    except Conflict:
        owner = queue.get(alert.cb_id).taken_by
        alert.say(CALL_TAKEN_ALREADY if owner else CALL_NOT_OPEN, name=owner)
        return alert.finish()
    if item.number:
        alert.say(CALL_YOURS, number=spoken_number(item.number))
    else:
        alert.say(CALL_YOURS_NO_NUMBER)
    return alert.finish()


def on_error(error: Exception):
    """Redis down or anything unexpected: say how to take it by SMS instead; never a stack trace."""
    if isinstance(error, HTTPException):
        return error
    if not isinstance(error, REDIS_ERRORS):
        log.exception("alert call webhook failed on %s", request.path)
    response = VoiceResponse()
    voice = VOICES[normalise_locale(request.args.get("lang"))]
    cb_id = request.args.get("id", type=int) or 0
    response.say(translate(voice.language[:2], CALL_NOT_RECORDED, id=cb_id), language=voice.language,
                 voice=voice.voice)
    response.hangup()
    return twiml(response)


def register(bp) -> None:
    bp.add_url_rule("/call", "call", call, methods=["POST"])
    bp.add_url_rule("/call/answer", "answer", answer, methods=["POST"])
    bp.register_error_handler(Exception, on_error)
