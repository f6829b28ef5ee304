"""The lean query path: LRU cache and imports (fast); ONNX equals sentence-transformers (slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support import CORPUS, ROOT, copy_corpus

from anfragen.embed import FakeEmbedder, QueryCache
from anfragen.embed.onnx_export import EXPORT_VERSION, ONNX_MARKER, read_onnx_marker
from anfragen.embed.onnx_query import OnnxQueryEmbedder
from anfragen.pipeline import Engine

DEV_QUERIES = ROOT / "eval" / "datasets" / "dev" / "queries.jsonl"


def test_query_cache_keeps_the_most_recent():
    cache = QueryCache(size=2)
    a, b, c = (np.full(3, x, np.float32) for x in (1.0, 2.0, 3.0))
    cache.put("a", a)
    cache.put("b", b)
    assert cache.get("a") is a  # "a" is now the most recent, so "b" goes first
    cache.put("c", c)
    assert cache.get("b") is None and cache.get("a") is a and cache.get("c") is c
    cache.clear()
    assert cache.get("a") is None


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, counting the query texts it is asked to encode."""

    def __init__(self) -> None:
        super().__init__(dim=3)
        self.calls: list[list[str]] = []

    def embed_queries(self, texts):
        self.calls.append(list(texts))
        return np.stack([np.full(3, len(t), np.float32) for t in texts])


def test_repeated_queries_are_encoded_once(tmp_path):
    emb = CountingEmbedder()
    engine = Engine.open(tmp_path / "index", embedder=emb)
    engine.ingest([copy_corpus(tmp_path / "corpus", ("hessen-seed",))])
    first = engine.embed_query("eins")
    first[0] = 99.0  # the caller's copy; the cache must not see this
    engine.embed_query("zwei!")
    assert engine.embed_query("eins")[0] == 4.0
    engine.embed_query("drei")
    assert emb.calls == [["eins"], ["zwei!"], ["drei"]]  # "eins" the second time: cached


def test_onnx_embedder_passes_through_to_the_wrapped_one():
    emb = OnnxQueryEmbedder(FakeEmbedder(dim=3), "query: ", backend="torch")
    assert emb.dim == 3 and emb.fingerprint == FakeEmbedder(dim=3).fingerprint
    np.testing.assert_array_equal(emb.embed_queries(["a"]),
                                  FakeEmbedder(dim=3).embed_queries(["a"]))


def test_stale_export_is_not_used(tmp_path):
    (tmp_path / "model.onnx").write_bytes(b"graph")
    (tmp_path / "token_embeddings.npy").write_bytes(b"table")
    marker = {"source_fingerprint": "sha256:old", "export_version": EXPORT_VERSION}
    (tmp_path / ONNX_MARKER).write_text(json.dumps(marker), "utf-8")
    assert read_onnx_marker(tmp_path, "sha256:old") is not None
    assert read_onnx_marker(tmp_path, "sha256:new") is None  # other weights: export again
    (tmp_path / "model.onnx").unlink()
    assert read_onnx_marker(tmp_path, "sha256:old") is None  # half an export


def test_cli_and_query_modules_import_no_torch():
    code = (
        "import sys, anfragen.cli.main, anfragen.pipeline, anfragen.embed.onnx_query, "
        "anfragen.retrieve, anfragen.answer.extractive\n"
        "heavy = sorted(m for m in ('torch', 'sentence_transformers', 'transformers') "
        "if m in sys.modules)\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------ slow


@pytest.fixture(scope="module")
def e5():
    from anfragen.embed.sentence_transformer import load_embedder

    emb = load_embedder(None)  # in the tests' cache (conftest's session fixture)
    assert isinstance(emb, OnnxQueryEmbedder)
    emb.query_encoder()  # exports into the test's cache on first use
    return emb


@pytest.mark.slow
def test_onnx_query_vectors_equal_sentence_transformers_on_dev(e5):
    texts = [json.loads(line)["text"] for line in DEV_QUERIES.read_text("utf-8").splitlines()
             if line.strip()]
    onnx = e5.embed_queries(texts)
    torch = e5.embed_queries_torch(texts)
    cosines = (onnx * torch).sum(axis=1)
    assert len(texts) >= 20 and cosines.min() >= 0.999, cosines.min()
    np.testing.assert_allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    enc = e5.query_encoder()
    assert enc.token_ids(texts[0])[1:] == e5.token_ids("query: " + texts[0])[1:]


@pytest.mark.slow
def test_one_shot_ask_imports_no_torch(e5, tmp_path):
    from anfragen.pipeline import Engine

    index = tmp_path / "index"
    # the engine's model must be the one in this test's cache, which the subprocess reads: an
    # embedder an earlier test loaded from its own cache would leave this one unconverted (the
    # subprocess then converted the model, with torch; the CI failure of the last session)
    engine = Engine.open(index)
    engine.ingest([CORPUS / "hessen-seed"])
    engine.search("HessenConnect")  # the first query exports the ONNX model once (with torch)
    code = (
        "import sys; from anfragen.cli.main import main\n"
        f"rc = main(['ask', 'Können hessische Kommunen HessenConnect 2.0 nutzen?', "
        f"'--index', {str(index)!r}, '--json'])\n"
        "heavy = [m for m in ('torch', 'sentence_transformers') if m in sys.modules]\n"
        "assert rc == 0 and not heavy, (rc, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ))
    assert out.returncode == 0, out.stderr[-2000:]
    answer = json.loads(out.stdout)
    assert answer["hits"] and Path(index).is_dir()


class _Warming(FakeEmbedder):
    warmed = 0

    def warm_up(self) -> None:
        type(self).warmed += 1


def test_engine_preloads_the_query_model_in_the_background(tmp_path):
    import threading

    from anfragen.pipeline import Engine

    engine = Engine.open(tmp_path / "index", embedder=_Warming(dim=8))
    lock = threading.Lock()
    with lock:  # the app is busy with its own setup: the preload waits for it
        thread = engine.preload(lock)
        thread.join(timeout=0.2)
        assert thread.is_alive() and _Warming.warmed == 0
    thread.join(timeout=10)
    assert not thread.is_alive() and _Warming.warmed == 1
