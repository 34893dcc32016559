"""The key message and the national helplines every channel offers, in one place."""
from __future__ import annotations

from dataclasses import dataclass

from .i18n import N_

KEY_MESSAGE = N_("What you are feeling is common after this type of event. You don't have to deal with this alone.")


@dataclass(frozen=True)
class Helpline:
    """A national line: E.164 to dial, the national form to print, a form text-to-speech reads well."""

    e164: str
    display: str
    spoken: str


SPS = Helpline(e164="+33805232336", display="0805 23 23 36", spoken="0 805 23 23 36")
CNOM = Helpline(e164="+33800288038", display="0800 288 038", spoken="0 800 288 038")
SUICIDE_PREVENTION = "3114"
EMERGENCY = ("15", "112")
