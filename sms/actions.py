"""The keyword actions: one function per row of the keyword table, each `Inbound -> Reply`.

Consent: RAPPEL/CALLBACK stores only the pending request (keyed by the sender's HMAC, consent_ttl);
OUI/YES within that time consumes it (GETDEL) and only then is the number written, inside a routine
callback. NON/NO drops a pending request and declines the callback last queued for the sender.
"""
from __future__ import annotations

from helpline.callbacks import ROUTINE
from helpline.i18n import translate
from helpline.intake import queue_callback
from helpline.numbers import callable_number

from . import replies
from .message import Inbound, Reply, event_id, open_callback


def simple(template: str):
    def handler(msg: Inbound) -> Reply:
        return Reply(replies.text(msg.locale, msg.institution, template), msg.match.action)

    return handler


def help_reply(msg: Inbound) -> Reply:
    return Reply(replies.help_text(msg.locale, msg.institution), "help")


def resources(msg: Inbound) -> Reply:
    return Reply(replies.resources_text(msg.locale, msg.institution, msg.match.page), "resources")


def ask_callback(msg: Inbound) -> Reply:
    msg.conversation.ask_consent(msg.locale)
    minutes = max(msg.settings.consent_ttl // 60, 1)
    return Reply(replies.text(msg.locale, msg.institution, replies.CALLBACK_ASK, minutes=minutes), "callback")


def consent_yes(msg: Inbound) -> Reply:
    """OUI/YES: only with a pending RAPPEL is the number stored, in a routine callback."""
    cb_locale = msg.conversation.take_consent()
    if not cb_locale:
        return Reply(replies.text(msg.locale, msg.institution, replies.CONSENT_NONE), "yes")
    number = callable_number(msg.number)
    done = replies.text(cb_locale, msg.institution, replies.CALLBACK_DONE,
                        hours=msg.institution.callback_within_hours)
    if open_callback(msg):
        return Reply(done, "yes", extra={"callback": "already"})
    cb_id = number and queue_callback(event=event_id(msg, "callback"), locale=cb_locale, source="sms",
                                      urgency=ROUTINE, number=number)
    if not cb_id:
        return Reply(replies.text(cb_locale, msg.institution, replies.CALLBACK_NOT_STORED), "yes")
    msg.conversation.remember_callback(cb_id)
    return Reply(done, "yes", extra={"callback": cb_id})


def consent_no(msg: Inbound) -> Reply:
    """NON/NO: drop a pending RAPPEL and decline the callback queued for this sender, if open."""
    pending = msg.conversation.take_consent()
    cb_id = open_callback(msg)
    if cb_id:
        urgent = msg.queue.get(cb_id).urgent
        msg.queue.decline(cb_id)
        template = replies.DECLINED_URGENT if urgent else replies.DECLINED
        return Reply(replies.text(msg.locale, msg.institution, template), "no", extra={"declined": cb_id})
    template = replies.DECLINED if pending else replies.NOTHING_TO_DECLINE
    return Reply(replies.text(msg.locale, msg.institution, template), "no")


def set_language(locale: str):
    def handler(msg: Inbound) -> Reply:
        msg.conversation.set_locale(locale)
        msg.stored_locale = locale
        return Reply(replies.help_text(locale, msg.institution), f"lang-{locale}")

    return handler


def opt_out(msg: Inbound) -> Reply:
    """Nothing more is sent until START; Twilio confirms its own words, we confirm ours (ARRET)."""
    msg.optouts.opt_out(msg.number)
    msg.conversation.forget()
    text = None if msg.match.platform else translate(msg.match.lang or msg.institution.default_locale,
                                                      replies.OPTOUT_DONE)
    return Reply(text, "optout")


def opt_in(msg: Inbound) -> Reply:
    """START/UNSTOP: Twilio sends its own confirmation; we only clear our list."""
    msg.optouts.opt_in(msg.number)
    return Reply(None, "optin")


ACTIONS = {
    "help": help_reply,
    "sps": simple(replies.SPS_INFO),
    "cnom": simple(replies.CNOM_INFO),
    "resources": resources,
    "legal": simple(replies.LEGAL),
    "callback": ask_callback,
    "english": set_language("en"),
    "french": set_language("fr"),
    "optout": opt_out,
    "optin": opt_in,
    "yes": consent_yes,
    "no": consent_no,
}
