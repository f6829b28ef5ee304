"""Fit the reranker (rerank.py) on the dev query files, cross-validated with documents as
folds.

For every question with gold units or evidence excerpts, the top DEPTH passages of the fused
ranking (retrieve.candidates) are described by rerank.FEATURES; the passages of its gold units
and those holding an evidence excerpt are its positives. A conditional logit (a softmax over a
question's candidates, maximising the probability of its positives; L2 on standardised
features) learns one weight per feature. DEPTH and L2 were fixed before the first measured run
and not tuned on these files (eval/rerank_lab.py reports the neighbouring settings beside
them).

Folds never split a document (questions grouped by the documents that answer them, an
unanswerable one by its top-retrieved document; the grouping of answerability_fit.py). Every
question is ranked by the model of the fold that did not see it, and the figures printed are
those held-out ones, beside the fused ranking's.

`anfragen eval fit-rerank --queries A.jsonl,B.jsonl [--write]` prints them per file and kind
and writes rerank.json: the model fitted on all questions, the fold models with the questions
each one must rank (so `anfragen eval` on these files reports cross-validated figures), and
the data they came from. Refit the answerability model afterwards (`anfragen eval calibrate`):
its features are read off the reranked passages.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anfragen import rerank as rr
from anfragen.index import store
from anfragen.index.analyze import query_key
from anfragen.retrieve import (
    Filters,
    RetrievalConfig,
    candidates,
    chunk_count,
    clean_query,
    drucksachen_in,
)

from .answerability_fit import N_FOLDS, git_commit, groups
from .metrics import Query, contains_evidence, load_queries

DEPTH = 30
L2 = 1.0


@dataclass(frozen=True)
class QueryCands:
    """One question's fused ranking (chunk row ids), its top DEPTH passages' features and
    which of them are positives, and the documents that group it into a fold."""

    query: Query
    file: str
    ids: tuple[int, ...]
    x: np.ndarray
    positive: np.ndarray
    docs: frozenset[str]
    keep_order: bool  # names a Drucksache: the identifier boost's order stays


def collect(engine, queries: Sequence[Query], file: str,
            depth: int = DEPTH) -> list[QueryCands]:
    cfg = RetrievalConfig()
    idx = engine.index
    n = chunk_count(idx)
    out = []
    for q in queries:
        text = clean_query(q.text)
        ranked, sig = candidates(idx, text, engine.embed_query(text), cfg, Filters())
        top = ranked[:depth]
        chunks = store.get_chunks(idx.conn, [r.id for r in top])
        rel = set(q.relevant)
        pos = [bool({f"{c.doc_id}#{m}" for m in c.numbers} & rel) or
               bool(q.evidence) and contains_evidence(c.text, q.evidence)
               for c in (chunks[r.id] for r in top)]
        docs = {u.split("#", 1)[0] for u in q.relevant} if q.relevant else \
            {chunks[top[0].id].doc_id} if top else set()
        out.append(QueryCands(q, file, tuple(r.id for r in ranked[:100]),
                              rr.features(idx.conn, n, sig, top, cfg.rrf_k),
                              np.array(pos, dtype=bool), frozenset(docs),
                              bool(drucksachen_in(text))))
    return out


def train(rows: Sequence[QueryCands], l2: float = L2) -> rr.Reranker:
    """Conditional logit on standardised features; questions without a positive among
    their candidates carry no signal and are left out."""
    from scipy.optimize import minimize

    keep = [r for r in rows if r.positive.any() and len(r.x) > 1]
    allx = np.vstack([r.x for r in keep])
    mean, scale = allx.mean(axis=0), allx.std(axis=0)
    scale[scale == 0] = 1.0
    zs = [((r.x - mean) / scale, r.positive) for r in keep]

    def loss(w):
        total, grad = 0.5 * l2 * w @ w, l2 * w
        for z, p in zs:
            s = z @ w
            e = np.exp(s - s.max())
            total -= math.log((e * p).sum()) - math.log(e.sum())
            grad = grad - ((e * p) / (e * p).sum() - e / e.sum()) @ z
        return total, grad

    w = minimize(loss, np.zeros(allx.shape[1]), jac=True, method="L-BFGS-B").x
    return rr.Reranker(rr.FEATURES, mean, scale, w, max(len(r.x) for r in rows))


def reordered(r: QueryCands, model: rr.Reranker | None) -> list[int]:
    if model is None or r.keep_order or len(r.x) < 2:
        return list(r.ids)
    s = model.scores(r.x)
    k = len(r.x)
    return [r.ids[i] for i in sorted(range(k), key=lambda i: (-s[i], i))] + list(r.ids[k:])


def folds(rows: Sequence[QueryCands]) -> list[int]:
    from sklearn.model_selection import GroupKFold

    fold_of = [0] * len(rows)
    split = GroupKFold(n_splits=N_FOLDS).split(rows, groups=groups(rows))
    for k, (_, test) in enumerate(split):
        for i in test:
            fold_of[i] = k
    return fold_of


def query_metrics(r: QueryCands, ids: list[int], chunks: dict) -> dict:
    """Unit R@10 and MRR@10 and evidence S@5, as `anfragen eval` counts them."""
    units: list[str] = []
    for i in ids:
        c = chunks[i]
        units += [u for u in (f"{c.doc_id}#{n}" for n in c.numbers) if u not in units]
    out = {}
    rel = set(r.query.relevant)
    if rel:
        top = units[:10]
        out["r10"] = len(rel & set(top)) / len(rel)
        out["mrr"] = next((1 / (n + 1) for n, u in enumerate(top) if u in rel), 0.0)
    if r.query.evidence:
        out["s5"] = float(any(contains_evidence(chunks[i].text, r.query.evidence)
                              for i in ids[:5]))
    return out


def summary(rows: Sequence[QueryCands], per_query: Sequence[dict]) -> dict:
    def block(idx):
        out = {"n": len(idx)}
        for m in ("r10", "mrr", "s5"):
            vals = [per_query[i][m] for i in idx if m in per_query[i]]
            out[m] = round(sum(vals) / len(vals), 4) if vals else None
        return out

    kinds = sorted({r.query.kind for r in rows})
    return {"all": block(range(len(rows))),
            **{k: block([i for i, r in enumerate(rows) if r.query.kind == k]) for k in kinds}}


def paired(base: Sequence[dict], other: Sequence[dict]) -> dict:
    """Wins/ties/losses and the paired t-test p per metric (as `anfragen eval compare`)."""
    from scipy.stats import ttest_rel

    out = {}
    for m in ("mrr", "r10", "s5"):
        pairs = [(b[m], o[m]) for b, o in zip(base, other, strict=True) if m in b]
        diff = [o - b for b, o in pairs]
        p = float(ttest_rel([o for _, o in pairs], [b for b, _ in pairs]).pvalue) \
            if any(diff) else None
        out[m] = {"wins": sum(d > 0 for d in diff), "ties": sum(d == 0 for d in diff),
                  "losses": sum(d < 0 for d in diff), "p_value": p}
    return out


def fit_all(engine, rows: Sequence[QueryCands], files: Sequence[str], command: str) -> dict:
    """Fold models, held-out figures per file beside the fused ranking's, the final model."""
    fold_of = folds(rows)
    models = [train([r for r, f in zip(rows, fold_of, strict=True) if f != k])
              for k in range(N_FOLDS)]
    chunks = store.get_chunks(engine.index.conn, sorted({i for r in rows for i in r.ids}))
    base = [query_metrics(r, list(r.ids), chunks) for r in rows]
    held = [query_metrics(r, reordered(r, models[f]), chunks)
            for r, f in zip(rows, fold_of, strict=True)]
    figures = {}
    for name in files:
        idx = [i for i, r in enumerate(rows) if r.file == name]
        sub = [rows[i] for i in idx]
        figures[name] = {
            "fused": summary(sub, [base[i] for i in idx]),
            "reranked_cv": summary(sub, [held[i] for i in idx]),
            "paired": paired([base[i] for i in idx], [held[i] for i in idx])}
    final = train(rows)
    return {
        "model": final.to_dict(),
        "folds": [m.to_dict() for m in models],
        "fold_of": {query_key(r.query.text): f for r, f in zip(rows, fold_of, strict=True)},
        "cross_validated": figures,
        "data": {"files": list(files), "n": len(rows),
                 "n_with_positive": sum(bool(r.positive.any()) for r in rows),
                 "folds": N_FOLDS, "depth": DEPTH, "l2": L2,
                 "grouping": "documents (unanswerable: top-retrieved document)",
                 "model_fingerprint": engine.index.manifest["model"]["fingerprint"],
                 "date": time.strftime("%Y-%m-%d"), "commit": git_commit(), "command": command},
    }


def fit_rerank(engine, files: Sequence[Path], write_file: bool,
               target: Path = rr.MODEL_FILE) -> dict:
    """Collect, cross-validate, print the figures, and write rerank.json on request."""
    rows: list[QueryCands] = []
    for f in files:
        rows += collect(engine, load_queries(f), str(f))
    result = fit_all(engine, rows, [str(f) for f in files],
                     "anfragen " + " ".join(sys.argv[1:]))
    for name, fig in result["cross_validated"].items():
        for kind, b in fig["fused"].items():
            c = fig["reranked_cv"][kind]
            print(f"{Path(name).name} {kind:>12} (n={b['n']}): "
                  + ", ".join(f"{m} {b[m]} -> {c[m]}" for m in ("r10", "mrr", "s5")
                              if b[m] is not None))
        tests = []
        for m, v in fig["paired"].items():
            p = "-" if v["p_value"] is None else f"{v['p_value']:.4f}"
            tests.append(f"{m} {v['wins']}/{v['ties']}/{v['losses']} p={p}")
        print("  gepaart (besser/gleich/schlechter): " + ", ".join(tests))
    if write_file:
        target.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
        rr.load.cache_clear()
        print(f"geschrieben: {target}")
    return result
