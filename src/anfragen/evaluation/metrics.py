"""Evaluation harness (DESIGN.md, "Evaluation contract").

`anfragen eval --queries FILE` ranks chunks for every query and scores them at three levels
(unit, document, evidence) plus the answer stage (abstention, grounding) and latency.
IR metrics come from ranx; evidence and answer metrics are computed here.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .report import percentile, provenance

UNIT_METRICS = ("recall@1", "recall@5", "recall@10", "recall@100", "mrr@10", "ndcg@10")
DOC_METRICS = ("recall@10", "mrr@10")
EVIDENCE_KS = (1, 5, 10)
_HYPHEN_JOIN = re.compile(r"(?<=[a-zäöüß])-\s*(?=[a-zäöüß])")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    kind: str
    relevant: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return bool(self.relevant or self.evidence)


@dataclass
class QueryResult:
    id: str
    kind: str
    units: list[str]  # ranked unit ids, first occurrence kept
    docs: list[str]
    evidence_hits: list[bool]  # per ranked chunk: contains an evidence excerpt
    abstained: bool
    grounded: bool
    latency_ms: float
    cited: list[str] = field(default_factory=list)
    quoted_evidence: bool = False  # a quoted sentence is evidence (see quote_matches)
    lead_evidence: bool = False  # the first quoted sentence is
    confidence: float = 0.0  # the answer stage's score, for the abstention curve


def load_queries(path: Path) -> list[Query]:
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out.append(Query(d["id"], d["text"], d.get("kind", ""), tuple(d.get("relevant", [])),
                             tuple(d.get("evidence", []))))
        except (json.JSONDecodeError, KeyError) as e:
            from anfragen.errors import AnfragenError

            raise AnfragenError(f"{path}:{n}: keine gültige Query-Zeile ({e}); erwartet "
                                '{"id", "text", "kind", "relevant", "evidence"}') from e
    return out


def norm_evidence(text: str) -> str:
    """Whitespace collapsed, line-end hyphenation joined ("Regio-\\nnen" -> "Regionen")."""
    text = text.replace("\u00ad", "")
    text = " ".join(text.split())
    return _HYPHEN_JOIN.sub("", text)


def contains_evidence(text: str, evidence: tuple[str, ...]) -> bool:
    t = norm_evidence(text)
    return any(norm_evidence(e) in t for e in evidence if e.strip())


QUOTE_OVERLAP = 0.6


def quote_matches(sentence: str, evidence: tuple[str, ...]) -> bool:
    """A quoted sentence is evidence when, both normalised as for evidence matching, it
    contains an excerpt, holds at least 60% of an excerpt's tokens, or is itself part of an
    excerpt (a sentence of a multi-sentence excerpt)."""
    s = norm_evidence(sentence)
    words = set(_WORD.findall(s.lower()))
    for e in (norm_evidence(x) for x in evidence if x.strip()):
        toks = set(_WORD.findall(e.lower()))
        if e in s or (len(s) >= 20 and s in e):
            return True
        if toks and len(toks & words) / len(toks) >= QUOTE_OVERLAP:
            return True
    return False


def quote_scores(sentences: list[str], evidence: tuple[str, ...]) -> tuple[bool, bool]:
    """(some quoted sentence is evidence, the first one is)."""
    if not sentences or not evidence:
        return False, False
    joined = contains_evidence(" ".join(sentences), evidence)
    flags = [quote_matches(s, evidence) for s in sentences]
    return joined or any(flags), flags[0]


def units_of_hits(hits) -> tuple[list[str], list[str]]:
    units: list[str] = []
    docs: list[str] = []
    for h in hits:
        for n in h.chunk.numbers:
            u = f"{h.chunk.doc_id}#{n}"
            if u not in units:
                units.append(u)
        if h.chunk.doc_id not in docs:
            docs.append(h.chunk.doc_id)
    return units, docs


def run_query(engine, q: Query, cfg, answer_settings=None,
              models=None, rerankers=None) -> tuple[QueryResult, list]:
    """One query through search and answer; a question the answerability model or the
    reranker was fitted on is judged and ranked by the fold model that did not see it
    (`models`: answerability.Models, `rerankers`: rerank.Rerankers)."""
    from anfragen.answer.extractive import answer_from_hits

    t0 = time.perf_counter()
    hits = held_out_search(engine, q.text, cfg, rerankers)
    model = models.for_query(q.text) if models is not None else None
    ans = answer_from_hits(q.text, hits, answer_settings,
                           lookup=engine.lookup(q.text, cfg.mode != "bm25"), model=model)
    latency = (time.perf_counter() - t0) * 1000
    units, docs = units_of_hits(hits)
    ev = [contains_evidence(h.chunk.text, q.evidence) for h in hits] if q.evidence else []
    cited_text = " ".join(
        h.chunk.text for h in hits if h.chunk.chunk_id in {c.chunk_id for c in ans.citations}
    )
    grounded = (not ans.abstained) and q.answerable and (
        contains_evidence(cited_text, q.evidence) if q.evidence else
        any(f"{c.doc_id}#{n}" in q.relevant for c in ans.citations for n in c.questions)
    )
    quoted, lead = quote_scores([t for t, _ in ans.sentences], q.evidence) \
        if not ans.abstained else (False, False)
    res = QueryResult(q.id, q.kind, units, docs, ev, ans.abstained, grounded, latency,
                      [c.chunk_id for c in ans.citations], quoted, lead, ans.confidence)
    return res, hits


def ranx_scores(results: list[QueryResult], queries: dict[str, Query], level: str,
                metrics: tuple[str, ...]) -> dict[str, float] | None:
    """Mean metric over judged queries; a query with no retrieved item scores 0."""
    from ranx import Qrels, Run, evaluate

    judged = [r for r in results if queries[r.id].relevant]
    if not judged:
        return None
    qrels, run = {}, {}
    for r in judged:
        rel = queries[r.id].relevant
        if level == "doc":
            rel = tuple(dict.fromkeys(u.split("#", 1)[0] for u in rel))
        ranked = r.units if level == "unit" else r.docs
        qrels[r.id] = {u: 1 for u in rel}
        run[r.id] = {u: float(len(ranked) - i) for i, u in enumerate(ranked)} or {"∅": 0.0}
    scores = evaluate(Qrels(qrels), Run(run), list(metrics), make_comparable=True)
    if isinstance(scores, float):
        scores = {metrics[0]: scores}
    return {m: float(scores[m]) for m in metrics}


def evidence_scores(results: list[QueryResult], queries: dict[str, Query]) -> dict | None:
    judged = [r for r in results if queries[r.id].evidence]
    if not judged:
        return None
    return {f"success@{k}": sum(any(r.evidence_hits[:k]) for r in judged) / len(judged)
            for k in EVIDENCE_KS}


def answer_scores(results: list[QueryResult], queries: dict[str, Query]) -> dict:
    unans = [r for r in results if not queries[r.id].answerable]
    ans = [r for r in results if queries[r.id].answerable]
    with_ev = [r for r in ans if queries[r.id].evidence]

    def frac(items, pred):
        return sum(1 for r in items if pred(r)) / len(items) if items else None

    return {
        "abstention_rate": frac(unans, lambda r: r.abstained),
        "false_abstention_rate": frac(ans, lambda r: r.abstained),
        "grounded_answer_rate": frac(ans, lambda r: r.grounded),
        "quoted_evidence_rate": frac(with_ev, lambda r: r.quoted_evidence),
        "lead_evidence_rate": frac(with_ev, lambda r: r.lead_evidence),
        "n_answerable": len(ans),
        "n_unanswerable": len(unans),
    }


def summarize(results: list[QueryResult], queries: dict[str, Query]) -> dict:
    lat = [r.latency_ms for r in results]
    return {
        "n": len(results),
        "unit": ranx_scores(results, queries, "unit", UNIT_METRICS),
        "doc": ranx_scores(results, queries, "doc", DOC_METRICS),
        "evidence": evidence_scores(results, queries),
        "answer": answer_scores(results, queries),
        "latency_ms": {"p50": percentile(lat, 50), "p95": percentile(lat, 95),
                       "mean": statistics.fmean(lat) if lat else 0.0},
    }


def fill_overall(block: dict) -> dict:
    """The overall block always carries numbers (0.0 where nothing was judged)."""
    out = dict(block)
    for level, keys in (("unit", UNIT_METRICS), ("doc", DOC_METRICS),
                        ("evidence", tuple(f"success@{k}" for k in EVIDENCE_KS))):
        out[level] = out[level] or {k: 0.0 for k in keys}
    out["answer"] = {k: (0.0 if v is None else v) for k, v in out["answer"].items()}
    return out


def evaluate_engine(engine, queries: list[Query], cfg, answer_settings=None, progress=None):
    from anfragen.answer.answerability import load_models

    models = load_models()
    if models is not None and not models.fits(engine.index.manifest["model"]["fingerprint"]):
        models = None  # fitted with another embedding model: the cosine threshold decides
    rerankers = held_out_rerankers(engine)
    qmap = {q.id: q for q in queries}
    results, runs = [], {}
    engine.search(queries[0].text, cfg) if queries else None  # warm-up: model load, caches
    for i, q in enumerate(queries):
        res, hits = run_query(engine, q, cfg, answer_settings, models, rerankers)
        results.append(res)
        runs[q.id] = hits
        if progress:
            progress("eval", i + 1, len(queries))
    kinds = sorted({q.kind for q in queries})
    report = {
        "n_queries": len(queries),
        "overall": fill_overall(summarize(results, qmap)),
        "by_kind": {k: summarize([r for r in results if r.kind == k], qmap) for k in kinds},
        "per_query": [asdict(r) | {"units": r.units[:10], "docs": r.docs[:10],
                                   "evidence_hits": r.evidence_hits[:10]} for r in results],
    }
    return report, runs


def held_out_search(engine, query: str, cfg, rerankers) -> list:
    """The hits for `query` as `anfragen eval` ranks them: by the reranker fold model that
    did not see the question (`rerankers` from held_out_rerankers; None: the shipped one)."""
    reranker = rerankers.for_query(query) if rerankers is not None else None
    return engine.search(query, cfg, reranker=reranker)


def held_out_rerankers(engine):
    """The rerankers (rerank.py) with their fold models, where they fit the index's
    embedding model; None otherwise (search then uses no reranker or the shipped one)."""
    from anfragen import rerank

    return rerank.fitting(engine.index.manifest["model"]["fingerprint"])


def write_trec(runs: dict, path: Path, tag: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for qid, hits in runs.items():
            for h in hits:
                f.write(f"{qid} Q0 {h.chunk.chunk_id} {h.rank} {h.score:.6f} {tag}\n")


def evaluate_config(engine, queries, mode: str, k: int, progress=None):
    from anfragen.retrieve import RetrievalConfig

    cfg = RetrievalConfig(mode=mode, k=k)
    report, runs = evaluate_engine(engine, queries, cfg, progress=progress)
    report["config"] = {"mode": mode, "k": k, "weights": cfg.weights, "rrf_k": cfg.rrf_k,
                        **provenance(engine)}
    return report, runs
