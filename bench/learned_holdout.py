"""The learned layer on each holdout set when its weights never saw that set (leave one set out).

    python bench/learned_holdout.py [--careful 0.9 0.75 0.6 0.4] [--from 9]

For each holdout set from `--from` on, the weights are refitted (learned.train, the shipped
settings) on every other labelled case: our own cases except those written from that set's misses
(ids `own-<lang>-h<N>-...`, where a pair of sets measured together shares the first number), the
other holdouts and the shared dev set. The detector then assesses the set with those weights, once
per careful threshold (learned.CAREFUL_THRESHOLD: what work talk with nothing distressing in it, and
the rest of a message after a denial, someone else's words or a past episode, must clear). It also
runs a 5-fold split of our own cases, whose 'none' cases are near-misses written to look urgent.

Unlike bench/blind_thresholds.py this runs today's lexicons, which have learned from every set, so
the combined figures flatter the detector; the column to read is how the careful threshold moves
recall and false alarms. About 2 minutes on one core.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from helpline.distress import Detector  # noqa: E402
from helpline.distress import learned as L  # noqa: E402
from helpline.distress.detector import learned_keys  # noqa: E402

DATA = ROOT / "tests/data"
DEV = ROOT.parent / "shared/distress/dev_cases.jsonl"
# sets measured together: our cases written from both carry the first one's number
TAGGED_AS = {21: 20, 24: 23, 26: 25, 28: 27, 30: 29, 32: 31, 34: 33, 36: 35, 38: 37, 40: 39, 42: 41, 45: 44}


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--careful", type=float, nargs="+", default=[0.9, 0.75, 0.6, 0.4])
    parser.add_argument("--from", dest="first", type=int, default=9)
    args = parser.parse_args(argv)

    own = load(DATA / "distress_cases.jsonl")
    holdouts = {int(m.group(1)): load(p) for p in DATA.glob("distress_holdout*.jsonl")
                if (m := re.search(r"holdout(\d+)", p.name))}
    dev = load(DEV) if DEV.exists() else []
    detector = Detector(learned=None)
    fit = L.Fit()

    def example(case: dict) -> tuple[list[str], list[tuple[int, int]], bool]:
        cols = detector.normalizer.split(case["text"])
        matches = detector.matcher.find_keys(cols.keys, cols.brk) if detector.matcher.could_match(cols.keys) else None
        idioms = [(m.i, m.j) for m in matches["idiom"]] if matches else []
        # the words and marker features, as the detector and `helpline detect --train` read them
        return list(learned_keys(cols.keys, matches)), idioms, case["label"] == "urgent"

    cache = {id(c): example(c) for c in own + dev + [c for cs in holdouts.values() for c in cs]}

    def tag(case: dict) -> int | None:
        m = re.match(r"own-[a-z]+-h(\d+)-", case.get("id", ""))
        return int(m.group(1)) if m else None

    def score(train_cases: list[dict], test_cases: list[dict]) -> dict[float, list[str]]:
        bias, weights = L.train([cache[id(c)] for c in train_cases], fit)
        detector.learned = L._from_memory(bias, weights, fit.threshold)
        out = {}
        try:
            for careful in args.careful:
                L._CAREFUL_CUT = L._logit(careful)
                out[careful] = [detector.assess(c["text"]).level for c in test_cases]
        finally:
            L._CAREFUL_CUT = L._logit(L.CAREFUL_THRESHOLD)
            detector.learned = None
        return out

    rows: list[tuple[str, list[dict], dict[float, list[str]]]] = []
    for n in sorted(k for k in holdouts if k >= args.first):
        skip = {n, TAGGED_AS.get(n, n)}
        train_cases = [c for c in own if tag(c) not in skip] + dev + \
            [c for k, cs in holdouts.items() if k != n for c in cs]
        rows.append((f"holdout {n}", holdouts[n], score(train_cases, holdouts[n])))
        print(f"fitted without holdout {n}", file=sys.stderr, flush=True)
    order = list(range(len(own)))
    random.Random(fit.seed).shuffle(order)
    folds: dict[float, list[str]] = {careful: [""] * len(own) for careful in args.careful}
    for f in range(5):
        held = set(order[f::5])
        levels = score([c for k, c in enumerate(own) if k not in held] + dev +
                       [c for cs in holdouts.values() for c in cs], [own[k] for k in sorted(held)])
        for careful, got in levels.items():
            for k, level in zip(sorted(held), got):
                folds[careful][k] = level

    def figures(cases: list[dict], levels: list[str]) -> str:
        urgent = [lv for c, lv in zip(cases, levels) if c["label"] == "urgent"]
        nones = [lv for c, lv in zip(cases, levels) if c["label"] == "none"]
        concern = [lv for c, lv in zip(cases, levels) if c["label"] == "concern"]
        return (f"{sum(lv == 'urgent' for lv in urgent) / max(1, len(urgent)):.3f} / "
                f"{100 * sum(lv == 'urgent' for lv in nones) / max(1, len(nones)):.1f} % / "
                f"{100 * sum(lv == 'urgent' for lv in concern) / max(1, len(concern)):.1f} %")

    print("urgent recall / none rated urgent / concern rated urgent, by careful threshold")
    print(f"{'set':<24}" + "".join(f"{c:>26}" for c in args.careful))
    for name, cases, levels in rows:
        print(f"{name:<24}" + "".join(f"{figures(cases, levels[c]):>26}" for c in args.careful))
    pooled = [c for _, cases, _ in rows for c in cases]
    print(f"{'pooled holdouts':<24}" + "".join(
        f"{figures(pooled, [lv for _, _, levels in rows for lv in levels[c]]):>26}" for c in args.careful))
    print(f"{'own cases, 5 folds':<24}" + "".join(f"{figures(own, folds[c]):>26}" for c in args.careful))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
