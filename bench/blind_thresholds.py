"""How the learned layer's threshold trades blind urgent recall for false alarms, on first measures.

    python bench/blind_thresholds.py [THRESHOLD ...]

Every holdout set was written by someone who never saw the repository and measured once, at one
commit, before anything was learned from it.  This script checks each of those commits out again
(a temporary `git worktree`), runs that commit's detector on its holdout set at several learned
thresholds, and prints urgent recall, urgent precision and 'none' rated urgent per set and pooled.
So the figures are blind: no set is scored by lexicons or weights that had seen it.  The 0.9 column
reproduces the first measure recorded for each set (within one case for holdouts 15 and 16, whose
exact commit is not recorded; the nearest is used).

It needs the git history (a clone, not an export) and takes a few minutes: each commit's lexicons
are compiled once, in pure Python.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# holdout number -> the commit whose detector first measured it (its state before learning from it)
BLIND = {
    9: "473cdb0d8c9a2cc89f1983ed315bc584389525de",
    10: "ea7504a43347faa78e5d508701dfd545f9cfe501",
    11: "0e6953048dfaa2860d9169424e94430256283dbc",
    12: "9760219",
    13: "3df8fc42a61ced599f9eab42783fbb35cd495a2f",
    14: "1cfe8ce4722465f0d45fd75e9f098217999e83ed",
    15: "1cfe8ce4722465f0d45fd75e9f098217999e83ed",
    16: "535287be22d5c69ce31797ac63cb5ffac6723107",
    17: "f100d2d3b023ca98e80df91bef53325c3b758bba",
    18: "1f1e60150d43855c8279412f289db752337e689f",
    19: "49a42c324d11f600b68166770d6b49d21fe66edd",
    20: "35b24578536d4b9a9289fa614fd389c8b8865068",
    21: "35b24578536d4b9a9289fa614fd389c8b8865068",
}
THRESHOLDS = (0.9, 0.8, 0.7, 0.6, 0.5)

# Run inside an old checkout: its own detector, the learned cut moved to each threshold.
PROBE = r"""
import json, math, sys
sys.path.insert(0, '.')
from helpline.distress import Detector
d = Detector()
cases = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8') if l.strip()]
out = {}
for t in json.loads(sys.argv[2]):
    if hasattr(d.learned, 'cut'):
        d.learned.cut = math.log(t / (1 - t))
    d.learned.threshold = t
    out[str(t)] = [d.assess(c['text']).level for c in cases]
print(json.dumps(out))
"""


def figures(labels: list[str], levels: list[str]) -> tuple[int, int, int, int, int, int]:
    urgent = [lv for lab, lv in zip(labels, levels) if lab == "urgent"]
    none = [lv for lab, lv in zip(labels, levels) if lab == "none"]
    raised = [lab for lab, lv in zip(labels, levels) if lv == "urgent"]
    return (urgent.count("urgent"), len(urgent), none.count("urgent"), len(none),
            raised.count("urgent"), len(raised))


def cell(f: tuple[int, ...]) -> str:
    caught, urgent, false, none, right, raised = f
    return f"{caught / urgent:.3f} {right / max(1, raised):.3f} {100 * false / max(1, none):4.1f}%"


def main(argv: list[str]) -> int:
    thresholds = tuple(float(t) for t in argv) or THRESHOLDS
    env = dict(os.environ, HELPLINE_PURE_PYTHON="1")
    pooled = {t: [0] * 6 for t in thresholds}
    print("set  commit   " + " | ".join(f"t={t}: recall prec none->u" for t in thresholds))
    with tempfile.TemporaryDirectory(prefix="blind-") as tmp:
        for n, commit in BLIND.items():
            holdout = ROOT / f"tests/data/distress_holdout{n}.jsonl"
            labels = [json.loads(line)["label"] for line in holdout.read_text(encoding="utf-8").splitlines() if line.strip()]
            tree = Path(tmp) / f"h{n}"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree), commit], check=True)
            try:
                run = subprocess.run([sys.executable, "-c", PROBE, str(holdout), json.dumps(thresholds)],
                                     cwd=tree, env=env, capture_output=True, text=True, check=True)
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True)
            levels = json.loads(run.stdout.strip().splitlines()[-1])
            row = []
            for t in thresholds:
                f = figures(labels, levels[str(t)])
                pooled[t] = [a + b for a, b in zip(pooled[t], f)]
                row.append(cell(f))
            print(f"h{n:<3} {commit[:7]}  " + " | ".join(row), flush=True)
    print("all           " + " | ".join(cell(tuple(pooled[t])) for t in thresholds))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
