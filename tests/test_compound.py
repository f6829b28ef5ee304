"""Compound splitting for BM25: the splitter on a small lexicon, the shipped lexicon on the
issue's examples, and BM25 over a real index finding a compound from its part."""

from __future__ import annotations

import pytest
from support import copy_corpus

from anfragen.errors import IndexMismatchError
from anfragen.index import compound, store
from anfragen.index.analyze import (
    COMPOUNDS_ENV,
    LEGACY_ANALYZER,
    analyze,
    bm25_terms,
    fts_document,
    fts_terms,
)
from anfragen.index.directory import check_analyzer
from anfragen.pipeline import Engine
from anfragen.retrieve import RetrievalConfig, splits_compounds

LEX = {"wald": 50, "fläche": 40, "wind": 30, "energie": 60, "anlage": 80, "land": 90,
       "regierung": 70, "landesregierung": 5000, "flächen": 10}


def test_splits_into_known_words_with_linking_elements():
    assert compound.split("waldfläche", LEX) == ["wald", "fläche"]
    assert compound.split("windenergieanlage", LEX) == ["wind", "energie", "anlage"]
    assert compound.split("landesregierung", LEX, keep_frequent=False) == ["landes",
                                                                          "regierung"]


def test_leaves_unknown_short_and_frequent_words_whole():
    assert compound.split("waldxyzfläche", LEX) == []  # a piece no word of the lexicon
    assert compound.split("waldland", LEX) == []  # shorter than MIN_WORD
    assert compound.split("landesregierung", LEX) == []  # more usual whole than in parts
    assert compound.split("anlagewald", {}) == []  # no lexicon: nothing split


def test_shipped_lexicon_splits_the_issues_examples():
    assert compound.parts("distanzelektroimpulsgeräte") == ("distanz", "elektro", "impuls",
                                                            "geräte")
    assert {"wind", "energie", "anlage"} <= set(compound.parts("windenergieanlage"))
    assert compound.parts("waldfläche") == ("wald", "fläche")


def test_bm25_terms_add_parts_but_analyze_stays_as_it_was():
    text = "Windenergieanlagen auf Waldflächen"
    assert "wald" in bm25_terms(text) and "wald" not in analyze(text)
    assert analyze(text) == [t for t in bm25_terms(text) if t in analyze(text)]
    assert "wald" not in fts_terms(text, compounds=False)


def test_bm25_finds_a_compound_from_its_part(tmp_path):
    conn = store.connect(tmp_path / "t.sqlite")
    bodies = {1: fts_document("Neue Windenergieanlagen auf Waldflächen", compounds=True),
              2: fts_document("Schulen und Lehrkräfte im Land", compounds=True),
              3: " ".join(analyze("Waldflächen im alten Index"))}  # body without parts
    conn.executemany("INSERT INTO chunks_fts(rowid, body) VALUES (?, ?)", bodies.items())
    store.refresh_term_rows(conn, force=True)
    assert [i for i, _ in store.bm25_search(conn, "Windräder im Wald?", 10,
                                            compounds=True)] == [1]
    # the body analysed without parts holds "waldflach" only: the part finds no match there
    assert [i for i, _ in store.bm25_search(conn, "Wald", 10, compounds=False)] == [1]


def test_compounds_are_opt_in_recorded_and_never_mixed(tmp_path, monkeypatch):
    corpus = copy_corpus(tmp_path / "corpus", ["hessen-seed"])
    plain = Engine(index_dir=tmp_path / "plain", model="fake")
    plain.ingest([corpus])
    assert plain.index.manifest["analyzer"] == LEGACY_ANALYZER
    assert not splits_compounds(plain.index)
    monkeypatch.setenv(COMPOUNDS_ENV, "1")
    split = Engine(index_dir=tmp_path / "split", model="fake")
    split.ingest([corpus])
    assert splits_compounds(split.index)
    body = split.index.conn.execute("SELECT group_concat(body, ' ') FROM chunks_fts").fetchone()
    plain_body = plain.index.conn.execute(
        "SELECT group_concat(body, ' ') FROM chunks_fts").fetchone()
    assert len(body[0].split()) > len(plain_body[0].split())  # the parts were added
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        plain.ingest([corpus])  # chunks with parts would not fit the bodies without
    monkeypatch.delenv(COMPOUNDS_ENV)
    with pytest.raises(IndexMismatchError, match="ANFRAGEN_BM25_COMPOUNDS"):
        check_analyzer(split.index.manifest, tmp_path / "split")
    # searching works either way, the query analysed as its index was built
    for eng in (plain, split):
        assert eng.search("HessenConnect Kommunen", RetrievalConfig(mode="bm25", k=3))
        eng.close()


def test_compare_accepts_another_index_by_directory(fake_engine, tmp_path):
    from anfragen.errors import AnfragenError
    from anfragen.evaluation.compare import other_engine, parse_configs, target

    assert parse_configs("hybrid,bm25@/x/index") == ["hybrid", "bm25@/x/index"]
    assert target("dense@/x/index") == ("dir:/x/index", "dense")
    with pytest.raises(AnfragenError, match="MODUS@INDEXORDNER"):
        parse_configs("rerank@/x/index")
    with pytest.raises(AnfragenError, match="manifest.json fehlt"):
        other_engine(fake_engine, tmp_path / "nirgends")
    other = other_engine(fake_engine, fake_engine.index_dir)
    assert other.embedder is fake_engine.get_embedder()  # the model is loaded once
