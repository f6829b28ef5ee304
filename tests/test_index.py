"""The index directory: incremental ingest, prune, mismatch refusal, crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from support import copy_corpus

from anfragen.chunk import ChunkerSettings
from anfragen.errors import IndexMismatchError, IndexMissingError
from anfragen.index.directory import Index
from anfragen.pipeline import Engine


def counts(index_dir: Path) -> dict:
    idx = Index.open(index_dir)
    try:
        return idx.counts()
    finally:
        idx.close()


def test_ingest_builds_sqlite_faiss_and_manifest(fake_index):
    m = json.loads((fake_index / "manifest.json").read_text())
    assert m["model"]["id"] == "fake" and m["chunker"] == ChunkerSettings().to_dict()
    c = counts(fake_index)
    assert c["documents"] == 14 and c["chunks"] >= c["vectors"] > 14
    assert (fake_index / "vectors.faiss").stat().st_size > 0


def test_reingest_unchanged_embeds_nothing(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus", ["hessen-seed", "hamburg-ska-archiv-md"])
    eng = Engine(index_dir=tmp_path / "index", model="fake")
    first = eng.ingest([corpus])
    assert first.added == 6 and first.chunks_added > 0
    again = eng.ingest([corpus])
    assert (again.added, again.changed, again.unchanged, again.chunks_added) == (0, 0, 6, 0)
    assert again.embedded == 0



def test_a_new_parser_version_reparses_unchanged_files_without_embedding(tmp_path, monkeypatch):
    corpus = copy_corpus(tmp_path / "corpus", ["hessen-seed", "hamburg-ska-archiv-md"])
    eng = Engine.open(tmp_path / "index", "fake")
    first = eng.ingest([corpus])
    monkeypatch.setattr("anfragen.index.ingest.PARSER_VERSION", 999)
    again = eng.ingest([corpus])
    assert (again.changed, again.unchanged) == (first.added, 0)
    assert again.embedded == 0 and again.chunks_total == first.chunks_total
    assert eng.ingest([corpus]).unchanged == first.added

def test_changed_file_is_replaced_and_prune_drops_gone_files(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus", ["hessen-seed", "hamburg-ska-archiv-md"])
    eng = Engine(index_dir=tmp_path / "index", model="fake")
    eng.ingest([corpus])
    before = counts(tmp_path / "index")
    seed = corpus / "hessen-seed" / "HE_20_hessenconnect-2-0.txt"
    seed.write_text(seed.read_text(encoding="utf-8") + "\nNachtrag: Gesundheitsregionen.\n",
                    encoding="utf-8")
    r = eng.ingest([corpus])
    assert (r.changed, r.unchanged) == (1, 5)
    assert counts(tmp_path / "index")["chunks"] == before["chunks"]
    (corpus / "hamburg-ska-archiv-md" / "HH_23-4418.md").unlink()
    r = eng.ingest([corpus])
    assert r.removed == 0 and counts(tmp_path / "index")["documents"] == 6  # no --prune
    r = eng.ingest([corpus], prune=True)
    after = counts(tmp_path / "index")
    assert r.removed == 1 and after["documents"] == 5
    assert after["chunks"] < before["chunks"] and after["vectors"] < before["vectors"]


def test_bad_files_are_reported_and_the_rest_is_indexed(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus", ["hessen-seed"])
    (corpus / "hessen-seed" / "leer.txt").write_bytes(b"")
    (corpus / "hessen-seed" / "bild.txt").write_bytes(b"\x89PNG\x00\x00" * 100)
    (corpus / "hessen-seed" / "kaputt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<")
    eng = Engine(index_dir=tmp_path / "index", model="fake")
    r = eng.ingest([corpus])
    assert r.added == 1 and len(r.failed) == 3
    names = " ".join(reason for _, reason in r.failed)
    assert "leer.txt" in names and "bild.txt" in names and "kaputt.pdf" in names


def test_model_or_chunker_mismatch_is_refused_with_the_fix(fake_index):
    eng = Engine(index_dir=fake_index, model="fake", settings=ChunkerSettings(max_chars=900))
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        eng.search("Radwege")
    idx = Index.open(fake_index)
    with pytest.raises(IndexMismatchError, match="anderes"):
        idx.check_compatible("sha256:other-model", ChunkerSettings())
    idx.close()


def test_missing_index_names_the_command(tmp_path):
    with pytest.raises(IndexMissingError, match="anfragen ingest"):
        Index.open(tmp_path / "nirgends")


def test_rebuild_replaces_everything(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus", ["hessen-seed"])
    eng = Engine(index_dir=tmp_path / "index", model="fake")
    eng.ingest([corpus])
    r = eng.ingest([corpus], rebuild=True)
    assert r.added == 1 and r.unchanged == 0


KILL_SCRIPT = """
import sys, time
from pathlib import Path
from anfragen.embed.fake import FakeEmbedder
from anfragen.pipeline import Engine

class Slow(FakeEmbedder):
    def __init__(self):
        super().__init__()
        self.fingerprint = f"fake-slow-{time.time()}"  # nothing cached: it must embed

    def embed_passages(self, texts, progress=None):
        print("embedding", flush=True)
        time.sleep(60)
        return super().embed_passages(texts, progress)

eng = Engine(index_dir=Path(sys.argv[1]), embedder=Slow())
eng.ingest([Path(sys.argv[2])], rebuild=True)
"""


def test_killed_ingest_leaves_previous_index_usable(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus", ["hessen-seed", "hamburg-ska-archiv-md"])
    index = tmp_path / "index"
    Engine(index_dir=index, model="fake").ingest([corpus / "hessen-seed"])
    before = counts(index)
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(index), str(corpus)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "embedding"  # mid-ingest, work dir written
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert counts(index) == before
    eng = Engine(index_dir=index, model="fake")
    hits = eng.search("HessenConnect Kommunen")
    assert hits and hits[0].chunk.doc_id == "hessen-seed/HE_20_hessenconnect-2-0"
    r = eng.ingest([corpus])  # the stale work dir of the killed process is cleaned up
    assert r.added == 5 and not list(tmp_path.glob(".index.ingest-*"))


def test_parts_without_vector_borrow_their_units_cosine(tmp_path):
    from anfragen.index import store

    eng = Engine(index_dir=tmp_path / "index", model="fake",
                 settings=ChunkerSettings(max_chars=700, min_answer_chars=300, overlap=0,
                                          max_dense_parts=2))
    corpus = copy_corpus(tmp_path / "corpus", ["hessen-seed"])
    eng.ingest([corpus])
    idx = eng.index
    rows = idx.conn.execute("SELECT id, vec_id, part FROM chunks ORDER BY id").fetchall()
    deep = [r for r in rows if r["part"] >= 2]
    assert deep and all(r["vec_id"] != r["id"] for r in deep)
    assert idx.vectors.ntotal == sum(r["vec_id"] == r["id"] for r in rows) < len(rows)
    q = eng.get_embedder().embed_queries(["HessenConnect"])[0]
    cos = eng.cosines([deep[0]["id"], deep[0]["vec_id"]], q)
    assert cos[0] == cos[1] is not None
    assert store.vector_ids(idx.conn, [deep[0]["id"]])[deep[0]["id"]] == deep[0]["vec_id"]


def _index_rows(index_dir: Path) -> list:
    idx = Index.open(index_dir)
    try:
        return idx.conn.execute("SELECT id, doc_id, text FROM chunks ORDER BY id").fetchall()
    finally:
        idx.close()


def test_parsing_in_a_worker_process_indexes_the_same(tmp_path, monkeypatch):
    corpus = copy_corpus(tmp_path / "corpus", ["hessen-seed", "hamburg-ska-archiv-md",
                                              "openka-cli-fixtures"])
    (corpus / "hessen-seed" / "kaputt.txt").write_bytes(b"\x00\x01\x02" * 50)  # refused
    reports = {}
    monkeypatch.setenv("ANFRAGEN_CACHE", str(tmp_path / "cache"))  # others' vectors stay apart
    for workers in ("0", "1"):
        monkeypatch.setenv("ANFRAGEN_READ_WORKERS", workers)
        eng = Engine.open(tmp_path / f"index-{workers}", "fake")
        reports[workers] = eng.ingest([corpus])
        eng.close()
    one, zero = reports["1"], reports["0"]
    assert (one.added, one.unchanged, one.chunks_added) == (zero.added, zero.unchanged,
                                                            zero.chunks_added)
    assert one.failed == zero.failed and len(one.failed) == 1 and "kaputt.txt" in one.failed[0][0]
    assert one.warnings == zero.warnings and one.fallbacks == zero.fallbacks
    assert _index_rows(tmp_path / "index-1") == _index_rows(tmp_path / "index-0")
