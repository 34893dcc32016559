"""One simulated SMS (signed like Twilio's, replies with their cost) and the local sink's inbox."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import requests

from sms.segments import Segments, count_segments

from .call import parse_messages
from .client import SimulatorError, Transport, new_sid, sms_params


@dataclass(frozen=True)
class SmsReply:
    """One <Message> of the answer and what it costs to send."""

    text: str
    segments: Segments

    def header(self, index: int) -> str:
        s = self.segments
        why = f" (because of {''.join(s.non_gsm_chars)!r})" if s.non_gsm_chars else ""
        return f"< reply {index}: {s.segments} segment(s), {s.encoding}, {s.units} units{why}"


def send_sms(transport: Transport, body: str, *, sender: str, to: str, path: str = "/sms") -> list[SmsReply]:
    """Post one incoming message to the service; return its replies (none: an empty <Response/>)."""
    sid = new_sid("SM")
    answer = transport.send(transport.resolve(path), sms_params(sid, sender, to, body, count_segments(body).segments))
    if answer.status != 200:
        raise SimulatorError(f"HTTP {answer.status} from the service for {path}: {answer.text[:200]}")
    return [SmsReply(text, count_segments(text)) for text in parse_messages(answer.text)]


def transcript(body: str, sender: str, replies: list[SmsReply]) -> list[str]:
    """The lines `simulate sms` prints."""
    lines = [f"> SMS from {sender}: {body}"]
    if not replies:
        lines.append("< no reply (empty <Response/>)")
    for index, reply in enumerate(replies, start=1):
        lines.append(reply.header(index))
        lines.extend(f"  {line}" for line in reply.text.splitlines() or [""])
    return lines


def sink_url(data_dir: str | Path) -> str:
    """The built-in sink of a local-mode service, from `<data dir>/sink.url`."""
    path = Path(data_dir) / "sink.url"
    try:
        return path.read_text().strip()
    except OSError:
        raise SimulatorError(f"no {path}: the inbox exists while `helpline serve` runs in local mode "
                             "(no TWILIO_AUTH_TOKEN)") from None


def read_inbox(url: str, *, wait: float = 0.0, at_least: int = 1) -> list[dict]:
    """Messages and calls the service sent to the sink, oldest first; wait for `at_least` if asked."""
    deadline = time.monotonic() + wait
    while True:
        try:
            response = requests.get(url.rstrip("/") + "/_sink/requests", timeout=5)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise SimulatorError(f"the sink at {url} did not answer: {exc}") from exc
        sent = [r for r in response.json() if r["kind"] in ("message", "call")]
        if len(sent) >= at_least or time.monotonic() >= deadline:
            return sent
        time.sleep(0.2)


def inbox_lines(sent: list[dict]) -> list[str]:
    """One header line per message or call, then the text of a message."""
    if not sent:
        return ["The inbox is empty: nothing was sent to coordinators."]
    lines = []
    for record in sent:
        p, when = record["params"], time.strftime("%H:%M:%S", time.localtime(record["time"]))
        if record["kind"] == "message":
            cost = count_segments(p.get("Body", ""))
            lines.append(f"[{when}] SMS {record.get('sid') or ''} to {p.get('To')} from {p.get('From')} "
                         f"({cost.segments} segment(s), {cost.encoding})")
            lines.extend(f"  {line}" for line in p.get("Body", "").splitlines())
        else:
            what = p.get("Url") or "inline TwiML"
            lines.append(f"[{when}] call {record.get('sid') or ''} to {p.get('To')} from {p.get('From')} ({what})")
    return lines
