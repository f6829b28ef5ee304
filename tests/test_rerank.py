"""The learned reranker (rerank.py, evaluation/rerank_fit.py) over a real SQLite/FAISS index
(fake embedder): its features, the reordering, the fit, fold models, and what stays."""

from __future__ import annotations

import json

import numpy as np
import pytest

from anfragen import rerank as rr
from anfragen.evaluation import rerank_fit
from anfragen.evaluation.metrics import Query
from anfragen.index.analyze import query_key
from anfragen.retrieve import Filters, RetrievalConfig, candidates, chunk_count, search_ids


def model_on(feature: str, weight: float = 1.0, depth: int = 10) -> rr.Reranker:
    """A reranker that looks at one feature only."""
    n = len(rr.FEATURES)
    coef = np.zeros(n)
    coef[rr.FEATURES.index(feature)] = weight
    return rr.Reranker(rr.FEATURES, np.zeros(n), np.ones(n), coef, depth)


@pytest.fixture
def cands(fake_engine):
    q = "Können hessische Kommunen HessenConnect nutzen?"
    idx = fake_engine.index
    ranked, sig = candidates(idx, q, fake_engine.embed_query(q), RetrievalConfig(), Filters())
    return fake_engine, q, ranked, sig


def test_features_are_read_off_the_passages(cands):
    eng, q, ranked, sig = cands
    x = rr.features(eng.index.conn, chunk_count(eng.index), sig, ranked[:10], 60)
    assert x.shape == (10, len(rr.FEATURES))
    col = {f: x[:, i] for i, f in enumerate(rr.FEATURES)}
    assert col["fused_rank"][0] == 1.0 and np.all(np.diff(col["fused_rank"]) < 0)
    assert np.all((col["coverage"] >= 0) & (col["coverage"] <= 1))
    assert np.all((col["coverage_idf"] >= 0) & (col["coverage_idf"] <= 1))
    # a passage's own cosine is the chunk vector's, as the dense leg found it
    for i, r in enumerate(ranked[:10]):
        if r.id in sig.chunks:
            assert col["chunk_cos"][i] == pytest.approx(sig.chunks[r.id])
    assert np.isfinite(x).all()


def test_rerank_orders_the_top_by_the_model_and_keeps_the_rest(cands):
    eng, q, ranked, sig = cands
    conn, n = eng.index.conn, chunk_count(eng.index)
    x = rr.features(conn, n, sig, ranked[:10], 60)
    model = model_on("length", depth=10)
    out = rr.rerank(conn, n, sig, ranked, model, 60)
    lengths = x[:, rr.FEATURES.index("length")]
    expect = [ranked[i].id for i in sorted(range(10), key=lambda i: (-lengths[i], i))]
    assert [r.id for r in out[:10]] == expect
    assert [r.id for r in out[10:]] == [r.id for r in ranked[10:]]
    assert all("rerank" in r.scores for r in out[:10])
    # the negated model reverses the order of different scores
    back = rr.rerank(conn, n, sig, ranked, model_on("length", -1.0), 60)
    assert [r.id for r in back[:10]][0] == expect[-1] or lengths.max() == lengths.min()


def test_search_ids_uses_a_given_reranker_but_not_for_a_drucksache(fake_engine):
    idx = fake_engine.index
    cfg = RetrievalConfig(k=10)
    q = "Videokonferenzsystem Kommunen Lizenzen"
    qv = fake_engine.embed_query(q)
    plain = search_ids(idx, q, qv, RetrievalConfig(k=10, rerank=False), Filters())
    longest = search_ids(idx, q, qv, cfg, Filters(), reranker=model_on("length", depth=30))
    assert {r.id for r in longest} <= {r.id for r in
                                      search_ids(idx, q, qv, RetrievalConfig(k=30, rerank=False),
                                                 Filters())}
    assert [r.id for r in longest] != [r.id for r in plain]
    # the fake index's embedding model is not the one rerank.json was fitted with
    assert search_ids(idx, q, qv, cfg, Filters()) == plain
    d = "Drucksache 23/4418"
    dv = fake_engine.embed_query(d)
    assert [r.id for r in search_ids(idx, d, dv, cfg, Filters(),
                                     reranker=model_on("length", -1.0, 30))] == \
        [r.id for r in search_ids(idx, d, dv, RetrievalConfig(k=10, rerank=False), Filters())]


def test_bm25_and_dense_modes_are_never_reranked(fake_engine):
    idx = fake_engine.index
    q = "HessenConnect Kommunen"
    qv = fake_engine.embed_query(q)
    for mode in ("bm25", "dense"):
        a = search_ids(idx, q, qv, RetrievalConfig(mode=mode, k=10), Filters(),
                       reranker=model_on("length", depth=30))
        b = search_ids(idx, q, qv, RetrievalConfig(mode=mode, k=10, rerank=False), Filters())
        assert [r.id for r in a] == [r.id for r in b]


def synthetic(n_queries: int, rng) -> list[rerank_fit.QueryCands]:
    """Queries whose positive is the candidate with the highest `coverage`, hidden at a
    random rank."""
    rows = []
    col = rr.FEATURES.index("coverage")
    for i in range(n_queries):
        x = rng.normal(size=(10, len(rr.FEATURES)))
        pos = np.zeros(10, dtype=bool)
        j = int(rng.integers(10))
        x[j, col] = x[:, col].max() + 1.0
        pos[j] = True
        q = Query(id=f"q{i}", text=f"frage {i}", kind="citizen",
                  relevant=(f"doc{i}#1",))
        rows.append(rerank_fit.QueryCands(q, "a.jsonl", tuple(range(100 * i, 100 * i + 10)),
                                          x, pos, frozenset({f"doc{i}"}), False))
    return rows


def test_the_fit_learns_the_signal_and_reorders_held_out_questions():
    rng = np.random.default_rng(0)
    train, test = synthetic(60, rng), synthetic(20, rng)
    model = rerank_fit.train(train)
    assert model.coef[rr.FEATURES.index("coverage")] == max(model.coef)
    first = [rerank_fit.reordered(r, model)[0] for r in test]
    truth = [r.ids[int(np.flatnonzero(r.positive)[0])] for r in test]
    assert sum(a == b for a, b in zip(first, truth, strict=True)) >= 18
    # a Drucksache query keeps its order whatever the model says
    keep = rerank_fit.QueryCands(**{**test[0].__dict__, "keep_order": True})
    assert rerank_fit.reordered(keep, model) == list(keep.ids)


def test_folds_never_split_a_document():
    rng = np.random.default_rng(1)
    rows = synthetic(30, rng)
    # queries 0-9 share one document: they must land in one fold
    rows = [rerank_fit.QueryCands(**{**r.__dict__, "docs": frozenset({"shared"})})
            if i < 10 else r for i, r in enumerate(rows)]
    fold = rerank_fit.folds(rows)
    assert len({fold[i] for i in range(10)}) == 1
    assert len(set(fold)) == rerank_fit.N_FOLDS


def test_models_round_trip_and_fold_models_judge_their_questions(tmp_path):
    a, b = model_on("coverage"), model_on("length")
    path = tmp_path / "rerank.json"
    path.write_text(json.dumps({"model": a.to_dict(), "folds": [b.to_dict()],
                                "fold_of": {query_key("Eine Frage?"): 0},
                                "data": {"model_fingerprint": "fp"}}))
    models = rr.load(path)
    assert models.for_query("eine   Frage") is models.folds[0]
    assert np.array_equal(models.for_query("Eine andere Frage").coef, a.coef)
    assert models.fits("fp") and not models.fits("other")
    bad = {**a.to_dict(), "features": ["coverage", "nonsense"]}
    path.write_text(json.dumps({"model": bad}))
    rr.load.cache_clear()
    with pytest.raises(ValueError, match="nonsense.*fit-rerank"):
        rr.load(path)
