"""Feedback lives in its own versioned SQLite file, survives rebuilds and is per session."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from support import CORPUS

from anfragen.feedback import MIGRATIONS, SCHEMA_VERSION, FeedbackStore, FeedbackStoreError
from anfragen.index import store as index_store
from anfragen.index.directory import DB_NAME
from anfragen.pipeline import Engine

CITES = [{"n": 1, "doc_id": "hessen-seed/x", "drucksache": "20/1"}]


def small_engine(tmp_path: Path) -> Engine:
    eng = Engine(index_dir=tmp_path / "index", model="fake")
    eng.ingest([CORPUS / "hessen-seed"])
    return eng


def test_each_session_sees_only_its_own(tmp_path) -> None:
    fb = FeedbackStore.open(tmp_path / "feedback.sqlite")
    fb.add("Frage A", "Antwort", CITES, True, "gut", {"mode": "hybrid"}, session="a")
    fb.add("Frage B", "Antwort", [], False, "", None, session="b")
    assert [r["query"] for r in fb.list("a")] == ["Frage A"]
    assert [r["query"] for r in fb.list("b")] == ["Frage B"]
    assert [r["query"] for r in fb.list()] == ["Frage A", "Frage B"]
    assert fb.list("a")[0]["citations"] == CITES and fb.list("c") == []


def test_a_version_1_file_is_migrated_and_keeps_its_rows(tmp_path) -> None:
    path = tmp_path / "feedback.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(MIGRATIONS[1][0])
    conn.execute("INSERT INTO feedback (query, helpful, citations) VALUES ('alt', 1, '[]')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    fb = FeedbackStore.open(path)
    assert fb.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert [(r["query"], r["session"]) for r in fb.list()] == [("alt", "")]


def test_a_newer_file_is_refused_with_advice(tmp_path) -> None:
    path = tmp_path / "feedback.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(FeedbackStoreError, match="anfragen aktualisieren"):
        FeedbackStore.open(path)


def test_feedback_in_an_old_index_is_moved_out_once(tmp_path) -> None:
    eng = small_engine(tmp_path)
    conn = index_store.connect(tmp_path / "index" / DB_NAME)
    index_store.add_feedback(conn, "aus dem Index", "A", CITES, True, "alt")
    conn.close()
    assert [r["query"] for r in eng.list_feedback()] == ["aus dem Index"]
    eng.close()
    again = Engine(index_dir=tmp_path / "index", model="fake")
    assert len(again.list_feedback()) == 1  # a second open copies nothing twice
    assert again.feedback_path() == tmp_path / "feedback.sqlite"


def test_a_rebuild_keeps_the_feedback(tmp_path) -> None:
    eng = small_engine(tmp_path)
    eng.feedback("Frage", "Antwort", CITES, helpful=False, reason="fehlt", session="s1")
    eng.ingest([CORPUS / "hessen-seed"], rebuild=True)
    assert [(r["query"], r["session"]) for r in eng.list_feedback("s1")] == [("Frage", "s1")]
    eng.close()
