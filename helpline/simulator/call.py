"""TwiML as data: parse a voice or messaging response into verbs, and decide what Twilio would post next.

Pure functions only (no HTTP, no terminal), so every rule is unit-tested: what a key press or a phrase
means to a <Gather> (its input types, numDigits, finishOnKey, actionOnEmptyResult), what a <Dial>
outcome posts to its action, and how a `--script` reads ("1;silence;say:je veux un rappel;busy").
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from .client import SimulatorError

DIAL_OUTCOMES = ("completed", "busy", "no-answer", "failed", "canceled")
SILENCE, DIGITS, SPEECH, DIAL = "silence", "digits", "speech", "dial"
_KEYS = re.compile(r"^[0-9*#]+$")


class TwimlError(SimulatorError):
    """The service answered something Twilio could not execute."""


class ScriptError(SimulatorError):
    """A --script step that does not fit what the call is waiting for."""


@dataclass(frozen=True)
class Say:
    text: str
    language: str = "en-US"  # Twilio's default when the attribute is missing
    voice: str = ""


@dataclass(frozen=True)
class Pause:
    length: int = 1


@dataclass(frozen=True)
class Play:
    url: str


@dataclass(frozen=True)
class Gather:
    action: str = ""  # empty: Twilio posts to the current document's URL
    method: str = "POST"
    inputs: frozenset = frozenset({"dtmf"})
    timeout: int = 5
    num_digits: int | None = None
    finish_on_key: str = "#"
    language: str = "en-US"
    action_on_empty: bool = False
    prompts: tuple = ()


@dataclass(frozen=True)
class Dial:
    targets: tuple[str, ...]
    action: str = ""
    method: str = "POST"
    timeout: int = 30


@dataclass(frozen=True)
class Redirect:
    url: str
    method: str = "POST"


@dataclass(frozen=True)
class Hangup:
    verb: str = "Hangup"


@dataclass(frozen=True)
class Unsupported:
    verb: str


def _int(value: str | None, default: int | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def _verb(el: ET.Element):
    a = el.attrib
    if el.tag == "Say":
        return Say(" ".join((el.text or "").split()), a.get("language", "en-US"), a.get("voice", ""))
    if el.tag == "Pause":
        return Pause(_int(a.get("length"), 1))
    if el.tag == "Play":
        return Play((el.text or "").strip())
    if el.tag == "Gather":
        return Gather(a.get("action", ""), a.get("method", "POST").upper(),
                      frozenset(a.get("input", "dtmf").split()), _int(a.get("timeout"), 5),
                      _int(a.get("numDigits"), None), a.get("finishOnKey", "#"), a.get("language", "en-US"),
                      a.get("actionOnEmptyResult", "false").lower() == "true", tuple(_verb(c) for c in el))
    if el.tag == "Dial":
        targets = tuple((c.text or "").strip() for c in el) or ((el.text or "").strip(),)
        return Dial(targets, a.get("action", ""), a.get("method", "POST").upper(), _int(a.get("timeout"), 30))
    if el.tag == "Redirect":
        return Redirect((el.text or "").strip(), a.get("method", "POST").upper())
    if el.tag in ("Hangup", "Reject"):
        return Hangup(el.tag)
    return Unsupported(el.tag)


def _root(xml: str) -> ET.Element:
    try:
        root = ET.fromstring(xml.strip() or "<Response/>")
    except ET.ParseError as exc:
        raise TwimlError(f"the answer is not XML ({exc}); Twilio would report error 12100") from None
    if root.tag != "Response":
        raise TwimlError(f"the root element is <{root.tag}>, not <Response>")
    return root


def parse_voice(xml: str) -> tuple:
    """The verbs of a voice <Response>, in order (an empty body is an empty Response)."""
    return tuple(_verb(el) for el in _root(xml))


def parse_messages(xml: str) -> list[str]:
    """The texts of a messaging <Response>: each <Message>, written inline or in a <Body>."""
    texts = []
    for el in _root(xml):
        if el.tag == "Message":
            body = el.find("Body")
            texts.append((body.text if body is not None else el.text) or "")
    return texts


@dataclass(frozen=True)
class Step:
    """One thing the caller does: press keys, say words, stay silent, or how a transfer ended."""

    kind: str
    value: str = ""

    def __str__(self) -> str:
        return {SPEECH: f"say:{self.value}", SILENCE: SILENCE}.get(self.kind, self.value)


def parse_step(text: str, *, typed: bool = False) -> Step:
    """'1', '0612345678#', 'silence' (or nothing), 'say:...', a dial outcome; typed words are speech."""
    raw = text.strip()
    lower = raw.lower()
    if not raw or lower == SILENCE:
        return Step(SILENCE)
    if lower.startswith("say:"):
        return Step(SPEECH, raw[4:].strip()) if raw[4:].strip() else Step(SILENCE)
    if lower in DIAL_OUTCOMES:
        return Step(DIAL, lower)
    if _KEYS.match(raw):
        return Step(DIGITS, raw)
    if typed:
        return Step(SPEECH, raw)
    raise ScriptError(f"{raw!r} is not a step: use keys (1, 0612345678#), silence, say:<words>, "
                      f"or a transfer outcome ({', '.join(DIAL_OUTCOMES)})")


def parse_script(script: str) -> list[Step]:
    """'1;silence;say:je veux un rappel;busy' -> steps (a trailing ';' adds nothing)."""
    parts = script.split(";")
    if parts and not parts[-1].strip():
        parts.pop()
    return [parse_step(part) for part in parts]


def gather_params(gather: Gather, step: Step) -> dict | None:
    """What Twilio posts to the <Gather> action for this step, or None: it moves on to the next verb."""
    if step.kind == DIAL:
        raise ScriptError(f"{step.value!r} is a transfer outcome, but the call is waiting for keys or speech")
    if step.kind == DIGITS and "dtmf" in gather.inputs:
        digits, finished = step.value, ""
        if gather.finish_on_key and gather.finish_on_key in digits:
            digits, finished = digits.split(gather.finish_on_key, 1)[0], gather.finish_on_key
        if gather.num_digits:
            digits = digits[:gather.num_digits]
        if digits:
            return {"Digits": digits, **({"FinishedOnKey": finished} if finished else {})}
    if step.kind == SPEECH and "speech" in gather.inputs:
        return {"SpeechResult": step.value, "Confidence": "0.92"}
    return {} if gather.action_on_empty else None


def dial_params(step: Step, dial_sid: str) -> dict:
    """What Twilio posts to the <Dial> action when the transfer ends with this outcome."""
    if step.kind != DIAL:
        raise ScriptError(f"{str(step)!r} is not a transfer outcome; expected one of {', '.join(DIAL_OUTCOMES)}")
    duration = "95" if step.value == "completed" else "0"
    return {"DialCallStatus": step.value, "DialCallSid": dial_sid, "DialCallDuration": duration}


def describe_gather(gather: Gather) -> str:
    """'keys or speech (1 key, 6 s)': what the caller may do now."""
    kinds = " or ".join(k for k, v in (("keys", "dtmf"), ("speech", "speech")) if v in gather.inputs) or "nothing"
    count = f"{gather.num_digits} key{'s' if gather.num_digits > 1 else ''}, " if gather.num_digits else ""
    finish = f"end with {gather.finish_on_key}, " if "dtmf" in gather.inputs and not gather.num_digits \
        and gather.finish_on_key else ""
    return f"{kinds} ({count}{finish}{gather.timeout} s)"
