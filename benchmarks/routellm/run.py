"""`python -m benchmarks.routellm`: the local scorer on RouteLLM's tables, cross-validated.

For each dataset: 5 folds fixed by a hash of the prompt id; on each fold the local
scorer learns each model's chance of success from the other four folds' prompt texts
and outcomes, and scores the held-out prompts with p(strong) - p(weak). The metrics are
RouteLLM's (benchmarks/routellm/metrics.py), beside random routing (10 seeds), the
prompt-length router and the oracle, on the same tables in the same run.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.routellm import metrics
from benchmarks.routellm.data import DATASETS, FOLDS, Table, load
from router.learning import features
from router.routing.auto.local import linear

RESULTS = Path("benchmarks/results")
RANDOM_SEEDS = 10
REFERENCE = {
    "mmlu": {"routellm_best": {"apgr": 0.60, "cpt50": 35.4}, "prompt_length": {"apgr": 0.584}},
    "gsm8k": {"prompt_length": {"apgr": 0.599}},
}


def held_out_scores(table: Table) -> np.ndarray:
    # The same features and fit as the proxy's local scorer (router/routing/auto/local).
    row, index, value = features.vectorize_many(
        [features.text_hashes(p) for p in table.prompts], linear.DIM
    )
    rows = linear.SparseRows(index, value, row, len(table.prompts))
    folds = table.folds
    scores = np.zeros(len(table.prompts))
    for k in range(FOLDS):
        train, test = np.flatnonzero(folds != k), np.flatnonzero(folds == k)
        train_rows, test_rows = rows.take(train), rows.take(test)
        weak = linear.fit(train_rows, table.weak[train])
        strong = linear.fit(train_rows, table.strong[train])
        scores[test] = strong.predict(test_rows) - weak.predict(test_rows)
    return scores


def evaluate_table(table: Table, local: np.ndarray) -> dict[str, dict[str, float]]:
    weak, strong = table.weak.astype(float), table.strong.astype(float)
    out = {
        "local": metrics.evaluate(local, weak, strong).as_dict(),
        "prompt_length": metrics.evaluate(
            np.array([len(p) for p in table.prompts], dtype=float), weak, strong
        ).as_dict(),
        "oracle": metrics.evaluate(strong - weak, weak, strong).as_dict(),
    }
    runs = [
        metrics.evaluate(np.random.default_rng(seed).random(len(weak)), weak, strong)
        for seed in range(RANDOM_SEEDS)
    ]
    out["random"] = {
        key: float(np.mean([getattr(r, key) for r in runs])) for key in ("apgr", "cpt50", "cpt80")
    }
    out["random"]["apgr_min"] = min(r.apgr for r in runs)
    out["random"]["apgr_max"] = max(r.apgr for r in runs)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, object] = {}
    lines: list[str] = []
    for name in args.datasets.split(","):
        started = time.perf_counter()
        table = load(name)
        local = held_out_scores(table)
        result = evaluate_table(table, local)
        summary[name] = {
            "prompts": len(table.ids),
            "weak_accuracy": float(table.weak.mean()),
            "strong_accuracy": float(table.strong.mean()),
            "routers": result,
            "reference": REFERENCE.get(name, {}),
            "seconds": round(time.perf_counter() - started, 1),
        }
        lines += [
            json.dumps({"id": i, "dataset": name, "score": round(float(s), 6)})
            for i, s in zip(table.ids, local, strict=True)
        ]
        for router, figures in result.items():
            print(
                f"{name:6} {router:14} APGR {figures['apgr']:.3f}  "
                f"CPT(50%) {figures['cpt50']:5.1f}%  CPT(80%) {figures['cpt80']:5.1f}%"
            )
    (args.out / "routellm.json").write_text(json.dumps(summary, indent=2) + "\n")
    (args.out / "routellm_scores.jsonl").write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out / 'routellm.json'} and {args.out / 'routellm_scores.jsonl'}")
    return 0
