"""`anfragen bench`: speed figures on an existing index (the CLI writes them to eval/results/).

Measures parse throughput (documents/s), embedding throughput (passages/s on a sample of
indexed chunks), warm query latency per mode with the query embedding shown separately,
answer latency, peak RSS and index size on disk.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

from anfragen.index import store
from anfragen.retrieve import RetrievalConfig

from . import bench_query
from .metrics import load_queries
from .report import disk_size, percentile, provenance, provenance_line, timed


def parse_throughput(corpus: Path) -> dict:
    from anfragen.parse import parse_document
    from anfragen.read import iter_document_paths, read_with_sidecar

    t0 = time.perf_counter()
    n = 0
    sidecars: dict[Path, dict] = {}
    for path, base in iter_document_paths([corpus]):
        parse_document(read_with_sidecar(path, base, sidecars))
        n += 1
    dt = time.perf_counter() - t0
    return {"documents": n, "seconds": round(dt, 2), "documents_per_s": round(n / dt, 1)}


def embed_throughput(engine, n: int) -> dict:
    texts = store.chunk_texts(engine.index.conn, n)
    emb = engine.get_embedder()
    emb.embed_passages(texts[:4])  # warm-up
    ms, _ = timed(emb.embed_passages, texts)
    return {"passages": len(texts), "seconds": round(ms / 1000, 2),
            "passages_per_s": round(len(texts) / (ms / 1000), 2),
            "mean_chars": round(sum(map(len, texts)) / max(1, len(texts)))}


def _uncached_ms(cache, fn, *args) -> float:
    """Milliseconds of fn(*args) with the query-vector cache emptied first: the figures are
    for a new question (a repeated one is the cache-hit row)."""
    if cache is not None:
        cache.clear()
    return timed(fn, *args)[0]


def query_latency(engine, texts: list[str]) -> dict:
    out: dict = {}
    emb = engine.get_embedder()
    cache = engine.query_cache
    if bench_query.supports_old_path(emb):
        out.update(bench_query.embedding_side_by_side(engine, texts))
    else:
        emb_ms = [_uncached_ms(cache, emb.embed_queries, [t]) for t in texts]
        out["query_embedding"] = {"p50": percentile(emb_ms, 50), "p95": percentile(emb_ms, 95)}
    for mode in ("bm25", "dense", "hybrid"):
        cfg = RetrievalConfig(mode=mode, k=10)
        engine.search(texts[0], cfg)
        ms = [_uncached_ms(cache, engine.search, t, cfg) for t in texts]
        out[mode] = {"p50": percentile(ms, 50), "p95": percentile(ms, 95)}
    ms = [_uncached_ms(cache, engine.ask, t) for t in texts]
    out["ask (hybrid + answer)"] = {"p50": percentile(ms, 50), "p95": percentile(ms, 95)}
    if bench_query.supports_old_path(emb):
        out.update(bench_query.hybrid_side_by_side(engine, texts))
    return out


def speed_bench(engine, queries: Path, embed_sample: int = 64,
                corpus: Path | None = None) -> dict:
    """Warm latency per mode, embedding and (with `corpus`) parse throughput, sizes, RSS."""
    texts = [q.text for q in load_queries(queries)]
    result = {
        "provenance": provenance(engine),
        "counts": engine.index.counts(),
        "latency_ms": query_latency(engine, texts),
        "embedding": embed_throughput(engine, embed_sample),
        "index_bytes": disk_size(Path(engine.index_dir)),
    }
    if corpus:
        result["parse"] = parse_throughput(corpus)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


def render(r: dict) -> str:
    p = r["provenance"]
    lines = [f"# Speed on the bundled corpus ({p['date']})", "", provenance_line(p), "",
             f"Index: {r['counts']['documents']} documents, {r['counts']['chunks']} chunks; "
             f"on disk " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in
                                     r["index_bytes"].items()), "",
             "| what (warm, per query) | p50 ms | p95 ms |", "|---|---|---|"]
    for k, v in r["latency_ms"].items():
        if not k.startswith("_"):  # "_floor"/"_hybrid" hold the notes below, not a latency
            lines.append(f"| {k} | {v['p50']:.1f} | {v['p95']:.1f} |")
    lines += bench_query.render_notes(r["latency_ms"])
    e = r["embedding"]
    lines += ["", f"Embedding: {e['passages_per_s']} passages/s ({e['passages']} indexed chunks "
              f"of {e['mean_chars']} characters on average)."]
    if "parse" in r:
        lines.append(f"Parsing: {r['parse']['documents_per_s']} documents/s "
                     f"({r['parse']['documents']} documents).")
    lines.append(f"Peak RSS of the benchmark process: {r['peak_rss_mb']} MB.")
    return "\n".join(lines) + "\n"
