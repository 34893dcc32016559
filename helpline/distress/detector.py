"""The distress detector: text in, an explained urgent/concern/none assessment out."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Sequence

from . import combine, rules
from .combine import Found
from .learned import CONCERN_WEIGHTS_FILE, WEIGHTS_FILE, LearnedScorer, with_markers
from . import compiled
from .lexicon import Lexicon, load_lexicon
from .matcher import Match, Matcher
from .normalize import Normalizer, Tokens, first_opener, inside_quotes
from .typos import TypoFixer

LEXICON_DIR = Path(__file__).with_name("lexicons")
DEFAULT_LANG = "fr"
# Categories produced by the rules from markers; the markers themselves are never output.
MARKERS = frozenset({"life_affirm", "means_term", "acute_symptom", "farewell_hint", "idiom"})
# What the rules decided is not the sender's risk now: the learned weights do not read those words.
SETTLED = frozenset({"denied_ideation", "third_party", "past_ideation"})
# the word after a self-reveal that makes it a cleft sentence instead ('c'est moi qui…', 'it's me who…')
CLEFT = frozenset({"qui", "who", "that"})


def learned_keys(keys: Sequence[str], matches: dict[str, list[Match]] | None) -> Sequence[str]:
    """What the learned weights read: the message's word keys and its marker features (learned.py)."""
    return with_markers(keys, (c.entry.category for c in matches["context"])) if matches else keys


class Signal(NamedTuple):
    """One reason for the assessment: which kind of distress, how serious, which words where.

    Immutable like the Assessment that holds it (a named tuple: built without Python-level __init__).
    """

    category: str
    level: str
    matched: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Assessment:
    """The detector's answer for one message."""

    level: str
    lang: str
    signals: tuple[Signal, ...]

    @property
    def urgent(self) -> bool:
        return self.level == "urgent"

    def to_dict(self) -> dict:
        return {"level": self.level, "lang": self.lang, "signals": [s._asdict() for s in self.signals]}


class Detector:
    """Lexicons loaded and compiled once; `assess` is pure and thread-safe."""

    def __init__(self, lexicon_dir: Path | str = LEXICON_DIR, learned: Path | str | None = "auto",
                 native: bool | None = None, learned_concern: Path | str | None = "auto") -> None:
        """`learned`: a weights file, None for lexicons only, or "auto": the shipped weights with the
        shipped lexicons (they were fitted on what those lexicons produce), none with other ones.
        `learned_concern`: the same for the concern weights ("auto": shipped ones only when `learned`
        is also the shipped file).
        `native`: the hot loops in C (True), in Python (False), or as native.py decides (None)."""
        lex, self.matcher = compile_lexicons(Path(lexicon_dir), native)
        shipped = Path(lexicon_dir).resolve() == LEXICON_DIR.resolve()
        if learned == "auto":
            learned = WEIGHTS_FILE if shipped else None
        if learned_concern == "auto":
            learned_concern = CONCERN_WEIGHTS_FILE if shipped and learned == WEIGHTS_FILE else None
        self.learned = LearnedScorer(learned, native) if learned is not None else None
        self.learned_concern = LearnedScorer(learned_concern, native) if learned_concern is not None else None
        self.words = lex.words
        self.lang_words = lex.lang_words
        # per language, the words that tell it and no other (counted with one C-level pass each)
        self.telling = tuple((lang, frozenset(words.difference(*(other for o, other in lex.lang_words.items()
                                                                  if o != lang))))
                             for lang, words in sorted(lex.lang_words.items()))
        self.cue_pairs: dict[tuple[str, str], str] = {}     # (family, family) in both orders -> category
        self.cue_partners: dict[str, set[str]] = {}
        for pair, category in lex.cue_pairs.items():
            a, b = (*pair, *pair)[:2]
            self.cue_pairs[a, b] = self.cue_pairs[b, a] = category
            self.cue_partners.setdefault(a, set()).add(b)
            self.cue_partners.setdefault(b, set()).add(a)
        # words without which nothing can be someone else's words (see rules.reported)
        self.reporting = frozenset().union(*(lex.words.get(c, ()) for c in ("other", "reporter")))
        known = set().union(*lex.lang_words.values(), *lex.words.values()) if lex.lang_words else set()
        self.normalizer = Normalizer(lex.sms, lex.emoji, TypoFixer(self.matcher.vocabulary, known),
                                     self.matcher.vocabulary, native)

    def assess(self, text: str, locale: str | None = None) -> Assessment:
        """Assess one SMS or transcript; `locale` ('fr', 'fr-FR', 'en') skips the language guess."""
        text = text or ""
        cols = self.normalizer.split(text)
        lang = language(locale) or self.guess_language(cols.keys)
        matches = None
        found: list[Found] = []
        if self.matcher.could_match(cols.keys):      # most messages: no phrase can even start
            matches = self.matcher.find_keys(cols.keys, cols.brk)
            found = self.interpret(text, cols, matches)
        levels = [f.level for f in found]
        level = "urgent" if "urgent" in levels else "concern" if "concern" in levels else "none"
        if level != "urgent" and self.learned is not None and cols.keys:
            raised = self.second_opinion(cols, matches, found)
            if raised:
                found += raised
                level = "urgent"
        if level == "none" and self.learned_concern is not None and cols.keys:
            raised = self.concern_opinion(cols, matches)
            if raised:
                found += raised
                level = "concern"
        if not found:
            return Assessment("none", lang, ())
        starts, ends = cols.starts, cols.ends
        spans = sorted({(starts[f.i], ends[f.j - 1], f.category, f.level) for f in found})
        new = tuple.__new__
        signals = tuple([new(Signal, (cat, level, text[start:end], start, end)) for start, end, cat, level in spans])
        return Assessment(level, lang, signals)

    def second_opinion(self, tokens: Tokens, matches: dict[str, list[Match]] | None,
                       found: list[Found]) -> list[Found]:
        """The learned weights' reasons to call the message urgent, or [] (see learned.py).

        What the rules settled as not the sender's risk now (a denial, someone else's words, a past
        episode) is masked like an idiom, and the rest must then clear the careful threshold, as must
        a message that tells good news (a `relief` marker)."""
        idioms = [(m.i, m.j) for m in matches["idiom"]] if matches else []
        settled = [(f.i, f.j) for f in found if f.category in SETTLED]
        assert self.learned is not None
        work = not found and matches is not None and any(m.entry.category == "work" for m in matches["cue"])
        # good news told as such ('bonne nouvelle', 'the FtP case got dropped', 'back at work and loving it')
        # or jokes about it ('je vais mourir 😂', 'lol') with nothing the rules found
        relief = matches is not None and any(c.entry.category == "relief" or c.entry.category == "levity" and not found
                                             for c in matches["context"])
        idioms += settled
        keys = learned_keys(tokens.keys, matches)
        if not self.learned.raises(keys, idioms, work or relief or bool(settled)):
            return []
        return [Found("learned", "urgent", i, j) for i, j in self._reasons(self.learned, tokens.keys, keys, idioms)]

    def concern_opinion(self, tokens: Tokens, matches: dict[str, list[Match]] | None) -> list[Found]:
        """The concern weights' reasons to offer support to a message left at none, or []."""
        assert self.learned_concern is not None
        idioms = [(m.i, m.j) for m in matches["idiom"]] if matches else []
        keys = learned_keys(tokens.keys, matches)
        if not self.learned_concern.raises(keys, idioms):
            return []
        return [Found("learned", "concern", i, j) for i, j in self._reasons(self.learned_concern, tokens.keys, keys, idioms)]

    @staticmethod
    def _reasons(scorer: LearnedScorer, words: Sequence[str], keys: Sequence[str],
                 idioms: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        """The spans of the message's own words that weighed most (a marker feature has no span)."""
        n = len(words)
        spans = [(i, j) for i, j, _ in scorer.explain(keys, idioms) if j <= n]
        return spans or [(0, n)]

    def interpret(self, text: str, tokens: Tokens, matches: dict[str, list[Match]]) -> list[Found]:
        """Apply idiom, reported-speech, past, negation and combination rules to the matches."""
        idioms, context = matches["idiom"], matches["context"]
        by_role: dict[str, list[Match]] = {}
        kinds = {c.entry.category for c in context}
        ask = _Questions(self, text, tokens, context, kinds)
        found = [Found(*ask.meaning(m), m.i, m.j) for m in idioms if m.entry.level != "none"]
        for m in matches["signal"]:
            if idioms and rules.masked_by_idiom(m, idioms):
                continue
            cat, level = ask.meaning(m)
            if cat in rules.OWN_RISK:
                if (level == "urgent" or cat == "means_term") and ask.others_words(m):
                    if cat != "means_term":
                        found.append(Found("third_party", "concern", m.i, m.j))
                    continue
                if ask.past(m):
                    found.append(Found("past_ideation", "concern", m.i, m.j))
                    continue
                if cat == "means_term" and rules.denied_object(tokens, m, self.words):
                    continue
            if cat in rules.NEGATED and (rules.negated(tokens, m, self.words) or ask.answered_no(m)):
                outcome = rules.NEGATED[cat]
                if outcome and outcome[0] == "urgent":
                    # 'elle a plus envie de vivre' is someone else's; 'il y a dix ans' is over
                    if ask.others_words(m):
                        outcome = ("concern", "third_party")
                    elif ask.past(m):
                        outcome = ("concern", "past_ideation")
                if outcome:
                    found.append(Found(outcome[1], outcome[0], m.i, m.j))
                continue
            if cat in MARKERS:
                if cat == "acute_symptom" and ask.others_words(m):
                    continue        # a colleague's quoted 'je tremble de partout', or 'he was dizzy and
                    #                 fell' said of a patient, is not the sender's crisis
                by_role.setdefault(cat, []).append(m)
            elif level != "none":
                found.append(Found(cat, level, m.i, m.j))
        if by_role:
            if "means_term" in by_role:
                work = [c for c in matches["cue"] if c.entry.category == "work"]
                # a harmless idiom hides the context it overlaps too ('saving up for a holiday')
                near_means = [c for c in context if not rules.masked_by_idiom(c, idioms)] if idioms else context
                found += combine.means(by_role["means_term"], near_means, work)
            if "acute_symptom" in by_role:
                found += combine.acute(by_role["acute_symptom"], context, idioms, tokens.brk)
            if "farewell_hint" in by_role:
                jobs = [c for c in matches["cue"] if c.entry.category == "job"]
                found += combine.farewell(by_role["farewell_hint"], context, jobs, tokens.keys)
        if len(matches["cue"]) >= 2 and not any(f.level == "urgent" for f in found):
            # weak cues can only raise the level: skipped when a phrase already made it urgent
            found += self.cue_pairs_found(ask, matches["cue"], idioms)
        return combine.light_tone(found, context) if "levity" in kinds else found

    def cue_pairs_found(self, ask: "_Questions", cues: list[Match], idioms: Sequence[Match]) -> list[Found]:
        """The co-occurrence rule over the cues whose family has a partner present (cheap checks first)."""
        count: dict[str, int] = {}
        for c in cues:
            count[c.entry.category] = count.get(c.entry.category, 0) + 1
        partners = self.cue_partners
        live = [c for c in cues if c.entry.category not in combine.VETOES and any(
            p in count and (p != c.entry.category or count[p] > 1) for p in partners.get(c.entry.category, ()))]
        if len(live) < 2:
            return []
        live += [c for c in cues if c.entry.category in combine.VETOES]
        if idioms:
            # an idiom hides the cues it overlaps, but not a work or job cue: 'j'ai injecté de
            # l'insuline au mauvais patient' is still a care act when 'au mauvais patient' is an idiom
            live = [c for c in live if c.entry.category in combine.VETOES or not rules.masked_by_idiom(c, idioms)]
        owners: dict[Match, str | None] = {}

        def owner(cue: Match) -> str | None:
            if cue not in owners:
                owners[cue] = self.cue_owner(ask, cue)
            return owners[cue]
        return combine.cue_pairs(live, ask.context, self.cue_pairs, owner, ask.tokens.brk, ask.tokens.keys)

    def cue_owner(self, ask: "_Questions", cue: Match) -> str | None:
        """'own' for a cue about the sender now, 'quoted' for someone else's words in quotation marks,
        'other' for other words of someone else's, None when negated or past."""
        family = cue.entry.category
        if family in combine.VETOES:
            return "own"
        if family not in rules.NEGATION_BLIND and rules.negated(ask.tokens, cue, self.words) or ask.past(cue):
            return None
        if family not in rules.SPEAKER_BLIND:
            # a farewell gesture names the people left behind as its subject ('je lui ai écrit une
            # lettre pour plus tard. il sera mieux avec son père'): the pronoun right before it is
            # part of the gesture, not someone else speaking
            said = cue._replace(i=cue.i - 1) if family == "farewell" and cue.i > 0 and \
                ask.tokens.keys[cue.i - 1] in self.words["other"] else cue
            if ask.others_words(said):
                return "quoted" if ask.quoted(cue) else "other"
        return "own"

    def guess_language(self, keys: Sequence[str]) -> str:
        """The language whose function words (token keys) are most frequent; French when nothing tells."""
        best, score = DEFAULT_LANG, 0
        for lang, words in self.telling:
            count = sum(map(words.__contains__, keys))
            if count > score or (count == score and count and lang == DEFAULT_LANG):
                best, score = lang, count
        return best


def compile_lexicons(lexicon_dir: Path, native: bool | None = None) -> tuple[Lexicon, Matcher]:
    """The lexicons and their compiled matcher, from the cache when these exact files were compiled
    before (compiled.py), else loaded, validated, compiled and cached."""
    key = compiled.fingerprint(lexicon_dir)     # of the files as they are before reading them
    state = compiled.load(key)
    if state is not None:
        try:
            lex = Lexicon(entries=[], sms={k: tuple(v) for k, v in state["sms"].items()}, emoji=state["emoji"],
                          words={k: set(v) for k, v in state["words"].items()},
                          lang_words={k: set(v) for k, v in state["lang_words"].items()},
                          cue_pairs={frozenset(pair): category for *pair, category in state["cue_pairs"]})
            return lex, Matcher.from_state(state["matcher"], native)
        except (KeyError, TypeError, ValueError, IndexError):
            pass        # a cache from elsewhere: compile afresh
    lex = load_lexicon(lexicon_dir)
    matcher = Matcher(lex.entries, native)
    compiled.save(lexicon_dir, {
        "sms": {k: list(v) for k, v in lex.sms.items()}, "emoji": lex.emoji,
        "words": {k: sorted(v) for k, v in lex.words.items()},
        "lang_words": {k: sorted(v) for k, v in lex.lang_words.items()},
        "cue_pairs": [[*sorted(pair), category] for pair, category in lex.cue_pairs.items()],
        "matcher": matcher.to_state()}, key)
    return lex, matcher


def language(locale: str | None) -> str | None:
    """'fr-FR' -> 'fr'; None, empty or a language without lexicons -> None (guess it)."""
    if not locale:
        return None
    short = locale.replace("_", "-").split("-")[0].lower()
    return short if short in ("fr", "en") else None


# the first word of an answer that says no to the question just before it
ANSWER_NO = frozenset({"no", "non", "nope", "nah", "nan", "never", "jamais"})
# a word that may come before the no of an answer (keys are squeezed: "truthfully" -> "truthfuly")
FRANK = frozenset({"honestly", "honest", "truthfuly", "franchement", "sincerement", "honetement", "vraiment"})
# "I said", "je lui ai répondu franchement": the words that may lead from a question to its answer
ANSWER_VERBS = frozenset({"said", "told", "answered", "replied", "dit", "repondu", "reponds", "repond"})
ANSWER_BRIDGE = ANSWER_VERBS | FRANK | frozenset({"it", "i", "je", "j", "lui", "leur", "ai", "her", "him", "them", "and"})
# after "I told her": "no one would understand" is not an answer
NOT_AN_ANSWER = frozenset({"one", "body", "longer", "more", "way", "point", "idea", "hope", "reason", "future"})
# words between a verb of asking and the phrase it asks about ('asked me if I'd had thoughts of suicide')
ASKED_SCOPE = 7


class _Questions:
    """What the rules ask about one message, with the answers that hold for the whole message
    worked out once: most messages have no quotation mark, no past marker and nobody else in them."""

    __slots__ = ("detector", "text", "tokens", "context", "opener", "has_past", "may_report", "own_voice",
                 "reveal", "agree")
    _UNKNOWN = -1

    def __init__(self, detector: Detector, text: str, tokens: Tokens, context: Sequence[Match],
                 kinds: set[str]) -> None:
        self.detector, self.text, self.tokens, self.context = detector, text, tokens, context
        self.opener: int | None = self._UNKNOWN       # looked for on first use
        self.has_past = "past" in kinds or "past_back" in kinds
        self.own_voice = "own_voice" in kinds
        # where the sender says the person they spoke of is them ('c'est moi hein', 'the nurse is me');
        # announced first ('je vais dire il, c'est plus simple'), it covers the whole message
        # ('c'est moi qui…', 'it's me who…' is a cleft sentence, not a reveal)
        keys = tokens.keys
        self.reveal = len(keys) if "third_person_self" in kinds else \
            max((c.i for c in context if c.entry.category == "self_reveal" and
                 (c.j >= len(keys) or keys[c.j] not in CLEFT)), default=-1)
        # where the sender agrees with words they reported ('il m'a dit que j'étais un danger. Il a
        # raison.'): what was said before it is the sender's own view, not only someone else's words
        self.agree = max((c.i for c in context if c.entry.category == "agreement"), default=-1)
        self.may_report = "reporter" in kinds or "hypothetical" in kinds or \
            not detector.reporting.isdisjoint(tokens.keys)

    def meaning(self, m: Match) -> tuple[str, str]:
        """A phrase's category and level, except that someone else's wish to die ('elle veut plus vivre',
        'she took an overdose') is the sender's own when they say that the person was them."""
        if m.entry.category == "third_party" and self.reveal >= m.j:
            return "suicidal_ideation", "urgent"
        return m.entry.category, m.entry.level

    def others_words(self, m: Match) -> bool:
        """Reported speech, a hypothetical, or inside a quotation: not the sender speaking of now.

        Never when the sender says afterwards that the person was them ('elle mérite pas de vivre.
        c'est moi hein'), or agrees with them ('… un danger pour les patients. Il a raison.')."""
        if self.reveal >= m.j or self.agree > m.i:
            return False
        if self.may_report and rules.reported(self.tokens, m, self.detector.words, self.context):
            return True
        return self.quoted(m)

    def quoted(self, m: Match) -> bool:
        """Inside a quotation that is not the sender's own inner voice (nor agreed with after it)."""
        if self.reveal >= m.j or self.agree > m.i:
            return False
        if self.opener == self._UNKNOWN:
            self.opener = first_opener(self.text)
        start = self.tokens.starts[m.i]
        return self.opener is not None and self.opener < start and inside_quotes(self.text, start) and \
            not (self.own_voice and rules.own_voice(m, self.voiced()))

    def voiced(self) -> list[Match]:
        """The context without the inner-voice markers said inside a quotation: « des fois je me dis
        que… » in a colleague's mouth is the colleague's inner voice, not the sender's."""
        starts = self.tokens.starts
        return [c for c in self.context
                if c.entry.category != "own_voice" or not inside_quotes(self.text, starts[c.i])]

    def answered_no(self, m: Match) -> bool:
        """Asked as a question and answered no at once: "Thoughts of suicide? No, never.", or asked
        in reported form: "le médecin m'a demandé si j'avais des idées suicidaires, non"."""
        tokens, keys, k = self.tokens, self.tokens.keys, m.j
        answer = ANSWER_NO | FRANK
        # the phrase may stop one word short of the question's end ('thoughts of ending | it, no')
        if k + 1 < len(keys) and keys[k] not in answer and not tokens.brk[k] and keys[k + 1] in answer:
            k += 1
        # the answer starts at k; a frank word may come first ("Honestly no, never", "franchement non")
        start = k
        if k + 1 < len(keys) and keys[k] in FRANK and keys[k + 1] in ANSWER_NO:
            k += 1
        # or the sender says they answered ("... if I'd hurt myself I said no", "si j'avais des idées
        # noires. Je lui ai répondu franchement : non"): only after a verb of asking before the phrase
        bridge = k
        while bridge < len(keys) and bridge - start < 5 and keys[bridge] in ANSWER_BRIDGE:
            bridge += 1
        if bridge > start and bridge < len(keys) and keys[bridge] in ANSWER_NO and \
                (bridge + 1 >= len(keys) or keys[bridge + 1] not in NOT_AN_ANSWER) and \
                any(keys[x] in ANSWER_VERBS for x in range(start, bridge)) and self._asked(m):
            return True
        # (an answer told afterwards, "j'ai dit non", is not one: "…mais c'est faux", "that was a lie")
        if k >= len(keys) or keys[k] not in ANSWER_NO:
            return False
        between = self.text[tokens.ends[start - 1]:tokens.starts[start]]
        if tokens.brk[start] and "?" in between:
            return True
        return (tokens.brk[start] or "," in between or ":" in between) and self._asked(m)

    def _asked(self, m: Match) -> bool:
        """A verb of asking shortly before the phrase, in its sentence ('asked if', 'm'a demandé si')."""
        asking, keys, brk = self.detector.words.get("asking", ()), self.tokens.keys, self.tokens.brk
        for x in range(m.i - 1, max(m.i - ASKED_SCOPE, 0) - 1, -1):
            if brk[x + 1]:
                return False
            if keys[x] in asking:
                return True
        return False

    def past(self, m: Match) -> bool:
        """Said of a distant past that did not come back."""
        return self.has_past and rules.in_past(self.tokens, m, self.context, self.detector.words)
