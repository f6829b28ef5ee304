"""`anfragen bench`: speed figures on an existing index, written to eval/results/.

Measures parse throughput (documents/s), embedding throughput (passages/s on a sample of
indexed chunks), warm query latency per mode with the query embedding shown separately,
answer latency, peak RSS and index size on disk.
"""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path

from .evaluate import load_queries, percentile
from .retrieve import RetrievalConfig


def add_bench_parser(sub) -> None:
    p = sub.add_parser("bench", help="Geschwindigkeit messen (Index muss existieren)")
    p.add_argument("--index", default="index")
    p.add_argument("--model", default=None)
    p.add_argument("--queries", type=Path, default=Path("eval/datasets/dev/queries.jsonl"))
    p.add_argument("--corpus", type=Path, default=None, help="für den Parse-Durchsatz")
    p.add_argument("--embed-sample", type=int, default=64)
    p.add_argument("--out", type=Path, default=Path("eval/results"))
    p.add_argument("--scale", default=None, metavar="N,M",
                   help="Skalierung messen: Testindexe dieser Größen (Vektoren, z. B. "
                        "100000,1M) aus dem Index replizieren; schreibt scale-<Datum>.md/json")
    p.add_argument("--embedding", action="store_true",
                   help="Einbettungs-Einstellungen nebeneinander messen (Stichprobe: "
                        "--embed-sample); schreibt embedding-<Datum>.md/json")
    p.add_argument("--embed-quality", action="store_true",
                   help="mit --embedding: zusätzlich Dev-Qualität je Token-Grenze (bettet die "
                        "längeren Passagen neu ein; auf 2 Kernen etwa eine halbe Stunde)")
    p.add_argument("--scale-dir", type=Path, default=None, help="Arbeitsordner für --scale")
    p.add_argument("--scale-sigma", type=float, default=0.01,
                   help="Rauschen je Dimension für replizierte Vektoren")


def timed(fn, *args, **kw) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return (time.perf_counter() - t0) * 1000, out


def parse_throughput(corpus: Path) -> dict:
    from .parse import parse_document
    from .read import iter_document_paths, read_with_sidecar

    t0 = time.perf_counter()
    n = 0
    sidecars: dict[Path, dict] = {}
    for path, base in iter_document_paths([corpus]):
        parse_document(read_with_sidecar(path, base, sidecars))
        n += 1
    dt = time.perf_counter() - t0
    return {"documents": n, "seconds": round(dt, 2), "documents_per_s": round(n / dt, 1)}


def embed_throughput(engine, n: int) -> dict:
    rows = engine.index.conn.execute(
        "SELECT text FROM chunks ORDER BY id LIMIT ?", (n,)).fetchall()
    texts = [r[0] for r in rows]
    emb = engine.get_embedder()
    emb.embed_passages(texts[:4])  # warm-up
    ms, _ = timed(emb.embed_passages, texts)
    return {"passages": len(texts), "seconds": round(ms / 1000, 2),
            "passages_per_s": round(len(texts) / (ms / 1000), 2),
            "mean_chars": round(sum(map(len, texts)) / max(1, len(texts)))}


def query_latency(engine, texts: list[str]) -> dict:
    out: dict = {}
    emb_ms = [timed(engine.get_embedder().embed_queries, [t])[0] for t in texts]
    out["query_embedding"] = {"p50": percentile(emb_ms, 50), "p95": percentile(emb_ms, 95)}
    for mode in ("bm25", "dense", "hybrid"):
        cfg = RetrievalConfig(mode=mode, k=10)
        engine.search(texts[0], cfg)
        ms = [timed(engine.search, t, cfg)[0] for t in texts]
        out[mode] = {"p50": percentile(ms, 50), "p95": percentile(ms, 95)}
    ms = [timed(engine.ask, t)[0] for t in texts]
    out["ask (hybrid + answer)"] = {"p50": percentile(ms, 50), "p95": percentile(ms, 95)}
    return out


def disk_size(folder: Path) -> dict:
    return {p.name: p.stat().st_size for p in sorted(folder.iterdir()) if p.is_file()}


def write_report(out: Path, name: str, result: dict, render) -> str:
    """`<name>-<date>.json` and `.md` (the Markdown from `render`) in `out`; returns the
    Markdown. Every `anfragen bench` report is written this way."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d")
    (out / f"{name}-{stamp}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    md = render(result)
    (out / f"{name}-{stamp}.md").write_text(md)
    return md


def provenance_line(p: dict) -> str:
    """The line under a report's title: commit, machine, Python, model and command."""
    return (f"commit {p['commit']} · {p['machine']} · Python {p['python']} · model "
            f"{p['model']} · command `{p['command']}`")


def run_bench(args) -> int:
    from .cli import _engine
    from .evalcmds import provenance

    if args.scale:
        from .scalebench import run_scale

        return run_scale(args)
    if args.embedding:
        from .embedbench import run_embedding_bench

        return run_embedding_bench(args)
    engine = _engine(args)
    texts = [q.text for q in load_queries(args.queries)]
    result = {
        "provenance": provenance(engine),
        "counts": engine.index.counts(),
        "latency_ms": query_latency(engine, texts),
        "embedding": embed_throughput(engine, args.embed_sample),
        "index_bytes": disk_size(Path(args.index)),
    }
    if args.corpus:
        result["parse"] = parse_throughput(args.corpus)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(write_report(args.out, "bench", result, render))
    return 0


def render(r: dict) -> str:
    p = r["provenance"]
    lines = [f"# Speed on the bundled corpus ({p['date']})", "", provenance_line(p), "",
             f"Index: {r['counts']['documents']} documents, {r['counts']['chunks']} chunks; "
             f"on disk " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in
                                     r["index_bytes"].items()), "",
             "| what (warm, per query) | p50 ms | p95 ms |", "|---|---|---|"]
    for k, v in r["latency_ms"].items():
        lines.append(f"| {k} | {v['p50']:.1f} | {v['p95']:.1f} |")
    e = r["embedding"]
    lines += ["", f"Embedding: {e['passages_per_s']} passages/s ({e['passages']} indexed chunks "
              f"of {e['mean_chars']} characters on average)."]
    if "parse" in r:
        lines.append(f"Parsing: {r['parse']['documents_per_s']} documents/s "
                     f"({r['parse']['documents']} documents).")
    lines.append(f"Peak RSS of the benchmark process: {r['peak_rss_mb']} MB.")
    return "\n".join(lines) + "\n"
