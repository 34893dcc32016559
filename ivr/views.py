"""Voice webhooks: read the request, decide with the menu tables, answer TwiML. Never silence."""
from __future__ import annotations

import logging
import uuid

from flask import current_app, request, url_for
from werkzeug.exceptions import HTTPException

from helpline.callbacks import URGENT
from helpline.distress import assess
from helpline.errors import StoreUnavailable
from helpline.i18n import N_, normalise_locale, other_locale
from helpline.intake import queue_callback
from helpline.lines import CNOM, SPS
from helpline.logs import webhook_line
from helpline.metrics import CALLS
from helpline.numbers import callable_number
from helpline.security import twilio_signed
from helpline.twiml import twiml

from . import callback, menu
from .call import Call, current_call, degraded, invalid, log_webhook, main_menu, save
from .prompts import TRANSFER_SPS, safety_net

log = logging.getLogger("helpline.voice")

NOT_HEARD = N_("We did not hear a choice.")
TRANSFER_CNOM = N_("We are connecting you with the helpline of the Ordre des médecins, for physicians and "
                   "interns. The number is {number}.")
TRANSFER_RESOURCE = N_("We are connecting you with {name}.")
RESOURCES_INTRO = N_("The support services of {institution}.")
RESOURCE_LINE = N_("{name}, {hours}: press {key}.")
RESOURCE_LINE_NO_HOURS = N_("{name}: press {key}.")
RESOURCES_BACK = N_("To go back to the main menu, press 0.")
LEGAL = N_("If legal or disciplinary consequences worry you: your professional liability insurance and your "
           "legal protection cover can inform and support you. If you work for an institution, your employer "
           "also owes you protection. Their details are in your contract, or with your human resources "
           "department.")
DIAL_FAILED = N_("The line could not be reached just now.")
DIAL_DONE = N_("Thank you for calling. You can call this number again at any time.")
URGENT_NOW = N_("Thank you for saying it. What you are going through matters, and you do not have to face it "
                "alone. We are connecting you now with the SPS helpline, where psychologists answer 24 hours a "
                "day. If you are in immediate danger, call 31 14, or 15, or 112.")
URGENT_CALLBACK = N_("Someone from the support team will also call you back.")
URGENT_REMINDER = N_("If you are in immediate danger, call 31 14, or 15, or 112.")
MAX_SILENCES = 2
LEAVES_THE_MENU = ("sps", "cnom")


@twilio_signed
def incoming():
    """A new call: the key message and the menu. Nothing is stored yet, so Redis is not asked:
    the first thing a caller hears never waits on it."""
    call = current_call(load=False)
    log_webhook(call, "incoming")
    CALLS.inc()
    return main_menu(call, key_message=True)


@twilio_signed
def menu_choice():
    call = current_call(load=False)
    speech = (request.values.get("SpeechResult") or "")[:2000]
    if speech:
        assessment = assess(speech, call.locale)
        if assessment.urgent:
            return urgent_path(call, assessment)
    choice = menu.choose(request.values.get("Digits"), speech, call.available())
    log_webhook(call, "menu", choice=choice.action, via=choice.via)
    if choice.action in LEAVES_THE_MENU:  # a transfer needs nothing stored: it never waits on Redis
        return ACTIONS[choice.action](call)
    call.load()
    if not call.store_ok and choice.action in ("silence", "callback", "language"):
        return degraded(call)
    if choice.action == "silence":
        return silence_answer(call)
    call.reset_silences()
    return ACTIONS[choice.action](call)


@twilio_signed
def silence():
    call = current_call()
    log_webhook(call, "silence")
    if not call.store_ok:
        return degraded(call)
    return silence_answer(call)


def silence_answer(call: Call):
    try:
        count = call.state.bump("silences")
    except StoreUnavailable:
        return degraded(call)
    if count <= MAX_SILENCES:
        return main_menu(call, before=(NOT_HEARD,))
    speaker = call.speaker
    speaker.say(NOT_HEARD)
    speaker.say(TRANSFER_SPS, number=SPS.spoken)
    speaker.dial(SPS.e164, "sps")
    return twiml(speaker)


def transfer_sps(call: Call):
    speaker = call.speaker
    speaker.say(TRANSFER_SPS, number=SPS.spoken)
    speaker.dial(SPS.e164, "sps")
    return twiml(speaker)


def transfer_cnom(call: Call):
    speaker = call.speaker
    speaker.say(TRANSFER_CNOM, number=CNOM.spoken)
    speaker.dial(CNOM.e164, "cnom")
    return twiml(speaker)


def resources_menu(call: Call):
    speaker = call.speaker
    gather = speaker.gather(url_for("voice.resource", lang=call.locale), speech=False)
    speaker.say(RESOURCES_INTRO, into=gather, institution=call.institution.name)
    for index, resource in enumerate(call.institution.resources[:8], start=1):
        line = RESOURCE_LINE if resource.hours else RESOURCE_LINE_NO_HOURS
        speaker.say(line, into=gather, name=resource.name, hours=resource.hours, key=index)
    speaker.say(RESOURCES_BACK, into=gather)
    speaker.on_silence()
    return twiml(speaker)


@twilio_signed
def resource():
    call = current_call()
    index = menu.choose_index(request.values.get("Digits"), len(call.institution.resources[:8]))
    log_webhook(call, "resource", index=index)
    if index is None:
        return main_menu(call) if (request.values.get("Digits") or "").strip() == "0" else invalid(call)
    chosen = call.institution.resources[index]
    speaker = call.speaker
    speaker.say(TRANSFER_RESOURCE, name=chosen.name)
    speaker.dial(chosen.phone, "resource", index=index + 1)
    return twiml(speaker)


def legal(call: Call):
    return main_menu(call, before=(LEGAL,))


def switch_language(call: Call):
    call.locale = other_locale(call.locale)
    save(call, locale=call.locale)
    return main_menu(call, key_message=True)


def repeat(call: Call):
    return main_menu(call)


def urgent_path(call: Call, assessment):
    """Words of suicide, self-harm or danger to patients: care, SPS now, 3114/15/112, urgent callback."""
    number = callable_number(call.caller)
    event = f"voice:{call.sid}:urgent" if call.sid else f"voice:nosid:{uuid.uuid4().hex}"
    reason = ",".join(sorted({s.category for s in assessment.signals}))[:200]
    cb_id = queue_callback(event=event, locale=call.locale, source="voice", urgency=URGENT,
                           number=number or "", reason=reason)
    log_webhook(call, "urgent", callback=cb_id or "journaled")
    speaker = call.speaker
    speaker.say(URGENT_NOW)
    if number:
        speaker.say(URGENT_CALLBACK)
    speaker.dial(SPS.e164, "sps", urgent=1)
    return twiml(speaker)


@twilio_signed
def dial_result():
    call = current_call(load=False)
    status = request.values.get("DialCallStatus", "")
    target = request.args.get("target", "")[:16]
    log_webhook(call, "dial-result", target=target, status=status[:16])
    if menu.dial_connected(status):
        speaker = call.speaker
        speaker.say(DIAL_DONE)
        speaker.response.hangup()
        return twiml(speaker)
    call.load().reset_silences()  # back to the menu after a failed transfer
    before = (DIAL_FAILED, URGENT_REMINDER) if request.args.get("urgent") else (DIAL_FAILED,)
    return main_menu(call, before=before)


@twilio_signed
def fallback():
    """The number's fallback URL: no Redis, no state, just the key message and SPS."""
    locale = normalise_locale(request.args.get("lang"), current_app.config["INSTITUTION"].default_locale)
    log.warning(webhook_line("voice", request.values.get("CallSid"), number=request.values.get("From"),
                             step="fallback", error=(request.values.get("ErrorCode") or "")[:8]))
    return twiml(current_app.extensions["helpline.voice_safety_net"][locale])


def on_error(error: Exception):
    """Anything unexpected: log it (no body) and still give the key message and SPS."""
    if isinstance(error, HTTPException):
        return error
    log.exception("voice webhook failed on %s", request.path)
    locale = normalise_locale(request.args.get("lang"), current_app.config["INSTITUTION"].default_locale)
    return twiml(current_app.extensions["helpline.voice_safety_net"][locale])


ACTIONS = {
    "sps": transfer_sps,
    "cnom": transfer_cnom,
    "resources": resources_menu,
    "legal": legal,
    "callback": callback.callback_start,
    "language": switch_language,
    "repeat": repeat,
    "invalid": invalid,
}


def register(bp) -> None:
    """Routes, the error handler, and the precomputed safety net."""
    bp.add_url_rule("", "incoming", incoming, methods=["POST"])
    bp.add_url_rule("/menu", "menu", menu_choice, methods=["POST"])
    bp.add_url_rule("/silence", "silence", silence, methods=["POST"])
    bp.add_url_rule("/resource", "resource", resource, methods=["POST"])
    bp.add_url_rule("/callback/confirm", "callback_confirm", callback.callback_confirm, methods=["POST"])
    bp.add_url_rule("/callback/number", "callback_number", callback.callback_number, methods=["POST"])
    bp.add_url_rule("/callback/language", "callback_language", callback.callback_language, methods=["POST"])
    bp.add_url_rule("/dial-result", "dial_result", dial_result, methods=["POST"])
    bp.add_url_rule("/fallback", "fallback", fallback, methods=["POST"])
    bp.register_error_handler(Exception, on_error)

    @bp.record_once
    def _precompute(state):
        app = state.app
        with app.app_context():
            app.extensions["helpline.voice_safety_net"] = {loc: safety_net(loc) for loc in ("fr", "en")}
