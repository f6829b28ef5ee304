"""Question vectors (index/qvecs.py): stored at ingest on request, searched by the dense leg
as the better of a chunk's two cosines, removed with their document, exported to the cache."""

from __future__ import annotations

import numpy as np
import pytest
from support import copy_corpus

from anfragen.embed.cache import BundledCache, text_key
from anfragen.index import store
from anfragen.index.qvecs import ENV
from anfragen.pipeline import Engine
from anfragen.retrieve import RetrievalConfig, lift


@pytest.fixture
def q_engine(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "1")
    corpus = copy_corpus(tmp_path / "corpus", ["hessen-seed", "kleineanfragen-fixture-saarland"])
    eng = Engine(index_dir=tmp_path / "index", model="fake")
    report = eng.ingest([corpus])
    yield eng, corpus, report
    eng.close()


def printed_questions(eng: Engine) -> dict[int, str]:
    """First chunk with a vector of its own per unit -> what its question vector embeds:
    the document's title, a line break, the printed question."""
    rows = eng.index.conn.execute(
        "SELECT c.id, c.doc_id, c.numbers, c.question_text, d.title FROM chunks c JOIN "
        "documents d ON d.doc_id = c.doc_id WHERE c.vec_id = c.id AND "
        "c.kind NOT LIKE 'preamble%' ORDER BY c.id").fetchall()
    first: dict[tuple, tuple[int, str]] = {}
    for i, doc, numbers, q, title in rows:
        text = f"{title.strip()}\n{q.strip()}" if (q or "").strip() else ""
        first.setdefault((doc, numbers), (i, text))
    return {i: q for i, q in first.values() if q}


def test_one_question_vector_per_unit_even_for_a_long_answer(q_engine):
    eng, _, _ = q_engine
    parts = eng.index.conn.execute(
        "SELECT doc_id, numbers, count(*) FROM chunks WHERE vec_id = id AND kind = 'qa' "
        "GROUP BY doc_id, numbers HAVING count(*) > 1").fetchall()
    assert parts, "the fixture document should hold a unit split into several parts"
    stored = set(eng.index.question_vectors().ids().tolist())
    for doc, numbers, _ in parts:
        ids = [r[0] for r in eng.index.conn.execute(
            "SELECT id FROM chunks WHERE doc_id=? AND numbers=? AND vec_id = id ORDER BY id",
            (doc, numbers))]
        assert [i for i in ids if i in stored] == ids[:1]


def test_lift_adds_a_share_of_the_questions_lead():
    chunks = [(1, 0.80), (2, 0.70), (3, 0.60)]
    questions = [(2, 0.94), (1, 0.70), (9, 0.65)]
    # 2: 0.70 + 0.5 * 0.24; 1 keeps its own (its question trails); 9 was not in the chunk
    # search, so it starts from the last chunk cosine there (0.60)
    merged = lift(chunks, questions, 0.5, depth=4)
    assert merged == [(2, pytest.approx(0.82)), (1, 0.80), (9, pytest.approx(0.625)),
                      (3, 0.60)]
    assert lift(chunks, questions, 1.0, depth=1) == [(2, 0.94)]


def test_ingest_stores_one_question_vector_per_chunk_with_a_printed_question(q_engine):
    eng, _, report = q_engine
    questions = printed_questions(eng)
    assert questions and report.questions["questions"] == len(questions)
    assert eng.index.counts()["question_vectors"] == len(questions)
    assert eng.index.manifest["counts"]["question_vectors"] == len(questions)
    ids = sorted(eng.index.question_vectors().ids().tolist())
    assert ids == sorted(questions)


def test_dense_leg_scores_a_chunk_by_its_printed_question(q_engine):
    eng, _, _ = q_engine
    cid, question = next(iter(printed_questions(eng).items()))
    with_q = eng.search(question, RetrievalConfig(mode="dense", k=5, question_share=1.0))
    without = eng.search(question, RetrievalConfig(mode="dense", k=5, question_vectors=False))
    top = with_q[0]
    # the fake embedder gives a query and a passage of the same text the same vector
    assert question.endswith(top.chunk.question_text.strip())
    assert top.score == pytest.approx(1.0, abs=2e-3)  # stored as float16
    assert without[0].score < top.score
    # the hit's cosine stays the chunk vector's own (the answer stage is calibrated on it)
    chunk_cos = eng.index.vectors.cosines([top_id(eng, top)], eng.embed_query(question))[0]
    assert top.scores["cosine"] == pytest.approx(chunk_cos)


def top_id(eng: Engine, hit) -> int:
    return eng.index.conn.execute("SELECT vec_id FROM chunks WHERE chunk_id=?",
                                  (hit.chunk.chunk_id,)).fetchone()[0]


def test_filters_apply_to_question_vectors_too(q_engine):
    eng, _, _ = q_engine
    _, question = next(iter(printed_questions(eng).items()))
    allowed = store.filtered_ids(eng.index.conn, "documents.parliament = ?", ["nirgendwo"])
    from anfragen.retrieve import dense_ranking

    qv = eng.embed_query(question)
    assert dense_ranking(eng.index, qv, 10, allowed, 1.0) == []


def test_changed_document_replaces_its_question_vectors(q_engine):
    eng, corpus, _ = q_engine
    before = eng.index.counts()["question_vectors"]
    doc = sorted(p for p in (corpus / "hessen-seed").rglob("*") if p.suffix in (".txt", ".md")
                 and p.is_file())[0]
    doc.write_text(doc.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    report = eng.ingest([corpus])
    assert report.changed == 1
    idx = eng.index
    assert idx.counts()["question_vectors"] == before
    orphans = idx.conn.execute("SELECT count(*) FROM question_vectors q WHERE NOT EXISTS "
                               "(SELECT 1 FROM chunks c WHERE c.id = q.id)").fetchone()[0]
    assert orphans == 0


def test_switched_off_ingest_drops_them_and_search_falls_back(q_engine, monkeypatch):
    eng, corpus, _ = q_engine
    monkeypatch.setenv(ENV, "0")
    eng.ingest([corpus])
    assert eng.index.counts()["question_vectors"] == 0
    _, question = next(iter(printed_questions(eng).items()))
    assert eng.search(question, RetrievalConfig(mode="dense", k=3))


def test_second_ingest_embeds_no_question_again(q_engine, tmp_path):
    eng, corpus, _ = q_engine
    again = Engine(index_dir=tmp_path / "index2", model="fake")
    report = again.ingest([corpus])
    again.close()
    assert report.questions["embedded"] == 0 and report.questions["questions"] > 0


def test_export_puts_question_vectors_into_the_bundled_cache(q_engine, tmp_path):
    eng, _, _ = q_engine
    n, _ = eng.export_embeddings(tmp_path / "bundle")
    fp = eng.index.manifest["model"]["fingerprint"]
    cache = BundledCache(tmp_path / "bundle", fp)
    questions = set(printed_questions(eng).values())
    chunk_texts = {t for _, t in store.dense_chunk_texts(eng.index.conn)}
    assert n == len(cache) == len(chunk_texts | questions | sentence_texts(eng))
    q = next(iter(questions))
    vec = cache.get(text_key(fp, q))
    assert vec is not None
    want = eng.get_embedder().embed_passages([q])[0]
    assert np.allclose(vec.astype(np.float32), want, atol=2e-3)


def sentence_texts(eng: Engine) -> set[str]:
    from anfragen.index import sentvecs

    return set(sentvecs.all_vectors(eng.index.conn)[0])


def test_check_names_a_question_vector_without_its_chunk(q_engine):
    from anfragen.index.check import check_index

    eng, _, _ = q_engine
    root = eng.index_dir
    assert check_index(root).ok
    cid = next(iter(printed_questions(eng)))
    eng.close()
    import sqlite3

    conn = sqlite3.connect(str(root / "anfragen.sqlite"))
    with conn:
        conn.execute("UPDATE chunks SET vec_id = NULL WHERE id = ?", (cid,))
    conn.close()
    problems = " ".join(check_index(root).problems)
    assert "Fragenvektoren ohne ihren Chunk" in problems
