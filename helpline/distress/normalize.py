"""Turn raw SMS or transcript text into word tokens that keep their offsets in the original text.

Normalisation folds case and accents, unifies apostrophes and quotes, and names emojis; it keeps
one normalised character per original character whenever it can (the fast path), so a token's
`start`/`end` are offsets in the text the person wrote.  Word keys are then squeezed (repeated
letters collapsed: "veuuux", "letterrrs"), mapped through the SMS spelling table ("jveux" ->
"je veux") and, for long unknown words, corrected for one typo against the lexicon vocabulary.
"""
from __future__ import annotations

import re
import unicodedata
from itertools import accumulate, chain, compress, islice, repeat
from operator import eq
from typing import Any, Callable, Collection, Mapping, NamedTuple, Sequence

from . import native as accel

# Characters that fold to one character (lower case, no accent); anything else in Latin-1/Latin-A
# that NFD can decompose is added by _build_table.
_PUNCT = {
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": "-", "\u00a0": " ", "\u202f": " ", "\u2026": ".",
}
# Characters that expand to two (slow path keeps an offset table).
_EXPAND = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"}
_SLOW = re.compile("[" + "".join(_EXPAND) + "\u0300-\u036f]")

CACHE_SIZE = 100_000
EMOJI_RANGES = "\U0001F000-\U0001FAFF\u2600-\u27BF\u2B50\u2B55"
TOKEN = re.compile(r"([.!?;\n]+)|([^\W_]+|[" + EMOJI_RANGES + "])")
_REPEAT = re.compile(r"([^\W\d_])\1+")
# The fast path splits the raw text: words are the same as in the folded text as long as no
# combining mark (decomposed accents) is present; '\u2026' folds to '.', so it breaks too.
_WORDS = re.compile(r"([^\W_]+|[" + EMOJI_RANGES + "])")
_ASCII_WORDS = re.compile(r"(\w+)", re.ASCII)
_BREAK = re.compile("[.!?;\n\u2026]")
_COMBINING = re.compile("[\u0300-\u036f]")
# Hesitations of speech transcripts ("i keep um thinking", "je veux euh partir"): no word of any
# phrase, so they are left out of the tokens and a phrase reads through them.  Keys, after the
# repeated letters are squeezed ("euhhh", "umm").  Not "er", which is also the emergency room.
FILLERS = frozenset({"euh", "heu", "um", "uh", "uhm", "erm", "hm"})
_VOWELS = frozenset("aeiouy")      # after a glued "j" ('jprends' is "je prends", 'jouer' a word)
# A word said twice in a row is a stammer ("pas d'idées de de me faire du mal", "i i can't"): the
# second one is left out, so a phrase or a negation reads through it.  Not the French reflexives,
# where the pair is grammar ("nous nous sommes", "vous vous êtes"), nor words that are two words
# once accents are folded ("là la fenêtre", "il a à faire", "où ou").
KEEP_DOUBLE = frozenset({"nous", "vous", "la", "a", "ou", "du"})
# What could open a quotation for inside_quotes: a double quote, or an apostrophe not after a letter.
_DOUBLE = "\"\u201c\u201d\u00ab\u00bb\u201e"
_QUOTE_CHAR = re.compile("[" + _DOUBLE + "'\u2018\u2019\u02bc\u2032`\u00b4]")
_WORD_CHAR = re.compile(r"[^\W_]")
_OPENER = re.compile("[\"\u201c\u201d\u00ab\u00bb\u201e]|(?<![^\\W_])['\u2018\u2019\u02bc\u2032`\u00b4]")


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x41, 0x250):
        ch = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)).lower()
        if len(base) == 1 and base != ch:
            table[code] = base
    table.update({ord(k): v for k, v in _PUNCT.items()})
    return table


_TABLE = _build_table()


def fold(text: str) -> tuple[str, list[int] | None]:
    """Lower-case, strip accents, unify apostrophes; return the text and an offset map or None.

    The offset map (normalised index -> original index) is None when the folding kept one
    character per original character, which is the common case.
    """
    folded = text.translate(_TABLE)
    if not _SLOW.search(folded):
        lowered = folded.lower()
        return (lowered if len(lowered) == len(folded) else folded), None
    parts: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(folded):
        if unicodedata.combining(ch):
            continue
        out = _EXPAND.get(ch, ch.lower() if len(ch.lower()) == 1 else ch)
        parts.append(out)
        index.extend([i] * len(out))
    index.append(len(text))
    return "".join(parts), index


def squeeze(word: str) -> str:
    """Collapse runs of the same letter: 'mourirrr' -> 'mourir', 'killl' -> 'kil' (lexicon too)."""
    return _REPEAT.sub(r"\1", word)


class Token(NamedTuple):
    """One word key with its span in the original text; `brk` marks a sentence break before it."""

    key: str
    start: int
    end: int
    brk: bool


class Tokens(Sequence[Token]):
    """The tokens of one text as columns (what the matcher and the rules read); indexing gives a Token.

    The offsets (`starts`, `ends`) are worked out on first use from the split text's pieces: most
    messages never need them (only signals and quotation checks do).
    """

    __slots__ = ("keys", "brk", "_starts", "_ends", "_parts")

    def __init__(self, keys: list[str], brk: list[bool], starts: list[int] | None = None,
                 ends: list[int] | None = None, parts: list[str] | None = None) -> None:
        self.keys, self.brk, self._starts, self._ends, self._parts = keys, brk, starts, ends, parts

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            self._offsets()
        return self._starts

    @property
    def ends(self) -> list[int]:
        if self._ends is None:
            self._offsets()
        return self._ends

    def _offsets(self) -> None:
        cum = list(accumulate(map(len, self._parts), initial=0))      # gap, word, gap, ..., word, gap
        self._starts, self._ends = cum[1:-1:2], cum[2::2]

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return self.as_list()[k]
        return Token(self.keys[k], self.starts[k], self.ends[k], self.brk[k])

    def as_list(self) -> list[Token]:
        return list(map(tuple.__new__, repeat(Token), zip(self.keys, self.starts, self.ends, self.brk)))

    def unstuttered(self, keep: Collection[str] = KEEP_DOUBLE) -> Tokens:
        """These tokens minus a word that repeats the one just before it in the same sentence, unless
        the word is in `keep`."""
        keys, brk = self.keys, self.brk
        gone = {k for k in range(1, len(keys)) if keys[k] == keys[k - 1] and not brk[k]
                and keys[k].isalpha() and keys[k] not in keep}
        if not gone:
            return self
        kept = [k for k in range(len(keys)) if k not in gone]
        starts, ends = self.starts, self.ends
        return Tokens([keys[k] for k in kept], [brk[k] for k in kept],
                      [starts[k] for k in kept], [ends[k] for k in kept])

    def without(self, drop: Collection[str]) -> Tokens:
        """These tokens minus the words in `drop`; a sentence break before a dropped word moves to
        the word after it."""
        keys: list[str] = []
        brk: list[bool] = []
        starts: list[int] = []
        ends: list[int] = []
        carry = False
        for key, b, start, end in zip(self.keys, self.brk, self.starts, self.ends):
            if key in drop:
                carry = carry or b
                continue
            keys.append(key)
            brk.append(b or carry)
            starts.append(start)
            ends.append(end)
            carry = False
        return Tokens(keys, brk, starts, ends)


class Memo(dict):
    """A dict that computes a missing value with `compute` (so `map(memo.__getitem__, ...)` stays in C)."""

    def __init__(self, compute: Callable[[Any], object]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key: str) -> object:
        if len(self) > CACHE_SIZE:
            self.clear()
        value = self[key] = self.compute(key)
        return value


class Normalizer:
    """Tokenise text with the SMS table, the emoji names and an optional typo corrector."""

    def __init__(self, sms: Mapping[str, tuple[str, ...]], emoji: Mapping[str, str],
                 correct: Callable[[str], str] | None = None, vocabulary: Collection[str] = (),
                 native: bool | None = None) -> None:
        """`native`: split in C (True), in Python (False), or as native.py decides (None)."""
        c = accel.wanted(native)
        self._c_split = c.split if c is not None else None
        self.sms = dict(sms)
        self.emoji = dict(emoji)
        # emojis are repeated on purpose ('💊💊💊' is a count)
        self._doubles = KEEP_DOUBLE | frozenset(self.emoji.values())
        self.correct = correct
        self.vocabulary = vocabulary       # the lexicon's own words (squeezed)
        self._cache: dict[str, tuple[str, ...]] = {}
        # raw word (as written) -> its key, or a tuple of keys when it stands for several words
        self._raw = Memo(self._raw_keys)
        self._breaks = Memo(lambda gap: _BREAK.search(gap) is not None)
        self._multi: set[str] = set()      # raw words that stand for several keys ('jveux')

    def keys(self, word: str) -> tuple[str, ...]:
        """Cached `_keys`: words repeat a lot, so most lookups are one dict access."""
        found = self._cache.get(word)
        if found is None:
            if len(self._cache) > CACHE_SIZE:
                self._cache.clear()
            found = self._cache[word] = self._keys(word)
        return found

    def _keys(self, word: str) -> tuple[str, ...]:
        """The lexicon keys of one folded word (several for 'jveux', 'dont', 'g')."""
        if word in self.emoji:
            return (self.emoji[word],)
        mapped = self.sms.get(word)
        if mapped is None:
            word = squeeze(word)
            if word in self.vocabulary:
                # 'killl' squeezes to the lexicon's 'kil' (from 'kill'), not to the French SMS 'kil'
                # (qu'il): a spelling of the table applies to a squeezed word the lexicon lacks
                return (word,)
            mapped = self.sms.get(word)
        if mapped is not None:
            return mapped
        # French SMS glues "je" to a verb ('jprends', 'jgarde'): no word of either language starts
        # with j and a consonant, so when the rest is a word of the lexicon, it is "je" and that word
        if len(word) > 3 and word[0] == "j" and word[1] not in _VOWELS and word[1:] in self.vocabulary:
            return ("je", word[1:])
        if self.correct is not None:
            word = self.correct(word)
        return (word,)

    def _raw_keys(self, raw: str) -> str | tuple[str, ...]:
        """Keys of one word as written: folded, split again if folding made an apostrophe."""
        norm, _ = fold(raw)
        found = self.keys(norm) if _WORDS.fullmatch(norm) else \
            tuple(k for m in _WORDS.finditer(norm) for k in self.keys(m.group()))
        if len(found) == 1:
            return found[0]
        self._multi.add(raw)
        return found

    def split(self, text: str) -> Tokens:
        """Tokens of `text` as columns, offsets in `text` itself; speech fillers and stammered repeats left out."""
        toks = self._split(text)
        if True in toks.brk:
            _join_initials(text, toks)
        if not FILLERS.isdisjoint(toks.keys):
            toks = toks.without(FILLERS)
        keys = toks.keys
        return toks.unstuttered(self._doubles) if any(map(eq, keys, islice(keys, 1, None))) else toks

    def _split(self, text: str) -> Tokens:
        if self._c_split is not None and (text.isascii() or not _COMBINING.search(text)):
            return Tokens(*self._c_split(text, self._raw))     # the same words, keys and spans, in C
        if text.isascii():
            # no accent, no emoji: plain \w words, unless an underscore (not a letter here) is present
            parts = (_ASCII_WORDS if "_" not in text else _WORDS).split(text)    # gap, word, ..., gap
        elif _COMBINING.search(text):
            toks = self.tokens_folded(text)
            return Tokens([t.key for t in toks], [t.brk for t in toks], [t.start for t in toks], [t.end for t in toks])
        else:
            parts = _WORDS.split(text)
        words = parts[1::2]
        keys = list(map(self._raw.__getitem__, words))
        brk = list(map(self._breaks.__getitem__, parts[0:-1:2]))
        if self._multi.isdisjoint(words):
            return Tokens(keys, brk, parts=parts)
        cum = list(accumulate(map(len, parts), initial=0))
        return Tokens(*_flatten(keys, brk, cum[1:-1:2], cum[2::2]))

    def tokens(self, text: str) -> Tokens:
        """Tokens of `text`, with offsets in `text` itself."""
        return self.split(text)

    def tokens_folded(self, text: str) -> list[Token]:
        """Tokens found in the folded text (the path for decomposed accents)."""
        norm, index = fold(text)
        out: list[Token] = []
        append = out.append
        cache, keys = self._cache, self.keys
        new = tuple.__new__
        brk = False
        for m in TOKEN.finditer(norm):
            word = m.group(2)
            if word is None:
                brk = True
                continue
            start, end = m.span()
            if index is not None:
                start, end = index[start], index[end - 1] + 1
            for key in cache.get(word) or keys(word):
                append(new(Token, (key, start, end, brk)))
                brk = False
        return out


# titles as keys (squeezed: 'Mme' -> 'me'), written with a capital and a full stop before a name
_TITLES = frozenset({"mr", "mrs", "ms", "dr", "me", "mle", "mlle", "m", "pr", "st"})


def _join_initials(text: str, toks: Tokens) -> None:
    """'Mme P. en 2021', 'Mr D. was', 'Dr. Smith': the full stop of an initial or a title is not the
    end of a sentence (patients and colleagues are named by an initial in most of these messages)."""
    brk, keys, starts, ends = toks.brk, toks.keys, toks.starts, toks.ends
    for k in range(1, len(brk)):
        if brk[k]:
            s, e = starts[k - 1], ends[k - 1]
            initial = e - s == 1 or keys[k - 1] in _TITLES
            if initial and text[s].isupper() and text[e:starts[k]].strip().rstrip(",") == ".":
                brk[k] = False


def _as_tuple(key: str | tuple[str, ...]) -> tuple[str, ...]:
    return (key,) if key.__class__ is str else key


def _flatten(keys, brk, starts, ends):
    """Columns where a word standing for several keys ('jveux') gives one token per key.

    Every key of such a word has the word's span; only its first key keeps the word's break.
    """
    tuples = list(map(_as_tuple, keys))
    counts = list(map(len, tuples))
    k2 = list(chain.from_iterable(tuples))
    b2 = list(chain.from_iterable(map(repeat, brk, counts)))
    s2 = list(chain.from_iterable(map(repeat, starts, counts)))
    e2 = list(chain.from_iterable(map(repeat, ends, counts)))
    offsets = list(accumulate(counts, initial=0))
    for k in compress(range(len(counts)), map((1).__lt__, counts)):
        b2[offsets[k] + 1:offsets[k + 1]] = repeat(False, counts[k] - 1)
    return k2, b2, s2, e2


def normalize_phrase(text: str) -> list[str]:
    """Fold and squeeze a lexicon phrase the same way as input words (no SMS table, no typo fix)."""
    norm, _ = fold(text)
    return [squeeze(m.group()) for m in TOKEN.finditer(norm) if m.lastindex == 2]


def first_opener(text: str) -> int | None:
    """Where the first character that could open a quotation is, or None (most messages).

    Same answer as searching _OPENER, without its look-behind being tried at every position.
    """
    for m in _QUOTE_CHAR.finditer(text):
        i = m.start()
        if m.group() in _DOUBLE or not i or not _WORD_CHAR.match(text, i - 1):
            return i
    return None


def inside_quotes(text: str, pos: int) -> bool:
    """True when `pos` falls inside a quotation opened earlier in the text and not yet closed."""
    if not _OPENER.search(text, 0, pos):
        return False        # no quotation mark, and every apostrophe follows a letter ("j'ai")
    head, _ = fold(text[:pos])
    opened = closed = 0
    for m in re.finditer(r"\"|'", head):
        i = m.start()
        before = head[i - 1] if i else " "
        # a mark right before `pos` opens on the character at `pos` ("dit ce matin 'si je...")
        after = head[i + 1] if i + 1 < len(head) else text[pos:pos + 1] or " "
        if head[i] == '"':
            if opened > closed:
                closed += 1
            else:
                opened += 1
        elif not (before.isalnum()) and after.isalnum():
            opened += 1
        elif (before.isalnum() or before in ".,;:!?…") and not after.isalnum() and opened > closed:
            closed += 1
    return opened > closed
