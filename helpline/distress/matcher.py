"""Find lexicon entries in a token list with one token trie compiled from every language.

All entries (signals, idioms, context markers, French and English) share one trie, so a message
is walked once whatever its language and code-switching costs nothing.  Each start position keeps
its longest match per layer; in the signal layer matches are then chosen leftmost-longest without
overlap.  Words are whole tokens, so word boundaries are Unicode-aware by construction.
"""
from __future__ import annotations

from itertools import compress
from typing import NamedTuple

from .lexicon import LEVELS, Entry
from .normalize import Memo, Tokens

_RANK = {level: n for n, level in enumerate(LEVELS)}


class Match(NamedTuple):
    """Entry found over tokens [i, j); `gap` lists the token indices skipped by '_N' slots."""

    entry: Entry
    i: int
    j: int
    gap: tuple[int, ...] = ()


class _Node:
    __slots__ = ("lit", "stems", "stem_lens", "stem3", "gaps", "ends", "simple")

    def __init__(self) -> None:
        self.lit: dict[str, _Node] = {}
        self.stems: dict[str, _Node] = {}
        self.stem_lens: tuple[int, ...] = ()
        self.stem3: frozenset[str] = frozenset()
        self.gaps: dict[int, _Node] = {}
        self.ends: dict[str, Entry] = {}
        self.simple = True      # no stems and no gaps: the walk can loop instead of recursing


class Matcher:
    """A compiled trie over token sequences; `find` is pure."""

    def __init__(self, entries: list[tuple[Entry, list[tuple[str, ...]]]]) -> None:
        self.root = _Node()
        self.vocabulary: set[str] = set()
        for entry, seqs in entries:
            for seq in seqs:
                self._add(entry, seq)
        self._freeze(self.root)
        # key -> whether some phrase starts with it (a literal first word or a stem prefix)
        self.starts = Memo(lambda key: key in self.root.lit or any(map(key.startswith, self.root.stems)))
        # (key, next key) -> whether a walk from key can match anything (most function words cannot)
        self.pairs = Memo(self._pair_starts)

    def _pair_starts(self, pair: tuple[str, str | None]) -> bool:
        key, after = pair
        if any(map(key.startswith, self.root.stems)):
            return True
        first = self.root.lit.get(key)
        return first is not None and (bool(first.ends) or not first.simple or after in first.lit)

    def could_match(self, keys: list[str]) -> bool:
        """Cheap prefilter: False when no key can start any phrase."""
        return any(map(self.starts.__getitem__, keys))

    def _add(self, entry: Entry, seq: tuple[str, ...]) -> None:
        node = self.root
        for el in seq:
            if el.startswith("_"):
                node = node.gaps.setdefault(int(el[1:]), _Node())
            elif el.startswith("*"):
                node = node.stems.setdefault(el[1:], _Node())
            else:
                self.vocabulary.add(el)
                node = node.lit.setdefault(el, _Node())
        old = node.ends.get(entry.layer)
        if old is None or _RANK[entry.level] > _RANK[old.level]:
            node.ends[entry.layer] = entry

    def _freeze(self, node: _Node) -> None:
        node.stem_lens = tuple(sorted({len(s) for s in node.stems}, reverse=True))
        node.stem3 = frozenset(s[:3] for s in node.stems)
        node.simple = not node.stems and not node.gaps
        for child in (*node.lit.values(), *node.stems.values(), *node.gaps.values()):
            self._freeze(child)

    def find(self, tokens) -> dict[str, list[Match]]:
        """Matches per layer ('signal', 'idiom', 'context', 'cue'), ordered by start."""
        if isinstance(tokens, Tokens):
            return self.find_keys(tokens.keys, tokens.brk)
        return self.find_keys([t.key for t in tokens], [t.brk for t in tokens])

    def find_keys(self, keys: list[str], brk: list[bool]) -> dict[str, list[Match]]:
        """`find` over the token columns (keys and sentence breaks)."""
        root = self.root
        lit = root.lit
        out: dict[str, list[Match]] = {"signal": [], "idiom": [], "context": [], "cue": []}
        n = len(keys)
        new = tuple.__new__
        fast = not root.stems
        for i in compress(range(n), map(self.pairs.__getitem__, zip(keys, keys[1:] + [None]))):
            node = lit.get(keys[i]) if fast else None
            best: dict[str, tuple[int, Entry, tuple[int, ...]]] = {}
            if node is None:
                _walk(root, keys, brk, i, n, (), best)
            else:
                # literal chain walked inline: along it the end only grows, so each end replaces
                j = i + 1
                while True:
                    if not node.simple:
                        _walk(node, keys, brk, j, n, (), best)
                        break
                    if node.ends:
                        for layer, entry in node.ends.items():
                            best[layer] = (j, entry, ())
                    if j >= n:
                        break
                    node = node.lit.get(keys[j])
                    if node is None:
                        break
                    j += 1
            for layer, (j, entry, gap) in best.items():
                out[layer].append(new(Match, (entry, i, j, gap)))      # Match(...) without the Python __new__
        out["signal"] = most_serious_first(out["signal"])
        return out


def _walk(node: _Node, keys: list[str], brk: list[bool], i: int, n: int,
          gap: tuple[int, ...], best: dict) -> None:
    while True:
        if node.ends:
            _record(node, i, gap, best)
        if not node.simple:
            break
        if i >= n:
            return
        node = node.lit.get(keys[i])
        if node is None:
            return
        i += 1
    if i < n:
        key = keys[i]
        child = node.lit.get(key)
        if child is not None:
            _walk(child, keys, brk, i + 1, n, gap, best)
        if node.stem_lens and key[:3] in node.stem3:
            for length in node.stem_lens:
                if len(key) >= length:
                    child = node.stems.get(key[:length])
                    if child is not None:
                        _walk(child, keys, brk, i + 1, n, gap, best)
    for most, child in node.gaps.items():
        skipped = gap
        # a plain literal child (no end, no stem, no gap) only goes on with its next word: test it here
        plain = child.simple and not child.ends
        nxt = child.lit
        for k in range(most + 1):
            if k:
                if i + k > n or brk[i + k - 1]:
                    break
                skipped = skipped + (i + k - 1,)
            if plain and (i + k >= n or keys[i + k] not in nxt):
                continue
            _walk(child, keys, brk, i + k, n, skipped, best)


def _record(node: _Node, i: int, gap: tuple[int, ...], best: dict) -> None:
    for layer, entry in node.ends.items():
        cur = best.get(layer)
        if cur is None or i > cur[0] or (i == cur[0] and _RANK[entry.level] > _RANK[cur[1].level]):
            best[layer] = (i, entry, gap)


# Selection rank of marker categories that can become urgent or concern through the rules.
_MARKER_RANK = {"life_affirm": 2, "means_term": 1, "acute_symptom": 1, "farewell_hint": 1}


def most_serious_first(matches: list[Match]) -> list[Match]:
    """Keep non-overlapping matches, most serious first, then longest, then earliest.

    A harmless or milder phrase ("j'ai peur") never hides a more serious one it overlaps
    ("peur de le secouer"); within a level the longer, more specific phrase wins.
    """
    def rank(m: Match) -> tuple[int, int, int]:
        level = _MARKER_RANK.get(m.entry.category, _RANK[m.entry.level])
        return (-level, m.i - m.j, m.i)

    if len(matches) < 2:
        return matches
    kept: list[Match] = []
    taken: set[int] = set()
    for m in sorted(matches, key=rank):
        span = range(m.i, m.j)
        if not taken.intersection(span):
            kept.append(m)
            taken.update(span)
    return sorted(kept, key=lambda m: m.i)
