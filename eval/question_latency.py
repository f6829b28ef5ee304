"""Hybrid retrieval latency with and without question vectors, side by side on one index,
interleaved query by query (timings on a shared machine drift; alternating keeps both under
the same load). Query embedding is left out: it is the same for both.

    PYTHONPATH=src python eval/question_latency.py --index /tmp/index-with-question-vectors \
        --queries eval/datasets/dev/queries.jsonl eval/datasets/dev/queries_b.jsonl

Prints p50/p95 ms of `retrieve.search_ids` (dense + BM25 + fusion) per setting over all
queries, three rounds, and the time to load the question vectors on first use.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from anfragen.evaluation.metrics import load_queries
from anfragen.evaluation.report import percentile
from anfragen.pipeline import Engine
from anfragen.retrieve import Filters, RetrievalConfig, clean_query, search_ids


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--queries", type=Path, nargs="+", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    engine = Engine.open(args.index)
    idx = engine.index
    t0 = time.perf_counter()
    n_questions = idx.question_vectors().ntotal
    load_ms = (time.perf_counter() - t0) * 1000
    texts = [clean_query(q.text) for f in args.queries for q in load_queries(f)]
    qvecs = [engine.embed_query(t) for t in texts]
    configs = {"without": RetrievalConfig(question_vectors=False), "with": RetrievalConfig()}
    times: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(args.rounds):
        for text, qv in zip(texts, qvecs, strict=True):
            for name, cfg in configs.items():
                t0 = time.perf_counter()
                search_ids(idx, text, qv, cfg, Filters())
                times[name].append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"question_vectors": n_questions, "load_ms": round(load_ms, 1),
                      **{name: {"p50_ms": round(percentile(t, 50), 2),
                                "p95_ms": round(percentile(t, 95), 2), "n": len(t)}
                         for name, t in times.items()}}, indent=1))


if __name__ == "__main__":
    main()
