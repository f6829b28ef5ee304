"""Approximate search for large indexes: IVF with float16 scalar codes (IVF-SQfp16).

Below `threshold()` vectors the index stays exact (IndexIDMap2(IndexFlatIP)). At the end of an
ingest that ends at or above it, the vectors are moved into an IndexIVFScalarQuantizer over
inner product: nlist ~ 4*sqrt(n) coarse cells trained on a sample of at most 100k vectors, each
vector stored as 768 bytes instead of 1,536 (at 1M x 384: ~0.8 GB with the id hashtable,
against 1.5 GB flat), and a query scans only nprobe of the nlist cells. nprobe is the smallest
value whose recall@10 against exact search reaches TARGET_RECALL (or comes within 0.01 of what
scanning all cells reaches) on calibration queries made from the stored vectors, and at least
32; it is written to the manifest together with the measured recall.

Why float16 and not 8-bit codes (1M vectors, dev queries: eval/results/scale-sq8-2026-11-28.md
against scale-2026-11-28.md):
8-bit codes reorder near-identical passages, so recall@10 against exact search stayed at
0.92-0.95 whatever nprobe (0.944 at 64); float16 reaches 0.971 at nprobe 32 (0.987 at 64) for
about the same latency (1.5 ms), at twice the RAM (0.8 GB instead of 0.4 GB, within the
1.5 GB budget), and cannot clip vectors added after training as trained 8-bit ranges can.

A hashtable direct map keeps reconstruct() (cosines) and remove_ids() working, so incremental
ingests add and remove without retraining. An index that grows past RETRAIN_GROWTH times the
size it was trained at is retrained; one that shrinks below half the threshold goes back to
exact search (from the float16 decoded vectors).
"""

from __future__ import annotations

import math
import os
import time

import numpy as np

from .vectors import VectorStore

ANN_THRESHOLD = 200_000
TRAIN_SAMPLE = 100_000
MAX_NLIST = 16_384
NPROBE_CHOICES = (32, 64, 128, 256)  # below 32 dev-query recall fell under 0.96 at 1M
TARGET_RECALL = 0.95
CALIBRATION_QUERIES = 256
RETRAIN_GROWTH = 4.0
CODE = "SQfp16"
CEILING_SLACK = 0.01


def _faiss():
    import faiss

    return faiss


def threshold() -> int:
    """Vectors from which the index is approximate; ANFRAGEN_ANN_THRESHOLD overrides."""
    return int(os.environ.get("ANFRAGEN_ANN_THRESHOLD") or ANN_THRESHOLD)


def nlist_for(n: int) -> int:
    """~4*sqrt(n) cells, capped; small indexes keep >= 32 training points per cell."""
    return max(1, min(MAX_NLIST, int(4 * math.sqrt(n)), n // 32))


def all_vectors(store: VectorStore) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of everything stored; IVF vectors come back float16 decoded."""
    faiss = _faiss()
    if not store.is_ivf:
        ids = store.ids()
        flat = faiss.downcast_index(store.index.index)
        # a view, not a copy: at 1M x 384 that saves 1.5 GB while the IVF is built
        xb = faiss.rev_swig_ptr(flat.get_xb(), store.ntotal * store.dim)
        return ids, xb.reshape(store.ntotal, store.dim)
    ids = store.ids()
    return ids, store.index.reconstruct_batch(ids)


def build_ivf(vecs: np.ndarray, ids: np.ndarray, seed: int = 0) -> VectorStore:
    """An IVF-SQfp16 store trained on a sample of `vecs`, holding all of them (nprobe not set)."""
    faiss = _faiss()
    n, dim = vecs.shape
    nlist = nlist_for(n)
    index = faiss.index_factory(dim, f"IVF{nlist},{CODE}", faiss.METRIC_INNER_PRODUCT)
    index.by_residual = False  # code the unit vectors themselves, not residuals to a cell
    index.cp.min_points_per_centroid = 16  # 1M vectors, 4,000 cells, 100k sample: 25 each
    rng = np.random.default_rng(seed)
    sample = vecs if n <= TRAIN_SAMPLE else vecs[np.sort(rng.choice(n, TRAIN_SAMPLE, False))]
    index.train(np.ascontiguousarray(sample, dtype=np.float32))
    index.set_direct_map_type(faiss.DirectMap.Hashtable)
    for start in range(0, n, 65_536):
        index.add_with_ids(np.ascontiguousarray(vecs[start : start + 65_536]),
                           np.ascontiguousarray(ids[start : start + 65_536]))
    return VectorStore(dim, index, {"trained_on": int(n), "by_residual": False, "code": CODE})


def calibration_queries(vecs: np.ndarray, n: int = CALIBRATION_QUERIES,
                        seed: int = 1) -> np.ndarray:
    """Query-like probes from the stored vectors: half are normalised midpoints of random
    pairs (between passages), half a stored vector plus isotropic noise of the same norm
    (cosine ~0.7 to it, like a paraphrase)."""
    rng = np.random.default_rng(seed)
    half = n // 2
    mid = vecs[rng.integers(0, len(vecs), half)] + vecs[rng.integers(0, len(vecs), half)]
    noise = rng.standard_normal((n - half, vecs.shape[1])).astype(np.float32)
    noisy = vecs[rng.integers(0, len(vecs), n - half)] + noise / np.sqrt(vecs.shape[1])
    q = np.vstack([mid, noisy]).astype(np.float32)
    return q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)


def exact_top_ids(vecs: np.ndarray, ids: np.ndarray, queries: np.ndarray,
                  k: int = 10) -> list[set[int]]:
    """Brute-force top-k ids (blockwise, so 1M x 384 needs no extra 1.5 GB)."""
    best_s = np.full((len(queries), 0), -np.inf, np.float32)
    best_i = np.zeros((len(queries), 0), np.int64)
    for start in range(0, len(vecs), 131_072):
        s = queries @ vecs[start : start + 131_072].T
        best_s = np.hstack([best_s, s])
        best_i = np.hstack([best_i, np.broadcast_to(ids[start : start + 131_072], s.shape)])
        width = min(k, best_s.shape[1])
        keep = np.argpartition(-best_s, width - 1, axis=1)[:, :width]
        best_s = np.take_along_axis(best_s, keep, 1)
        best_i = np.take_along_axis(best_i, keep, 1)
    return [set(map(int, row)) for row in best_i]


def recall_at_k(store: VectorStore, queries: np.ndarray, truth: list[set[int]],
                k: int = 10) -> float:
    found = store.search(queries, k)
    hits = [len({i for i, _ in f} & t) / max(1, min(k, len(t))) for f, t in
            zip(found, truth, strict=True)]
    return float(np.mean(hits)) if hits else 1.0


def calibrate(store: VectorStore, vecs: np.ndarray, ids: np.ndarray) -> dict:
    """Set the smallest nprobe whose recall@10 vs exact reaches TARGET_RECALL, or comes within
    CEILING_SLACK of what scanning every cell reaches (coded vectors reorder near-ties, so on
    data with near-duplicates the target may be out of reach at any nprobe)."""
    queries = calibration_queries(vecs)
    truth = exact_top_ids(vecs, ids, queries)
    nlist = int(store.index.nlist)
    store.meta["nprobe"] = nlist
    ceiling = recall_at_k(store, queries, truth)
    goal = min(TARGET_RECALL, ceiling - CEILING_SLACK)
    measured = []
    for nprobe in [p for p in NPROBE_CHOICES if p < nlist] + [nlist]:
        store.meta["nprobe"] = int(nprobe)
        r = ceiling if nprobe == nlist else recall_at_k(store, queries, truth)
        measured.append({"nprobe": int(nprobe), "recall@10": round(r, 4)})
        if r >= goal:
            break
    return {"target_recall@10": TARGET_RECALL, "all_cells_recall@10": round(ceiling, 4),
            "queries": len(queries),
            "queries_from": "pair midpoints and noisy copies of stored vectors",
            "measured": measured}


def to_ivf(store: VectorStore) -> VectorStore:
    """The same vectors in a calibrated IVF-SQfp16 store (the input is left as it was)."""
    t0 = time.perf_counter()
    ids, vecs = all_vectors(store)
    ivf = build_ivf(vecs, ids)
    ivf.meta["calibration"] = calibrate(ivf, vecs, ids)
    ivf.meta["recall@10"] = ivf.meta["calibration"]["measured"][-1]["recall@10"]
    ivf.meta["build_seconds"] = round(time.perf_counter() - t0, 2)
    return ivf


def to_exact(store: VectorStore) -> VectorStore:
    ids, vecs = all_vectors(store)
    exact = VectorStore(store.dim)
    exact.add(ids, vecs)
    return exact


def settle(store: VectorStore) -> tuple[VectorStore, bool]:
    """The layout this many vectors should have; (store, True) when it had to change."""
    n, limit = store.ntotal, threshold()
    if not store.is_ivf:
        return (to_ivf(store), True) if n >= max(1, limit) else (store, False)
    if n < limit / 2:
        return to_exact(store), True
    if n > RETRAIN_GROWTH * int(store.meta.get("trained_on", n)):
        return to_ivf(store), True
    return store, False
