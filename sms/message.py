"""One incoming message with the services that answer it, and the reply the handlers give."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from helpline.callbacks import CallbackQueue
from helpline.config import Institution
from helpline.distress import Assessment
from helpline.errors import NotFound
from helpline.optout import OptOuts

from .conversation import Conversation, SmsSettings, Snapshot
from .keywords import Match


@dataclass
class Inbound:
    """One incoming message and the services that answer it."""

    sid: str
    number: str
    body: str
    media: bool
    institution: Institution
    conversation: Conversation
    optouts: OptOuts
    queue: CallbackQueue
    settings: SmsSettings
    match: Match | None = None
    stored_locale: str | None = None
    snapshot: Snapshot | None = None
    assessment: Assessment | None = None  # of a free text, with the sender's language when known

    @property
    def locale(self) -> str:
        """The sender's choice (ENGLISH/FRANCAIS), else the keyword's language, else the default."""
        lang = self.match.lang if self.match else None
        return self.stored_locale or lang or self.institution.default_locale


@dataclass
class Reply:
    """The text to send (None: an empty <Response/>) and short facts for the log line."""

    text: str | None
    keyword: str
    level: str = ""
    cacheable: bool = True
    extra: dict = field(default_factory=dict)


def open_callback(msg: Inbound, *, urgent_only: bool = False) -> int | None:
    """The id of the callback last queued for this sender, if it is still open."""
    cb_id = msg.conversation.last_callback()
    if not cb_id:
        return None
    try:
        item = msg.queue.get(cb_id)
    except NotFound:
        return None
    return cb_id if item.is_open and (item.urgent or not urgent_only) else None



def event_id(msg: Inbound, kind: str) -> str:
    """The dedupe key of the callback a message creates: one per MessageSid (unique without one)."""
    return f"sms:{msg.sid}:{kind}" if msg.sid else f"sms:nosid:{uuid.uuid4().hex}:{kind}"


def urgent_reason(assessment) -> str:
    """What a coordinator sees of an urgent text: the signal categories, never the words."""
    return ",".join(sorted({s.category for s in assessment.signals}))[:200]
