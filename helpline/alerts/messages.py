"""Alert texts for coordinators: safe on a lock screen, GSM-7, one SMS segment, in their locale.

An alert says the kind of request, its id, the number to call and the caller's language; never what
the person said or wrote, nor why they were flagged.
"""
from __future__ import annotations

import unicodedata

from helpline.i18n import N_
from helpline.numbers import french_display
from sms.segments import GSM7_BASIC, GSM7_EXTENSION, count_segments

SMS_TEXTS = {  # (urgency, has a number) -> message
    ("urgent", True): N_("URGENT callback #{id} {number} ({lang}). Reply OK {id}"),
    ("urgent", False): N_("URGENT callback #{id}, no number left ({lang}). Reply OK {id}"),
    ("routine", True): N_("Callback request #{id} {number} ({lang}). Reply OK {id}"),
    ("routine", False): N_("Callback request #{id}, no number left ({lang}). Reply OK {id}"),
}
TAKEN_NOTICE = N_("Callback #{id} taken by {name}.")
CALL_INTRO = N_("Urgent callback request number {id}.")
CALL_PRESS_ONE = N_("To take it, press 1.")
CALL_YOURS = N_("Callback {id} is yours. The number to call is {number}. Again: {number}.")
CALL_YOURS_NO_NUMBER = N_("Callback {id} is yours. No number was left: see the coordinator page.")
CALL_TAKEN_ALREADY = N_("Callback {id} has already been taken by {name}. Thank you.")
CALL_NOT_OPEN = N_("Callback {id} is no longer open. Thank you.")
CALL_NO_CHOICE = N_("No choice was made. The request stays open and the alert goes on.")
_REPLACEMENTS = {"’": "'", "‘": "'", "«": '"', "»": '"', "“": '"', "”": '"', "œ": "oe", "Œ": "OE", "–": "-",
                 "—": "-", "\u00a0": " ", "\u202f": " "}
SMS_LIMIT = 160


def gsm_safe(text: str) -> str:
    """Replace what GSM-7 lacks (ç, ê, curly quotes...) with its nearest plain letters."""
    out = []
    for ch in text:
        ch = _REPLACEMENTS.get(ch, ch)
        if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in ch):
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append("".join(c for c in base if c in GSM7_BASIC) or "?")
    return "".join(out)


def one_segment(text: str) -> str:
    """GSM-7 and at most one segment: the id and the number come first, so a cut keeps them."""
    text = gsm_safe(text)
    while count_segments(text).segments > 1:
        text = text[:-1]
    return text


def alert_sms(gettext, coordinator_locale: str, *, cb_id: int, urgency: str, number: str, lang: str) -> str:
    """The alert SMS for one coordinator. `gettext(locale, msgid, **params)` is Catalogs.gettext."""
    message = SMS_TEXTS[("urgent" if urgency == "urgent" else "routine", bool(number))]
    display = french_display(number) if number else ""
    return one_segment(gettext(coordinator_locale, message, id=cb_id, number=display, lang=lang))


def taken_sms(gettext, coordinator_locale: str, *, cb_id: int, name: str) -> str:
    return one_segment(gettext(coordinator_locale, TAKEN_NOTICE, id=cb_id, name=name[:40]))


def spoken_number(number: str) -> str:
    """A number read digit group by digit group: '+33612345678' -> '06, 12, 34, 56, 78'."""
    return ", ".join(french_display(number).split()) if number.startswith("+33") else " ".join(number.lstrip("+"))
