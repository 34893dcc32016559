"""Rules that read several phrases together: means, acute crisis, farewell, light tone.

A drug name alone is not a risk ('the insulin error was mine'); the same name next to taking it
home or counting it is.  One panic symptom is anxiety; several at once, or one with a call for help
now, is an acute crisis.  One polite goodbye is nothing; several farewell gestures together are.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

from .matcher import Match
from .rules import near

MEANS_SCOPE = 15


class Found(NamedTuple):
    """A phrase with the meaning the rules gave it (before offsets are attached)."""

    category: str
    level: str
    i: int
    j: int


def means(terms: Sequence[Match], context: Sequence[Match]) -> list[Found]:
    """A means term near a possession/intent marker is urgent; alone it says nothing."""
    out: list[Found] = []
    ctx = [c for c in context if c.entry.category == "means_context"]
    for t in terms:
        hits = [c for c in ctx if near(t, c, MEANS_SCOPE)]
        if hits:
            out.append(Found("means", "urgent", t.i, t.j))
            out.extend(Found("means", "urgent", c.i, c.j) for c in hits)
    return out


def acute(symptoms: Sequence[Match], context: Sequence[Match]) -> list[Found]:
    """Two distinct panic symptoms, or one with an immediacy marker and no calm marker: a crisis now."""
    kinds = {s.entry.pattern for s in symptoms}
    calm = any(c.entry.category == "calm" for c in context)
    now = any(c.entry.category == "immediacy" for c in context)
    crisis = bool(kinds) and not calm and (len(kinds) >= 2 or now)
    if crisis:
        return [Found("acute_crisis", "urgent", s.i, s.j) for s in symptoms]
    return [Found("anxiety", "concern", s.i, s.j) for s in symptoms]


def farewell(hints: Sequence[Match], context: Sequence[Match]) -> list[Found]:
    """Two or more distinct farewell gestures with no plan for later: a farewell message."""
    kinds = {h.entry.pattern for h in hints}
    if len(kinds) >= 2 and not any(c.entry.category == "future" for c in context):
        return [Found("farewell", "urgent", h.i, h.j) for h in hints]
    return []


def light_tone(found: list[Found], context: Sequence[Match]) -> list[Found]:
    """Laughter ('mdr', 'lol', 😂) turns tiredness talk into banter; it never hides a risk."""
    if not any(c.entry.category == "levity" for c in context):
        return found
    if any(f.level == "urgent" for f in found):
        return found
    return [f for f in found if f.category != "exhaustion"]
