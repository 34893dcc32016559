"""What every voice view needs about the call in progress, and the answers they share."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app, request

from helpline.config import Institution
from helpline.errors import StoreUnavailable
from helpline.i18n import N_, normalise_locale
from helpline.logs import webhook_line
from helpline.store import CallState, get_redis
from helpline.twiml import twiml

from . import menu
from .prompts import KEY_MESSAGE, Speaker, safety_net

log = logging.getLogger("helpline.voice")

INVALID = N_("That choice is not available.")


@dataclass
class Call:
    """What every voice view needs: who, which call, which locale, and the stored state."""

    sid: str | None
    caller: str | None
    locale: str
    state: CallState
    data: dict
    store_ok: bool
    institution: Institution

    @property
    def speaker(self) -> Speaker:
        return Speaker(self.locale)

    def load(self) -> "Call":
        """Read the stored state (once); Redis down leaves `store_ok` False and the URL's locale."""
        try:
            self.data = self.state.load()
        except StoreUnavailable:
            self.store_ok = False
        if self.data.get("locale"):
            self.locale = normalise_locale(self.data["locale"], self.locale)
        return self

    def reset_silences(self) -> None:
        """The caller chose something: the silence count starts again."""
        if self.data.get("silences"):
            save(self, silences=None)

    def available(self) -> set[str]:
        actions = {o.action for o in menu.MENU}
        if not self.institution.resources:
            actions.discard("resources")
        return actions


def current_call(*, load: bool = True) -> Call:
    """The call of this webhook. Every URL the menu writes carries the call's language, so a view
    that needs nothing else stored (`load=False`) answers without asking Redis."""
    institution = current_app.config["INSTITUTION"]
    sid = (request.values.get("CallSid") or "")[:64] or None
    locale = normalise_locale(request.args.get("lang"), institution.default_locale)
    call = Call(sid, request.values.get("From"), locale, CallState(get_redis(), sid), {}, True, institution)
    return call.load() if load else call


def log_webhook(call: Call, step: str, **fields) -> None:
    log.info(webhook_line("voice", call.sid, number=call.caller, step=step, **fields))


def degraded(call: Call):
    """Redis is gone: the key message and SPS, from the same code as the fallback URL."""
    log_webhook(call, "degraded")
    return twiml(safety_net(call.locale))


def main_menu(call: Call, *, key_message: bool = False, before: tuple = ()):
    """The menu, optionally after the key message or short messages.

    Its TwiML depends only on the locale, the messages and the institution file (fixed for the
    app's life), so each variant is rendered once per process and reused: the menu is most of a
    call's webhooks.
    """
    cache = current_app.extensions.setdefault("helpline.voice_menus", {})
    available = frozenset(call.available())
    key = (call.locale, key_message, before, available)
    if key not in cache:
        speaker = call.speaker
        if key_message:
            speaker.say(KEY_MESSAGE)
        for message in before:
            speaker.say(message)
        speaker.menu(call.institution, set(available))
        cache[key] = str(speaker)
    return twiml(cache[key])


def save(call: Call, **values) -> bool:
    try:
        call.state.update(**values)
        return True
    except StoreUnavailable:
        return False




def invalid(call: Call):
    return main_menu(call, before=(INVALID,))
