"""Find lexicon entries in a token list with one token trie compiled from every language.

All entries (signals, idioms, context markers, French and English) share one trie, so a message
is walked once whatever its language and code-switching costs nothing.  Each start position keeps
its longest match per layer; in the signal layer matches are then chosen leftmost-longest without
overlap.  Words are whole tokens, so word boundaries are Unicode-aware by construction.

The walk itself runs in C (_native.c, see native.py) when that optional module was built: the same
frozen trie, handed over as flat arrays, walked the same way.  Otherwise the Python walk below does
it; the tests check that both find the same.
"""
from __future__ import annotations

from itertools import compress
from typing import NamedTuple

from . import native as accel
from .lexicon import LEVELS, Entry
from .normalize import Memo, Tokens

_RANK = {level: n for n, level in enumerate(LEVELS)}
LAYERS = ("signal", "idiom", "context", "cue")


class Match(NamedTuple):
    """Entry found over tokens [i, j); `gap` lists the token indices skipped by '_N' slots."""

    entry: Entry
    i: int
    j: int
    gap: tuple[int, ...] = ()


_EMPTY: dict = {}
_NO_STEMS: frozenset[str] = frozenset()


class _Node:
    __slots__ = ("lit", "stems", "stem_lens", "stem3", "gaps", "ends", "simple", "end_items", "plain", "leaf",
                 "gap_only")

    def __init__(self) -> None:
        # the shared empty mapping until something is added (most nodes have only one kind of child)
        self.lit: dict[str, _Node] = _EMPTY
        self.stems: dict[str, _Node] = _EMPTY
        self.stem_lens: tuple[int, ...] = ()
        self.stem3: frozenset[str] = _NO_STEMS
        self.gaps: dict[int, _Node] = _EMPTY
        self.ends: dict[str, Entry] = _EMPTY
        self.end_items: tuple[tuple[str, Entry], ...] = ()      # ends.items(), frozen
        self.simple = True      # no stems and no gaps: the walk can loop instead of recursing
        self.plain = True       # simple and no end: only goes on with one of its literal words
        self.leaf = False       # only ends: nothing goes on from here
        # (window, words) when the node has no end, no stem and one gap whose child is plain: the walk
        # goes on only with one of `lit` next, or one of `words` within the next `window` words
        self.gap_only: tuple[int, frozenset[str]] | None = None


class Matcher:
    """A compiled trie over token sequences; `find` is pure."""

    def __init__(self, entries: list[tuple[Entry, list[tuple[str, ...]]]], native: bool | None = None) -> None:
        """`native`: walk in C (True), in Python (False), or as native.py decides (None)."""
        self.native = native
        self.root = _Node()
        self.nodes_built = 1
        self.vocabulary: set[str] = set()
        # Phrases are added and frozen one first word at a time: the subtrees under two first words
        # never meet, so only one of them is ever a plain trie in memory, the rest already shared
        # (the whole trie before sharing is about 1.4 million nodes; the largest subtree 2 %).
        groups: dict[str, list[tuple[Entry, tuple[str, ...]]]] = {}
        for entry, seqs in entries:
            for seq in seqs:
                groups.setdefault(seq[0], []).append((entry, seq))
        shared: dict[tuple, _Node] = {}
        for first, items in groups.items():
            for entry, seq in items:
                self._add(entry, seq)
            kind, key = ("stems", first[1:]) if first[0] == "*" else ("lit", first)
            children = getattr(self.root, kind)
            children[key] = self._freeze(children[key], shared)
        del groups
        root = self.root
        signature = (_items(root.lit), _items(root.stems), (), _items(root.ends))
        _finish(root)
        self.root = shared.setdefault(signature, root)
        self.nodes = len(shared)
        self._memos()

    def _memos(self) -> None:
        self.walker = self._walker()
        # key -> whether some phrase starts with it (a literal first word or a stem prefix)
        self.starts = Memo(lambda key: key in self.root.lit or any(map(key.startswith, self.root.stems)))
        # (key, next key) -> (node, words taken) where a walk from key goes on when it can match
        # anything, else None (most function words cannot: 'je' only goes on with the words after it)
        self.pairs = Memo(self._pair_starts)

    def _pair_starts(self, pair: tuple[str, str | None]) -> "tuple[_Node, int] | None":
        """Where the walk from `key` goes on, and after how many words; None when it cannot match."""
        key, after = pair
        first = self.root.lit.get(key)
        if first is None:
            return None
        if first.ends or not first.simple:
            return first, 1
        second = first.lit.get(after) if after is not None else None
        return None if second is None else (second, 2)      # 'je' + 'veux': already two words in

    def could_match(self, keys: list[str]) -> bool:
        """Cheap prefilter: False when no key can start any phrase."""
        return any(map(self.starts.__getitem__, keys))

    def _add(self, entry: Entry, seq: tuple[str, ...]) -> None:
        node = self.root
        for el in _merge_gaps(seq):
            first = el[0]
            if first == "_" or first == "*":
                kind, key = ("gaps", int(el[1:])) if first == "_" else ("stems", el[1:])
                children = getattr(node, kind)
                child = children.get(key)
                if child is None:
                    if children is _EMPTY:
                        children = {}
                        setattr(node, kind, children)
                    child = children[key] = _Node()
                    self.nodes_built += 1
            else:
                children = node.lit
                child = children.get(el)
                if child is None:
                    self.vocabulary.add(el)
                    if children is _EMPTY:
                        children = node.lit = {}
                    child = children[el] = _Node()
                    self.nodes_built += 1
            node = child
        old = node.ends.get(entry.layer)
        if old is None or _RANK[entry.level] > _RANK[old.level]:
            if node.ends is _EMPTY:
                node.ends = {}
            node.ends[entry.layer] = entry

    def _freeze(self, node: _Node, table: dict[tuple, _Node]) -> _Node:
        """Finish a subtree and return its shared copy: identical subtrees become one node.

        Alternations expand to many sequences with the same endings ('@med' x '@drug' x ...), so
        the trie is mostly repeated tails; merging them (a DAG, as in a minimal automaton) divides
        the node count and keeps the walked nodes close in memory.  Matching only reads nodes, so
        sharing them changes nothing it finds.
        """
        freeze = self._freeze
        lit, stems, gaps, ends = node.lit, node.stems, node.gaps, node.ends
        for key, child in lit.items():
            lit[key] = freeze(child, table)
        for stem, child in stems.items():
            stems[stem] = freeze(child, table)
        for most, child in gaps.items():
            gaps[most] = freeze(child, table)
        # children by identity: equal subtrees are already one object (bottom-up)
        signature = (_items(lit), _items(stems), tuple((k, id(c)) for k, c in gaps.items()),  # gap order breaks ties
                     _items(ends))
        shared = table.get(signature)
        if shared is not None:
            return shared
        _finish(node)
        table[signature] = node
        return node

    def to_state(self) -> dict:
        """The compiled trie as plain data (compiled.py caches it as JSON)."""
        index: dict[int, int] = {}
        nodes: list[list] = []
        entries: dict[int, int] = {}
        entry_list: list[list[str]] = []

        def number(node: _Node) -> int:
            if id(node) in index:
                return index[id(node)]
            ends: dict[str, int] = {}
            record = [{k: number(c) for k, c in node.lit.items()}, {k: number(c) for k, c in node.stems.items()},
                      [[k, number(c)] for k, c in node.gaps.items()], ends]
            for layer, entry in node.ends.items():
                if id(entry) not in entries:
                    entries[id(entry)] = len(entry_list)
                    entry_list.append([entry.pattern, entry.category, entry.level, entry.layer, entry.lang,
                                       entry.source])
                ends[layer] = entries[id(entry)]
            index[id(node)] = len(nodes)
            nodes.append(record)
            return index[id(node)]
        root = number(self.root)
        return {"nodes": nodes, "root": root, "entries": entry_list, "vocabulary": sorted(self.vocabulary),
                "nodes_built": self.nodes_built}

    def _walker(self):
        """The C walker over this trie, or None for the Python walk."""
        c = accel.wanted(self.native)
        if c is None:
            return None
        root = self.root
        if not root.simple or root.ends:
            return None         # a phrase starting with a stem or a gap: only the Python walk has that case
        index: dict[int, int] = {}
        order: list[_Node] = []
        stack = [root]
        while stack:
            node = stack.pop()
            if id(node) in index:
                continue
            index[id(node)] = len(order)
            order.append(node)
            stack.extend(node.lit.values())
            stack.extend(node.stems.values())
            stack.extend(node.gaps.values())
        words = sorted({word for node in order for word in node.lit})
        vocabulary = {word: k for k, word in enumerate(words, 1)}
        entries: list[Entry] = []
        entry_index: dict[int, int] = {}
        edges: tuple[list[int], list[int], list[int]] = ([], [], [])
        ends: tuple[list[int], list[int], list[int], list[int]] = ([0], [], [], [])
        stems: tuple[list[int], list[str], list[int]] = ([0], [], [])
        gaps: tuple[list[int], list[int], list[int]] = ([0], [], [])
        for n, node in enumerate(order):
            for word, child in node.lit.items():
                edges[0].append(n)
                edges[1].append(vocabulary[word])
                edges[2].append(index[id(child)])
            for layer, entry in node.ends.items():
                if id(entry) not in entry_index:
                    entry_index[id(entry)] = len(entries)
                    entries.append(entry)
                ends[1].append(LAYERS.index(layer))
                ends[2].append(entry_index[id(entry)])
                ends[3].append(_RANK[entry.level])
            ends[0].append(len(ends[1]))
            for stem, child in sorted(node.stems.items(), key=lambda kv: -len(kv[0])):     # longest first
                stems[1].append(stem)
                stems[2].append(index[id(child)])
            stems[0].append(len(stems[1]))
            for most, child in node.gaps.items():
                gaps[1].append(most)
                gaps[2].append(index[id(child)])
            gaps[0].append(len(gaps[1]))
        return c.Walker(len(order), 0, edges, ends, stems, gaps, vocabulary, entries, Match)

    @classmethod
    def from_state(cls, state: dict, native: bool | None = None) -> "Matcher":
        """A matcher from `to_state` data: the same nodes, shared the same way."""
        entries = [Entry(*fields) for fields in state["entries"]]
        nodes: list[_Node] = []
        for lit, stems, gaps, ends in state["nodes"]:         # children are numbered before parents
            node = _Node()
            node.lit = {k: nodes[i] for k, i in lit.items()}
            node.stems = {k: nodes[i] for k, i in stems.items()}
            node.gaps = {k: nodes[i] for k, i in gaps}
            node.ends = {layer: entries[i] for layer, i in ends.items()}
            _finish(node)
            nodes.append(node)
        matcher = cls([], native=False)      # an empty trie, replaced below
        matcher.native = native
        matcher.root = nodes[state["root"]]
        matcher.vocabulary = set(state["vocabulary"])
        matcher.nodes_built, matcher.nodes = state["nodes_built"], len(nodes)
        matcher._memos()
        return matcher

    def find(self, tokens) -> dict[str, list[Match]]:
        """Matches per layer ('signal', 'idiom', 'context', 'cue'), ordered by start."""
        if isinstance(tokens, Tokens):
            return self.find_keys(tokens.keys, tokens.brk)
        return self.find_keys([t.key for t in tokens], [t.brk for t in tokens])

    def find_keys(self, keys: list[str], brk: list[bool]) -> dict[str, list[Match]]:
        """`find` over the token columns (keys and sentence breaks)."""
        if self.walker is not None:
            signal, idiom, context, cue = self.walker.find(keys, brk)
            return {"signal": most_serious_first(signal), "idiom": idiom, "context": context, "cue": cue}
        out: dict[str, list[Match]] = {"signal": [], "idiom": [], "context": [], "cue": []}
        n = len(keys)
        new = tuple.__new__
        if self.root.stems:
            # a phrase starting with a stem: every start is walked from the root (no lexicon has one)
            for i in compress(range(n), map(self.starts.__getitem__, keys)):
                best: dict[str, tuple[int, Entry, tuple[int, ...]]] = {}
                _walk(self.root, keys, brk, i, n, (), best)
                for layer, (j, entry, gap) in best.items():
                    out[layer].append(new(Match, (entry, i, j, gap)))
        else:
            heads = list(map(self.pairs.__getitem__, zip(keys, keys[1:] + [None])))
            for i in compress(range(n), heads):
                # the literal chain is walked inline; along it the end only grows, so a deeper end
                # replaces a shallower one of the same layer
                node, j = heads[i]
                j += i
                if node.leaf:
                    for layer, entry in node.end_items:
                        out[layer].append(new(Match, (entry, i, j, ())))      # Match(...) without __new__
                    continue
                gap_only = node.gap_only
                if gap_only is not None and (j >= n or keys[j] not in node.lit) and \
                        gap_only[1].isdisjoint(keys[j:j + gap_only[0]]):
                    continue        # 'me' + a word that neither follows it nor comes within its gap
                hits = []
                walked: dict | None = None
                while True:
                    if not node.simple:
                        walked = {}
                        _walk(node, keys, brk, j, n, (), walked)
                        break
                    if node.end_items:
                        hits.append((j, node.end_items))
                    if j >= n:
                        break
                    node = node.lit.get(keys[j])
                    if node is None:
                        break
                    j += 1
                if walked is None and len(hits) == 1:
                    j, items = hits[0]
                    for layer, entry in items:
                        out[layer].append(new(Match, (entry, i, j, ())))
                    continue
                best = {}
                for j, items in hits:
                    for layer, entry in items:
                        best[layer] = (j, entry, ())
                if walked:
                    best.update(walked)
                for layer, (j, entry, gap) in best.items():
                    out[layer].append(new(Match, (entry, i, j, gap)))
        out["signal"] = most_serious_first(out["signal"])
        return out


def _merge_gaps(seq: tuple[str, ...]) -> tuple[str, ...]:
    """Adjacent gaps as one: '_6 _4' skips 0 to 10 words either way, and one window of 10 is walked
    in one pass where two nested windows cost a walk per split of the skipped words."""
    if "_" not in "".join(el[0] for el in seq):
        return seq
    out: list[str] = []
    for el in seq:
        if el[0] == "_" and out and out[-1][0] == "_":
            out[-1] = f"_{int(out[-1][1:]) + int(el[1:])}"
        else:
            out.append(el)
    return tuple(out)


def _finish(node: _Node) -> None:
    """Work out what the walk reads from a node's children (once they are final)."""
    node.stem_lens = tuple(sorted({len(s) for s in node.stems}, reverse=True))
    node.stem3 = frozenset(s[:3] for s in node.stems) if node.stems else _NO_STEMS
    node.simple = not node.stems and not node.gaps
    node.end_items = tuple(node.ends.items())
    node.plain = node.simple and not node.ends
    node.leaf = node.simple and not node.lit and bool(node.ends)
    node.gap_only = None
    if not node.ends and not node.stems and len(node.gaps) == 1:
        ((most, child),) = node.gaps.items()
        if child.plain:
            node.gap_only = (most + 1, frozenset(child.lit))
    # one shared empty mapping for what a node does not have (nothing writes after freezing)
    node.lit = node.lit or _EMPTY
    node.stems = node.stems or _EMPTY
    node.gaps = node.gaps or _EMPTY
    node.ends = node.ends or _EMPTY


def _items(children: dict) -> tuple:
    """A mapping as a hashable value, its values by identity, in key order."""
    if not children:
        return ()
    if len(children) == 1:
        ((key, value),) = children.items()
        return ((key, id(value)),)
    return tuple(sorted((key, id(value)) for key, value in children.items()))


def _walk(node: _Node, keys: list[str], brk: list[bool], i: int, n: int,
          gap: tuple[int, ...], best: dict) -> None:
    while True:
        if node.ends:
            _record(node, i, gap, best)
        if not node.simple:
            break
        if i >= n:
            return
        nxt = node.lit.get(keys[i])
        if nxt is None:
            return
        node = nxt
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
        # a plain literal child (no end, no stem, no gap) only goes on with its next word: test it
        # here, and first at once over the whole window (usually none of its words is there)
        plain = child.plain
        then = child.lit
        if plain and then.keys().isdisjoint(keys[i:i + most + 1]):
            continue
        for k in range(most + 1):
            if k:
                if i + k > n or brk[i + k - 1]:
                    break
                skipped = skipped + (i + k - 1,)
            if plain and (i + k >= n or keys[i + k] not in then):
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
    # matches come ordered by start: when none overlaps the next, there is nothing to choose
    if all(a.j <= b.i for a, b in zip(matches, matches[1:])):
        return matches
    kept: list[Match] = []
    taken: set[int] = set()
    for m in sorted(matches, key=rank):
        span = range(m.i, m.j)
        if not taken.intersection(span):
            kept.append(m)
            taken.update(span)
    return sorted(kept, key=lambda m: m.i)
