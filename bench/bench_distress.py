"""Throughput of the distress detector on one core, with a plain exact-match pass as a reference.

    python bench/bench_distress.py [LEXICON_DIR]

Messages come from tests/data/distress_cases.jsonl (and shared/distress/dev_cases.jsonl when
present), cut or joined to SMS length (100-160 characters) and to 400 characters.  The reference
is a pyahocorasick automaton over the same literal phrases (gaps and stems dropped), run on the
lower-cased text: what pure multi-pattern exact matching costs, without normalisation or rules.
"""
from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from helpline.distress import Detector  # noqa: E402
from helpline.distress.detector import LEXICON_DIR  # noqa: E402


def load_texts() -> list[str]:
    files = [ROOT / "tests/data/distress_cases.jsonl", ROOT.parent / "shared/distress/dev_cases.jsonl"]
    texts = []
    for path in files:
        if path.exists():
            texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts


def sized(texts: list[str], low: int, high: int, rng: random.Random, count: int) -> list[str]:
    """`count` messages between low and high characters, joining random cases."""
    out = []
    while len(out) < count:
        msg = rng.choice(texts)
        while len(msg) < low:
            msg += " " + rng.choice(texts)
        out.append(msg[:high])
    return out


def rate(fn, messages: list[str], rounds: int = 5) -> float:
    """Calls per second of one core over the messages: the best of `rounds` passes, timed in CPU
    time of this process (process_time), so that other processes on a shared 2-core machine, which
    steal wall-clock time, disturb the figure less."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for m in messages:
            fn(m)
        best = min(best, time.process_time() - start)
    return len(messages) / best


def reference(lexicon_dir: Path):
    try:
        import ahocorasick
    except ImportError:
        return None
    from helpline.distress.lexicon import load_lexicon
    automaton = ahocorasick.Automaton()
    for entry, seqs in load_lexicon(lexicon_dir).entries:
        for seq in seqs:
            words = [w for w in seq if not w.startswith(("_", "*"))]
            if words:
                phrase = " ".join(words)
                automaton.add_word(phrase, phrase)
    automaton.make_automaton()
    return automaton


def main() -> None:
    rng = random.Random(7)
    texts = load_texts()
    t0 = time.perf_counter()
    lexicon_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else LEXICON_DIR
    detector = Detector(lexicon_dir)
    print(f"lexicon load: {time.perf_counter() - t0:.2f} s once per process (compiled, or read back from the cache)")
    sets = {"SMS 100-160 chars": sized(texts, 100, 160, rng, 2000),
            "400 chars": sized(texts, 400, 400, rng, 1000)}
    automaton = reference(lexicon_dir)
    if automaton is None:
        print("pyahocorasick is not installed: reference pass skipped (pip install pyahocorasick)")
    for name, messages in sets.items():
        detector.assess(messages[0])
        per_s = rate(detector.assess, messages)
        print(f"detector   {name:18}: {per_s:10,.0f} assessments/s  ({1e6 / per_s:6.1f} us each)")
        if automaton is not None:
            ac = rate(lambda m: list(automaton.iter(m.lower())), messages)
            print(f"ahocorasick {name:17}: {ac:10,.0f} passes/s       ({1e6 / ac:6.1f} us each)")


if __name__ == "__main__":
    main()
