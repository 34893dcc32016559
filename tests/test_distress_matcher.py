"""The compiled matcher against a brute-force reading of the same patterns.

The matcher merges identical subtrees, walks literal chains inline, skips gap windows that cannot
go on and filters start positions by word pairs: all of that is speed, none of it may change what
is found.  The reference below tries every sequence at every start, slowly and plainly.
"""
from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from helpline.distress.lexicon import LEVELS, Entry
from helpline.distress.matcher import Matcher, most_serious_first

WORDS = ["a", "b", "c", "ab", "abc", "bca"]      # stems are 3 letters or more, as the lexicon loader requires
LAYERS = ["signal", "idiom", "context", "cue"]
RANK = {level: n for n, level in enumerate(LEVELS)}

element = st.one_of(st.sampled_from(WORDS), st.sampled_from(["*abc", "*bca"]),
                    st.sampled_from(["_1", "_2", "_3"]))
sequence = st.lists(element, min_size=1, max_size=4).filter(
    lambda s: not s[0].startswith("_") and not s[-1].startswith("_"))
entry = st.builds(lambda n, layer, level: Entry(f"p{n}", f"cat{n}", level, layer, "fr", "test"),
                  st.integers(0, 10_000), st.sampled_from(LAYERS), st.sampled_from(LEVELS))
lexicon = st.lists(st.tuples(entry, st.lists(sequence, min_size=1, max_size=3)), min_size=1, max_size=25)
text = st.lists(st.tuples(st.sampled_from(WORDS + ["abcd", "bcax", "z"]), st.booleans()), max_size=14)


def ends(seq: list[str], keys: list[str], brk: list[bool], p: int) -> set[tuple[int, tuple[int, ...]]]:
    """Every (end, skipped token indices) where `seq` matches from token p."""
    if not seq:
        return {(p, ())}
    head, rest = seq[0], seq[1:]
    out: set[tuple[int, tuple[int, ...]]] = set()
    if head.startswith("_"):
        for k in range(int(head[1:]) + 1):
            if k and (p + k > len(keys) or brk[p + k - 1]):
                break           # a gap never skips a word that opens a new sentence
            out |= {(j, tuple(range(p, p + k)) + gap) for j, gap in ends(rest, keys, brk, p + k)}
        return out
    if p < len(keys) and (keys[p] == head or head.startswith("*") and keys[p].startswith(head[1:])):
        out = ends(rest, keys, brk, p + 1)
    return out


def reference(entries, keys: list[str], brk: list[bool]) -> dict[str, list[tuple[int, int, str]]]:
    """Per layer and start: the longest match, the most serious on a tie; the signal layer then
    keeps non-overlapping matches, most serious first (the same selection as the matcher)."""
    best: dict[tuple[str, int], tuple[int, Entry]] = {}
    for e, seqs in entries:
        for seq in seqs:
            for i in range(len(keys)):
                for j, _ in ends(seq, keys, brk, i):
                    cur = best.get((e.layer, i))
                    if cur is None or (j, RANK[e.level]) > (cur[0], RANK[cur[1].level]):
                        best[e.layer, i] = (j, e)
    from helpline.distress.matcher import Match
    out: dict[str, list] = {layer: [] for layer in LAYERS}
    for (layer, i), (j, e) in sorted(best.items(), key=lambda kv: kv[0][1]):
        out[layer].append(Match(e, i, j))
    out["signal"] = most_serious_first(out["signal"])
    return {layer: [(m.i, m.j, m.entry.level) for m in ms] for layer, ms in out.items()}


def _entry(level: str = "urgent", layer: str = "signal") -> Entry:
    return Entry("p", "cat", level, layer, "fr", "test")


@settings(max_examples=600, deadline=None)
@given(lexicon, text)
# a gap used to its full width before a word that goes on ('a _2 b c' over 'a z z b c')
@example([(_entry(), [["a", "_2", "b", "c"]])], [("a", False), ("z", False), ("z", False), ("b", False), ("c", False)])
# a gap never skips the first word of a new sentence
@example([(_entry(), [["a", "_2", "b"]])], [("a", False), ("z", True), ("b", False)])
# adjacent gaps ('_2 _3', as '_6 _4' in the lexicons) are one window of 5, stopped by a new sentence
@example([(_entry(), [["a", "_2", "_3", "b"]])], [("a", False)] + [("z", False)] * 5 + [("b", False)])
@example([(_entry(), [["a", "_2", "_3", "b"]])], [("a", False), ("z", False), ("z", True), ("b", False)])
# a first word that only goes on with its next word, then a longer phrase of another layer
@example([(_entry(), [["a", "b"]]), (_entry("none", "cue"), [["a", "b", "c"]])],
         [("a", False), ("b", False), ("c", False)])
def test_compiled_matcher_finds_what_the_patterns_say(entries, words):
    entries = [(e, [tuple(s) for s in seqs]) for e, seqs in entries]
    keys = [w for w, _ in words]
    brk = [b for _, b in words]
    found = Matcher(entries).find_keys(keys, brk)
    got = {layer: [(m.i, m.j, m.entry.level) for m in ms] for layer, ms in found.items()}
    assert got == reference(entries, keys, brk)


def test_identical_tails_are_one_node():
    """Alternations share their endings: the trie keeps one copy of each distinct subtree."""
    e = Entry("x", "guilt", "concern", "signal", "fr", "test")
    seqs = [(first, "de", "vivre", "encore") for first in ("envie", "besoin", "gout", "force")]
    matcher = Matcher([(e, seqs)])
    assert matcher.nodes_built == 1 + 4 * 4
    # the four first words lead to the same 'de vivre encore': root, one shared node, de, vivre, encore
    assert matcher.nodes == 5
    assert [(m.i, m.j) for m in matcher.find_keys(["gout", "de", "vivre", "encore"], [False] * 4)["signal"]] \
        == [(0, 4)]
