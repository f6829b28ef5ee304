"""BM25 latency of two indexes side by side, interleaved query by query (timings on a shared
machine drift; alternating keeps both under the same load).

    PYTHONPATH=src python eval/bm25_latency.py --a /tmp/index-legacy --b index \
        --queries eval/datasets/dev/queries.jsonl eval/datasets/dev/queries_b.jsonl

Each index is queried the way it was built (compound parts only for a compound index).
Prints p50/p95 ms per index over all queries, three rounds.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from anfragen.evaluation.metrics import load_queries
from anfragen.evaluation.report import percentile
from anfragen.index import store
from anfragen.index.directory import Index
from anfragen.retrieve import clean_query, splits_compounds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", type=Path, required=True)
    ap.add_argument("--b", type=Path, required=True)
    ap.add_argument("--queries", type=Path, nargs="+", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    indexes = {str(p): Index.open(p) for p in (args.a, args.b)}
    texts = [clean_query(q.text) for f in args.queries for q in load_queries(f)]
    times: dict[str, list[float]] = {name: [] for name in indexes}
    for _ in range(args.rounds):
        for text in texts:
            for name, idx in indexes.items():
                t0 = time.perf_counter()
                store.bm25_search(idx.conn, text, 100, compounds=splits_compounds(idx))
                times[name].append((time.perf_counter() - t0) * 1000)
    print(json.dumps({name: {"analyzer": indexes[name].manifest.get("analyzer", "(legacy)"),
                             "p50_ms": round(percentile(t, 50), 2),
                             "p95_ms": round(percentile(t, 95), 2), "n": len(t)}
                      for name, t in times.items()}, indent=1))


if __name__ == "__main__":
    main()
