"""The detector's C loops (_native.c) against the Python code they replace: same matches, same sums,
same assessments.  The C module is optional (no compiler, no module), so where it is not built these
tests check that the Python path is the one taken, and where a compiler is there they require it.
"""
from __future__ import annotations

import json
import shutil
import sysconfig
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpline.distress import Detector, native
from helpline.distress.learned import WEIGHTS_FILE, LearnedScorer
from helpline.distress.matcher import Matcher

from tests.test_distress_matcher import lexicon, text

DATA = Path(__file__).parent / "data"
BUILT = native.module is not None
needs_c = pytest.mark.skipif(not BUILT, reason="the C module is not built (no C compiler at install)")


def case_texts() -> list[str]:
    texts = []
    for path in sorted(DATA.glob("distress_*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    # and pairs of them run together: long messages, risk in the middle, matches across the join
    return texts + [a + " " + b for a, b in zip(texts[::7], texts[3::7])]


def test_the_module_is_built_where_a_compiler_is():
    """setup.py builds the module as optional: a broken build would go unnoticed but for this."""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}) on this machine: the Python path is the product here")
    assert BUILT, "a C compiler is present but helpline.distress._native was not built (see pip's output)"


def test_native_is_refused_when_not_built_and_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("HELPLINE_PURE_PYTHON", "1")
    assert native.wanted(None) is None
    assert native.wanted(False) is None
    if BUILT:
        assert native.wanted(True) is native.module
    else:
        with pytest.raises(RuntimeError, match="not built"):
            native.wanted(True)


@needs_c
@settings(max_examples=500, deadline=None)
@given(lexicon, text)
def test_the_c_walk_finds_exactly_what_the_python_walk_finds(entries, words):
    """Matches, their entries, and the skipped token indices of gaps, on random lexicons and texts."""
    entries = [(e, [tuple(s) for s in seqs]) for e, seqs in entries]
    keys = [w for w, _ in words]
    brk = [b for _, b in words]
    c, py = Matcher(entries, native=True), Matcher(entries, native=False)
    if c.walker is None:        # a phrase starting with a stem: only the Python walk has that case
        assert c.root.stems
        return
    assert c.find_keys(keys, brk) == py.find_keys(keys, brk)


@needs_c
def test_the_real_lexicons_give_the_same_assessments_both_ways():
    fast, plain = Detector(native=True), Detector(native=False)
    assert fast.matcher.walker is not None and plain.matcher.walker is None
    assert fast.learned.native is not None and plain.learned.native is None
    texts = case_texts()
    differ = [t for t in texts if fast.assess(t) != plain.assess(t)]
    assert not differ, differ[:3]
    assert sum(fast.assess(t).urgent for t in texts) > 1000       # the comparison covered real alerts


@needs_c
def test_the_c_sum_of_learned_weights_is_the_python_sum():
    detector = Detector(native=False)
    fast, plain = LearnedScorer(WEIGHTS_FILE, native=True), LearnedScorer(WEIGHTS_FILE, native=False)
    worst = 0.0
    for t in case_texts()[:3000]:
        keys = detector.normalizer.split(t).keys
        idioms = [(m.i, m.j) for m in detector.matcher.find_keys(keys, detector.normalizer.split(t).brk)["idiom"]]
        worst = max(worst, abs(fast.logit(keys, idioms) - plain.logit(keys, idioms)))
    assert worst < 1e-9
    # a word counts once however often it comes, a pair too; unknown words weigh nothing
    word, weight = next((w, x) for w, x in plain.words.items() if (w, w) not in plain.pairs)
    assert fast.logit([word, word, word, "\x01unknown"]) == pytest.approx(plain.bias + weight)
    (a, b), pair_weight = next((pair, w) for pair, w in plain.pairs.items() if pair[0] != pair[1])
    expected = plain.bias + plain.words.get(a, 0.0) + plain.words.get(b, 0.0) + pair_weight
    assert fast.logit([a, b, a, b]) == pytest.approx(expected + plain.pairs.get((b, a), 0.0))
    assert fast.logit([]) == pytest.approx(plain.bias)


@needs_c
def test_the_walker_checks_what_it_is_given():
    """Flat arrays that do not describe a trie are refused at construction, not walked."""
    from helpline.distress.matcher import Match
    good = dict(nodes=1, root=0, edges=([], [], []), ends=([0, 0], [], [], []), stems=([0, 0], [], []), gaps=([0, 0], [], []),
                vocabulary={}, entries=[], match_type=Match)
    native.module.Walker(**good)
    for change, message in [(dict(edges=([0], [1], [5])), "out of range"),
                            (dict(root=3), "root"),
                            (dict(gaps=([0, 1], [2], [9])), "out of range"),
                            (dict(ends=([0, 1], [0], [0], [2])), "out of range"),
                            (dict(match_type=dict), "tuple subclass")]:
        with pytest.raises((ValueError, TypeError), match=message):
            native.module.Walker(**{**good, **change})
    walker = native.module.Walker(**good)
    assert walker.find([], []) == ([], [], [], [])
    with pytest.raises(ValueError):
        walker.find(["a"], [])
    with pytest.raises(TypeError):
        walker.find([1], [False])


ALPHABET = st.sampled_from(list("abcdeéèàçôœÆß jJ'’_-.!?;…\n 0123456789") +
                           ["\u0301", "❶", "½", "💊", "🙏", "❤", "⭐", "\u00a0", "\u202f", "«", "»", "\"", "İ", "ǅ", "ﬁ"])
WORDS = st.sampled_from(["jveux", "mourir", "plu", "veuuux", "je", "pas", "chui", "dont", "g", "kill", "myself",
                         "l'insuline", "aujourd'hui", "okkk"])


@needs_c
@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(ALPHABET, WORDS), max_size=40).map("".join))
def test_the_c_split_gives_the_python_tokens(text):
    """Words, keys (SMS spellings, several keys for one word, emojis), sentence breaks and spans."""
    c, py = SPLITTERS
    a, b = c.split(text), py.split(text)
    assert (a.keys, a.brk, a.starts, a.ends) == (b.keys, b.brk, b.starts, b.ends)


@needs_c
def test_the_c_split_on_every_case_text():
    c, py = SPLITTERS
    for text in case_texts():
        a, b = c.split(text), py.split(text)
        assert (a.keys, a.brk, a.starts, a.ends) == (b.keys, b.brk, b.starts, b.ends), text


def _splitters():
    if not BUILT:
        return None
    return Detector(native=True).normalizer, Detector(native=False).normalizer


SPLITTERS = _splitters()
