"""Masking and pseudonymising phone numbers, so logs and keys never hold a full number."""
from __future__ import annotations

import hashlib
import hmac
import re

_DIGITS = re.compile(r"\d")


def mask_number(number: str | None) -> str:
    """Keep the country prefix and the last two digits: '+33612345678' -> '+336******78'."""
    if not number:
        return "-"
    number = str(number).strip()
    digits = _DIGITS.findall(number)
    if len(digits) < 6:
        return "*" * len(number) if number.startswith("+") or digits else number[:12]
    head = 3 if number.startswith("+") else 2
    keep_head, keep_tail = number[:head], number[-2:]
    return keep_head + "*" * max(len(number) - head - 2, 1) + keep_tail


def number_key(secret: str, number: str) -> str:
    """A stable pseudonym for a sender, for keys such as rate counters and conversation state."""
    return hmac.new(secret.encode(), number.strip().encode(), hashlib.sha256).hexdigest()[:32]


def mask_sid(sid: str | None) -> str:
    """Shorten a Twilio SID for log lines (it is not personal, only long)."""
    if not sid:
        return "-"
    sid = str(sid)[:40]
    return sid if len(sid) <= 12 else f"{sid[:6]}…{sid[-4:]}"
