"""Phone numbers as callers give them (French national form, E.164, caller-ID oddities)."""
from __future__ import annotations

import re

from .config import E164

_NOT_DIGITS = re.compile(r"[\s.\-()/]")
WITHHELD = {"anonymous", "restricted", "unknown", "private", "+266696687", "+86282452253", "+7378742833", "+2562533"}


def to_e164(raw: str | None) -> str | None:
    """'06 12 34 56 78', '0033612345678', '+33612345678' -> '+33612345678'; anything else -> None."""
    if not raw:
        return None
    text = _NOT_DIGITS.sub("", str(raw).strip())[:20]
    if text.startswith("00"):
        text = "+" + text[2:]
    elif re.fullmatch(r"0[1-9]\d{8}", text):
        text = "+33" + text[1:]
    return text if E164.match(text) else None


def callable_number(raw: str | None) -> str | None:
    """The caller's number if we could call it back (not withheld, not malformed)."""
    if not raw or str(raw).strip().lower() in WITHHELD:
        return None
    return to_e164(raw)


def french_display(number: str) -> str:
    """'+33612345678' -> '06 12 34 56 78'; other countries keep E.164."""
    if number.startswith("+33") and len(number) == 12:
        national = "0" + number[3:]
        return " ".join(national[i:i + 2] for i in range(0, 10, 2))
    return number


def last_digits(number: str, count: int = 2) -> str:
    """The last digits, spaced so text-to-speech reads them one by one."""
    return " ".join(number[-count:])
