"""A small learned reranker over the top passages of the hybrid ranking.

Reciprocal rank fusion sees only ranks; it cannot tell that the passage at rank 4 holds all
of the question's words, or that its printed question and one of its sentences are far closer
to the question than the chunk as a whole. The reranker scores each of the top `depth`
passages from signals the index already holds (FEATURES: fused, dense and BM25 ranks and
scores, the chunk's own cosine, its printed question's cosine, its best stored sentence's
cosine, the share of the question's stems it holds, preamble or not, how well its document
does among the candidates, its length) with a linear model, a conditional logit fitted on the
dev files with folds by document (`anfragen eval fit-rerank`, evaluation/rerank_fit.py), and
reorders them; the rest of the ranking stays. A query naming a Drucksache keeps the
identifier boost's order.

The weights live in rerank.json beside this module, with the cross-validation fold models: a
dev question that was part of the fitting data is ranked by the model of the fold that did not
see it (`Rerankers.for_query`), so `anfragen eval` reports held-out figures.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from anfragen.index import store
from anfragen.index.analyze import analyze, query_key

MODEL_FILE = Path(__file__).with_name("rerank.json")

FEATURES = ("fused_rank", "fused_score", "dense", "dense_rank", "chunk_cos", "question_cos",
            "has_question", "bm25", "bm25_rank", "sentence_cos", "sentence_gap",
            "coverage_idf", "coverage", "preamble", "doc_best", "doc_count", "length")


@dataclass(frozen=True)
class Signals:
    """What the search computed for one query, beside the fused ranking: the top cosines of
    the chunk vectors and of the printed-question vectors (chunk row id -> cosine), and the
    BM25 run."""

    query: str
    qvec: np.ndarray
    chunks: dict
    questions: dict
    bm25: list


@dataclass(frozen=True)
class Reranker:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    depth: int

    def scores(self, x: np.ndarray) -> np.ndarray:
        cols = [FEATURES.index(f) for f in self.features]
        return ((x[:, cols] - self.mean) / self.scale) @ self.coef

    def to_dict(self) -> dict:
        return {"features": list(self.features), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "coef": self.coef.tolist(), "depth": self.depth}

    @classmethod
    def from_dict(cls, d: dict) -> Reranker:
        unknown = [f for f in d["features"] if f not in FEATURES]
        if unknown:
            raise ValueError(f"rerank.json nennt unbekannte Merkmale {unknown}; neu anpassen "
                             "mit: anfragen eval fit-rerank --write")
        return cls(tuple(d["features"]), np.array(d["mean"]), np.array(d["scale"]),
                   np.array(d["coef"]), int(d["depth"]))


@dataclass(frozen=True)
class Rerankers:
    """The shipped model and the fold models (see the module docstring)."""

    final: Reranker
    folds: tuple[Reranker, ...] = ()
    fold_of: dict = field(default_factory=dict)  # query_key -> fold index
    fingerprint: str = ""  # embedding model the features were computed with

    def for_query(self, query: str) -> Reranker:
        i = self.fold_of.get(query_key(query))
        return self.folds[i] if i is not None and i < len(self.folds) else self.final

    def fits(self, fingerprint: str) -> bool:
        return not self.fingerprint or not fingerprint or fingerprint == self.fingerprint


@lru_cache(maxsize=4)
def load(path: Path = MODEL_FILE) -> Rerankers | None:
    """The fitted rerankers, or None when rerank.json is missing (fusion order stays)."""
    if not path.is_file():
        return None
    d = json.loads(path.read_text(encoding="utf-8"))
    return Rerankers(Reranker.from_dict(d["model"]),
                     tuple(Reranker.from_dict(f) for f in d.get("folds", [])),
                     dict(d.get("fold_of", {})), d.get("data", {}).get("model_fingerprint", ""))


def fitting(fingerprint: str) -> Rerankers | None:
    """The rerankers where rerank.json exists and was fitted with the embedding model of
    `fingerprint`; None otherwise (the fused order stays)."""
    models = load()
    return models if models is not None and models.fits(fingerprint) else None


def _inv(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / math.log2(1 + rank)


def best_sentence_cosines(conn, chunk_ids: list[str], qvec: np.ndarray) -> dict[str, float]:
    """chunk_id -> the cosine of its stored sentence closest to the query (chunks without
    stored sentences are absent)."""
    best: dict[str, float] = {}
    for cid, _, vec in store.sentence_rows(conn, chunk_ids):
        cos = float(np.frombuffer(vec, dtype=np.float16).astype(np.float32) @ qvec)
        best[cid] = max(best.get(cid, -1.0), cos)
    return best


def features(conn, n_chunks: int, sig: Signals, ranked: list, rrf_k: int) -> np.ndarray:
    """One row of FEATURES per passage of `ranked` (fusion's Ranked, best first)."""
    ids = [r.id for r in ranked]
    chunks = store.get_chunks(conn, ids)
    best_sentence = best_sentence_cosines(conn, [c.chunk_id for c in chunks.values()], sig.qvec)
    stems = list(dict.fromkeys(analyze(sig.query)))
    df = store.term_rows(conn, stems) if stems else {}
    idf = {s: math.log((n_chunks + 1) / (df.get(s, 0) + 1)) for s in stems}
    total = sum(idf.values()) or 1.0
    floor_c = min(sig.chunks.values()) if sig.chunks else 0.0
    floor_q = min(sig.questions.values()) if sig.questions else 0.0
    bm_top = max((s for _, s in sig.bm25), default=1.0) or 1.0
    doc_best: dict[str, int] = {}
    doc_count: dict[str, int] = {}
    for n, i in enumerate(ids, start=1):
        doc = chunks[i].doc_id if i in chunks else ""
        doc_best.setdefault(doc, n)
        doc_count[doc] = doc_count.get(doc, 0) + 1
    rows = []
    for n, r in enumerate(ranked, start=1):
        c = chunks.get(r.id)
        text = c.text if c else ""
        words = set(analyze(text))
        own = sig.chunks.get(r.id, floor_c)
        sent = best_sentence.get(c.chunk_id) if c else None
        doc = c.doc_id if c else ""
        rows.append([
            _inv(n), r.score * rrf_k, r.scores.get("dense", floor_c),
            _inv(r.scores.get("dense_rank")), own, sig.questions.get(r.id, floor_q),
            float(r.id in sig.questions), r.scores.get("bm25", 0.0) / bm_top,
            _inv(r.scores.get("bm25_rank")),
            sent if sent is not None else own, (sent - own) if sent is not None else 0.0,
            sum(idf[s] for s in stems if s in words) / total,
            sum(s in words for s in stems) / max(len(stems), 1),
            float(bool(c) and c.kind.startswith("preamble")), _inv(doc_best[doc]),
            math.log(doc_count[doc]), math.log(1 + len(text)),
        ])
    return np.array(rows, dtype=np.float64).reshape(len(ranked), len(FEATURES))


def rerank(conn, n_chunks: int, sig: Signals, ranked: list, model: Reranker,
           rrf_k: int) -> list:
    """`ranked` with its top `model.depth` reordered by the model's score (ties: fused
    order); each reordered entry carries its score as scores["rerank"]."""
    top = ranked[: model.depth]
    if len(top) < 2:
        return ranked
    s = model.scores(features(conn, n_chunks, sig, top, rrf_k))
    order = sorted(range(len(top)), key=lambda i: (-s[i], i))
    return [replace(top[i], scores={**top[i].scores, "rerank": round(float(s[i]), 4)})
            for i in order] + ranked[model.depth:]
