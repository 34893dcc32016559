"""Count the SMS segments a text costs, exactly as the GSM 03.38 / UCS-2 rules do.

A text is sent as GSM-7 when every character is in the GSM 03.38 basic set or its
extension table (an extension character costs two septets: escape + character).
One character outside both switches the whole text to UCS-2, counted in UTF-16
code units (an emoji is a surrogate pair: two units).

A single part holds 160 septets / 70 code units; a split message loses room to the
concatenation header and holds 153 / 67 per part. An escape pair or a surrogate
pair is never split across two parts, so a long text may need one part more than
``ceil(units / 153)`` would say.
"""
from __future__ import annotations

import functools

from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 basic character set, in code order 0x00..0x7F (0x1B is the escape, left out).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ" "ÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# GSM 03.38 extension table: each costs an escape septet plus itself.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

# (single-part capacity, per-part capacity when split)
CAPACITY = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class Segments:
    """How a text will be encoded and what it costs."""

    encoding: str
    units: int
    segments: int
    non_gsm_chars: tuple[str, ...] = ()

    def __str__(self) -> str:
        why = f" (because of {''.join(self.non_gsm_chars)!r})" if self.non_gsm_chars else ""
        return f"{self.segments} segment(s), {self.units} {self.encoding} units{why}"


def is_gsm7(text: str) -> bool:
    """Return True when the whole text can be sent as GSM-7."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _gsm7_cost(ch: str) -> int:
    return 2 if ch in GSM7_EXTENSION else 1


def _ucs2_cost(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _pack(costs: list[int], per_part: int) -> int:
    """Fill parts greedily, never splitting a character's units across two parts."""
    parts, used = 1, 0
    for cost in costs:
        if used + cost > per_part:
            parts, used = parts + 1, 0
        used += cost
    return parts


@functools.lru_cache(maxsize=2048)
def count_segments(text: str) -> Segments:
    """Return the encoding, the units and the number of segments ``text`` needs.

    Cached: replies are a few templates, counted again for every log line.
    """
    non_gsm = tuple(dict.fromkeys(
        ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION
    ))
    encoding = UCS2 if non_gsm else GSM7
    cost = _ucs2_cost if non_gsm else _gsm7_cost
    costs = [cost(ch) for ch in text]
    units = sum(costs)
    single, per_part = CAPACITY[encoding]
    segments = 1 if units <= single else _pack(costs, per_part)
    return Segments(encoding=encoding, units=units, segments=segments, non_gsm_chars=non_gsm)
