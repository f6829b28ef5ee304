"""What the reranker costs per query: search alone (from a ready query vector) and the whole
`ask` (embedding, search, answer), with the reranker on and off, interleaved query by query
(the order alternating per round) so that load changes hit both.

    PYTHONPATH=src .venv/bin/python eval/rerank_latency.py --index index \
        --queries eval/datasets/dev/queries.jsonl eval/datasets/dev/queries_b.jsonl \
        --out eval/results/rerank-latency-<date>.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from anfragen.evaluation.metrics import load_queries
from anfragen.evaluation.rerank_fit import git_commit
from anfragen.retrieve import Filters, RetrievalConfig, clean_query, search_ids


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return round(xs[int(p / 100 * (len(xs) - 1))], 2)


def main() -> None:
    from anfragen.pipeline import Engine

    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=Path("index"))
    ap.add_argument("--queries", type=Path, nargs="+", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    eng = Engine.open(args.index)
    texts = [clean_query(q.text) for f in args.queries for q in load_queries(f)]
    vecs = [eng.embed_query(t) for t in texts]
    cfgs = {"on": RetrievalConfig(k=10), "off": RetrievalConfig(k=10, rerank=False)}
    eng.ask(texts[0])  # warm-up: model, caches
    times: dict = {(part, name): [] for part in ("search", "ask") for name in cfgs}
    for rnd in range(args.rounds):
        order = list(cfgs) if rnd % 2 == 0 else list(reversed(cfgs))
        for t, v in zip(texts, vecs, strict=True):
            for name in order:
                t0 = time.perf_counter()
                search_ids(eng.index, t, v, cfgs[name], Filters())
                times[("search", name)].append((time.perf_counter() - t0) * 1000)
            for name in order:
                eng.query_cache.clear()  # a new question: its embedding counts
                t0 = time.perf_counter()
                eng.ask(t, cfgs[name])
                times[("ask", name)].append((time.perf_counter() - t0) * 1000)
    out = {"command": " ".join(sys.argv), "commit": git_commit(),
           "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} CPUs, "
                      f"Python {platform.python_version()}",
           "queries": len(texts), "rounds": args.rounds,
           "ms": {f"{part} rerank {name}": {"p50": pct(v, 50), "p95": pct(v, 95), "n": len(v)}
                  for (part, name), v in times.items()}}
    for part in ("search", "ask"):
        on, off = out["ms"][f"{part} rerank on"], out["ms"][f"{part} rerank off"]
        out[f"{part}_p50_added_ms"] = round(on["p50"] - off["p50"], 2)
        out[f"{part}_p50_ratio"] = round(on["p50"] / off["p50"], 2)
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
