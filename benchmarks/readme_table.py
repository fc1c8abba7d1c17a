"""The README's performance table from a results JSON of benchmarks/run.py:

    python benchmarks/readme_table.py benchmarks/results/bench-<date>.json

One row per case: for each (batch, threads) configuration, the best peer's
median time over sepconv's, sepconv's % of the roofline, and the best peer."""

import json
import math
import sys

from report import PEER_LABELS

CONFIGS = [("t1_b1", "batch 1, 1 thread"), ("t2_b1", "batch 1, 2 threads"),
           ("t1_b16", "batch 16, 1 thread"), ("t2_b16", "batch 16, 2 threads")]


def geomean(values):
    vals = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in vals) / len(vals)) if vals else None


def markdown(doc):
    tables = doc["tables"]
    configs = [(k, title) for k, title in CONFIGS if k in tables]
    by_case = {k: {r["case"]: r for r in tables[k]} for k, _ in configs}
    cases = [r["case"] for r in tables[configs[0][0]]]
    lines = ["| case | " + " | ".join(t for _, t in configs) + " |",
             "|---|" + "---|" * len(configs)]
    for case in cases:
        cells = []
        for k, _ in configs:
            r = by_case[k].get(case, {})
            if r.get("ratio") is None:
                cells.append("—")
                continue
            best = PEER_LABELS.get(r.get("best_peer"), r.get("best_peer"))
            cells.append(f"{r['ratio']:.2f}× ({r.get('pct_roofline', float('nan')):.1f} %, {best})")
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    cells = []
    for k, _ in configs:
        ratio = geomean([r.get("ratio") for r in tables[k]])
        roof = geomean([r.get("pct_roofline") for r in tables[k]])
        cells.append(f"**{ratio:.2f}×** ({roof:.1f} %)" if ratio and roof else "—")
    lines.append("| **geomean** | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as fh:
        print(markdown(json.load(fh)))
