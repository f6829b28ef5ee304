"""Query -> ranked chunk ids: dense (FAISS), BM25 (FTS5), hybrid (weighted reciprocal rank
fusion), all with metadata filters applied before the top-k cut.

Scores: dense = cosine similarity in [-1, 1]; bm25 = FTS5 BM25 (higher is better, unbounded);
hybrid = weighted RRF, sum of w / (k + rank) over the retrievers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from anfragen import rerank as rr
from anfragen.index import store
from anfragen.index.analyze import COMPOUND_ANALYZER
from anfragen.index.directory import Index

from .errors import QueryError
from .read import normalise_query

MODES = ("hybrid", "dense", "bm25")
MAX_QUERY_CHARS = 2000
_DRUCKSACHE = re.compile(r"(?<![\d/])(\d{1,2})\s*/\s*(\d{1,6})(?![\d/])")


@dataclass(frozen=True)
class Filters:
    parliaments: tuple[str, ...] = ()
    since: str = ""  # ISO date, inclusive, on date_answered
    until: str = ""
    parties: tuple[str, ...] = ()
    answering_bodies: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()

    def sql(self) -> tuple[str, list]:
        """A WHERE clause over `documents` (empty when no filter is set)."""
        clauses: list[str] = []
        params: list = []

        def any_of(column: str, values: Sequence[str], like: bool = False) -> None:
            if not values:
                return
            op = "LIKE" if like else "="
            clauses.append("(" + " OR ".join(f"{column} {op} ?" for _ in values) + ")")
            params.extend(f"%{v}%" if like else v for v in values)

        any_of("documents.parliament", self.parliaments)
        any_of("documents.parties", self.parties, like=True)
        any_of("documents.answering_body", self.answering_bodies, like=True)
        any_of("documents.doc_type", self.doc_types)
        if self.since:
            clauses.append("documents.date_answered >= ?")
            params.append(self.since)
        if self.until:
            clauses.append("documents.date_answered <= ?")
            params.append(self.until)
        return " AND ".join(clauses), params

    @property
    def active(self) -> bool:
        return bool(self.sql()[0])


@dataclass(frozen=True)
class RetrievalConfig:
    mode: str = "hybrid"
    k: int = 10
    depth: int = 100  # candidates per retriever before fusion
    rrf_k: int = 60
    # Measured on the dev set (eval/tune_fusion.py, eval/results/fusion-grid-*.jsonl): BM25 at
    # full weight drags colloquial questions down; at 0.3 it still lifts keyword queries.
    weights: dict = field(default_factory=lambda: {"dense": 1.0, "bm25": 0.3})
    id_boost: bool = True  # a Drucksache number in the query puts that document first
    # Where the index holds printed-question vectors (index/qvecs.py, opt-in at ingest), the
    # dense leg scores a unit's first chunk by its own cosine c plus `question_share` of its
    # question's lead q - c (1.0: the better of the two). 0.75 was chosen in most folds by
    # document over both dev files (eval/results/retrieval-issue13-2026-12-02.md).
    question_vectors: bool = True
    question_share: float = 0.75
    preamble_factor: float = 0.95  # see demote_preambles
    # The top passages of the fused ranking reordered by the learned reranker (rerank.py;
    # hybrid mode only, where rerank.json exists and fits the index's embedding model)
    rerank: bool = True


@dataclass(frozen=True)
class Ranked:
    id: int
    score: float
    scores: dict


def clean_query(query: str) -> str:
    q = normalise_query(query or "").strip()
    if not q or not re.search(r"\w", q):
        raise QueryError("Bitte eine Frage eingeben (die Anfrage enthält keine Wörter).")
    return q[:MAX_QUERY_CHARS]


def drucksachen_in(query: str) -> list[str]:
    return [f"{a}/{b}" for a, b in _DRUCKSACHE.findall(query)]


def rrf(
    rankings: dict[str, list[tuple[int, float]]], weights: dict, k: int
) -> list[Ranked]:
    """Weighted reciprocal rank fusion; ties broken by id for determinism."""
    fused: dict[int, float] = {}
    per: dict[int, dict] = {}
    for name, ranking in rankings.items():
        w = float(weights.get(name, 1.0))
        for rank, (i, s) in enumerate(ranking, start=1):
            fused[i] = fused.get(i, 0.0) + w / (k + rank)
            per.setdefault(i, {})[name] = s
            per[i][f"{name}_rank"] = rank
    order = sorted(fused, key=lambda i: (-fused[i], i))
    return [Ranked(i, fused[i], per[i]) for i in order]


def search_ids(
    index: Index, query: str, qvec: np.ndarray | None, cfg: RetrievalConfig, filters: Filters,
    reranker=None,
) -> list[Ranked]:
    """Ranked chunk row ids for one query; `reranker` (rerank.Reranker) instead of the
    shipped one, as evaluation does for questions the reranker was fitted on."""
    ranked, sig = candidates(index, query, qvec, cfg, filters)
    model = reranker if reranker is not None else default_reranker(index, cfg)
    if sig is not None and cfg.rerank and model is not None and not drucksachen_in(query):
        ranked = rr.rerank(index.conn, chunk_count(index), sig, ranked, model, cfg.rrf_k)
    return ranked[: cfg.k]


def candidates(index: Index, query: str, qvec: np.ndarray | None, cfg: RetrievalConfig,
               filters: Filters) -> tuple[list[Ranked], rr.Signals | None]:
    """The fused ranking before reranking (all of it, not cut to k) and, in hybrid mode, the
    signals the reranker reads beside it."""
    if cfg.mode not in MODES:
        raise QueryError(f"Unbekannter Modus {cfg.mode!r}; erlaubt: {', '.join(MODES)}.")
    where, params = filters.sql()
    allowed = store.filtered_ids(index.conn, where, params) if where else None
    depth = max(cfg.depth, cfg.k)
    rankings: dict[str, list[tuple[int, float]]] = {}
    legs: tuple[list, list] = ([], [])
    if cfg.mode in ("dense", "hybrid"):
        share = cfg.question_share if cfg.question_vectors else 0.0
        legs = dense_legs(index, qvec, depth, allowed)
        rankings["dense"] = dense_leg(*legs, share, depth)
    if cfg.mode in ("bm25", "hybrid"):
        rankings["bm25"] = store.bm25_search(index.conn, query, depth, where, params,
                                             compounds=splits_compounds(index))
    if cfg.mode == "hybrid":
        ranked = rrf(rankings, cfg.weights, cfg.rrf_k)
    else:
        (name, ranking), = rankings.items()
        ranked = [Ranked(i, s, {name: s, f"{name}_rank": r}) for r, (i, s) in
                  enumerate(ranking, start=1)]
    ranked = demote_preambles(index, ranked, cfg.preamble_factor)
    if cfg.id_boost:
        ranked = boost_identifiers(index, query, ranked, allowed)
    sig = rr.Signals(query, qvec, dict(legs[0]), dict(legs[1]), rankings["bm25"]) \
        if cfg.mode == "hybrid" else None
    return ranked, sig


def default_reranker(index: Index, cfg: RetrievalConfig):
    """The shipped reranker where rerank.json exists and was fitted with this index's
    embedding model; None otherwise (the fused order stays)."""
    if cfg.mode != "hybrid" or not cfg.rerank:
        return None
    models = rr.fitting((index.manifest.get("model") or {}).get("fingerprint", ""))
    return models.final if models is not None else None


def chunk_count(index: Index) -> int:
    counts = index.manifest.get("counts") or {}
    return int(counts.get("chunks") or index.counts()["chunks"])


def dense_legs(index: Index, qvec: np.ndarray, depth: int, allowed: Sequence[int] | None
               ) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """Top `depth` (chunk id, cosine) of the chunk vectors and of the printed-question
    vectors (empty where the index holds none)."""
    ranking = index.vectors.search(qvec[None, :], depth, allowed)[0]
    qstore = index.question_vectors()
    questions = qstore.search(qvec[None, :], depth, allowed)[0] if qstore.ntotal else []
    return ranking, questions


def dense_ranking(index: Index, qvec: np.ndarray, depth: int, allowed: Sequence[int] | None,
                  question_share: float = 0.0) -> list[tuple[int, float]]:
    """Top `depth` (chunk id, score) of the dense leg: the chunk's cosine, lifted by
    `question_share` of its printed question's lead where the index holds question vectors
    (an index without them, or a share of 0, searches the chunk vectors alone)."""
    if question_share <= 0.0:
        return index.vectors.search(qvec[None, :], depth, allowed)[0]
    return dense_leg(*dense_legs(index, qvec, depth, allowed), question_share, depth)


def dense_leg(chunks: list[tuple[int, float]], questions: list[tuple[int, float]],
              share: float, depth: int) -> list[tuple[int, float]]:
    """The chunk cosines lifted by `share` of their printed question's lead (lift); the chunk
    cosines alone at share 0 or where no question vector was found."""
    return lift(chunks, questions, share, depth) if share > 0 and questions else chunks


def lift(chunks: list[tuple[int, float]], questions: list[tuple[int, float]], share: float,
         depth: int) -> list[tuple[int, float]]:
    """Chunk cosines c with question cosines q merged as c + share * max(0, q - c) (share 1:
    the better of the two), ties by id. A chunk the chunk search did not return takes the
    last cosine it returned as c (its own is at most that)."""
    own = dict(chunks)
    floor = chunks[-1][1] if chunks else -1.0
    score = dict(own)
    for i, q in questions:
        c = own.get(i, floor)
        score[i] = max(score.get(i, c), c + share * max(0.0, q - c))
    return sorted(score.items(), key=lambda p: (-p[1], p[0]))[:depth]


def splits_compounds(index: Index) -> bool:
    """Whether the index's BM25 bodies hold compound parts (ANFRAGEN_BM25_COMPOUNDS=1 at
    ingest): the query is analysed the way the index was built."""
    return index.manifest.get("analyzer") == COMPOUND_ANALYZER


def demote_preambles(index: Index, ranked: list[Ranked], factor: float) -> list[Ranked]:
    """Preambles share the inquiry's vocabulary but rarely hold the answer: their scores are
    scaled by `factor` so that the question/answer unit itself comes first."""
    if factor == 1.0 or not ranked:
        return ranked
    kinds = store.chunk_kinds(index.conn, [r.id for r in ranked])
    scaled = [Ranked(r.id, r.score * factor, r.scores) if kinds.get(r.id, "").startswith(
        "preamble") else r for r in ranked]
    return sorted(scaled, key=lambda r: (-r.score, r.id))


def boost_identifiers(
    index: Index, query: str, ranked: list[Ranked], allowed: Sequence[int] | None
) -> list[Ranked]:
    """Chunks of a document whose Drucksache the query names come first, best-ranked first."""
    ids = store.ids_for_drucksache(index.conn, drucksachen_in(query))
    if allowed is not None:
        allowed_set = set(allowed)
        ids = [i for i in ids if i in allowed_set]
    if not ids:
        return ranked
    pos = {r.id: n for n, r in enumerate(ranked)}
    by_id = {r.id: r for r in ranked}
    first = sorted(ids, key=lambda i: (pos.get(i, len(pos)), i))
    boosted = [
        Ranked(i, by_id[i].score if i in by_id else 0.0,
               {**(by_id[i].scores if i in by_id else {}), "id_match": 1.0})
        for i in first
    ]
    chosen = set(ids)
    return boosted + [r for r in ranked if r.id not in chosen]
