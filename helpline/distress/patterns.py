"""Parse the small pattern language of the lexicon files into plain token sequences.

A pattern is words separated by spaces, written in ordinary spelling (accents and case are
folded, apostrophes split words: "l'insuline" is two words).  " / " separates whole alternative
phrases ("me tuer / me suicider").  Per word slot:

    a|b|c     one of several single words
    word?     the slot may be absent (also "a|b?")
    stem*     any word starting with "stem" (at least 3 letters), never the first word of a phrase
    @name     one of the phrases of macro `name` (macros.tsv)
    _N        a gap of 0..N arbitrary words (N from 1 to 6), never first or last

Each pattern expands to token sequences whose elements are literal keys, "*prefix" for stems
and "_N" for gaps; the matcher builds one trie from all of them.
"""
from __future__ import annotations

import itertools
import re
from typing import Mapping

from .normalize import normalize_phrase, squeeze

MAX_EXPANSIONS = 20000
# Words that speech-to-text and hurried typing split in two ("killing my self"): a pattern using
# the joined word also matches the split spelling.
SPLIT_WORDS = {
    "myself": ("my", "self"), "yourself": ("your", "self"), "himself": ("him", "self"),
    "herself": ("her", "self"), "themselves": ("them", "selves"), "ourselves": ("our", "selves"),
}
_GAP = re.compile(r"_([1-6])")
_MACRO = re.compile(r"@[a-z][a-z0-9_]*")


class PatternError(ValueError):
    """A pattern that cannot be parsed; the loader adds the file and line."""


def parse_alternative(alt: str, macros: Mapping[str, list[tuple[str, ...]]]) -> list[tuple[str, ...]]:
    """The token sequences one alternative stands for (a phrase, a stem or a macro)."""
    if alt.startswith("@"):
        if not _MACRO.fullmatch(alt):
            raise PatternError(f"bad macro name {alt!r}")
        if alt[1:] not in macros:
            raise PatternError(f"unknown macro {alt!r}")
        return macros[alt[1:]]
    return [phrase_tokens(alt)]


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """Keys of a literal phrase; a trailing '*' on a word makes it a stem."""
    out: list[str] = []
    for word in phrase.split():
        stem = word.endswith("*")
        keys = normalize_phrase(word[:-1] if stem else word)
        if not keys or (stem and len(keys) != 1):
            raise PatternError(f"bad word {word!r}")
        if stem:
            if len(keys[0]) < 3:
                raise PatternError(f"stem {word!r} is shorter than 3 letters")
            keys[0] = "*" + keys[0]
        out.extend(keys)
    return tuple(out)


def expand(pattern: str, macros: Mapping[str, list[tuple[str, ...]]]) -> list[tuple[str, ...]]:
    """All token sequences of `pattern`; raises PatternError on a malformed pattern."""
    phrases = pattern.split(" / ")
    if len(phrases) > 1:
        return sorted({seq for phrase in phrases for seq in expand(phrase, macros)})
    if not pattern.strip() or "/" in pattern:
        raise PatternError("empty pattern or misplaced '/'")
    slots: list[list[tuple[str, ...]]] = []
    words = pattern.split()
    for n, word in enumerate(words):
        gap = _GAP.fullmatch(word)
        if gap:
            if n == 0 or n == len(words) - 1:
                raise PatternError("a gap cannot start or end a pattern")
            slots.append([(word,)])
            continue
        optional = word.endswith("?") and len(word) > 1
        body = word[:-1] if optional else word
        alts = body.split("|")
        if any(not a or a.startswith("_") for a in alts):
            raise PatternError(f"empty alternative or misplaced gap in {word!r}")
        choices: list[tuple[str, ...]] = []
        for alt in alts:
            choices.extend(parse_alternative(alt, macros))
        if optional:
            choices.append(())
        slots.append(choices)
    count = 1
    for slot in slots:
        count *= len(slot)
    if count > MAX_EXPANSIONS:
        raise PatternError(f"pattern expands to {count} sequences (max {MAX_EXPANSIONS})")
    seqs = {tuple(itertools.chain.from_iterable(combo)) for combo in itertools.product(*slots)}
    out = [s for s in seqs if s and not s[0].startswith("_") and not s[-1].startswith("_")]
    if not out:
        raise PatternError("pattern matches nothing")
    if any(s[0].startswith("*") for s in out):
        # the matcher starts phrases from their first word looked up as a whole word; a stem there
        # would make it try every word of every message from the top of the trie
        raise PatternError("a stem cannot start a phrase: write its words (unalive|unaliving)")
    return sorted(out)


def with_split_words(seqs: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """`seqs` plus, for each sequence using a word of SPLIT_WORDS, the same with that word split."""
    extra = [tuple(k for e in s for k in SPLIT_WORDS.get(e, (e,))) for s in seqs
             if not SPLIT_WORDS.keys().isdisjoint(s)]
    return seqs + extra if extra else seqs


def parse_macro(values: str, macros: Mapping[str, list[tuple[str, ...]]] | None = None) -> list[tuple[str, ...]]:
    """The phrases of a macro definition 'a|b c|d*|@earlier_macro|boites de @drug'."""
    phrases = [v.strip() for v in values.split("|")]
    if any(not p for p in phrases):
        raise PatternError("empty phrase in macro")
    out: list[tuple[str, ...]] = []
    for phrase in phrases:
        parts = [parse_alternative(w, macros or {}) if w.startswith("@") else [phrase_tokens(w)]
                 for w in phrase.split()]
        out.extend(tuple(itertools.chain.from_iterable(c)) for c in itertools.product(*parts))
    return list(dict.fromkeys(out))


def literal_words(seqs: list[tuple[str, ...]]) -> set[str]:
    """The literal keys used by some sequences (the typo corrector's vocabulary)."""
    return {squeeze(e) for s in seqs for e in s if not e.startswith(("*", "_"))}
