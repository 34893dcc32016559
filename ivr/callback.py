"""The callback request by phone: confirm or type the number, choose the language, queue it once."""
from __future__ import annotations

from flask import request, url_for

from helpline.callbacks import ROUTINE
from helpline.i18n import N_
from helpline.intake import queue_callback
from helpline.lines import SPS
from helpline.numbers import callable_number, last_digits, to_e164
from helpline.security import twilio_signed
from helpline.twiml import twiml

from . import menu
from .call import Call, current_call, degraded, invalid, log_webhook, main_menu, save
from .prompts import Speaker

CB_CONFIRM = N_("We can call you back on the number ending in {digits}. To use this number, press 1. "
                "To give another number, press 2.")
CB_TYPE = N_("Please type the ten-digit number where we can reach you, then press the hash key.")
CB_BAD_NUMBER = N_("That number does not seem complete.")
CB_LANG_FR = N_("For a call back in French, press 1.")
CB_LANG_EN = N_("For a call back in English, press 2.")
CB_DONE = N_("Thank you. Someone from the support team will call you back within {hours} hours. Until then, "
             "the SPS helpline answers 24 hours a day on {number}.")
CB_NOT_STORED = N_("Your request could not be recorded just now. The SPS helpline answers 24 hours a day on "
                   "{number}.")
MAX_NUMBER_TRIES = 3


def callback_start(call: Call):
    """Offer the calling number, or ask for one when caller ID is withheld."""
    number = callable_number(call.caller)
    if not number:
        return type_number(call)
    speaker = call.speaker
    gather = speaker.gather(url_for("voice.callback_confirm", lang=call.locale), speech=False)
    speaker.say(CB_CONFIRM, into=gather, digits=last_digits(number))
    speaker.on_silence()
    return twiml(speaker)


def type_number(call: Call, *, before: tuple = ()):
    """Ask for a ten-digit number ended by #; silence goes back to the menu's silence count."""
    speaker = call.speaker
    for message in before:
        speaker.say(message)
    gather = speaker.gather(url_for("voice.callback_number", lang=call.locale), speech=False,
                            num_digits=None, finish_on_key="#", timeout=15)
    speaker.say(CB_TYPE, into=gather)
    speaker.on_silence()
    return twiml(speaker)


@twilio_signed
def callback_confirm():
    call = current_call()
    digits = (request.values.get("Digits") or "").strip()
    log_webhook(call, "callback-confirm", digits=digits[:1])
    number = callable_number(call.caller)
    if digits == "1" and number:
        return _ask_callback_language(call, number)
    if digits == "2" or (digits == "1" and not number):
        return type_number(call)
    return invalid(call)


@twilio_signed
def callback_number():
    call = current_call()
    number = to_e164(request.values.get("Digits"))
    log_webhook(call, "callback-number", valid=bool(number))
    if not call.store_ok:
        return degraded(call)
    if number:
        return _ask_callback_language(call, number)
    tries = call.state.bump("cb_tries")
    if tries >= MAX_NUMBER_TRIES:
        save(call, cb_tries=None)
        return main_menu(call, before=(CB_BAD_NUMBER,))
    return type_number(call, before=(CB_BAD_NUMBER,))


def _ask_callback_language(call: Call, number: str):
    if not save(call, cb_number=number, cb_tries=None):
        return degraded(call)
    speaker = call.speaker
    gather = speaker.gather(url_for("voice.callback_language", lang=call.locale), speech=False)
    speaker.say(CB_LANG_FR, into=gather, locale="fr")
    speaker.say(CB_LANG_EN, into=gather, locale="en")
    # No key pressed: the call back is in the language of this call.
    speaker.response.redirect(url_for("voice.callback_language", lang=call.locale, default=1), method="POST")
    return twiml(speaker)


@twilio_signed
def callback_language():
    call = current_call()
    number = call.data.get("cb_number")
    digits = (request.values.get("Digits") or "").strip()[:1]
    cb_locale = menu.CALLBACK_LANGUAGES.get(digits, call.locale)
    log_webhook(call, "callback-language", locale=cb_locale)
    if not call.store_ok:
        return degraded(call)
    if not number:
        return callback_start(call)
    cb_id = queue_callback(event=f"voice:{call.sid}:callback", locale=cb_locale, source="voice",
                           urgency=ROUTINE, number=number)
    speaker = Speaker(cb_locale)
    if cb_id is None:
        speaker.say(CB_NOT_STORED, number=SPS.spoken)
        speaker.dial(SPS.e164, "sps")
        return twiml(speaker)
    save(call, cb_number=None)
    speaker.say(CB_DONE, hours=call.institution.callback_within_hours, number=SPS.spoken)
    speaker.response.hangup()
    return twiml(speaker)
