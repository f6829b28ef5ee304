"""The issue 11/13 labs' own arithmetic: folds by document, where a lead is lost, the best
sentence per chunk, the lift with an offset (eval/answer_lab.py, eval/sentence_lab.py), and
the candidate answerability signals (eval/abstain_lab.py)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eval"))

answer_lab = pytest.importorskip("answer_lab")
sentence_lab = pytest.importorskip("sentence_lab")
abstain_lab = pytest.importorskip("abstain_lab")


def case(i: int, docs: list[str], **kw) -> dict:
    base = {"id": f"q{i}", "file": "a.jsonl", "docs": docs, "abstained": False, "lead": False,
            "cited_evidence": [], "top10_evidence": False, "cands": []}
    return base | kw


def test_questions_sharing_a_document_share_a_fold():
    cases = [case(0, ["d1"]), case(1, ["d1", "d2"]), case(2, ["d2"]), case(3, ["d3"]),
             case(4, []), case(5, ["d4"]), case(6, ["d5"])]
    answer_lab.assign_folds(cases, k=3)
    assert cases[0]["fold"] == cases[1]["fold"] == cases[2]["fold"]  # d1 - d2 chain
    assert all(0 <= c["fold"] < 3 for c in cases)


def test_decomposition_names_where_the_lead_is_lost():
    cases = [case(0, [], lead=True, cited_evidence=[True]),
             case(1, [], cited_evidence=[True, False]),
             case(2, [], cited_evidence=[False, True]),
             case(3, [], cited_evidence=[False], top10_evidence=True),
             case(4, [], cited_evidence=[False]),
             case(5, [], abstained=True)]
    d = answer_lab.decomposition(cases)
    assert d["lead_evidence_rate"] == 1 / 6
    assert d["counts"] == {
        "lead is evidence": 1,
        "first cited passage holds evidence, another sentence leads": 1,
        "a later cited passage holds evidence": 1,
        "a top-10 passage not cited holds evidence": 1,
        "no evidence in the top 10": 1, "abstained": 1}


def cand(text: str, label: bool, src_pos: int, **kw) -> dict:
    return {"text": text, "index": 0, "sem": 0.8, "lex": 0.0, "rank": 1, "pgap": 0.0,
            "preamble": False, "src_pos": src_pos, "ref": False, "ref_only": False,
            "plen": 100, "form": 0.0, "label": label} | kw


def test_oracle_bounds_grow_with_the_pool():
    c = case(0, [], cands=[cand("a", False, 0), cand("b", True, 1), cand("c", False, -1)])
    d = case(1, [], cands=[cand("a", False, 0), cand("z", True, -1, rank=7)])
    o = answer_lab.oracle([c, d])
    assert o["first cited passage"] == 0.0
    assert o["all cited passages"] == 0.5
    assert o["any top-10 passage"] == 1.0


def test_simulated_lead_takes_the_first_cited_passages_best_sentence():
    lead_in = cand("Dazu teilt die Behörde Folgendes mit:", False, 0, sem=0.86)
    answer = cand("Es sind 12 Stellen.", True, 0, sem=0.84, index=1)
    elsewhere = cand("Anderswo 3 Stellen.", False, 1, sem=0.95)
    c = case(0, [], query="Wie viele Stellen gibt es?", cands=[lead_in, answer, elsewhere])
    assert answer_lab.simulated_lead(c, answer_lab.SHIPPED) == 1  # lead-in penalty decides
    assert answer_lab.simulated_lead(c, (4.0, 0.1, 0.0, 0.0, 0.0)) == 0


def sentence_db(rows: list[tuple[int, str, list[float]]]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE chunks (id INTEGER PRIMARY KEY, chunk_id TEXT)")
    conn.execute("CREATE TABLE sentences (chunk_id TEXT, ord INTEGER, vec BLOB)")
    for n, (cid, name, vec) in enumerate(rows):
        conn.execute("INSERT OR IGNORE INTO chunks VALUES (?, ?)", (cid, name))
        conn.execute("INSERT INTO sentences VALUES (?, ?, ?)",
                     (name, n, np.asarray(vec, np.float16).tobytes()))
    return conn


def test_best_sentence_per_chunk():
    conn = sentence_db([(2, "b", [0.0, 1.0]), (1, "a", [1.0, 0.0]), (2, "b", [0.6, 0.8]),
                        (3, "c", [0.0, -1.0])])
    sv = sentence_lab.SentenceVectors(conn)
    best = sv.best(np.array([1.0, 0.0], np.float32), 2)
    assert [i for i, _ in best] == [1, 2]
    assert best[1][1] == pytest.approx(0.6, abs=1e-3)  # b's better sentence, not its first


def test_lift_with_offset():
    dense = [(1, 0.90), (2, 0.85)]
    out = dict(sentence_lab.lifted(dense, [(2, 0.95), (3, 0.80)], 1.0, 0.02))
    assert out[2] == pytest.approx(0.93)  # lifted to the sentence cosine less the offset
    assert out[1] == pytest.approx(0.90)
    assert out[3] == pytest.approx(0.85)  # below the floor: keeps the last chunk cosine


def test_abstain_lab_signals_of_the_reranked_passages():
    from anfragen.models import Chunk, Hit

    def hit(n: int, rerank: float, cos: float) -> Hit:
        return Hit(Chunk(f"c{n}", "d", (n,), "t", "t"), 0.0, n,
                   {"rerank": rerank, "cosine": cos})

    hits = [hit(1, 9.0, 0.90), hit(2, 2.0, 0.91), hit(3, 1.0, 0.80)]
    # rows as answerability.passage_features gives them: (hit, coverage, features)
    rows = [(h, None, {"cos": h.scores["cosine"], "hard": float(h.rank == 1),
                       "missing_idf": 0.5 * h.rank}) for h in hits]
    f = abstain_lab.extra_features(rows, hits, {"c1": 0.95, "c2": 0.92})
    assert f["rr_top"] == 9.0 and f["rr_margin"] == 3.0  # 7.0, capped
    assert f["rr_share"] == pytest.approx(1 / (1 + np.exp(-7.0) + np.exp(-8.0)))
    assert f["sent_top3"] == 0.95  # the best stored sentence among the top three
    assert f["sent_clean"] == 0.92  # ... among the passages lacking no specific
    assert f["sent_gap"] == pytest.approx(0.03)
    assert f["rr_clean_gap"] == 3.0  # 9 - 2, capped
    assert f["first_hard"] == 1.0 and f["first_missing_idf"] == 0.5
