"""How much the learned urgency weights move from one refit to the next, last step against averaged.

    python bench/learned_average.py [--average 0 10 20] [--from 473] [--to 552]

At a constant learning rate, stochastic gradient descent ends wherever its last few examples leave
it: two fits on nearly the same cases can move the bias, and with it short harmless messages across
the threshold.  This checks out each commit that first measured a group of blind holdout sets (the
commits of bench/blind_thresholds.py), refits the urgency weights there exactly as that commit's
weights were fitted (its own cases counted twice, its holdouts, the shared dev set) but with this
checkout's `learned.train` and each `--average` (epochs averaged at the end; 0 is the last step's
weights), scores the sets it first measured with that commit's detector, and prints per commit:
the bias, urgent recall, urgent precision, 'none' rated urgent on the sets, and the commit's own
'none' cases rated urgent (those were in the fit: a measure of where the bias leaves short harmless
messages, not a blind figure).  `shipped` is the commit's own weights file.  About 5 minutes per
commit on one core.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from blind_thresholds import DEV, FIRST_MEASURED, cell, figures, run_at  # noqa: E402

PROBE = r"""
import glob, json, sys
sys.path.insert(0, '.')
from helpline.distress import Detector
from helpline.distress import learned as L
from helpline.distress import learned_under_test as T
sets, dev, averages = json.loads(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
held = {p.rsplit('/', 1)[-1] for p in sets}
files = ['tests/data/distress_cases.jsonl'] * 2 + [
    p for p in sorted(glob.glob('tests/data/distress_holdout*.jsonl')) if p.rsplit('/', 1)[-1] not in held] + [dev]
lex = Detector(learned=None)
rows = []
for p in files:
    for line in open(p, encoding='utf-8'):
        if line.strip():
            c = json.loads(line)
            cols = lex.normalizer.split(c['text'])
            m = lex.matcher.find_keys(cols.keys, cols.brk)
            rows.append((cols.keys, [(x.i, x.j) for x in m['idiom']], c['label'] == 'urgent'))
texts = [json.loads(l)['text'] for p in sets for l in open(p, encoding='utf-8') if l.strip()]
own = [json.loads(l)['text'] for l in open('tests/data/distress_cases.jsonl', encoding='utf-8')
       if l.strip() and json.loads(l)['label'] == 'none']
d = Detector()
shipped = d.learned
out = {}
for name in ['shipped'] + [str(a) for a in averages]:
    if name == 'shipped':
        scorer = shipped
    else:
        bias, weights = T.train(rows, T.Fit(average=int(name)))
        scorer = L._from_memory(bias, weights, shipped.threshold)
    d.learned = scorer
    out[name] = {'bias': scorer.bias, 'levels': [d.assess(t).level for t in texts],
                 'own': [sum(d.assess(t).level == 'urgent' for t in own), len(own)]}
print(json.dumps(out))
"""


def _with_todays_training(tree: Path) -> None:
    """This checkout's training code (and the compiled summing loop) beside the old commit's."""
    shutil.copy(ROOT / "helpline/distress/learned.py", tree / "helpline/distress/learned_under_test.py")
    for lib in (ROOT / "helpline/distress").glob("_native*.so"):
        shutil.copy(lib, tree / "helpline/distress")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--average", type=int, nargs="+", default=[0, 10, 20])
    parser.add_argument("--from", dest="first", type=int, default=473)
    parser.add_argument("--to", dest="last", type=int, default=max(last for _, last, _ in FIRST_MEASURED))
    args = parser.parse_args(argv)
    if not DEV.exists():
        parser.error(f"{DEV} is needed to refit as those commits did")
    pooled: dict[str, list[int]] = {}
    print("per commit and setting: bias; urgent recall, urgent precision, 'none' rated urgent on the sets "
          "it first measured; own 'none' cases rated urgent")
    with tempfile.TemporaryDirectory(prefix="average-") as tmp:
        for first, last, commit in FIRST_MEASURED:
            if last < args.first or first > args.last:
                continue
            sets = [ROOT / f"tests/data/distress_holdout{n}.jsonl" for n in range(first, last + 1)]
            labels = [json.loads(line)["label"] for p in sets for line in p.read_text(encoding="utf-8").splitlines()
                      if line.strip()]
            run = run_at(commit, Path(tmp) / commit[:7],
                         [sys.executable, "-c", PROBE, json.dumps([str(p) for p in sets]), str(DEV), json.dumps(args.average)],
                         prepare=_with_todays_training)
            if run.returncode:
                sys.stderr.write(run.stderr)
                return 1
            result = json.loads(run.stdout.strip().splitlines()[-1])
            cells = []
            for key, r in result.items():
                f = figures(labels, r["levels"])
                pooled[key] = [a + b for a, b in zip(pooled.get(key, [0] * 8), [*f, *r["own"]])]
                cells.append(f"{key}: {r['bias']:+.2f} {cell(f)} own {r['own'][0]}/{r['own'][1]}")
            print(f"h{first}-{last} {commit[:7]}  " + " | ".join(cells), flush=True)
    print(f"pooled over holdouts {args.first} to {args.last}:")
    for key, total in pooled.items():
        print(f"  {key:>8}: {cell(total[:6])}  own {total[6]}/{total[7]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
