"""Issue 11 lab: where the lead sentence is lost, how far other sentence choices and
answerability features get, all cross-validated with folds by document.

    PYTHONPATH=src .venv/bin/python eval/answer_lab.py --index index \
        --queries eval/datasets/dev/queries.jsonl eval/datasets/dev/queries_b.jsonl \
        --out eval/results/answer-lab-<date>.json [--embed-missing]

Parts, each printed and written to --out:
- `decomposition`: every answerable question with evidence through the real answer stage
  (fold models of answerability.json, as `anfragen eval`), sorted by where the lead is lost:
  the first quoted sentence is evidence; the first cited passage holds evidence but another
  sentence leads; a later cited passage holds it; a top-10 passage not cited does; none does.
- `oracle`: the lead rate if the best sentence were always found in the first cited passage,
  in any cited passage, in any of the top 10.
- `weights`: the sentence-score weights (sentences.py: SEM_WEIGHT, POSITION_BONUS,
  SHAPE_BONUS, LEAD_IN_PENALTY, CONNECTIVE_PENALTY) chosen on four folds from a grid and
  scored on the fifth; against the shipped weights on all questions.
- `ranker`: a conditional-logit sentence ranker (softmax over a question's candidates) on 16
  features of sentence and passage, trained on four folds, scored on the fifth; candidates
  from the cited passages or from the top 5.
- `answerability`: the shipped feature set against one feature added or dropped, averaged
  over five fold seeds (answerability_fit.out_of_fold).
The simulation of the lead (first cited passage, its best sentence) leaves out what the real
stage adds around it (preamble order, followed cross-references), so its base row is stated
beside the real one.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import re
import statistics
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from anfragen.answer import answerability as ab
from anfragen.answer import extractive as ex
from anfragen.evaluation import answerability_fit as af
from anfragen.evaluation.metrics import (
    contains_evidence,
    held_out_rerankers,
    held_out_search,
    load_queries,
    quote_matches,
)
from anfragen.evaluation.report import provenance
from anfragen.index import sentences as st
from anfragen.index.analyze import analyze
from anfragen.pipeline import Engine
from anfragen.retrieve import RetrievalConfig

FOLDS = 5
SHIPPED = (st.SEM_WEIGHT, st.POSITION_BONUS, st.SHAPE_BONUS, st.LEAD_IN_PENALTY,
           st.CONNECTIVE_PENALTY)
GRID = list(itertools.product((2.0, 4.0, 8.0), (0.0, 0.1, 0.3), (0.0, 0.15, 0.3), (0.0, 0.3),
                              (0.0, 0.1)))
RANKER_L2 = 0.01  # fixed beforehand, not chosen on the figures


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- collecting -----------------------------------------------------------------------------

def ranked(engine: Engine, q) -> list:
    """The top 10 as `anfragen eval` ranks them: by the reranker fold model that did not
    see the question."""
    return held_out_search(engine, q.text, RetrievalConfig(k=10), held_out_rerankers(engine))


def question_case(engine: Engine, q, file: str, models, settings) -> dict:
    """One question through the real answer stage, and its candidate sentences."""
    hits = ranked(engine, q)
    lookup = engine.lookup(q.text, True)
    model = models.for_query(q.text)
    ans = ex.answer_from_hits(q.text, hits, settings, lookup=lookup, model=model)
    qt = ab.query_terms(q.text, lookup.term_rows, lookup.n_chunks)
    rows = ab.passage_features(qt, hits)
    by_id = {h.chunk.chunk_id: h for h in hits}
    cited = [by_id[c.chunk_id] for c in ans.citations if c.chunk_id in by_id]
    case = {"id": q.id, "file": file, "kind": q.kind, "query": q.text,
            "docs": sorted({u.split("#", 1)[0] for u in q.relevant}),
            "abstained": ans.abstained,
            "lead": bool(ans.sentences) and quote_matches(ans.sentences[0][0], q.evidence),
            "cited_evidence": [contains_evidence(h.chunk.text, q.evidence) for h in cited],
            "top10_evidence": any(contains_evidence(h.chunk.text, q.evidence)
                                  for h in hits[:10])}
    sources = ex.one_per_unit(ex.cited(rows, settings), settings.max_sources) if rows else []
    case["cands"] = candidate_rows(q, rows, sources, lookup)
    return case


def candidate_rows(q, rows: list, sources: list, lookup) -> list[dict]:
    """Every quotable sentence of the candidate passages with what scores it."""
    qt = ab.query_terms(q.text, lookup.term_rows, lookup.n_chunks)
    weighted = {t: max(qt.idf.get(t, 0.0), ex.MIN_WEIGHT) for t in set(analyze(q.text))}
    vectors = lookup.sentence_vectors([h.chunk.chunk_id for h, _, _ in rows])
    qvec = lookup.query_vector()
    src = [h.chunk.chunk_id for h in sources]
    best = max((f["cos"] for _, _, f in rows), default=0.0)
    shape = st.shape_of(q.text)
    out = []
    for h, _, f in rows:
        vecs = vectors.get(h.chunk.chunk_id, {})
        text = h.chunk.answer_text
        for c in ex.quotable_only(text, st.candidates(weighted, text, vecs, qvec)):
            v = vecs.get(st.embed_text(c.text))
            out.append({
                "text": c.text, "key": st.embed_text(c.text), "index": c.index,
                "sem": None if v is None else float(v.astype("float32") @ qvec),
                "lex": st.lexical(weighted, c.text), "form": st.form_score(c.text, shape),
                "rank": h.rank, "pgap": f["cos"] - best,
                "preamble": h.chunk.kind.startswith("preamble"),
                "src_pos": src.index(h.chunk.chunk_id) if h.chunk.chunk_id in src else -1,
                "ref": c.reference is not None,
                "ref_only": bool(c.reference and c.reference.only),
                "plen": len(text or ""), "label": quote_matches(c.text, q.evidence)})
    return out


def collect(engine: Engine, files: list[Path]) -> list[dict]:
    models = ab.load_models()
    settings = ex.AnswerSettings.load()
    cases = []
    for f in files:
        for q in load_queries(f):
            if q.evidence:
                cases.append(question_case(engine, q, f.name, models, settings))
        say(f"{f.name}: gesammelt")
    return cases


def fill_missing(engine: Engine, cases: list[dict]) -> int:
    """Embed the sentences without a stored vector (to measure full coverage)."""
    missing = sorted({c["key"] for case in cases for c in case["cands"] if c["sem"] is None})
    if not missing:
        return 0
    vecs = dict(zip(missing, engine.get_embedder().embed_passages(missing), strict=True))
    for case in cases:
        qvec = engine.embed_query(case["query"])
        for c in case["cands"]:
            if c["sem"] is None:
                c["sem"] = float(np.asarray(vecs[c["key"]], np.float32) @ qvec)
    return len(missing)


# -- folds ----------------------------------------------------------------------------------

def assign_folds(cases: list[dict], k: int = FOLDS, seed: int = 13) -> None:
    """Folds by document: questions sharing a gold document stay in one fold."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for c in cases:
        docs = c["docs"] or [f"q:{c['file']}:{c['id']}"]
        for d in docs[1:]:
            parent[find(d)] = find(docs[0])
        find(docs[0])
    roots = sorted({find((c["docs"] or [f"q:{c['file']}:{c['id']}"])[0]) for c in cases})
    random.Random(seed).shuffle(roots)
    fold = {r: i % k for i, r in enumerate(roots)}
    for c in cases:
        c["fold"] = fold[find((c["docs"] or [f"q:{c['file']}:{c['id']}"])[0])]


# -- lead: decomposition, oracle, weights ---------------------------------------------------

def decomposition(cases: list[dict]) -> dict:
    def where(c: dict) -> str:
        if c["abstained"]:
            return "abstained"
        if c["lead"]:
            return "lead is evidence"
        ev = c["cited_evidence"]
        if ev and ev[0]:
            return "first cited passage holds evidence, another sentence leads"
        if any(ev):
            return "a later cited passage holds evidence"
        return "a top-10 passage not cited holds evidence" if c["top10_evidence"] else \
            "no evidence in the top 10"

    counts = Counter(where(c) for c in cases)
    return {"n": len(cases), "lead_evidence_rate": counts["lead is evidence"] / len(cases),
            "counts": dict(counts.most_common())}


def quotable(c: dict) -> list[dict]:
    return [x for x in c["cands"] if not x["ref_only"]]


def oracle(cases: list[dict]) -> dict:
    def rate(pick) -> float:
        hit = 0
        for c in cases:
            cands = [x for x in quotable(c) if pick(x)] if not c["abstained"] else []
            hit += any(x["label"] for x in cands)
        return hit / len(cases)

    first = {id(c): min((x["src_pos"] for x in quotable(c) if x["src_pos"] >= 0), default=-2)
             for c in cases}
    out = {"all cited passages": rate(lambda x: x["src_pos"] >= 0),
           "any top-10 passage": rate(lambda x: True)}
    hit = sum(any(x["label"] for x in quotable(c) if x["src_pos"] == first[id(c)])
              for c in cases if not c["abstained"])
    out["first cited passage"] = hit / len(cases)
    return out


def weighted_score(x: dict, query: str, w: tuple, use_sem: bool) -> float:
    sem_w, pos, shape_b, lead_in, connective = w
    t, shape, form = x["text"].strip(), st.shape_of(query), 0.0
    if "count" in shape and st._FIGURE.search(re.sub(r"\b(?:19|20)\d{2}\b", "", t)):
        form += shape_b
    if "when" in shape and st._DATE.search(t):
        form += shape_b
    if t.endswith((":", "?")):
        form -= lead_in
    if st._CONNECTIVE.match(t):
        form -= connective
    return (sem_w * x["sem"] if use_sem else 0.0) + x["lex"] + pos / (1 + x["index"]) + form


def simulated_lead(c: dict, w: tuple) -> int:
    """Lead of the first cited passage's best sentence; meaning counts only when every
    sentence of the cited passages has its vector (as in extractive.quote)."""
    src = [x for x in quotable(c) if x["src_pos"] >= 0]
    if c["abstained"] or not src:
        return 0
    use_sem = all(x["sem"] is not None for x in src)
    first = min(x["src_pos"] for x in src)
    best = max((x for x in src if x["src_pos"] == first),
               key=lambda x: (weighted_score(x, c["query"], w, use_sem), -x["index"]))
    return int(best["label"])


def weights_cv(cases: list[dict]) -> dict:
    def total(part, w):
        return sum(simulated_lead(c, w) for c in part)

    held, chosen = 0, []
    for k in range(FOLDS):
        train = [c for c in cases if c["fold"] != k]
        w = max(GRID, key=lambda w: (total(train, w), w == SHIPPED))
        chosen.append(w)
        held += total([c for c in cases if c["fold"] == k], w)
    n = len(cases)
    return {"shipped_all_questions": total(cases, SHIPPED) / n,
            "best_grid_in_sample": max(total(cases, w) for w in GRID) / n,
            "nested_cv_held_out": held / n, "chosen_per_fold": chosen}


# -- lead: a learned ranker -----------------------------------------------------------------

def ranker_features(cands: list[dict]) -> np.ndarray:
    """Sentence and passage features; a missing vector gets the mean of the others."""
    have = [x["sem"] for x in cands if x["sem"] is not None]
    fill = statistics.fmean(have) if have else 0.0
    top = max(have, default=0.0)
    lex_top = max((x["lex"] for x in cands), default=0.0)
    rows = []
    for x in cands:
        sem = fill if x["sem"] is None else x["sem"]
        rows.append([sem, sem - top, float(x["sem"] is None), x["lex"], x["lex"] - lex_top,
                     1 / (1 + x["index"]), x["form"], 1 / x["rank"], x["pgap"],
                     float(x["preamble"]),
                     float(x["src_pos"] >= 0), float(x["src_pos"] == 0),
                     math.log1p(len(x["text"])), float(x["ref"]),
                     float(x["text"].rstrip().endswith(":")), math.log1p(x["plen"])])
    return np.array(rows, dtype=np.float64)


def pool(c: dict, which: str) -> list[dict]:
    cands = quotable(c)
    if which == "cited":
        return [x for x in cands if x["src_pos"] >= 0]
    return [x for x in cands if x["src_pos"] >= 0 or x["rank"] <= 5]


def fit_clogit(data: list[tuple[np.ndarray, np.ndarray]], l2: float) -> np.ndarray:
    """Weights maximising the softmax probability of a question's evidence sentences."""
    import torch

    xs = [(torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.bool))
          for x, y in data]
    w = torch.zeros(xs[0][0].shape[1], requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=200)

    def closure():
        opt.zero_grad()
        loss = sum(torch.logsumexp(x @ w, 0) - torch.logsumexp((x @ w)[y], 0) for x, y in xs)
        loss = loss / len(xs) + l2 * (w ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().numpy()


def ranker_cv(cases: list[dict], which: str, l2: float = RANKER_L2) -> dict:
    held = 0
    for k in range(FOLDS):
        train = [c for c in cases if c["fold"] != k and not c["abstained"]
                 and any(x["label"] for x in pool(c, which))]
        stacked = np.vstack([ranker_features(pool(c, which)) for c in train])
        mu, sd = stacked.mean(0), stacked.std(0) + 1e-6
        w = fit_clogit([((ranker_features(pool(c, which)) - mu) / sd,
                         np.array([x["label"] for x in pool(c, which)])) for c in train], l2)
        for c in cases:
            if c["fold"] == k and not c["abstained"] and pool(c, which):
                s = ((ranker_features(pool(c, which)) - mu) / sd) @ w
                held += pool(c, which)[int(np.argmax(s))]["label"]
    return {"pool": which, "l2": l2, "lead_held_out": held / len(cases)}


# -- answerability features -----------------------------------------------------------------

EXTRA = ("top3_missing_idf", "top3_coverage_idf", "missing_idf", "cos_margin", "dense_rank",
         "unknown_name", "missing_names")


def answerability_rows(engine: Engine, files: list[Path]) -> list[tuple]:
    out = []
    for f in files:
        for q in load_queries(f):
            hits = ranked(engine, q)
            lk = engine.lookup(q.text)
            rows = ab.passage_features(ab.query_terms(q.text, lk.term_rows, lk.n_chunks), hits)
            feats = ab.question_features(rows) or {}
            if rows:
                by_cos = sorted(rows, key=lambda r: (-r[2]["cos"], r[0].rank))[:3]
                feats["top3_missing_idf"] = min(r[2]["missing_idf"] for r in by_cos)
                feats["top3_coverage_idf"] = max(r[2]["coverage_idf"] for r in by_cos)
            docs = {u.split("#", 1)[0] for u in q.relevant} if q.relevant else \
                {h.chunk.doc_id for h, _, _ in rows[:1]}
            out.append((q, f.name, feats, frozenset(docs)))
    return out


def answerability_cv(data: list[tuple], names: list[str], seeds=range(5)) -> dict:
    """Mean cross-validated abstention / false abstention over fold seeds, both files."""
    saved = af.QUESTION_FEATURES
    af.QUESTION_FEATURES = tuple(names)  # fit() and query_score() read it
    try:
        rows = [af.QueryRows(q, f, tuple(d.get(k, 0.0) for k in names), docs)
                for q, f, d, docs in data]
        figs = []
        for s in seeds:
            scores, models, fold_of = af.out_of_fold(rows, seed=s)
            figs.append(af.cv_figures(rows, scores, models, fold_of)["all"])
    finally:
        af.QUESTION_FEATURES = saved
    return {"abstention": round(statistics.fmean(f["abstention_rate"] for f in figs), 3),
            "false_abstention": round(statistics.fmean(f["false_abstention_rate"] for f in figs),
                                      3)}


def answerability_variants(data: list[tuple]) -> dict:
    base = list(ab.QUESTION_FEATURES)
    out = {"shipped": answerability_cv(data, base)}
    for extra in EXTRA:
        out[f"+{extra}"] = answerability_cv(data, base + [extra])
    for drop in base:
        out[f"-{drop}"] = answerability_cv(data, [b for b in base if b != drop])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", default="index")
    ap.add_argument("--queries", type=Path, nargs="+", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--embed-missing", action="store_true",
                    help="also embed the sentences without a stored vector (full coverage)")
    args = ap.parse_args()
    engine = Engine.open(args.index)
    cases = collect(engine, args.queries)
    assign_folds(cases)
    report = {"provenance": provenance(engine) | {"command": " ".join(sys.argv)},
              "decomposition": decomposition(cases), "oracle": oracle(cases),
              "weights": weights_cv(cases),
              "ranker": [ranker_cv(cases, "cited"), ranker_cv(cases, "top5")]}
    if args.embed_missing:
        report["embedded_missing"] = fill_missing(engine, cases)
        report["weights_full_coverage"] = weights_cv(cases)
        report["ranker_full_coverage"] = [ranker_cv(cases, "cited"), ranker_cv(cases, "top5")]
    report["answerability"] = answerability_variants(answerability_rows(engine, args.queries))
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str),
                        encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "provenance"},
                     ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
