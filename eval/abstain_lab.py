"""Issue 11 lab: which signals tell an unanswerable near miss from an answer, now that the
reranker orders the passages?

Collects, for every question of the given query files, the shipped answerability features
(answerability.question_features, all of ALL_QUESTION_FEATURES) and candidates the model
does not use yet: the reranker's score of the first passage and its margin over the second
(rerank.py writes scores["rerank"]), the reranker's softmax share of the first passage, the
best stored sentence's cosine among the top passages, and the same for the passages that lack
none of the question's specifics. Every question is ranked as `anfragen eval` ranks it: by the
reranker fold model that did not see it.

Then it cross-validates feature sets exactly as `anfragen eval calibrate` does
(answerability_fit.out_of_fold, folds by document, threshold chosen inside each training
part), averaged over five fold seeds, compares other classifiers by out-of-fold AUC and
the false abstention allowed when choosing the threshold, and lists the unanswerable
questions the shipped set lets through, with the features that might have caught them.

    python eval/abstain_lab.py --queries eval/datasets/dev/queries.jsonl \
        eval/datasets/dev/queries_b.jsonl --out eval/results/abstain-lab-2026-12-03.json
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import sys
from pathlib import Path

import numpy as np

from anfragen.answer import answerability as ab
from anfragen.evaluation import answerability_fit as af
from anfragen.evaluation.metrics import held_out_rerankers, held_out_search, load_queries
from anfragen.pipeline import Engine
from anfragen.rerank import best_sentence_cosines
from anfragen.retrieve import RetrievalConfig

SEEDS = range(5)
EXTRA = ("rr_top", "rr_margin", "rr_share", "sent_top3", "sent_clean", "sent_gap",
         "rr_clean_gap", "first_hard", "first_missing_idf")


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def extra_features(rows: list, hits: list, sent: dict[str, float]) -> dict:
    rr = [float(h.scores["rerank"]) for h in hits if "rerank" in h.scores]
    out = {"rr_top": rr[0] if rr else 0.0,
           "rr_margin": min(rr[0] - rr[1], 3.0) if len(rr) > 1 else 0.0}
    if rr:
        z = np.array(rr[:10])
        p = np.exp(z - z.max())
        out["rr_share"] = float(p[0] / p.sum())
    else:
        out["rr_share"] = 0.0
    if not rows:
        return out | dict.fromkeys(("sent_top3", "sent_clean", "sent_gap", "rr_clean_gap",
                                    "first_hard", "first_missing_idf"), 0.0)

    def s(r) -> float:
        return sent.get(r[0].chunk.chunk_id, r[2]["cos"])

    top = rows[:3]
    out["sent_top3"] = max(s(r) for r in top)
    clean = [r for r in rows if not r[2]["hard"]]
    out["sent_clean"] = max((s(r) for r in clean), default=out["sent_top3"] - 0.05)
    out["sent_gap"] = min(out["sent_top3"] - out["sent_clean"], 0.05)
    rr_of = {id(r[0]): float(r[0].scores.get("rerank", 0.0)) for r in rows}
    best_rr = max(rr_of.values(), default=0.0)
    out["rr_clean_gap"] = min(best_rr - max((rr_of[id(r[0])] for r in clean), default=best_rr - 3),
                              3.0)
    out["first_hard"] = rows[0][2]["hard"]
    out["first_missing_idf"] = rows[0][2]["missing_idf"]
    return out


def collect(engine: Engine, files: list[Path]) -> list[tuple]:
    rerankers = held_out_rerankers(engine)
    data = []
    for f in files:
        for q in load_queries(f):
            hits = held_out_search(engine, q.text, RetrievalConfig(k=10), rerankers)
            lk = engine.lookup(q.text)
            rows = ab.passage_features(ab.query_terms(q.text, lk.term_rows, lk.n_chunks), hits)
            feats = ab.question_features(rows) or dict.fromkeys(ab.ALL_QUESTION_FEATURES, 0.0)
            qvec = engine.embed_query(q.text)
            feats |= extra_features(rows, hits, best_sentence_cosines(
                engine.index.conn, [h.chunk.chunk_id for h in hits[:10]], qvec))
            docs = {u.split("#", 1)[0] for u in q.relevant} if q.relevant else \
                {h.chunk.doc_id for h, _, _ in rows[:1]}
            top = rows[0][0] if rows else None
            data.append((q, f.name, feats, frozenset(docs),
                         f"{top.chunk.doc_id} {top.chunk.kind}" if top else ""))
        say(f"{f.name}: {len(data)} Fragen gesammelt")
    return data


def out_of_fold(data: list[tuple], names: list[str], seed: int) -> tuple:
    """(rows, scores, fold models, fold of each question) of answerability_fit.out_of_fold
    with the feature set `names`, which fit() and query_score() read from the module."""
    saved = af.QUESTION_FEATURES
    af.QUESTION_FEATURES = tuple(names)
    try:
        rows = [af.QueryRows(q, f, tuple(float(d.get(k, 0.0)) for k in names), docs)
                for q, f, d, docs, _ in data]
        return (rows, *af.out_of_fold(rows, seed=seed))
    finally:
        af.QUESTION_FEATURES = saved


def cv(data: list[tuple], names: list[str]) -> dict:
    per_file: dict[str, list] = {}
    for s in SEEDS:
        rows, scores, models, fold_of = out_of_fold(data, names, s)
        for key, fig in af.cv_figures(rows, scores, models, fold_of).items():
            per_file.setdefault(key, []).append(fig)
    return {key: {"abstention": round(statistics.fmean(f["abstention_rate"] for f in figs), 3),
                  "false_abstention": round(statistics.fmean(f["false_abstention_rate"]
                                                             for f in figs), 3)}
            for key, figs in per_file.items()}


def classifiers(data: list[tuple], seeds=SEEDS) -> dict:
    """Out-of-fold ROC AUC (answerable vs not) of other classifiers on the same folds by
    document: is a model with more freedom worth it on 59 unanswerable questions?"""
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedGroupKFold

    rows = [af.QueryRows(q, f, (0.0,), docs) for q, f, _, docs, _ in data]
    g = np.array(af.groups(rows))
    y = np.array([q.answerable for q, *_ in data], dtype=int)
    every = sorted(data[0][2])
    makers = {
        "logistic, shipped features": (list(ab.QUESTION_FEATURES),
                                       lambda: LogisticRegression(C=af.C, max_iter=3000)),
        "logistic, all features": (every, lambda: LogisticRegression(C=af.C, max_iter=3000)),
        "gradient boosting, shipped features": (list(ab.QUESTION_FEATURES), lambda:
            HistGradientBoostingClassifier(max_depth=3, learning_rate=0.05,
                                           min_samples_leaf=10)),
        "gradient boosting, all features": (every, lambda: HistGradientBoostingClassifier(
            max_depth=3, learning_rate=0.05, min_samples_leaf=10)),
        "random forest, all features": (every, lambda: RandomForestClassifier(
            300, min_samples_leaf=5, random_state=0)),
    }
    out = {}
    for name, (names, make) in makers.items():
        x = np.array([[float(d.get(n, 0.0)) for n in names] for _, _, d, _, _ in data])
        aucs = []
        for s in seeds:
            sc = np.zeros(len(y))
            for tr, te in StratifiedGroupKFold(5, shuffle=True, random_state=s).split(x, y, g):
                mu, sd = x[tr].mean(0), x[tr].std(0)
                sd[sd == 0] = 1.0
                m = make().fit((x[tr] - mu) / sd, y[tr])
                sc[te] = m.predict_proba((x[te] - mu) / sd)[:, 1]
            aucs.append(roc_auc_score(y, sc))
        out[name] = round(statistics.fmean(aucs), 3)
    out["single features"] = {n: round(float(roc_auc_score(
        y, [float(d.get(n, 0.0)) for _, _, d, _, _ in data])), 3) for n in every}
    return out


def misses(data: list[tuple], names: list[str]) -> list[dict]:
    """Unanswerable questions the set lets through at seed 0, with their features."""
    _, scores, models, fold_of = out_of_fold(data, names, 0)
    out = []
    for (q, f, d, _, top), s, k in zip(data, scores, fold_of, strict=True):
        if not q.answerable and s >= models[k].threshold:
            out.append({"file": f, "query": q.text, "p": round(s, 3),
                        "threshold": round(models[k].threshold, 3), "top": top,
                        **{n: round(float(d.get(n, 0.0)), 3) for n in
                           ("cos", "coverage_idf", "top3_hard", "clean_gap", "missing_idf",
                            *EXTRA)}})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", default="index")
    ap.add_argument("--queries", type=Path, nargs="+", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--cache", type=Path, help="keep the collected features here (pickle)")
    ap.add_argument("--extra", nargs="*", default=list(EXTRA),
                    help="feature sets to try, comma-joined names added to the shipped set")
    args = ap.parse_args()
    if args.cache and args.cache.is_file():
        data = pickle.loads(args.cache.read_bytes())
    else:
        data = collect(Engine.open(args.index), args.queries)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(data))
    base = list(ab.QUESTION_FEATURES)
    report: dict = {"command": " ".join(sys.argv), "seeds": len(SEEDS),
                    "variants": {"shipped": cv(data, base)}}
    for extra in args.extra:
        parts = extra.split(",")
        drop = {p[1:] for p in parts if p.startswith("-")}
        names = [n for n in base + [p for p in parts if p and p[0] != "-"] if n not in drop]
        report["variants"][extra] = cv(data, names)
        say(f"{extra}: {report['variants'][extra]}")
    report["classifiers_auc"] = classifiers(data)
    report["max_false"] = {}
    for mf in (0.02, 0.03, 0.04, 0.05):  # the false abstention a threshold may cost
        saved = af.choose_threshold.__defaults__
        af.choose_threshold.__defaults__ = (mf,)
        try:
            report["max_false"][str(mf)] = cv(data, base)
        finally:
            af.choose_threshold.__defaults__ = saved
    report["misses_shipped"] = misses(data, base)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str),
                        encoding="utf-8")
    print(json.dumps(report["variants"], ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
