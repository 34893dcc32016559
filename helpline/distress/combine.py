"""Rules that read several phrases together: means, acute crisis, farewell, cue pairs, light tone.

A drug name alone is not a risk ('the insulin error was mine'); the same name next to taking it
home or counting it is.  One panic symptom is anxiety; several at once, or one with a call for help
now, is an acute crisis.  One polite goodbye is nothing; several farewell gestures together are.
Weak cues of two different families (a drug + 'in my locker', a bridge + 'for an hour') are urgent
when their pair is listed in cue_pairs.tsv.
"""
from __future__ import annotations

from itertools import combinations
from typing import Callable, Mapping, NamedTuple, Sequence

from .matcher import Match
from .rules import masked_by_idiom, near

MEANS_SCOPE = 15
PAIR_SCOPE = 30         # words between two cues of a pair
VETO_SCOPE = 6          # words between a work cue ('for the patient in bed 12') and a cue it cancels
NOW_SCOPE = 6           # words between a bare 'now' and the panic symptom it makes a crisis
# a thank-you that is the whole message is a thank-you ('Merci pour tout.'), not a farewell
THANKS = frozenset({"merci", "thanks", "thank", "thx", "chers"})     # keys are squeezed: 'cheers' -> 'chers'
FUTURE_SCOPE = 12       # words between a plan for later ('à lundi') and a farewell gesture it explains
# Cancelling families -> the families they cancel near them ('for the patient in bed 3' next to a
# drug; 'je démissionne' next to 'merci pour tout').
VETOES = {"work": frozenset({"means", "possession", "taken", "quantity", "place", "presence", "height"}),
          "job": frozenset({"farewell"})}


class Found(NamedTuple):
    """A phrase with the meaning the rules gave it (before offsets are attached)."""

    category: str
    level: str
    i: int
    j: int


def means(terms: Sequence[Match], context: Sequence[Match], work: Sequence[Match] = ()) -> list[Found]:
    """A means term near a possession/intent marker is urgent; alone it says nothing.

    A term next to a work cue ('pour le patient du 9', 'max dose') is the job, not a means, unless
    a longer marker holds that cue ('pas pour un patient').
    """
    out: list[Found] = []
    ctx = [c for c in context if c.entry.category == "means_context"]
    work = [w for w in work if not any(c.i <= w.i and w.j <= c.j and c.j - c.i > w.j - w.i for c in ctx)]
    for t in terms:
        if any(near(t, w, VETO_SCOPE) for w in work):
            continue
        hits = [c for c in ctx if near(t, c, MEANS_SCOPE)]
        if hits:
            out.append(Found("means", "urgent", t.i, t.j))
            out.extend(Found("means", "urgent", c.i, c.j) for c in hits)
    return out


def acute(symptoms: Sequence[Match], context: Sequence[Match], idioms: Sequence[Match] = (),
          brk: Sequence[bool] = ()) -> list[Found]:
    """Two distinct panic symptoms, or one with an immediacy marker and no calm marker: a crisis now.
    A bare 'now' counts only close to the symptom and in its sentence, or said on its own ('chest
    going. sluice room floor. now'; `brk`: the sentence breaks of the tokens), and no marker counts
    inside an idiom: further off, in another sentence ('elle est aux urgences maintenant. Je n'arrive
    pas à me calmer'), or in 'they're in ICU now' or 'Australian RN' (SMS 'rn' is 'right now'), it
    is about something else."""
    kinds = {s.entry.pattern for s in symptoms}
    calm = any(c.entry.category == "calm" for c in context)
    now = any((c.entry.category == "immediacy" or
               c.entry.category == "now_word" and any(near(s, c, NOW_SCOPE) and (
                   not any(brk[min(s.i, c.i) + 1:max(s.i, c.i) + 1]) or _alone(c, brk)) for s in symptoms)) and
              not masked_by_idiom(c, idioms)
              for c in context)
    crisis = bool(kinds) and not calm and (len(kinds) >= 2 or now)
    if crisis:
        return [Found("acute_crisis", "urgent", s.i, s.j) for s in symptoms]
    return [Found("anxiety", "concern", s.i, s.j) for s in symptoms]


def _alone(c: Match, brk: Sequence[bool]) -> bool:
    """`c` is a sentence of its own."""
    return (c.i == 0 or brk[c.i]) and (c.j >= len(brk) or brk[c.j])


def farewell(hints: Sequence[Match], context: Sequence[Match], jobs: Sequence[Match] = (),
             keys: Sequence[str] = ()) -> list[Found]:
    """Two or more distinct farewell gestures with no plan for later, or one that is the whole
    message, of words `keys` ('Adieu.', 'Pardon maman.', but not 'Merci pour tout.'): a farewell message.

    A gesture next to a job cue ('dernier jour dans le service', 'je démissionne') is a goodbye to
    the job, as in the cue-pair rule.
    """
    if jobs:
        hints = [h for h in hints if not any(near(h, j, VETO_SCOPE) for j in jobs)]
    # a plan inside a gesture is part of it ('see you on the other side'), not a plan for later
    context = [c for c in context if c.entry.category != "future" or
               not any(h.i <= c.i and c.j <= h.j for h in hints)]
    kinds = {h.entry.pattern for h in hints}
    words = len(keys)
    while words and not any(ch.isalpha() for ch in keys[words - 1]):
        words -= 1          # an emoji after it is still the whole message ('au revoir les amis 🖤')
    whole = words > 0 and keys[0] not in THANKS and any(h.i == 0 and h.j == words for h in hints)
    if (len(kinds) >= 2 or whole) and not any(planned(h, context) for h in hints):
        return [Found("farewell", "urgent", h.i, h.j) for h in hints]
    return []


def planned(cue: Match, context: Sequence[Match]) -> bool:
    """A plan for later next to a farewell gesture ('thanks for everything, see you Monday') explains
    it; one elsewhere in a long message does not ('hearing is tomorrow... dog's at my brother's,
    sorting the last bits this weekend')."""
    return any(c.entry.category == "future" and near(cue, c, FUTURE_SCOPE) for c in context)


def cue_pairs(cues: Sequence[Match], context: Sequence[Match], pairs: Mapping[tuple[str, str], str],
              owner: Callable[[Match], str | None], brk: Sequence[bool] = (), keys: Sequence[str] = ()) -> list[Found]:
    """Cues of two families listed together in `pairs` (both orders), near each other: urgent.

    `owner(cue)` says whose cue it is: 'own' (the sender), 'quoted' or 'other' (someone else's words,
    in quotation marks or not) or None (negated, past: it does not count); it is asked only about
    cues that could pair.  A pair with someone else's cue is a `third_party` concern, unless the
    sender acts on what a quotation named (ACTS).  Overlapping cues of one family never pair.

    A work cue ('pour le patient du 12', 'max dose') hides the cues it overlaps as an idiom does and
    cancels the means/place cues next to it, a job cue ('je démissionne') the farewell cues; a plan
    for later ('à lundi') next to a farewell cue cancels its pairs; a calm marker ('every time') turns a panic pair
    into anxiety; a bare 'now' opening another sentence does not pair with a panic cue (`brk`: the
    sentence breaks of the tokens).  A family paired with itself needs two phrases.
    """
    work = [c for c in cues if c.entry.category in VETOES]
    kept = [c for c in cues if c.entry.category not in VETOES and not masked_by_idiom(c, work) and not any(
        c.entry.category in VETOES[w.entry.category] and near(c, w, VETO_SCOPE) for w in work)]
    calm = any(c.entry.category == "calm" for c in context)
    bare = {(c.i, c.j) for c in context if c.entry.category == "now_word"}
    out: list[Found] = []
    for a, b in combinations(kept, 2):
        fa, fb = a.entry.category, b.entry.category
        category = pairs.get((fa, fb))
        if category is None or not near(a, b, PAIR_SCOPE) or (fa == fb and a.i < b.j and b.i < a.j) \
                or ("farewell" in (fa, fb) and (planned(a, context) or planned(b, context))):
            continue
        if brk and {fa, fb} == {"panic", "now"} and _opens_another_sentence(a if fa == "now" else b,
                                                                            b if fa == "now" else a, bare, brk):
            continue
        fa, fb = sorted((fa, fb))
        whose = {owner(a), owner(b)}
        if None in whose:
            continue
        if calm and "panic" in (fa, fb):
            name, level = "anxiety", "concern"
        elif whose == {"own"} or _acts_on_what_was_said(a, b, owner, keys):
            name, level = f"{category}:{fa}+{fb}", "urgent"
        else:
            name, level = "third_party", "concern"
        out += [Found(name, level, a.i, a.j), Found(name, level, b.i, b.j)]
    return out


# The sender's own act (keeping, taking, going to look), after a quotation, on a means or place that
# someone else named in it ('mon interne m'a dit « le propofol tu le connais bien ». j'en ai ramené
# chez moi', "my flatmate joked 'don't go jumping off the multi storey'. i went and looked at it") is
# the sender's risk.
ACTS = frozenset({"possession", "taken", "presence"})
NAMED = frozenset({"means", "place", "height"})


def _acts_on_what_was_said(a: Match, b: Match, owner: Callable[[Match], str | None],
                           keys: Sequence[str] = ()) -> bool:
    own, other = (a, b) if owner(a) == "own" else (b, a)
    # reported without quotation marks, the act must name it again: 'un collègue a dit qu'avec
    # l'insuline on se réveille pas… j'en ai ramené à la maison'
    said = owner(other) == "quoted" or owner(other) == "other" and not REFERS_BACK.isdisjoint(keys[own.i:own.j])
    return owner(own) == "own" and said and own.entry.category in ACTS \
        and other.entry.category in NAMED and own.i > other.i


REFERS_BACK = frozenset({"en"})


def _opens_another_sentence(now: Match, symptom: Match, bare: set[tuple[int, int]], brk: Sequence[bool]) -> bool:
    """A bare 'now' that opens a sentence other than the symptom's tells a story ('…je tremblais.
    Maintenant j'ai peur d'y retourner'), not that it is happening now."""
    if (now.i, now.j) not in bare or not (now.i == 0 or brk[now.i]):
        return False
    lo, hi = min(now.i, symptom.i), max(now.i, symptom.i)
    return any(brk[lo + 1:hi + 1])


def light_tone(found: list[Found], context: Sequence[Match]) -> list[Found]:
    """Laughter ('mdr', 'lol', 😂) turns tiredness talk into banter; it never hides a risk."""
    if not any(c.entry.category == "levity" for c in context):
        return found
    if any(f.level == "urgent" for f in found):
        return found
    return [f for f in found if f.category != "exhaustion"]
