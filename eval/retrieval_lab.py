"""Issue 13 lab: BM25 analyser variants, extra question vectors and per-shape fusion weights,
measured on several query files at once, with weights fitted by cross-validation whose folds
are documents.

    PYTHONPATH=src .venv/bin/python eval/retrieval_lab.py --index index \
        --queries eval/datasets/dev/queries.jsonl eval/datasets/dev/queries_b.jsonl \
        --out eval/results/retrieval-lab-<date>.json

Every query is embedded and searched once per retriever (depth 100); the analyser variants
get their own in-memory FTS5 table over the same chunks, so no re-ingest and no re-embedding
is needed to compare them. The fused ranking goes through the real retrieve.rrf,
demote_preambles and boost_identifiers; the metrics follow evaluation.metrics (unit R@10 and
MRR@10 on the first 10 units of the top-100 chunks, evidence S@5 on the first 5 chunks), and
the `base` row reproduces `anfragen eval` of the default configuration.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from anfragen.evaluation.metrics import Query, contains_evidence, load_queries
from anfragen.evaluation.report import provenance
from anfragen.index import store
from anfragen.index.analyze import STOPWORDS, _stemmer, tokens
from anfragen.index.compound import parts
from anfragen.pipeline import Engine
from anfragen.retrieve import (
    RetrievalConfig,
    boost_identifiers,
    clean_query,
    demote_preambles,
    rrf,
)

DEPTH = 100
FOLDS = 5
BM25_GRID = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
QVEC_GRID = (0.0, 0.3, 0.5, 0.7, 1.0)
Q_OFFSETS = (0.0, 0.01, 0.02, 0.03, 0.05)  # question cosine minus this before the max
Q_SHARES = (0.0, 0.25, 0.5, 0.6, 0.75, 1.0)  # share of the question's lead that counts


# -- analyser variants ----------------------------------------------------------------------

def _fold(t: str) -> str:
    return t.replace("ä", "a").replace("ö", "o").replace("ü", "u").replace("ß", "ss")


def analyser(stem: str, split: str) -> Callable[[str], list[str]]:
    """Tokens -> BM25 terms: stem "snowball", "snowball-fold" (umlauts folded first, like
    Snowball's german2) or "none"; `split` "freq" adds the stems of each compound's parts
    unless the word is more frequent than its parts, "all" always, "" never."""
    stemmer = _stemmer()

    @lru_cache(maxsize=500_000)
    def one(t: str) -> str:
        if t[0].isdigit() or stem == "none":
            return t
        return stemmer.stemWord(_fold(t) if stem == "snowball-fold" else t)

    def run(text: str) -> list[str]:
        out = []
        for t in tokens(text):
            if t in STOPWORDS:
                continue
            out.append(t)
            if split:
                out.extend(parts(t, split == "freq"))
        return [one(t) for t in out]

    return run


VARIANTS = {
    "base": ("snowball", ""), "split": ("snowball", "freq"), "split-all": ("snowball", "all"),
    "fold": ("snowball-fold", ""), "nostem": ("none", ""),
    "split-fold": ("snowball-fold", "freq"),
}


def fts_rows(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """(chunk id, what store.fts_body feeds the analyser) for every chunk."""
    rows = conn.execute(
        "SELECT c.id, c.text, d.askers, d.parties, d.answering_body, d.drucksache "
        "FROM chunks c JOIN documents d ON d.doc_id = c.doc_id ORDER BY c.id").fetchall()
    out = []
    for cid, text, askers, parties, body, ds in rows:
        extra = " ".join((*json.loads(askers or "[]"), *json.loads(parties or "[]"), body or "",
                          ds or ""))
        out.append((cid, f"{text}\n{extra}"))
    return out


def variant_db(rows, analyse) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.executescript(store.SCHEMA)
    conn.executemany("INSERT INTO chunks_fts(rowid, body) VALUES (?, ?)",
                     [(i, " ".join(analyse(t))) for i, t in rows])
    conn.execute("INSERT INTO chunks (id) SELECT rowid FROM chunks_fts")
    store.refresh_term_rows(conn, force=True)
    return conn


def bm25(conn, analyse, query: str) -> list[tuple[int, float]]:
    terms = list(dict.fromkeys(t.replace('"', "") for t in analyse(query)))[:64]
    match = store.fts_match(store.within_budget(conn, [t for t in terms if t]))
    if not match:
        return []
    sql = ("SELECT rowid, -rank FROM chunks_fts WHERE chunks_fts MATCH ? "
           "ORDER BY rank, rowid LIMIT ?")
    return [(r[0], float(r[1])) for r in conn.execute(sql, (match, DEPTH))]


# -- candidates -----------------------------------------------------------------------------

@dataclass
class Case:
    file: str
    q: Query
    text: str
    runs: dict  # retriever name -> [(chunk id, score)]
    fold: int = 0


def question_store(engine: Engine, qvec_file: Path | None):
    """FAISS flat index of printed-question vectors keyed by chunk id (see embed_questions)."""
    if qvec_file is None or not qvec_file.is_file():
        return None
    import faiss

    z = np.load(qvec_file)
    # as index/qvecs.py: one per unit (its first chunk with a vector of its own), none for
    # preambles (their "question" is only a label)
    first: dict[tuple, int] = {}
    for i, doc, numbers, kind in engine.index.conn.execute(
            "SELECT id, doc_id, numbers, kind FROM chunks WHERE vec_id = id ORDER BY id"):
        if not kind.startswith("preamble"):
            first.setdefault((doc, numbers), i)
    chosen = set(first.values())
    keep = np.array([int(i) in chosen for i in z["ids"]])
    idx = faiss.IndexIDMap2(faiss.IndexFlatIP(z["vecs"].shape[1]))
    idx.add_with_ids(z["vecs"][keep].astype(np.float32), z["ids"][keep].astype(np.int64))
    return idx


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def query_vectors(engine: Engine, files: list[Path], cache: Path) -> dict:
    """(file, query id) -> query vector, kept in `cache` (embedding is the slow part)."""
    vecs = pickle.loads(cache.read_bytes()) if cache.is_file() else {}
    for f in files:
        for q in load_queries(f):
            if (f.name, q.id) not in vecs:
                vecs[(f.name, q.id)] = engine.embed_query(clean_query(q.text))
    cache.write_bytes(pickle.dumps(vecs))
    return vecs


def collect(engine: Engine, files: list[Path], variants: list[str], qidx,
            qcache: Path) -> list[Case]:
    vecs = query_vectors(engine, files, qcache)
    say("query vectors ready")
    cases = []
    for f in files:
        for q in load_queries(f):
            text = clean_query(q.text)
            qv = vecs[(f.name, q.id)]
            runs = {"dense": engine.index.vectors.search(qv[None, :], DEPTH, None)[0]}
            if qidx is not None:
                s, i = qidx.search(qv[None, :].astype(np.float32), DEPTH)
                runs["question"] = [(int(a), float(b)) for a, b in zip(i[0], s[0], strict=True)
                                    if a >= 0]
            cases.append(Case(f.name, q, text, runs))
    rows = fts_rows(engine.index.conn)
    for v in variants:
        an = analyser(*VARIANTS[v])
        conn = variant_db(rows, an)
        for c in cases:
            c.runs[f"bm25:{v}"] = bm25(conn, an, c.text)
        conn.close()
        say(f"bm25 variant {v} done")
    return cases


# -- scoring --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Setting:
    bm25: str = "base"
    w_bm25: float = 0.3
    w_question: float = 0.0
    dense_max: bool = False  # question vectors merged into dense by max instead of own RRF list
    q_offset: float = 0.0  # with dense_max: subtracted from the question cosines first
    q_share: float = 1.0  # with dense_max: chunk cosine + q_share * (question's lead over it)


def fused(engine: Engine, case: Case, s: Setting) -> list[int]:
    runs = {"dense": case.runs["dense"], "bm25": case.runs[f"bm25:{s.bm25}"]}
    weights = {"dense": 1.0, "bm25": s.w_bm25}
    if "question" in case.runs and s.dense_max:
        runs["dense"] = merged_dense(case.runs["dense"], case.runs["question"], s)
    elif "question" in case.runs and s.w_question:
        runs["question"] = case.runs["question"]
        weights["question"] = s.w_question
    ranked = rrf(runs, weights, RetrievalConfig().rrf_k)
    ranked = demote_preambles(engine.index, ranked, RetrievalConfig().preamble_factor)
    ranked = boost_identifiers(engine.index, case.text, ranked, None)
    return [r.id for r in ranked[:DEPTH]]


def merged_dense(dense: list, question: list, s: Setting) -> list[tuple[int, float]]:
    """Chunk cosine c and question cosine q merged as c + q_share * max(0, q - offset - c)
    (q_share 1: the max); a chunk beyond the dense top 100 takes the 100th cosine as c."""
    own = dict(dense)
    floor = dense[-1][1] if dense else -1.0
    best = dict(own)
    for i, q in question:
        c = own.get(i, floor)
        best[i] = max(best.get(i, -2.0), c + s.q_share * max(0.0, q - s.q_offset - c))
    return sorted(best.items(), key=lambda p: (-p[1], p[0]))[:DEPTH]


class Scorer:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.chunks: dict = {}
        self.memo: dict = {}

    def chunk(self, i: int):
        if i not in self.chunks:
            self.chunks.update(store.get_chunks(self.engine.index.conn, [i]))
        return self.chunks[i]

    def metrics(self, case: Case, s: Setting) -> dict:
        key = (case.file, case.q.id, s)
        if key not in self.memo:
            self.memo[key] = self._metrics(case, fused(self.engine, case, s))
        return self.memo[key]

    def _metrics(self, case: Case, ids: list[int]) -> dict:
        units: list[str] = []
        for i in ids:
            c = self.chunk(i)
            units += [u for u in (f"{c.doc_id}#{n}" for n in c.numbers) if u not in units]
        rel, out = set(case.q.relevant), {}
        if rel:
            top = units[:10]
            out["r10"] = len(rel & set(top)) / len(rel)
            out["mrr"] = next((1 / (n + 1) for n, u in enumerate(top) if u in rel), 0.0)
        if case.q.evidence:
            out["s5"] = float(any(contains_evidence(self.chunk(i).text, case.q.evidence)
                                  for i in ids[:5]))
        return out


def mean(vals: list[float]) -> float | None:
    return round(sum(vals) / len(vals), 4) if vals else None


def summary(rows: list[tuple[Case, dict]]) -> dict:
    def block(rs):
        return {m: mean([r[m] for _, r in rs if m in r]) for m in ("r10", "mrr", "s5")}

    kinds = sorted({c.q.kind for c, _ in rows})
    return {"all": block(rows), **{k: block([p for p in rows if p[0].q.kind == k])
                                   for k in kinds}}


# -- query shapes and cross-validation --------------------------------------------------------

def shape(text: str) -> str:
    """Drucksache number / keyword query (no verb-like question, <= 4 content words) /
    question. A fixed rule, not fitted."""
    from anfragen.retrieve import drucksachen_in

    if drucksachen_in(text):
        return "id"
    content = [t for t in tokens(text) if t not in STOPWORDS]
    return "keyword" if len(content) <= 4 and "?" not in text else "question"


def assign_folds(cases: list[Case], k: int = FOLDS) -> None:
    """Folds by document: queries that share a relevant document share a fold (union-find
    over documents), so no document is seen in both training and test."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for c in cases:
        docs = [u.split("#")[0] for u in c.q.relevant] or [f"none:{c.file}:{c.q.id}"]
        for d in docs[1:]:
            parent[find(d)] = find(docs[0])
    for c in cases:
        root = find(([u.split("#")[0] for u in c.q.relevant] or [f"none:{c.file}:{c.q.id}"])[0])
        c.fold = int(hashlib.sha256(root.encode()).hexdigest(), 16) % k


def objective(scorer: Scorer, cases: list[Case], s: Setting) -> float:
    """What the fit maximises: mean of evidence S@5, unit R@10 and MRR@10 over the cases."""
    vals = [scorer.metrics(c, s) for c in cases]
    parts_ = [mean([v[m] for v in vals if m in v]) for m in ("s5", "r10", "mrr")]
    return sum(p for p in parts_ if p is not None)


def cross_validate(scorer: Scorer, cases: list[Case], grid: list[Setting],
                   shapes: bool = True) -> tuple[dict, list]:
    """Per fold (and query shape, with `shapes`): the grid setting best on the other folds,
    applied to this fold. Returns per-case held-out metrics and the chosen settings."""
    held: dict = {}
    chosen = []

    def shape_of(c: Case) -> str:
        return shape(c.text) if shapes else "all"

    for f in range(FOLDS):
        train = [c for c in cases if c.fold != f]
        for sh in ("question", "keyword", "id") if shapes else ("all",):
            tr = [c for c in train if shape_of(c) == sh]
            best = max(grid, key=lambda s: (objective(scorer, tr, s), -grid.index(s)))
            chosen.append({"fold": f, "shape": sh, "n_train": len(tr), **best.__dict__})
            for c in cases:
                if c.fold == f and shape_of(c) == sh:
                    held[(c.file, c.q.id)] = scorer.metrics(c, best)
    return held, chosen


def paired(base: list[dict], other: list[dict]) -> dict:
    """Per metric: wins/ties/losses of `other` against `base` over the same queries and the
    two-sided paired Student's t-test p (as `anfragen eval compare`, here on unit MRR@10,
    unit R@10 and evidence S@5 per query)."""
    from scipy.stats import ttest_rel

    out = {}
    for m in ("mrr", "r10", "s5"):
        pairs = [(b[m], o[m]) for b, o in zip(base, other, strict=True) if m in b]
        if not pairs:
            continue
        a, b_ = [x for x, _ in pairs], [y for _, y in pairs]
        diff = [y - x for x, y in pairs]
        p = None if not any(diff) else float(ttest_rel(b_, a).pvalue)
        out[m] = {"wins": sum(d > 0 for d in diff), "ties": sum(d == 0 for d in diff),
                  "losses": sum(d < 0 for d in diff), "p_value": p,
                  "significant": p is not None and p < 0.05}
    return out


def significance(files: list[Path], cases: list[Case], per_setting: dict) -> dict:
    """Each setting against `base`, per query file."""
    out = {}
    for name, metrics in per_setting.items():
        if name == "base":
            continue
        out[name] = {}
        for f in files:
            keys = [(c.file, c.q.id) for c in cases if c.file == f.name]
            out[name][f.name] = paired([per_setting["base"][k] for k in keys],
                                       [metrics[k] for k in keys])
    return out


def main() -> None:
    import torch

    # On a shared, oversubscribed machine torch's two spinning threads made one query
    # embedding take ~3 s instead of ~0.2 s; one thread is the honest speed here.
    torch.set_num_threads(1)
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", default="index")
    ap.add_argument("--queries", type=Path, nargs="+", required=True)
    ap.add_argument("--variants", default="base,split,split-all,fold,nostem,split-fold")
    ap.add_argument("--qvecs", type=Path, default=None, help="npz from embed_questions.py")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--qcache", type=Path, default=Path("/tmp/retrieval-lab-qvecs.pkl"))
    ap.add_argument("--cases", type=Path, default=None, help="pickle of the candidates: "
                    "written on the first run, read on the next (same variants and --qvecs)")
    args = ap.parse_args()
    engine = Engine.open(args.index)
    variants = args.variants.split(",")
    t0 = time.perf_counter()
    qidx = question_store(engine, args.qvecs)
    if args.cases and args.cases.is_file():
        cases = pickle.loads(args.cases.read_bytes())
    else:
        cases = collect(engine, args.queries, variants, qidx, args.qcache)
        if args.cases:
            args.cases.write_bytes(pickle.dumps(cases))
    say("candidates ready")
    assign_folds(cases)
    scorer = Scorer(engine)
    fixed = {v: Setting(bm25=v) for v in variants}
    if qidx is not None:
        for v in variants[:2]:
            fixed[f"{v}+qmax"] = Setting(bm25=v, dense_max=True)
            fixed[f"{v}+q0.5"] = Setting(bm25=v, w_question=0.5)
            fixed[f"{v}+q1.0"] = Setting(bm25=v, w_question=1.0)
            for off in Q_OFFSETS[1:]:
                fixed[f"{v}+qmax-{off}"] = Setting(bm25=v, dense_max=True, q_offset=off)
            for sh in Q_SHARES[1:-1]:
                fixed[f"{v}+qshare-{sh}"] = Setting(bm25=v, dense_max=True, q_share=sh)
    result = {"provenance": provenance(engine), "folds": FOLDS, "fixed": {}, "cv": {}}
    for name, s in fixed.items():
        result["fixed"][name] = {f.name: summary([(c, scorer.metrics(c, s)) for c in cases
                                                  if c.file == f.name]) for f in args.queries}
    held_by: dict = {}

    def held_out(name: str, grid: list, shapes: bool = True) -> None:
        """Cross-validate `grid`; keep its held-out figures per file under `name`."""
        held, chosen = cross_validate(scorer, cases, grid, shapes=shapes)
        held_by[name] = held
        result["cv"][name] = {
            "per_file": {f.name: summary([(c, held[(c.file, c.q.id)]) for c in cases
                                          if c.file == f.name]) for f in args.queries},
            "chosen": chosen}

    for v in variants[:2]:
        grid = [Setting(bm25=v, w_bm25=w) for w in BM25_GRID]
        if qidx is not None:
            grid = [Setting(bm25=v, w_bm25=w, w_question=q) for w in BM25_GRID
                    for q in QVEC_GRID]
        held_out(f"{v}+shape-weights", grid)
        if qidx is not None:
            # one fitted setting for all shapes: question-vector offset and BM25 weight
            held_out(f"{v}+qmax-cv", [Setting(bm25=v, w_bm25=w, dense_max=True, q_offset=off)
                                      for w in BM25_GRID for off in Q_OFFSETS], shapes=False)
            # one parameter only: how much of the question's lead over the chunk counts
            held_out(f"{v}+qshare-cv", [Setting(bm25=v, dense_max=True, q_share=sh)
                                        for sh in Q_SHARES], shapes=False)
    per_setting = {name: {(c.file, c.q.id): scorer.metrics(c, s) for c in cases}
                   for name, s in fixed.items()}
    for name in result["cv"]:
        per_setting[name] = held_by[name]
    result["significance_vs_base"] = significance(args.queries, cases, per_setting)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["shapes"] = {f.name: {sh: sum(1 for c in cases if c.file == f.name and
                                         shape(c.text) == sh) for sh in ("question", "keyword",
                                                                         "id")}
                        for f in args.queries}
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    for name, per in {**result["fixed"], **{k: v["per_file"] for k, v in
                                           result["cv"].items()}}.items():
        print(name, json.dumps({f: {k: b for k, b in d.items() if k in ("all", "citizen")}
                                for f, d in per.items()}))


if __name__ == "__main__":
    main()
