"""Grid over hybrid fusion settings on a query file; prints unit/evidence metrics per setting.

    .venv/bin/python eval/tune_fusion.py --queries eval/datasets/dev/queries.jsonl

Each query is embedded and searched once per retriever; the fusion is then recomputed for every
setting, so the grid costs little more than one evaluation run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from anfragen.evaluation.metrics import load_queries
from anfragen.pipeline import Engine
from anfragen.retrieve import Filters, RetrievalConfig, clean_query, rrf, search_ids


def candidates(engine: Engine, queries) -> dict:
    """Per query: the dense and BM25 rankings (depth 100) as chunk row ids."""
    out = {}
    for q in queries:
        text = clean_query(q.text)
        qvec = engine.embed_query(text)
        runs = {}
        for mode in ("dense", "bm25"):
            ranked = search_ids(engine.index, text, qvec, RetrievalConfig(mode=mode, k=100,
                                                                         id_boost=False),
                                Filters())
            runs[mode] = [(r.id, r.score) for r in ranked]
        out[q.id] = runs
    return out


def units_for(engine: Engine, ids: list[int]) -> list[str]:
    from anfragen.index import store

    chunks = store.get_chunks(engine.index.conn, ids)
    seen: list[str] = []
    for i in ids:
        c = chunks[i]
        for n in c.numbers:
            u = f"{c.doc_id}#{n}"
            if u not in seen:
                seen.append(u)
    return seen


def score(engine, queries, cands, weights: dict, k: int, kind: str | None = None) -> dict:
    r10 = mrr = 0.0
    judged = [q for q in queries if q.relevant and (kind is None or q.kind == kind)]
    for q in judged:
        fused = [r.id for r in rrf(cands[q.id], weights, k)][:10]
        units = units_for(engine, fused)[:10]
        rel = set(q.relevant)
        r10 += len(rel & set(units)) / len(rel)
        mrr += next((1 / (i + 1) for i, u in enumerate(units) if u in rel), 0.0)
    return {"recall@10": r10 / len(judged), "mrr@10": mrr / len(judged)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=Path, default=Path("eval/datasets/dev/queries.jsonl"))
    ap.add_argument("--index", default="index")
    args = ap.parse_args()
    engine = Engine.open(args.index)
    queries = load_queries(args.queries)
    cands = candidates(engine, queries)
    kinds = sorted({q.kind for q in queries if q.relevant})
    for wb in (0.0, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5):
        for k in (10, 60):
            w = {"dense": 1.0, "bm25": wb}
            row = {"bm25_weight": wb, "rrf_k": k, **score(engine, queries, cands, w, k)}
            row["by_kind_r10"] = {kd: round(score(engine, queries, cands, w, k, kd)["recall@10"],
                                            3) for kd in kinds}
            print(json.dumps(row))
    dense_only = score(engine, queries, {q: {"dense": c["dense"]} for q, c in cands.items()},
                       {"dense": 1.0}, 60)
    print(json.dumps({"dense_only": dense_only}))


if __name__ == "__main__":
    main()
