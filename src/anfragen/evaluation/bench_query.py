"""Query embedding at batch 1 against its floor, and hybrid search with the old and new path.

All figures come from one run, the paths alternating in blocks of questions, because the two
shared cores make absolute times swing by 2x between minutes: the ratios old/new are the
stable figure.
The floor is arithmetic: e5-small spends 2 * 12 layers * (4 h^2 + 2 h f) FLOP per token
(h = 384, f = 1536; about 42 MFLOP), at the float32 matrix-product rate this machine sustains.
"""

from __future__ import annotations

from anfragen.retrieve import RetrievalConfig

from .bench_embedding import matmul_gflops
from .report import percentile, timed

HIDDEN, FFN, LAYERS = 384, 1536, 12
FLOP_PER_TOKEN = 2 * LAYERS * (4 * HIDDEN**2 + 2 * HIDDEN * FFN)
# the paths alternate in blocks of this many questions: query by query, each torch call (its
# own thread pool, 470 MB of weights) evicts ONNX Runtime's caches, which a process that uses
# only ONNX does not suffer; blocks still keep both paths in the same minutes
BLOCK = 16


def supports_old_path(embedder) -> bool:
    return hasattr(embedder, "embed_queries_torch") and hasattr(embedder, "query_encoder")


def blocks(texts: list[str], size: int = BLOCK) -> list[list[str]]:
    return [texts[i : i + size] for i in range(0, len(texts), size)]


def _p(ms: list[float]) -> dict:
    return {"p50": percentile(ms, 50), "p95": percentile(ms, 95)}


def embedding_side_by_side(engine, texts: list[str]) -> dict:
    """ONNX batch 1, sentence-transformers and a cache hit per query, plus the FLOP floor."""
    emb = engine.get_embedder()
    enc = emb.query_encoder()
    emb.embed_queries_torch([texts[0]])  # both warm before the first timed call
    enc.encode(texts[0])
    new, old, hit = [], [], []
    for block in blocks(texts):
        new += [timed(enc.encode, t)[0] for t in block]
        old += [timed(emb.embed_queries_torch, [t])[0] for t in block]
        for t in block:
            engine.embed_query(t)
            hit.append(timed(engine.embed_query, t)[0])
    tokens = sorted(len(enc.token_ids(t)) for t in texts)
    gflops = matmul_gflops()
    floor = [n * FLOP_PER_TOKEN / (gflops * 1e9) * 1000 for n in tokens]
    return {
        "query embedding (ONNX Runtime, batch 1)": _p(new),
        "query embedding (sentence-transformers, before)": _p(old),
        "query embedding (LRU cache hit)": _p(hit),
        "query embedding (FLOP floor)": _p(floor),
        "_floor": {"tokens_p50": percentile(tokens, 50), "mflop_per_token":
                   round(FLOP_PER_TOKEN / 1e6, 1), "matmul_gflops": gflops,
                   "ratio_old_new_p50": round(percentile(old, 50) / percentile(new, 50), 2)},
    }


def hybrid_side_by_side(engine, texts: list[str]) -> dict:
    """Hybrid search per query with the cache emptied first, on the new and the old path."""
    emb = engine.get_embedder()
    cfg = RetrievalConfig(mode="hybrid", k=10)
    backend = emb.backend
    new, old = [], []
    try:
        for block in blocks(texts):
            for path, ms in (("onnx", new), ("torch", old)):
                emb.backend = path
                for t in block:
                    # the engine's cache would otherwise hand the second path the first's vector
                    engine.query_cache.clear()
                    ms.append(timed(engine.search, t, cfg)[0])
    finally:
        emb.backend = backend
        engine.query_cache.clear()
    return {"hybrid (ONNX query path)": _p(new), "hybrid (sentence-transformers, before)": _p(old),
            "_hybrid": {"ratio_old_new_p50": round(percentile(old, 50) / percentile(new, 50), 2)}}


def render_notes(latency: dict) -> list[str]:
    if "_floor" not in latency:
        return []
    f, h = latency["_floor"], latency.get("_hybrid", {})
    return ["", f"Floor: {f['tokens_p50']:.0f} tokens per question (p50) x "
            f"{f['mflop_per_token']} MFLOP per token at {f['matmul_gflops']} GFLOP/s (float32 "
            f"matrix product measured in this run). Same run, old/new p50: query embedding "
            f"{f['ratio_old_new_p50']}x, hybrid {h.get('ratio_old_new_p50', '-')}x."]
