"""What the SMS line does with one message: the order of decisions, free text and urgent flags.

Opt-out words are always honoured; an urgent text always reaches the coordinators (even when the
sender is rate-limited or opted out); then coordinators' commands, keywords (sms.actions), free text.
"""
from __future__ import annotations

import functools

from helpline.acks import coordinator_command
from helpline.callbacks import URGENT
from helpline.distress import Assessment, assess
from helpline.i18n import SUPPORTED, get_catalogs
from helpline.intake import queue_callback
from helpline.numbers import callable_number

from . import replies
from .actions import ACTIONS, opt_in
from .message import Inbound, Reply, event_id, open_callback, urgent_reason


def decide(msg: Inbound) -> Reply:
    """The reply to one message (already deduplicated by MessageSid; msg.snapshot read)."""
    snapshot = msg.snapshot
    count = snapshot.count
    action = msg.match.action if msg.match else None
    if action in ("optout", "optin"):
        return ACTIONS[action](msg)
    if action == "yes" and msg.match.platform and snapshot.opted_out:
        return opt_in(msg)  # Twilio's opt-in word: Twilio confirms, we mirror it
    msg.stored_locale = snapshot.locale
    if snapshot.opted_out:
        return quiet(msg, "opted-out", notice=False)
    if count > msg.settings.rate_limit:
        return quiet(msg, "limited", notice=count == msg.settings.rate_limit + 1)
    coordinator = next((c for c in msg.institution.coordinators if c.phone == msg.number), None)
    if coordinator:
        text = coordinator_command(msg.queue, coordinator, msg.body, gettext_in(coordinator.locale))
        return Reply(text, "coordinator", cacheable=False)
    return ACTIONS[action](msg) if action else free_text(msg)


def gettext_in(locale: str):
    """`gettext(message, **params)` in one locale, for helpline.acks."""
    return functools.partial(get_catalogs().gettext, locale)


def quiet(msg: Inbound, why: str, *, notice: bool) -> Reply:
    """Opted out or rate-limited: at most one notice, else silence; an urgent text still alerts."""
    level = ""
    if msg.match is None and msg.body:
        assessment = msg.assessment or assess(msg.body, msg.stored_locale)
        level = assessment.level
        if assessment.urgent:
            flag_urgent(msg, assessment)
    text = replies.text(msg.locale, msg.institution, replies.RATE_LIMITED) if notice else None
    return Reply(text, why, level)


def free_text(msg: Inbound) -> Reply:
    if not msg.body:
        return Reply(replies.help_text(msg.locale, msg.institution, media=msg.media), "empty")
    assessment = msg.assessment or assess(msg.body, msg.stored_locale)
    locale = msg.stored_locale or (assessment.lang if assessment.lang in SUPPORTED else msg.locale)
    if assessment.urgent:
        has_number = flag_urgent(msg, assessment, locale)
        template = replies.URGENT if has_number else replies.URGENT_NO_NUMBER
        return Reply(replies.text(locale, msg.institution, template), "free", assessment.level)
    if assessment.level == "concern":
        return Reply(replies.text(locale, msg.institution, replies.CONCERN), "free", assessment.level)
    return Reply(replies.help_text(locale, msg.institution, media=msg.media, template=replies.FREE), "free",
                 assessment.level)


def flag_urgent(msg: Inbound, assessment: Assessment, locale: str | None = None) -> bool:
    """Queue the urgent callback once; a second urgent text from the sender joins the open one."""
    number = callable_number(msg.number) or ""
    reason = urgent_reason(assessment)
    open_id = open_callback(msg, urgent_only=True)
    if open_id:
        msg.queue.add_step(open_id, "sms-again", reason=reason)
        return bool(number)
    cb_id = queue_callback(event=event_id(msg, "urgent"), locale=locale or msg.locale, source="sms",
                           urgency=URGENT, number=number, reason=reason)
    if cb_id:
        msg.conversation.remember_callback(cb_id)
    return bool(number)
