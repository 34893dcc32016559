"""TwiML for the voice menu, spoken in the caller's locale."""
from __future__ import annotations

from flask import url_for
from twilio.twiml.voice_response import Gather, VoiceResponse

from helpline.config import Institution
from helpline.i18n import N_, VOICES, other_locale, translate
from helpline.lines import KEY_MESSAGE, SPS

from .menu import KEY_NAMES, LANGUAGE_SWITCH, MENU, SPEECH_HINTS

OPTION_LINE = N_("{label}, press {key}.")
TRANSFER_SPS = N_("We are connecting you with the SPS helpline, where trained professionals answer "
                  "24 hours a day. The number is {number}.")
SPS_AFTER_DIAL = N_("You can call the SPS helpline at any time on {number}.")
GATHER_TIMEOUT = 6


class Speaker:
    """Builds one TwiML response in one locale, with the right language and voice on every <Say>."""

    def __init__(self, locale: str):
        self.locale = locale
        self.response = VoiceResponse()

    def text(self, message: str, locale: str | None = None, **params) -> str:
        return translate(locale or self.locale, message, **params)

    def say(self, message: str, *, into=None, locale: str | None = None, **params) -> None:
        locale = locale or self.locale
        voice = VOICES[locale]
        (into or self.response).say(self.text(message, locale, **params), language=voice.language, voice=voice.voice)

    def gather(self, action: str, *, num_digits: int | None = 1, speech: bool = True, **extra) -> Gather:
        voice = VOICES[self.locale]
        options = {"action": action, "method": "POST", "timeout": GATHER_TIMEOUT,
                   "input": "dtmf speech" if speech else "dtmf", "language": voice.language, **extra}
        if num_digits:
            options["num_digits"] = num_digits
        if speech:
            options.update(speech_timeout="auto", hints=self.text(SPEECH_HINTS))
        return self.response.gather(**options)

    def menu(self, institution: Institution, available: set[str]) -> None:
        """The main menu in a <Gather>, then a redirect that counts the silence."""
        gather = self.gather(url_for("voice.menu", lang=self.locale))
        for option in MENU:
            if option.action not in available:
                continue
            if option.action == "language":
                other = other_locale(self.locale)
                self.say(LANGUAGE_SWITCH[self.locale], into=gather, locale=other, key=option.key)
                continue
            key = self.text(KEY_NAMES[option.key]) if option.key in KEY_NAMES else option.key
            label = self.text(option.label, institution=institution.name)
            self.say(OPTION_LINE, into=gather, label=label, key=key)
        self.on_silence()

    def on_silence(self) -> None:
        """After a <Gather> that heard nothing: count the silence (re-prompt, then SPS)."""
        self.response.redirect(url_for("voice.silence", lang=self.locale), method="POST")

    def dial(self, number: str, target: str, **params) -> None:
        dial = self.response.dial(action=url_for("voice.dial_result", target=target, lang=self.locale, **params),
                                  method="POST", timeout=30)
        dial.number(number)

    def __str__(self) -> str:
        return str(self.response)


def safety_net(locale: str) -> str:
    """Key message, the SPS number, a transfer to SPS: needs no database and no request context."""
    speaker = Speaker(locale)
    speaker.say(KEY_MESSAGE)
    speaker.say(TRANSFER_SPS, number=SPS.spoken)
    speaker.response.dial(SPS.e164, timeout=30)
    speaker.say(SPS_AFTER_DIAL, number=SPS.spoken)
    speaker.response.hangup()
    return str(speaker)
