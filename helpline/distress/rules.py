"""Context rules that change what a matched phrase means: idioms, negation, reported speech, past.

Each rule is a small pure function over the token columns and the matches, so it can be tested alone.
The word classes (negators, pronouns, clause words) come from the words_<lang>.tsv files.
"""
from __future__ import annotations

from typing import Collection, Mapping, Sequence

from .matcher import Match
from .normalize import Tokens

NEGATION_SCOPE = 4      # words looked at before a phrase for a negator
REPORT_SCOPE = 6        # words looked at before a phrase for who is speaking
OWN_VOICE_SCOPE = 8     # words between a quoted phrase and a marker of the sender's inner voice
CONTEXT_SCOPE = 12      # words between a phrase and a past marker after it
PAST_OPENING_SCOPE = 16  # ... or before it: 'Il y a deux ans je vous ai appelés en pleine nuit, j'allais mal…'
RECURRENCE_SCOPE = 6    # words between a phrase and a 'again/since' marker

# What a negated phrase becomes: category -> (level, category); None drops the phrase.
NEGATED: dict[str, tuple[str, str] | None] = {
    "suicidal_ideation": ("concern", "denied_ideation"),
    "self_harm": ("concern", "denied_ideation"),
    "means": ("concern", "denied_ideation"),
    "farewell": ("concern", "denied_ideation"),
    "life_affirm": ("urgent", "suicidal_ideation"),
    "patient_danger": ("concern", "anxiety"),
    "acute_crisis": ("concern", "anxiety"),
}
# Cue families a negator before them does not cancel: "can't breathe", "je n'arrive pas à sortir de
# la voiture", "je devrais pas toucher aux pompes" are the cue, not its denial; a farewell phrase
# keeps its meaning after "I won't be there tomorrow, sorry for everything".
NEGATION_BLIND = frozenset({"panic", "stuck", "care_act", "unfit", "now", "height", "quantity", "farewell"})
# Cue families that say when, where or what task, not who: the partner cue decides whose words they are.
SPEAKER_BLIND = frozenset({"now", "finality", "height", "quantity", "care_act", "presence"})
# Words inside a phrase that make it about the sender whoever the subject is.
FIRST_PERSON = frozenset({"me", "moi", "myself", "my", "mon", "ma", "mes"})
# Phrases about the sender's own risk: reported or past, they become a concern.
OWN_RISK = frozenset({"suicidal_ideation", "self_harm", "means", "farewell", "means_term", "patient_danger"})


def masked_by_idiom(m: Match, idioms: Sequence[Match]) -> bool:
    """An idiom ('mourir de rire') hides a phrase it overlaps, unless the phrase contains it."""
    for idiom in idioms:
        if idiom.i < m.j and m.i < idiom.j and not (m.i <= idiom.i and idiom.j <= m.j and
                                                   (m.j - m.i) > (idiom.j - idiom.i)):
            return True
    return False


def negated(tokens: Tokens, m: Match, words: Mapping[str, set[str]]) -> bool:
    """A negator in a gap of the phrase, or just before it within the same clause.

    A phrase that starts with its own negator is not negated again by what comes before it.
    """
    keys, brk = tokens.keys, tokens.brk
    neg = words["negator"]
    keep = words.get("keep", ())
    comparative = words.get("comparative", ())
    # "can't stop thinking about", "j'arrête pas de", "je peux pas m'empêcher de": a negated stop
    # says the phrase goes on, in a gap of the phrase ('waiting _6 can't stop thinking _6 the train')
    # as before it
    # a phrase that ends on its own negator ('dormir _6 réveiller pas|plus|jamais') is one negated
    # clause: 'dormir et plus jamais me réveiller' is not negated by its 'plus jamais'
    if not _is_negator(keys, m.j - 1, neg) and any(
            _is_negator(keys, k, neg, comparative) and not _kept(keys, k, keep, m.j, brk) for k in m.gap):
        return True
    if _is_negator(keys, m.i, neg) or keys[m.i] in words["clause"] or keys[m.i] in words.get("subject", ()):
        # the phrase carries its own negation ('plus de vivre', 'no way out'), or opens its own
        # clause ('plus tranquille si je disparaissais': the 'plus' is not about the 'si' clause;
        # 'i no fit cope again, i wan die': the phrase has its own subject)
        return False
    k = m.i
    while k > 0 and m.i - k < NEGATION_SCOPE and not brk[k]:
        k -= 1
        if _is_negator(keys, k, neg, comparative):
            return not _kept(keys, k, keep, m.i, brk)
        key = keys[k]
        if key in words["clause"] or key in words["self"] or key in words["other"]:
            return False
    return False


def denied_object(tokens: Tokens, m: Match, words: Mapping[str, set[str]]) -> bool:
    """A thing said to be absent: 'pas de cachets', 'no pills', 'aucun comprimé', 'not any tablets'."""
    keys, neg = tokens.keys, words["negator"]
    before = [keys[k] for k in range(max(0, m.i - 2), m.i) if not any(tokens.brk[k + 1:m.i + 1])]
    # 'plus de' is as often 'more' as 'no more': leave it to the other rules
    if before and before[-1] in neg and before[-1] != "plus" and before[-1] not in words["clause"]:
        return True
    return len(before) == 2 and before[0] in neg and before[0] != "plus" and before[1] in ("de", "d", "any")


def _kept(keys: Sequence[str], k: int, keep: Collection[str], end: int, brk: Sequence[bool]) -> bool:
    """A 'keep' verb next to the negator at k (before `end`), in the same sentence: the negation says
    it does not stop ('j'arrête pas de', but not 'je pense à tout arrêter. Pas à me faire du mal')."""
    return any(keys[x] in keep for x in (k - 1, k + 1, k + 2)
               if 0 <= x < end and not any(brk[min(x, k) + 1:max(x, k) + 1]))


def _is_negator(keys: Sequence[str], k: int, neg: set[str], comparative: Collection[str] = ()) -> bool:
    key = keys[k]
    if key not in neg:
        return False
    # "de plus en plus", "en plus": 'plus' there adds, it does not negate; nor does it in "ce serait
    # plus simple de ne plus exister", where it compares.
    if key == "plus" and (any(0 <= x < len(keys) and keys[x] == "en" for x in (k - 1, k + 1)) or
                          k + 1 < len(keys) and keys[k + 1] in comparative):
        return False
    # "pas loin de chez moi" says where, it does not negate
    if key == "pas" and k + 1 < len(keys) and keys[k + 1] == "loin":
        return False
    # "don't", "can't" split to 'don' 't': the 't' negates only after an -n't verb, never in the
    # French "couvre-t-elle", "va-t-il"
    if key == "t" and not (k > 0 and keys[k - 1].endswith("n")):
        return False
    # the French restrictive "ne ... que" says "only", it does not negate: "je ne vis plus que pour en
    # finir", "je ne souhaite que mourir" (a 'que' within two words, before any other negator)
    if key in _RESTRICTIVE:
        for x in (k + 1, k + 2):
            if x < len(keys) and keys[x] in ("que", "qu"):
                return False
            if x < len(keys) and keys[x] in neg:
                break
    return True


# negators that "que" turns into "only"
_RESTRICTIVE = frozenset({"ne", "n", "plus"})


# French "t'" before these is "tu" ("t'as", "t'es"), not the English "-n't"
_T_VERBS = frozenset({"as", "es", "etais", "avais", "aurais", "serais", "vas"})


def reported(tokens: Tokens, m: Match, words: Mapping[str, set[str]],
             context: Sequence[Match]) -> bool:
    """Someone else's words: a reporter or third person before any first person, or a hypothetical.

    A phrase that names the sender itself ("better off without me") is never someone else's.
    """
    keys, brk, own = tokens.keys, tokens.brk, words["self"]
    # 'the voice from when I was 19 is back, telling me to step in front of the bus': a marker of the
    # sender's own inner voice right before the phrase makes its reporting verb the sender's
    if any(c.entry.category == "own_voice" and c.i < m.i and 0 <= m.i - c.j <= 1 and not any(brk[c.j:m.i + 1])
           for c in context):
        return False
    # 'ils savent pas que c'est pas une mutation', 'nobody knows that…': what others do not know is
    # the sender's own news, told as true
    # (not when the news is about a third person: 'ses parents savent pas qu'elle veut mourir')
    if any(c.entry.category == "unaware" and c.i <= m.i and m.i - c.j <= 1 and not any(brk[c.i + 1:max(c.j, m.i + 1)])
           and c.j < len(keys) and keys[c.j] not in words["other"] for c in context):
        return False
    # "he joked that I should ...": a reporter marker that already names the sender as the
    # subject of the reported words covers the phrase right after it, pronouns and all.
    # ('elle m'a dit hier je voudrais ne plus me réveiller': a word or two may come between, and the
    # marker may end on the phrase's own first words: 'il m'a dit hier soir si je | pouvais disparaître')
    if any(c.entry.category == "reporter" and -2 <= m.i - c.j <= _quote_reach(keys, c, own) and c.i < m.i
           and not own.isdisjoint(keys[c.i:c.j]) and not any(brk[c.i + 1:c.j]) and not any(brk[c.j:m.i + 1])
           for c in context):
        return True
    inside = keys[m.i:m.j]
    if not FIRST_PERSON.isdisjoint(inside) or not own.isdisjoint(inside):
        return False
    for c in context:
        if c.entry.category in ("reporter", "hypothetical") and 0 <= m.i - c.j <= REPORT_SCOPE \
                and not any(brk[c.j:m.i + 1]) and own.isdisjoint(keys[c.j:m.i]):
            return True
    # 'ce soir il commence à ressembler à une solution': in French 'il'/'elle' name things as often
    # as people, and a phrase whose subject is an idea (a `thing` verb first) is not a person's words
    idea = keys[m.i] in words.get("thing", ())
    k = m.i
    while k > 0 and m.i - k < REPORT_SCOPE and not brk[k]:
        k -= 1
        key = keys[k]
        if key in words["self"] or _seen_doing(keys, k, words):
            return False
        # 'tu mérites pas de vivre' after 't'as tué un patient': said to the sender, by themselves or
        # by someone they quote; a reporter marker decides the latter above
        if key in words.get("addressee", ()) or key == "t" and keys[k + 1] in _T_VERBS:
            return _said_to_sender(keys, brk, k, k - REPORT_SCOPE, words)
        if key in words["other"] and (idea or
                                      k + 1 < len(keys) and keys[k + 1] in words.get("impersonal", ())):
            continue        # 'il faut pour ne pas se réveiller': a pronoun that names nobody
        if key in words["reporter"] and _said_by_sender(keys, k, words["self"]):
            return False    # 'j'avais écrit les raisons de rester', 'I told her': the sender's own words
        if key in words["other"] or key in words["reporter"]:
            return True
    return False


def _seen_doing(keys: Sequence[str], k: int, words: Mapping[str, set[str]]) -> bool:
    """'ma co-interne m'a vue chercher…', 'elle me voit pleurer': the word at k is the French object
    pronoun of a verb of seeing or catching, so what follows is the sender's own doing."""
    seeing = words.get("seeing", ())
    if keys[k] not in ("m", "me") or not seeing:
        return False
    after = keys[k + 1:k + 3]
    return bool(after) and (after[0] in seeing or len(after) > 1 and after[0] in _AUXILIARY and after[1] in seeing)


_AUXILIARY = frozenset({"a", "avait", "ont", "avaient", "aura", "auront"})


def _quote_reach(keys: Sequence[str], c: Match, own: Collection[str]) -> int:
    """How far after a reporter marker its quotation reaches: a word or two, or, when the marker ends
    on the quotation's own first word ('she said to me over dinner i | sometimes wish…'), the
    sentence up to REPORT_SCOPE words."""
    return REPORT_SCOPE if keys[c.j - 1] in own else 2


def _said_to_sender(keys: Sequence[str], brk: Sequence[bool], k: int, stop: int,
                    words: Mapping[str, set[str]]) -> bool:
    """The second person at k is someone else talking to the sender when a reporting verb comes
    first ('the assessor said you're going to kill someone'), unless the sender is its subject ('je
    me répète : tu mérites pas de vivre', 'I keep telling myself you…')."""
    own, rep = words["self"], words["reporter"]
    j = k
    while j > 0 and j > stop and not brk[j]:
        j -= 1
        if keys[j] in own:
            return False
        if keys[j] in rep:
            return not _said_by_sender(keys, j, own)
    return False


def _said_by_sender(keys: Sequence[str], k: int, own: Collection[str]) -> bool:
    """The reporting verb at k has the sender as its subject: 'j'ai dit', 'je me répète', 'I told',
    'I keep telling', or none because it opens the message ('asked the anaesthetist…'), but not 'une
    infirmière que je suis a dit'; or it passes on the sender's words ('make sure someone tells
    Dev…', 'please tell my mum…')."""
    if k == 0 or keys[k] in PASS_ON and keys[k - 1] in REQUEST:
        return True
    # ('je lui ai écrit', 'je leur ai dit', 'je l'ai écrit': an object pronoun may come between)
    return any(keys[x] in own for x in (k - 1, k - 2) if x >= 0) or \
        k >= 3 and keys[k - 2] in OBJECT_PRONOUNS and keys[k - 3] in own


OBJECT_PRONOUNS = frozenset({"lui", "leur", "l", "la", "le", "les"})

# a reporting verb that asks for the sender's words to be passed on (keys are squeezed: 'tell' ->
# 'tel'), and the words before it that ask
PASS_ON = frozenset({"tel", "tels", "dites", "dis"})
REQUEST = frozenset({"someone", "somebody", "please", "pls", "plz", "can", "could", "you", "u", "to"})


def own_voice(m: Match, context: Sequence[Match]) -> bool:
    """The sender quoting their own thoughts: 'je me dis « je veux mourir »', "'I want to die' is all
    I hear in my head", "my brain keeps saying 'kill yourself'".  A quotation is someone else's words
    unless a marker of the sender's own inner voice is next to it (sentence breaks inside a quotation
    do not separate them)."""
    return any(c.entry.category == "own_voice" and near(m, c, OWN_VOICE_SCOPE) for c in context)


def in_past(tokens: Tokens, m: Match, context: Sequence[Match], words: Mapping[str, set[str]] | None = None) -> bool:
    """A distant-past marker near the phrase in the same sentence, or one that looks back to it from
    the start of the next sentence ('... thought about ending it. That was 4 years ago'), and no
    sign it came back."""
    same = [c for c in context if same_sentence(tokens, m, c)]
    # a return marker inside a past one is part of it ('c'est fini depuis que je suis suivie')
    pasts = [c for c in same if c.entry.category == "past"]
    if pasts:
        same = [c for c in same if c.entry.category != "recurrence" or
                not any(p.i <= c.i and c.j <= p.j for p in pasts)]
    # 'right now', 'for an hour', 'please help' say it is happening now, as 'again' says it came back;
    # so does a return named at the start of the next sentence ('... years ago. they came back')
    # ('tonight I' and 'sauf que maintenant' bring it back in the phrase's own sentence as well as
    # opening the next one: "That's gone now but tonight I want to die")
    if any(c.entry.category in ("recurrence", "immediacy", "recurrence_back") and near(m, c, RECURRENCE_SCOPE)
           and not _well_now(tokens, c, words) for c in same) or \
            any(c.entry.category == "recurrence_back" and looks_back(tokens, m, c) and not _well_now(tokens, c, words)
                for c in context) or \
            any(c.entry.category == "redone" and c.i >= m.j for c in context):
        # 'redone': the sender doing it again, anywhere later in the message ('… J'avais tout jeté
        # après la thérapie. Hier, après le décès du patient, j'en ai remis deux')
        return False
    # a negated phrase followed by 'Plus du tout.' / 'Not anymore.' is said again, not over ('jai plus
    # envie de me reveiller le matin. plus du tout.'); after a plain phrase it says it is over
    lead = max(0, m.i - 3)
    while any(tokens.brk[lead + 1:m.i + 1]):
        lead += 1
    negated_phrase = words is not None and not words["negator"].isdisjoint(tokens.keys[lead:m.j])
    return any(c.entry.category == "past" and near(m, c, PAST_OPENING_SCOPE if c.j <= m.i else CONTEXT_SCOPE)
               for c in same) or \
        any(c.entry.category == "past_back" and looks_back(tokens, m, c) and
            not (negated_phrase and tokens.keys[c.i] in words["negator"]) for c in context) or \
        any(c.entry.category == "past" and tokens.keys[c.i] in ANAPHORA and looks_back(tokens, m, c)
            for c in context)


# a past marker that opens the next sentence with one of these words looks back to the phrase before it
# ("… not wanting to be here. That's passed now, I've been seeing someone", "… C'est fini maintenant")
ANAPHORA = frozenset({"that", "thats", "it", "its", "this", "those", "they", "theyve", "ca", "c", "cela", "ce"})


def _well_now(tokens: Tokens, c: Match, words: Mapping[str, set[str]] | None) -> bool:
    """'but now I'm fine', 'mais maintenant ça va': a turn to now that says it is better, not that it
    came back (a `well` word within four words of the marker, in its sentence, and no negator)."""
    if not words or not words.get("well"):
        return False
    keys, brk = tokens.keys, tokens.brk
    end = c.j
    while end < len(keys) and end < c.j + 4 and not brk[end]:
        end += 1
    after = keys[c.j:end]
    return not words["well"].isdisjoint(after) and words["negator"].isdisjoint(after)


def looks_back(tokens: Tokens, m: Match, c: Match) -> bool:
    """`c` opens the sentence right after the one that holds `m`."""
    brk = tokens.brk
    if c.i < m.j or not any(brk[m.j:c.i + 1]):
        return False
    start = max(k for k in range(m.j, c.i + 1) if brk[k])     # where c's sentence starts
    return start >= c.i - 1 and not any(brk[m.j:start])


def same_sentence(tokens: Tokens, a: Match, b: Match) -> bool:
    """No sentence break between the two matches."""
    lo, hi = min(a.i, b.i), max(a.i, b.i)
    return not any(tokens.brk[lo + 1:hi + 1])


def near(a: Match, b: Match, scope: int) -> bool:
    """At most `scope` words apart."""
    return min(abs(a.i - b.j), abs(b.i - a.j)) <= scope or (a.i < b.j and b.i < a.j)
