"""Fit the answerability model (answerability.py) on query files with unanswerable
questions, cross-validated with documents as folds.

Every question is one example (answerable or not), described by the features of its
closest passages (answerability.question_features); it is answered when the model's
probability reaches the threshold. (A per-passage model, "does this passage hold the
evidence", maxed over the passages, separated answerable from unanswerable questions worse:
abstention 0.44 against 0.56 for the cosine alone at 5% false abstention, cross-validated.)

Folds never split a document: questions are grouped by
the documents that answer them (an unanswerable one by its top-retrieved document), and
questions sharing a document fall into one group. Each fold's threshold is chosen on the
out-of-fold scores of its own training part, so the held-out fold decides nothing.

`anfragen eval calibrate --queries A.jsonl,B.jsonl --write` prints the cross-validated
figures per file and writes answerability.json: the model fitted on all questions, the five
fold models with the questions each one must judge (so `anfragen eval` on these files
reports cross-validated figures), and the data they came from.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anfragen.answer.answerability import (
    MODEL_FILE,
    QUESTION_FEATURES,
    Model,
    passage_features,
    query_key,
    query_terms,
    question_features,
)

from .metrics import Query

N_FOLDS = 5
MAX_FALSE = 0.04  # false abstention allowed when choosing a threshold (goal: <= 0.05)
C = 0.1  # inverse L2 strength (0.05-0.1 beat 0.3 and 1.0 in cross-validation on the dev files)


@dataclass(frozen=True)
class QueryRows:
    """One question's features, and the documents by which it is grouped into folds."""

    query: Query
    file: str
    feats: tuple[float, ...]
    docs: frozenset[str]


def collect(engine, queries: Sequence[Query], file: str, mode: str = "hybrid") -> list[QueryRows]:
    from anfragen.retrieve import RetrievalConfig

    from .metrics import held_out_rerankers, held_out_search

    rerankers = held_out_rerankers(engine)
    out = []
    for q in queries:
        hits = held_out_search(engine, q.text, RetrievalConfig(mode=mode, k=10), rerankers)
        lookup = engine.lookup(q.text, mode != "bm25")
        rows = passage_features(query_terms(q.text, lookup.term_rows, lookup.n_chunks), hits)
        feats = question_features(rows) or dict.fromkeys(QUESTION_FEATURES, 0.0)
        docs = {u.split("#", 1)[0] for u in q.relevant} if q.relevant else \
            {h.chunk.doc_id for h, _, _ in rows[:1]}
        out.append(QueryRows(q, file, tuple(feats[k] for k in QUESTION_FEATURES),
                             frozenset(docs)))
    return out


def groups(rows: Sequence[QueryRows]) -> list[int]:
    """Connected components of questions that share a document (union-find)."""
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, r in enumerate(rows):
        for d in sorted(r.docs):
            j = first.setdefault(d, i)
            parent[find(i)] = find(j)
    return [find(i) for i in range(len(rows))]


def fit(rows: Sequence[QueryRows], threshold: float = 0.5) -> Model:
    from sklearn.linear_model import LogisticRegression

    x = np.array([r.feats for r in rows], dtype=float).reshape(-1, len(QUESTION_FEATURES))
    y = np.array([r.query.answerable for r in rows], dtype=int)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=C, max_iter=2000)
    lr.fit((x - mean) / scale, y)
    return Model(QUESTION_FEATURES, tuple(mean.tolist()), tuple(scale.tolist()),
                 tuple(lr.coef_[0].tolist()), float(lr.intercept_[0]), threshold)


def query_score(model: Model, r: QueryRows) -> float:
    return model.probability(dict(zip(QUESTION_FEATURES, r.feats, strict=True)))


def rates(scores: Sequence[float], answerable: Sequence[bool], t: float) -> tuple[float, float]:
    """(abstention on unanswerable, false abstention on answerable) at threshold t."""
    un = [s for s, a in zip(scores, answerable, strict=True) if not a]
    an = [s for s, a in zip(scores, answerable, strict=True) if a]
    return (sum(s < t for s in un) / len(un) if un else 0.0,
            sum(s < t for s in an) / len(an) if an else 0.0)


def choose_threshold(scores: Sequence[float], answerable: Sequence[bool],
                     max_false: float = MAX_FALSE) -> float:
    """The highest-abstention threshold whose false abstention stays within max_false."""
    values = sorted(set(scores))
    cands = [(a + b) / 2 for a, b in zip(values, values[1:], strict=False)] or [0.5]

    def key(t: float) -> tuple:
        abst, false = rates(scores, answerable, t)
        return (false <= max_false, abst - (false if false > max_false else 0.0), -t)

    return max(cands, key=key)


def out_of_fold(rows: Sequence[QueryRows], seed: int = 0) -> tuple[list[float], list[Model],
                                                                   list[int]]:
    """Scores of every question by a model that never saw its group, each fold's model
    (threshold chosen inside its training part), and the fold of every question."""
    from sklearn.model_selection import StratifiedGroupKFold

    answerable = [r.query.answerable for r in rows]
    cv = StratifiedGroupKFold(n_splits=N_FOLDS, shuffle=True, random_state=seed)
    scores, fold_of = [0.0] * len(rows), [0] * len(rows)
    models = []
    for k, (train, test) in enumerate(cv.split(rows, answerable, groups(rows))):
        part = [rows[i] for i in train]
        inner = inner_scores(part, seed)
        t = choose_threshold(inner, [r.query.answerable for r in part])
        model = fit(part, t)
        models.append(model)
        for i in test:
            scores[i], fold_of[i] = query_score(model, rows[i]), k
    return scores, models, fold_of


def inner_scores(rows: Sequence[QueryRows], seed: int) -> list[float]:
    from sklearn.model_selection import StratifiedGroupKFold

    answerable = [r.query.answerable for r in rows]
    cv = StratifiedGroupKFold(n_splits=N_FOLDS, shuffle=True, random_state=seed + 1)
    scores = [0.0] * len(rows)
    for train, test in cv.split(rows, answerable, groups(rows)):
        model = fit([rows[i] for i in train])
        for i in test:
            scores[i] = query_score(model, rows[i])
    return scores


def cv_figures(rows: Sequence[QueryRows], scores: Sequence[float], models: Sequence[Model],
               fold_of: Sequence[int]) -> dict:
    """Cross-validated abstention and false abstention per file and per kind, each question
    judged by its fold's model and threshold."""
    decided = [s >= models[f].threshold for s, f in zip(scores, fold_of, strict=True)]
    out: dict = {}
    for key in sorted({r.file for r in rows}) + ["all"]:
        idx = [i for i, r in enumerate(rows) if key in ("all", r.file)]
        un = [i for i in idx if not rows[i].query.answerable]
        an = [i for i in idx if rows[i].query.answerable]
        out[key] = {"n": len(idx),
                    "abstention_rate": round(sum(not decided[i] for i in un) / len(un), 4)
                    if un else None,
                    "false_abstention_rate": round(sum(not decided[i] for i in an) / len(an), 4)
                    if an else None}
    return out


def fit_all(rows: Sequence[QueryRows], files: Sequence[str], command: str) -> dict:
    """The model on all questions, the fold models, their figures and provenance."""
    scores, models, fold_of = out_of_fold(rows)
    all_t = choose_threshold(scores, [r.query.answerable for r in rows])
    final = fit(rows, all_t)
    return {
        "model": final.to_dict(),
        "folds": [m.to_dict() for m in models],
        "fold_of": {query_key(r.query.text): f for r, f in zip(rows, fold_of, strict=True)},
        "cross_validated": cv_figures(rows, scores, models, fold_of),
        "data": {"files": list(files), "n": len(rows),
                 "n_answerable": sum(r.query.answerable for r in rows),
                 "folds": N_FOLDS,
                 "grouping": "documents (unanswerable: top-retrieved document)",
                 "date": time.strftime("%Y-%m-%d"), "commit": git_commit(), "command": command},
    }


def git_commit() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=5).stdout.strip()
    except OSError:
        return ""


def write(result: dict, path: Path = MODEL_FILE) -> None:
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def calibrate_answerability(engine, files: Sequence[Path], mode: str, write_file: bool) -> dict:
    """Collect, cross-validate, print the figures, and write answerability.json on request."""
    import sys

    from .metrics import load_queries

    rows: list[QueryRows] = []
    for f in files:
        rows += collect(engine, load_queries(f), str(f), mode)
    command = "anfragen " + " ".join(sys.argv[1:])
    result = fit_all(rows, [str(f) for f in files], command)
    result["data"]["model_fingerprint"] = engine.index.manifest["model"]["fingerprint"]
    for key, fig in result["cross_validated"].items():
        print(f"Antwortbarkeit, kreuzvalidiert ({key}, {fig['n']} Fragen): Enthaltung "
              f"{fig['abstention_rate']}, falsche Enthaltung {fig['false_abstention_rate']}")
    if write_file:
        write(result)
        print(f"geschrieben: {MODEL_FILE}")
    return result
