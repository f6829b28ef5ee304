"""`anfragen bench --embedding`: embedding speed settings side by side, and what each costs.

Every variant is the same model through sentence-transformers in float32; they differ in the
two knobs that decide how much arithmetic a passage costs on a CPU: the batch size (how many
padded sequences go through each matrix product; small batches stay in cache) and the token
limit (``max_seq_length``; attention grows with its square). The baseline is plain
sentence-transformers as it comes: batch size 32, 512 tokens.

Speed: all variants embed the same random sample of indexed passages, in interleaved rounds
(best round counts, so a busy moment does not pick the winner), each with a warm-up first.

Quality: for a variant with a lower token limit, the passages longer than that limit are
re-embedded with it in a copy of the index (shorter passages give the very same vector, which
the speed sample checks: their cosine to the baseline is reported), the copy's manifest names
the variant's fingerprint, and the dev queries are evaluated on both indexes with the default
hybrid retrieval. Unit Recall@10 must stay within one point of the baseline.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anfragen.index import store
from anfragen.index.directory import DB_NAME, MANIFEST_NAME, VEC_NAME, Index, read_manifest
from anfragen.index.vectors import VectorStore

from .report import provenance, provenance_line


@dataclass(frozen=True)
class Variant:
    name: str
    batch_size: int
    max_seq_length: int

    def load(self, model: str | None):
        from anfragen.embed.sentence_transformer import load_embedder

        return load_embedder(model, batch_size=self.batch_size,
                             max_seq_length=self.max_seq_length)


BASELINE = Variant("baseline (sentence-transformers defaults)", 32, 512)
VARIANTS = (
    BASELINE,
    Variant("batch 8", 8, 512),
    Variant("batch 8, 384 tokens (default)", 8, 384),
    Variant("batch 16, 256 tokens", 16, 256),
)


def sample_passages(index: Index, n: int, seed: int = 0) -> list[str]:
    texts = [t for _, t in store.dense_chunk_texts(index.conn)]
    return random.Random(seed).sample(texts, min(n, len(texts)))


def token_counts(embedder, texts: list[str]) -> np.ndarray:
    """Tokens the model would see for each passage (prompt and special tokens included)."""
    embedder.embed_passages(texts[:1])  # loads the model and its prompts
    prompt = embedder.passage_prompt
    return np.array([len(embedder.token_ids(prompt + t)) for t in texts])


def speed(variants: tuple[Variant, ...], texts: list[str], model: str | None,
          rounds: int = 2) -> list[dict]:
    """passages/s per variant (best of `rounds`), cosine of its vectors to the baseline's."""
    embedders = [v.load(model) for v in variants]
    for e in embedders:
        e.embed_passages(texts[:4])  # warm-up: model load, allocator
    best = [float("inf")] * len(variants)
    vecs: list[np.ndarray] = [np.zeros(0)] * len(variants)
    for _ in range(rounds):
        for i, e in enumerate(embedders):
            t0 = time.perf_counter()
            vecs[i] = e.embed_passages(texts)
            best[i] = min(best[i], time.perf_counter() - t0)
    tokens = token_counts(embedders[0], texts)
    peak = matmul_gflops()
    rows = []
    for v, e, secs, vec in zip(variants, embedders, best, vecs, strict=True):
        cos = (vec * vecs[0]).sum(axis=1)
        short = tokens <= v.max_seq_length
        work = encoder_gflop(np.minimum(tokens, v.max_seq_length))
        rows.append({
            "variant": v.name, "batch_size": v.batch_size, "max_seq_length": v.max_seq_length,
            "fingerprint": e.fingerprint, "seconds": round(secs, 2),
            "passages_per_s": round(len(texts) / secs, 2),
            "speedup": round(best[0] / secs, 2),
            "mean_tokens": round(float(np.minimum(tokens, v.max_seq_length).mean()), 1),
            "gflop_per_passage": round(work / len(texts), 2),
            "gflops": round(work / secs, 1), "matmul_peak_gflops": peak,
            "truncated_share": round(float(np.mean(~short)), 3),
            "cosine_to_baseline": {"mean": round(float(cos.mean()), 5),
                                   "min": round(float(cos.min()), 5),
                                   "min_untruncated": round(float(cos[short].min()), 6)
                                   if short.any() else None},
        })
    return rows


def encoder_gflop(tokens: np.ndarray, layers: int = 12, hidden: int = 384,
                  ffn: int = 1536) -> float:
    """Multiply-add work of a BERT-style encoder, in GFLOP summed over passages: per layer
    and token the Q/K/V/O projections (4 H^2) and the feed-forward (2 H F), per layer the
    attention scores and weighted sums (2 L^2 H), two FLOP per multiply-add."""
    t = tokens.astype(np.float64)
    per_layer = 2 * (t * (4 * hidden**2 + 2 * hidden * ffn) + 2 * t**2 * hidden)
    return float(layers * per_layer.sum() / 1e9)


def matmul_gflops(n: int = 1536, repeats: int = 5) -> float:
    """What this machine's float32 matrix product sustains (numpy/BLAS, all cores), GFLOP/s:
    the practical ceiling for a float32 encoder."""
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    a @ a  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - t0)
    return round(2 * n**3 / best / 1e9, 1)


def reembed_copy(src: Path, dest: Path, embedder, source_limit: int, progress=None) -> int:
    """A copy of the index (built with token limit `source_limit`) carrying `embedder`'s
    vectors: passages longer than the smaller of the two limits are re-embedded, the others
    would come out the same. Returns how many were re-embedded."""
    dest.mkdir(parents=True)
    for name in (DB_NAME, VEC_NAME, MANIFEST_NAME):
        shutil.copy2(src / name, dest / name)
    index = Index.open(dest)
    rows = store.dense_chunk_texts(index.conn)
    counts = token_counts(embedder, [t for _, t in rows])
    limit = min(embedder.max_seq_length, source_limit)
    long_rows = [r for r, n in zip(rows, counts, strict=True) if n > limit]
    vectors: VectorStore = index.vectors
    step = 256
    for start in range(0, len(long_rows), step):
        part = long_rows[start : start + step]
        ids = [i for i, _ in part]
        new = embedder.embed_passages([t for _, t in part])
        vectors.remove(ids)
        vectors.add(ids, new)
        if progress:
            progress("embed", start + len(part), len(long_rows))
    vectors.save(dest / VEC_NAME)
    remember(embedder.fingerprint, rows, vectors)
    manifest = json.loads((dest / MANIFEST_NAME).read_text("utf-8"))
    manifest["model"].update(id=embedder.model_id, fingerprint=embedder.fingerprint)
    (dest / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    index.close()
    return len(long_rows)


def remember(fingerprint: str, rows: list, vectors: VectorStore) -> None:
    """Store the copy's vectors in the user's embedding cache under the variant's fingerprint,
    so that adopting the variant does not embed the corpus a second time."""
    from anfragen.embed.cache import EmbeddingCache, text_key

    cache = EmbeddingCache(fingerprint)
    for start in range(0, len(rows), 4096):
        part = rows[start : start + 4096]
        keys = [text_key(fingerprint, t) for _, t in part]
        vecs = vectors.index.reconstruct_batch(np.array([i for i, _ in part], np.int64))
        cache.store(keys, vecs)


def dev_quality(index_dir: Path, embedder, queries: list) -> dict:
    from anfragen.pipeline import Engine
    from anfragen.retrieve import RetrievalConfig

    from .metrics import evaluate_engine

    engine = Engine.open(index_dir, embedder=embedder)
    report, _ = evaluate_engine(engine, queries, RetrievalConfig())
    engine.close()
    o = report["overall"]
    return {"unit_recall@10": o["unit"]["recall@10"], "unit_mrr@10": o["unit"]["mrr@10"],
            "evidence_success@5": o["evidence"]["success@5"],
            "abstention": o["answer"]["abstention_rate"],
            "false_abstention": o["answer"]["false_abstention_rate"],
            "grounded": o["answer"]["grounded_answer_rate"]}


def quality(index_dir: Path, variants: tuple[Variant, ...], queries, model: str | None,
            workdir: Path | None = None, progress=None) -> list[dict]:
    """Dev-set quality per token limit: on the index itself for the limit it was built with,
    on re-embedded copies for the others (batch size does not change vectors)."""
    from anfragen.errors import AnfragenError

    from .metrics import load_queries

    qs = load_queries(queries) if isinstance(queries, Path) else queries
    built_with = read_manifest(Path(index_dir))["model"]["fingerprint"]
    embedders = {v: v.load(model) for v in variants}
    source = next((v for v in variants if embedders[v].fingerprint == built_with), None)
    if source is None:
        raise AnfragenError(f"{index_dir} wurde mit keiner der Varianten gebaut "
                            f"({built_with[:16]}); zuerst `anfragen ingest --rebuild`.")
    rows, seen = [], set()
    for v in variants:
        if v.max_seq_length in seen:
            continue
        seen.add(v.max_seq_length)
        if v.max_seq_length == source.max_seq_length:
            rows.append({"variant": v.name, "max_seq_length": v.max_seq_length,
                         "reembedded": 0, **dev_quality(Path(index_dir), embedders[v], qs)})
            continue
        with tempfile.TemporaryDirectory(prefix="anfragen-embq-", dir=workdir) as tmp:
            n = reembed_copy(Path(index_dir), Path(tmp) / "index", embedders[v],
                             source.max_seq_length, progress)
            rows.append({"variant": v.name, "max_seq_length": v.max_seq_length,
                         "reembedded": n, **dev_quality(Path(tmp) / "index", embedders[v], qs)})
    return rows


# --------------------------------------------------------------------------- command, output


def embedding_bench(index_dir: Path, model: str | None, sample: int, queries: Path,
                    with_quality: bool = False, workdir: Path | None = None,
                    progress=None) -> dict:
    """Speed of every variant on `sample` indexed passages; with `with_quality`, dev-set
    quality per token limit too (re-embeds the longer passages)."""
    from anfragen.pipeline import Engine

    engine = Engine.open(index_dir, model)
    texts = sample_passages(engine.index, sample)
    result = {"provenance": provenance(engine), "sample": len(texts),
              "sample_mean_chars": round(float(np.mean([len(t) for t in texts]))),
              "speed": speed(VARIANTS, texts, model)}
    engine.close()
    if with_quality:
        result["quality"] = quality(Path(index_dir), VARIANTS, queries, model, workdir,
                                    progress=progress)
    return result


def render(r: dict) -> str:
    p = r["provenance"]
    lines = [f"# Embedding speed settings side by side ({p['date']})", "", provenance_line(p), "",
             f"{r['sample']} indexed passages drawn at random (seed 0), {r['sample_mean_chars']} "
             "characters on average; each variant embeds all of them, best of 2 interleaved "
             "rounds after a warm-up. Cosine: per passage, to the baseline's vector "
             "(\"untruncated\": passages within the variant's token limit).", "",
             "| variant | batch | max tokens | mean tokens | passages/s | speed-up | GFLOP/s "
             "| truncated | cosine mean / min / min untruncated |", "|" + "---|" * 9]
    for s in r["speed"]:
        c = s["cosine_to_baseline"]
        lines.append(f"| {s['variant']} | {s['batch_size']} | {s['max_seq_length']} | "
                     f"{s['mean_tokens']} | {s['passages_per_s']} | {s['speedup']}x | "
                     f"{s['gflops']} | {s['truncated_share']:.0%} | "
                     f"{c['mean']:.4f} / {c['min']:.4f} / {c['min_untruncated']} |")
    b = r["speed"][0]
    lines += ["", f"Physical limit: a float32 matrix product sustains {b['matmul_peak_gflops']} "
              "GFLOP/s on this machine (numpy, all cores). The encoder needs "
              f"{b['gflop_per_passage']} GFLOP per passage at the baseline's token limit "
              f"(12 layers, projections, feed-forward and attention), so float32 can reach at "
              f"most {b['matmul_peak_gflops'] / b['gflop_per_passage']:.1f} passages/s here; "
              f"the baseline runs at {b['gflops'] / b['matmul_peak_gflops']:.0%} of that. "
              "A 2x gain in float32 is out of reach by arithmetic alone: it has to come from "
              "less work per passage (fewer tokens, less padding) or cheaper arithmetic."]
    if "quality" in r:
        lines += ["", "Dev set, default hybrid retrieval, per token limit: on the index itself "
                  "for the limit it was built with (re-embedded 0), on copies whose passages "
                  "beyond the smaller limit were re-embedded for the others:", "",
                  "| variant | re-embedded | unit R@10 | MRR@10 | evidence S@5 | abstention "
                  "| false abstention | grounded |", "|" + "---|" * 8]
        for q in r["quality"]:
            lines.append(f"| {q['variant']} | {q['reembedded']} | {q['unit_recall@10']:.3f} | "
                         f"{q['unit_mrr@10']:.3f} | {q['evidence_success@5']:.3f} | "
                         f"{q['abstention']:.3f} | {q['false_abstention']:.3f} | "
                         f"{q['grounded']:.3f} |")
    return "\n".join(lines) + "\n"
