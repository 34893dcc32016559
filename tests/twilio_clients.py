"""Test clients that act like Twilio: they sign every request for the service's public URL."""
from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import requests
from twilio.request_validator import RequestValidator

_counter = itertools.count(1)


def sign(token: str, url: str, params: dict) -> str:
    return RequestValidator(token).compute_signature(url, params)


class Webhooks:
    """Posts form webhooks to the live server, signed against the public URL as Twilio would."""

    def __init__(self, base_url: str, public_url: str, token: str):
        self.base_url, self.public_url, self.token = base_url.rstrip("/"), public_url.rstrip("/"), token
        self.http = requests.Session()

    def post(self, path: str, params: dict, *, signature: str | None = None, sign_url: str | None = None,
             headers: dict | None = None) -> requests.Response:
        path = urlsplit(path)._replace(scheme="", netloc="").geturl() if path.startswith("http") else path
        url = self.base_url + path
        signed_for = sign_url or self.public_url + path
        all_headers = {"X-Twilio-Signature": signature if signature is not None else sign(self.token, signed_for, params)}
        all_headers.update(headers or {})
        return self.http.post(url, data=params, headers=all_headers, timeout=10)


class Caller(Webhooks):
    """One phone call: keeps its CallSid and From, follows the TwiML it receives."""

    def __init__(self, base_url, public_url, token, *, number="+33612345678", sid=None):
        super().__init__(base_url, public_url, token)
        self.number = number
        self.sid = sid or f"CA{next(_counter):032x}"

    def params(self, **extra) -> dict:
        base = {"CallSid": self.sid, "AccountSid": "AC" + "0" * 32, "From": self.number, "Caller": self.number,
                "To": "+33100000000", "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01"}
        if self.number is None:
            base.pop("From"), base.pop("Caller")
        base.update({k: v for k, v in extra.items() if v is not None})
        return base

    def twiml(self, path: str, **extra) -> ET.Element:
        response = self.post(path, self.params(**extra))
        assert response.status_code == 200, (response.status_code, response.text[:300])
        assert response.headers["Content-Type"].startswith("application/xml")
        return ET.fromstring(response.text)


def says(root: ET.Element) -> list[str]:
    """Every <Say> text, in document order (inside <Gather> too)."""
    return [el.text or "" for el in root.iter("Say")]


def spoken(root: ET.Element) -> str:
    return " ".join(says(root))


def gather(root: ET.Element) -> ET.Element | None:
    return root.find("Gather")


def action_of(element: ET.Element) -> str:
    """A relative action URL as the service wrote it."""
    return element.get("action") or element.text or ""


class Texter(Webhooks):
    """One phone texting the SMS line: a new MessageSid per message unless one is given."""

    def __init__(self, base_url, public_url, token, *, number="+33698765432"):
        super().__init__(base_url, public_url, token)
        self.number = number
        self.last_sid = ""

    def params(self, body: str | None, *, sid: str | None = None, **extra) -> dict:
        self.last_sid = sid or f"SM{next(_counter):032x}"
        base = {"MessageSid": self.last_sid, "SmsSid": self.last_sid, "AccountSid": "AC" + "0" * 32,
                "From": self.number, "To": "38383", "Body": body, "NumMedia": "0", "NumSegments": "1",
                "ApiVersion": "2010-04-01"}
        base.update(extra)
        return {k: v for k, v in base.items() if v is not None}

    def send(self, body: str | None, *, sid: str | None = None, path: str = "/sms", **extra):
        return self.post(path, self.params(body, sid=sid, **extra))

    def text(self, body: str | None, *, sid: str | None = None, **extra) -> str | None:
        """The reply's <Message> text, or None for an empty <Response/>; asserts a 200 XML answer."""
        response = self.send(body, sid=sid, **extra)
        assert response.status_code == 200, (response.status_code, response.text[:300])
        assert response.headers["Content-Type"].startswith("application/xml")
        messages = ET.fromstring(response.text).findall("Message")
        assert len(messages) <= 1, response.text
        return (messages[0].text or "") if messages else None
