"""The real default model end to end (slow): offline conversion, bundled embedding cache,
retrieval and the grounded answer on real documents."""

from __future__ import annotations

import pytest
from support import CORPUS

from anfragen.pipeline import Engine

pytestmark = pytest.mark.slow

SEED = "hessen-seed/HE_20_hessenconnect-2-0"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    eng = Engine(index_dir=tmp_path_factory.mktemp("real") / "index")
    report = eng.ingest([CORPUS / f for f in ("hessen-seed", "hamburg-ska-archiv-md",
                                              "openka-cli-fixtures")])
    assert report.embedded == 0  # every vector comes from the bundled cache in data/embeddings
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    """The whole bundled corpus, as a user asks the README's examples (about 40 s, all from
    the bundled cache). The answerability model reads word rarity over the index: in the
    three-folder index "baut" and "betreibt" occur nowhere, which is how a near miss looks,
    so the HessenConnect questions are asked here."""
    eng = Engine(index_dir=tmp_path_factory.mktemp("bundled") / "index")
    assert eng.ingest([CORPUS]).embedded == 0
    yield eng
    eng.close()


def test_seed_question_finds_the_joint_answer_first(engine):
    hits = engine.search("Können hessische Kommunen HessenConnect 2.0 nutzen?")
    assert hits[0].chunk.doc_id == SEED
    assert hits[0].chunk.numbers == (1, 2, 3, 4, 5)


def test_seed_question_is_answered_with_the_ministrys_words(engine):
    ans = engine.ask("Dürfen hessische Kommunen HessenConnect 2.0 mitnutzen?")
    assert not ans.abstained
    assert any(c.doc_id == SEED and c.questions == (1, 2, 3, 4, 5) for c in ans.citations)
    assert "vergaberechtlichen Gründen" in ans.text


def test_unrelated_question_abstains(engine):
    ans = engine.ask("Wie viele Giraffen leben im Berliner Zoo?")
    assert ans.abstained and ans.citations == ()


def test_lower_token_limit_changes_only_the_long_passages(engine, tmp_path):
    import numpy as np

    from anfragen.embed.cache import EmbeddingCache
    from anfragen.embed.sentence_transformer import DEFAULT_MAX_TOKENS
    from anfragen.evaluation.bench_embedding import Variant, reembed_copy, token_counts
    from anfragen.index.directory import Index

    src = engine.index  # the finished index the copy is made from
    emb = Variant("256", 16, 256).load(None)
    n = reembed_copy(engine.index_dir, tmp_path / "copy", emb, DEFAULT_MAX_TOKENS)
    copy = Index.open(tmp_path / "copy")
    rows = src.conn.execute("SELECT id, text FROM chunks WHERE vec_id = id").fetchall()
    long = token_counts(emb, [r[1] for r in rows]) > 256
    ids = np.array([r[0] for r in rows], np.int64)
    before = src.vectors.index.reconstruct_batch(ids)
    after = copy.vectors.index.reconstruct_batch(ids)
    same = np.all(before == after, axis=1)
    cos = (before * after).sum(axis=1)
    assert n == long.sum() > 0
    assert np.all(same[~long]) and not np.any(same[long])  # only the long ones re-embedded
    assert 0.95 < cos[long].mean() < 0.9995  # truncated further: changed, still close
    assert copy.manifest["model"]["fingerprint"] == emb.fingerprint != src.manifest["model"][
        "fingerprint"]
    _, found = EmbeddingCache(emb.fingerprint).lookup([r[1] for r in rows])
    assert len(found) == len(rows)  # adopting the variant embeds nothing again
    copy.close()


def test_hessenconnect_use_leads_with_the_answering_sentence(bundled):
    ans = bundled.ask("Können hessische Kommunen HessenConnect 2.0 nutzen?")
    assert not ans.abstained
    assert ans.sentences[0][0].startswith(
        "Aus vergaberechtlichen Gründen ist es nicht möglich, den hessischen Kommunen "
        "HessenConnect 2.0")
    assert all("gemeinsam beantwortet" not in s for s, _ in ans.sentences)


def test_hessenconnect_operator_is_quoted_first(bundled):
    ans = bundled.ask("Welches Unternehmen baut und betreibt HessenConnect 2.0?")
    assert not ans.abstained
    assert ans.sentences[0][0].endswith(
        "hat die Deutsche Telekom den Zuschlag für Aufbau und Betrieb von HessenConnect 2.0 "
        "erhalten.")
    assert all("vorangestellt" not in s for s, _ in ans.sentences)


def test_cross_reference_is_quoted_with_the_referenced_answer(engine):
    from anfragen.answer import answer_from_hits
    from anfragen.answer.answerability import Model
    from anfragen.retrieve import RetrievalConfig

    q = ("Kann die Software atypisches Verhalten von Bewegungen wegen Behinderungen "
         "unterscheiden?")
    pointer = "hamburg-ska-archiv-md/HH_22-12339#9/0"  # "Siehe Antwort zu 4."
    hits = [h for h in engine.search(q, RetrievalConfig(k=100)) if h.chunk.chunk_id == pointer]
    always = Model(("cos",), (0.0,), (1.0,), (0.0,), 10.0, 0.5)
    ans = answer_from_hits(q, hits, lookup=engine.lookup(q), model=always)
    assert [c.questions for c in ans.citations] == [(9,), (4,)]
    assert ans.sentences and all(n == 2 for _, n in ans.sentences)
    assert "Bewegungsmuster" in " ".join(s for s, _ in ans.sentences) or \
        "Strichfiguren" in " ".join(s for s, _ in ans.sentences)
    assert "verweist [1] auf die Antwort zu Frage 4" in ans.text
