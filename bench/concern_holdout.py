"""The learned concern weights on blind holdout sets they were not fitted on.

    python bench/concern_holdout.py [--from 138] [--to 145] [--thresholds 0.5 0.6 0.7 0.8]

Refits the concern weights (concern or urgent against none, learned.train with the shipped
settings) on every labelled case except holdouts `--from` to `--to`, then runs the detector on
those sets with the shipped lexicons and urgency weights, once without the concern weights and once
per threshold with them, and prints concern-or-urgent recall and the share of 'none' messages rated
concern.  Urgency is untouched by the concern weights, so urgent figures are not printed.  The
lexicons and urgency weights of today have learned from those sets, which flatters the baseline, not
the concern weights.  About 2 minutes on one core.
"""
from __future__ import annotations

import argparse
import json
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


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--from", dest="first", type=int, default=138)
    parser.add_argument("--to", dest="last", type=int, default=145)
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.5, 0.6, 0.7, 0.8])
    args = parser.parse_args(argv)
    held, fit_on = [], load(DATA / "distress_cases.jsonl") + (load(DEV) if DEV.exists() else [])
    for path in sorted(DATA.glob("distress_holdout*.jsonl")):
        m = re.search(r"holdout(\d+)", path.name)
        (held if m and args.first <= int(m.group(1)) <= args.last else fit_on).extend(load(path))
    if not held:
        parser.error("no holdout set in that range")
    detector = Detector(learned_concern=None)

    def example(case: dict) -> tuple[list[str], list[tuple[int, int]]]:
        cols = detector.normalizer.split(case["text"])
        matches = detector.matcher.find_keys(cols.keys, cols.brk) if detector.matcher.could_match(cols.keys) else None
        return learned_keys(cols.keys, matches), [(m.i, m.j) for m in matches["idiom"]] if matches else []

    bias, weights = L.train([(*example(c), c["label"] != "none") for c in fit_on])
    scorer = L._from_memory(bias, weights, 0.5)
    flagged = [c for c in held if c["label"] != "none"]
    nones = [c for c in held if c["label"] == "none"]
    print(f"holdouts {args.first} to {args.last}: {len(held)} messages, {len(flagged)} concern or urgent, "
          f"{len(nones)} none; concern weights refitted on {len(fit_on)} others ({len(weights)} weights)")
    for threshold in [None] + args.thresholds:
        detector.learned_concern = None
        if threshold is not None:
            scorer.threshold, scorer.cut = threshold, L._logit(threshold)
            detector.learned_concern = scorer
        levels = {id(c): detector.assess(c["text"], c.get("lang")).level for c in held}
        recall = sum(levels[id(c)] != "none" for c in flagged) / len(flagged)
        concern = sum(levels[id(c)] == "concern" for c in nones) / len(nones)
        name = "without concern weights" if threshold is None else f"concern weights at {threshold}"
        print(f"  {name:>26}: concern-or-urgent recall {recall:.3f}, 'none' rated concern {concern:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
