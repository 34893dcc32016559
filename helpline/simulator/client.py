"""Requests shaped and signed like Twilio's: parameters, X-Twilio-Signature, public vs. real URL.

Twilio signs the URL it was told to call (the service's public URL); the simulator may send the request
somewhere else (`--url`, e.g. the loopback address of a service behind a proxy). `Transport` keeps the
two apart: it resolves a TwiML URL against the public URL, signs for it, and sends to the base URL.
"""
from __future__ import annotations

import itertools
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import requests
from twilio.request_validator import RequestValidator

from helpline.config import DEFAULTS
from helpline.errors import HelplineError

API_VERSION = "2010-04-01"
LOCAL_ACCOUNT = DEFAULTS["TWILIO_ACCOUNT_SID"]
DEFAULT_TO = DEFAULTS["HELPLINE_FROM_NUMBER"]
DEFAULT_CALLER = "+33612345678"
DEFAULT_TEXTER = "+33698765432"
_counter = itertools.count(1)


class SimulatorError(HelplineError):
    """The simulated Twilio cannot go on (no token, service unreachable, bad script...)."""


def new_sid(prefix: str) -> str:
    """A Twilio-looking SID (two letters, 32 hex digits), unique per process and run."""
    return f"{prefix}{secrets.token_hex(12)}{next(_counter):08x}"


def find_token(explicit: str | None = None, environ: dict | None = None) -> str:
    """--token, else TWILIO_AUTH_TOKEN, else the local-mode token in the data directory."""
    environ = os.environ if environ is None else environ
    if explicit:
        return explicit
    if environ.get("TWILIO_AUTH_TOKEN"):
        return environ["TWILIO_AUTH_TOKEN"]
    path = Path(environ.get("HELPLINE_DATA_DIR") or DEFAULTS["HELPLINE_DATA_DIR"]) / "local-auth-token"
    try:
        return path.read_text().strip()
    except OSError:
        raise SimulatorError(f"no auth token: set TWILIO_AUTH_TOKEN, pass --token, or start the service in "
                             f"local mode so that {path} exists") from None


def call_params(sid: str, caller: str, to: str, status: str = "in-progress", account: str = LOCAL_ACCOUNT) -> dict:
    """The parameters Twilio sends with every request of an inbound call."""
    return {"CallSid": sid, "AccountSid": account, "From": caller, "Caller": caller, "To": to, "Called": to,
            "CallStatus": status, "Direction": "inbound", "ApiVersion": API_VERSION,
            "FromCountry": _country(caller), "CallerCountry": _country(caller),
            "ToCountry": _country(to), "CalledCountry": _country(to)}


def sms_params(sid: str, sender: str, to: str, body: str, segments: int, account: str = LOCAL_ACCOUNT) -> dict:
    """The parameters Twilio sends with an incoming SMS."""
    return {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": account, "From": sender,
            "To": to, "Body": body, "NumMedia": "0", "NumSegments": str(segments), "SmsStatus": "received",
            "ApiVersion": API_VERSION, "FromCountry": _country(sender), "ToCountry": _country(to)}


COUNTRIES = (("+33", "FR"), ("+32", "BE"), ("+41", "CH"), ("+44", "GB"), ("+1", "US"))


def _country(number: str) -> str:
    return next((country for prefix, country in COUNTRIES if number.startswith(prefix)), "")


@dataclass
class Answer:
    """What the service answered: status, content type, body, and the public URL that was requested."""

    status: int
    content_type: str
    text: str
    url: str


class Transport:
    """Signs requests for `public_url` and sends them to `base_url` (the two are often the same)."""

    def __init__(self, base_url: str, token: str, public_url: str | None = None, timeout: float = 15.0):
        self.base_url = base_url.rstrip("/")
        self.public_url = (public_url or base_url).rstrip("/")
        self.validator = RequestValidator(token)
        self.timeout = timeout  # Twilio gives a webhook 15 s in total
        self.http = requests.Session()

    def resolve(self, reference: str, current: str | None = None) -> str:
        """A TwiML URL (relative or absolute) as Twilio would request it; the fragment is not sent."""
        absolute = urljoin(current or self.public_url + "/", reference.strip())
        return urlunsplit(urlsplit(absolute)._replace(fragment=""))

    def target(self, public: str) -> str:
        """Where a public URL's request really goes: under --url when it is under the public base."""
        if public == self.public_url or public.startswith(self.public_url + "/") or \
                public.startswith(self.public_url + "?"):
            return self.base_url + public[len(self.public_url):]
        return public

    def sign(self, public: str, params: dict, method: str = "POST") -> tuple[str, dict | None, str]:
        """(URL Twilio requests, form body, X-Twilio-Signature); a GET carries its parameters in the URL."""
        if method.upper() == "GET":
            public += ("&" if urlsplit(public).query else "?") + urlencode(params)
            return public, None, self.validator.compute_signature(public, {})
        return public, params, self.validator.compute_signature(public, params)

    def send(self, public: str, params: dict, method: str = "POST") -> Answer:
        """One webhook request, signed for the public URL, sent to where the service listens."""
        method = (method or "POST").upper()
        public, data, signature = self.sign(public, params, method)
        try:
            response = self.http.request(method, self.target(public), data=data, timeout=self.timeout,
                                         headers={"X-Twilio-Signature": signature,
                                                  "User-Agent": "TwilioProxy/1.1 (helpline simulator)"})
        except requests.RequestException as exc:
            raise SimulatorError(f"the service did not answer at {self.target(public)}: {exc}") from exc
        return Answer(response.status_code, response.headers.get("Content-Type", ""), response.text, public)
