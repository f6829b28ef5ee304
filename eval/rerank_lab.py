"""Issue 13 (and issue 11's first passage): how much the reranker's two fixed settings
matter. `anfragen eval fit-rerank` ships depth 30 and L2 1.0, fixed before the first measured
run; this lab scores the neighbouring settings with the same code (evaluation/rerank_fit.py:
features, folds by document, conditional logit), each held out by fold, plus the choice a CV
over the grid would make, and a feature ablation at the shipped setting.

    nice -n 19 env PYTHONPATH=src .venv/bin/python eval/rerank_lab.py --index index \
        --queries eval/datasets/dev/queries.jsonl eval/datasets/dev/queries_b.jsonl \
        --out eval/results/retrieval-rerank-<date>.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from anfragen import rerank as rr
from anfragen.evaluation import rerank_fit as rf
from anfragen.evaluation.metrics import load_queries
from anfragen.index import store

DEPTHS = (10, 20, 30, 50)
L2S = (0.1, 1.0, 10.0)
# features left out together: each group is one signal
ABLATIONS = {"without sentences": ("sentence_cos", "sentence_gap"),
             "without question vectors": ("question_cos", "has_question"),
             "without coverage": ("coverage", "coverage_idf"),
             "without document": ("doc_best", "doc_count"),
             "ranks only": tuple(f for f in rr.FEATURES if f not in (
                 "fused_rank", "fused_score", "dense_rank", "bm25_rank"))}


def held_out(rows, fold, chunks, l2: float, drop: tuple[str, ...] = ()) -> list[dict]:
    """Per-query metrics with each fold ranked by a model trained on the others."""
    keep = [i for i, f in enumerate(rr.FEATURES) if f not in drop]
    if drop:  # a zero column carries no signal: the model then ignores the feature
        rows = [replace(r, x=np.where(np.isin(np.arange(len(rr.FEATURES)), keep), r.x, 0.0))
                for r in rows]
    models = [rf.train([r for r, f in zip(rows, fold, strict=True) if f != k], l2)
              for k in range(rf.N_FOLDS)]
    return [rf.query_metrics(r, rf.reordered(r, models[f]), chunks)
            for r, f in zip(rows, fold, strict=True)]


def per_file(rows, files, metrics) -> dict:
    out = {}
    for name in files:
        idx = [i for i, r in enumerate(rows) if r.file == name]
        out[Path(name).name] = rf.summary([rows[i] for i in idx], [metrics[i] for i in idx])
    return out


def objective(metrics: list[dict]) -> float:
    return sum(np.mean([m[k] for m in metrics if k in m]) for k in ("s5", "r10", "mrr"))


def main() -> None:
    from anfragen.pipeline import Engine

    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=Path("index"))
    ap.add_argument("--queries", type=Path, nargs="+", required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    t0 = time.perf_counter()
    engine = Engine.open(args.index)
    files = [str(f) for f in args.queries]
    by_depth = {k: [r for f in args.queries for r in rf.collect(engine, load_queries(f), str(f),
                                                               depth=k)] for k in DEPTHS}
    rows30 = by_depth[rf.DEPTH]
    fold = rf.folds(rows30)
    chunks = store.get_chunks(engine.index.conn,
                              sorted({i for r in rows30 for i in r.ids}))
    base = [rf.query_metrics(r, list(r.ids), chunks) for r in rows30]
    grid = {(k, l2): held_out(by_depth[k], fold, chunks, l2) for k in DEPTHS for l2 in L2S}
    # the CV choice: for each fold, the setting best on the other folds' held-out figures
    chosen, cv = [], [None] * len(rows30)
    for f in range(rf.N_FOLDS):
        others = [i for i in range(len(rows30)) if fold[i] != f]
        best = max(grid, key=lambda s: objective([grid[s][i] for i in others]))
        chosen.append({"fold": f, "depth": best[0], "l2": best[1]})
        for i in range(len(rows30)):
            if fold[i] == f:
                cv[i] = grid[best][i]
    shipped = grid[(rf.DEPTH, rf.L2)]
    result = {
        "command": " ".join(sys.argv), "commit": rf.git_commit(),
        "model_fingerprint": engine.index.manifest["model"]["fingerprint"],
        "shipped": {"depth": rf.DEPTH, "l2": rf.L2},
        "fused": per_file(rows30, files, base),
        "grid": {f"depth={k},l2={l2}": per_file(rows30, files, m) for (k, l2), m in grid.items()},
        "cv_choice": {"chosen": chosen, "per_file": per_file(rows30, files, cv)},
        "ablation_at_shipped": {name: per_file(rows30, files, held_out(
            rows30, fold, chunks, rf.L2, drop)) for name, drop in ABLATIONS.items()},
        "paired_shipped_vs_fused": {Path(n).name: rf.paired(
            [base[i] for i, r in enumerate(rows30) if r.file == n],
            [shipped[i] for i, r in enumerate(rows30) if r.file == n]) for n in files},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    for name, block in (("fused", result["fused"]),
                        ("shipped", result["grid"][f"depth={rf.DEPTH},l2={rf.L2}"]),
                        ("cv choice", result["cv_choice"]["per_file"]),
                        *((a, b) for a, b in
                          result["ablation_at_shipped"].items())):
        print(f"{name:>28}: " + " | ".join(
            f"{f} {b['all']['r10']}/{b['all']['mrr']}/{b['all']['s5']} citizen "
            f"{b['citizen']['r10']}/{b['citizen']['mrr']}/{b['citizen']['s5']}"
            for f, b in block.items()))


if __name__ == "__main__":
    main()
