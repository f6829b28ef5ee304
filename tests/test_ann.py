"""Approximate search above the size threshold (IVF-SQfp16) and the scale benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support import ROOT, copy_corpus

from anfragen.cli.main import main
from anfragen.errors import IndexMismatchError
from anfragen.index import ann
from anfragen.index.directory import Index
from anfragen.index.vectors import EXACT_TYPE, IVF_TYPE, VectorStore
from anfragen.pipeline import Engine
from anfragen.retrieve import Filters, RetrievalConfig

DIM = 64


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    """Keep FAISS (and spawned benchmark workers) on one core."""
    import faiss

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(before)


def clustered(n: int, seed: int = 0, centers: int = 100) -> np.ndarray:
    """Unit vectors around `centers` random directions: structured like embeddings, unlike
    uniform noise (on which no partitioning index can work). The same directions for every
    seed: later additions come from the distribution the quantiser was trained on."""
    c = np.random.default_rng(0).standard_normal((centers, DIM)).astype(np.float32)
    rng = np.random.default_rng(seed)
    x = c[rng.integers(0, centers, n)] + 0.5 * rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def noisy(x: np.ndarray, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q = x + rng.standard_normal(x.shape).astype(np.float32) / np.sqrt(DIM)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def top_ids(store: VectorStore, q: np.ndarray, k: int = 10, allowed=None) -> list[list[int]]:
    return [[i for i, _ in row] for row in store.search(q, k, allowed)]


def recall(found: list[list[int]], truth: list[list[int]]) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth,
                                                                        strict=True)]))


@pytest.fixture(scope="module")
def pair() -> tuple[VectorStore, VectorStore, np.ndarray, np.ndarray]:
    """(exact, approximate) stores over the same 8,000 vectors with ids 10, 13, 16, ..."""
    x = clustered(8000)
    ids = np.arange(8000, dtype=np.int64) * 3 + 10
    exact = VectorStore(DIM)
    exact.add(ids, x)
    return exact, ann.to_ivf(exact), x, ids


def test_crossing_the_threshold_switches_to_ivf(pair, monkeypatch):
    exact, _, _, _ = pair
    monkeypatch.setenv("ANFRAGEN_ANN_THRESHOLD", "9000")
    assert ann.settle(exact) == (exact, False)
    monkeypatch.setenv("ANFRAGEN_ANN_THRESHOLD", "5000")
    ivf, changed = ann.settle(exact)
    d = ivf.describe()
    assert changed and ivf.is_ivf and ivf.ntotal == 8000
    assert d["type"] == IVF_TYPE and d["nlist"] == 8000 // 32  # 4*sqrt(n) = 357 > n/32
    assert d["nprobe"] in ann.NPROBE_CHOICES and d["recall@10"] >= ann.TARGET_RECALL


def test_recall_at_default_nprobe(pair):
    exact, ivf, x, _ = pair
    q = noisy(x[:200])
    assert recall(top_ids(ivf, q), top_ids(exact, q)) >= 0.9


def test_filter_applies_before_the_cut(pair):
    exact, ivf, x, ids = pair
    allowed = [int(i) for i in ids[::50]]  # 2% of the vectors
    q = noisy(x[:50], seed=2)
    found = top_ids(ivf, q, allowed=allowed)
    assert all(len(row) == 10 and set(row) <= set(allowed) for row in found)
    assert recall(found, top_ids(exact, q, allowed=allowed)) >= 0.9


def test_cosines_close_to_exact(pair):
    exact, ivf, x, ids = pair
    some = [int(i) for i in ids[:300:7]]
    q = noisy(x[:1], seed=3)[0]
    got, want = np.array(ivf.cosines(some, q)), np.array(exact.cosines(some, q))
    assert np.max(np.abs(got - want)) < 0.02


def test_add_and_remove_after_the_switch(pair):
    _, trained, x, ids = pair
    ivf = _copy(trained)
    gone = [int(i) for i in ids[:100]]
    assert ivf.remove(gone) == 100 and ivf.ntotal == 7900
    assert not set(gone) & {i for row in top_ids(ivf, x[:100]) for i in row}
    new = clustered(20, seed=9)
    ivf.add(list(range(1, 21)), new)
    assert ivf.ntotal == 7920
    assert [row[0] for row in top_ids(ivf, new, k=1)] == list(range(1, 21))
    assert abs(ivf.cosines([5], new[4])[0] - 1.0) < 0.02
    elsewhere = np.random.default_rng(7).standard_normal((5, DIM)).astype(np.float32)
    elsewhere /= np.linalg.norm(elsewhere, axis=1, keepdims=True)  # far from the training data
    ivf.add([101, 102, 103, 104, 105], elsewhere)
    assert abs(ivf.cosines([103], elsewhere[2])[0] - 1.0) < 0.02


def _copy(store: VectorStore) -> VectorStore:
    import faiss

    return VectorStore(store.dim, faiss.clone_index(store.index), store.meta)


def test_save_load_keeps_type_and_nprobe(pair, tmp_path):
    _, ivf, x, _ = pair
    ivf.save(tmp_path / "v.faiss")
    back = VectorStore.load(tmp_path / "v.faiss", DIM, json.loads(json.dumps(ivf.describe())))
    assert back.describe() == ivf.describe() and back.is_ivf
    q = noisy(x[:20], seed=4)
    assert top_ids(back, q) == top_ids(ivf, q)
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        VectorStore.load(tmp_path / "v.faiss", DIM, {"type": EXACT_TYPE})


def test_shrinking_below_half_the_threshold_goes_back_to_exact(pair, monkeypatch):
    _, ivf, _, _ = pair
    monkeypatch.setenv("ANFRAGEN_ANN_THRESHOLD", "20000")
    back, changed = ann.settle(ivf)
    assert changed and not back.is_ivf and back.ntotal == 8000


def test_existing_exact_index_keeps_loading(fake_index):
    m = json.loads((fake_index / "manifest.json").read_text())
    assert m["vectors"] == {"type": EXACT_TYPE, "metric": "cosine"}
    idx = Index.open(fake_index)
    assert not idx.vectors.is_ivf and idx.vectors.ntotal == m["counts"]["vectors"]
    idx.close()


def test_ingest_switches_and_stays_incremental(tmp_path, monkeypatch):
    """Through the real ingest: the manifest records the IVF layout and nprobe, Index.open applies
    it, a changed file is replaced in the IVF index, filters still hold."""
    monkeypatch.setenv("ANFRAGEN_ANN_THRESHOLD", "40")
    # the chunk vectors alone: with question vectors the dense score is their blend, not the
    # chunk's cosine that the last assertion compares it with
    monkeypatch.setenv("ANFRAGEN_QUESTION_VECTORS", "0")
    corpus = copy_corpus(tmp_path / "corpus", ["hessen-seed", "hamburg-ska-archiv-md"])
    eng = Engine(index_dir=tmp_path / "index", model="fake")
    eng.ingest([corpus])
    m = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert m["vectors"]["type"] == IVF_TYPE and m["vectors"]["nprobe"] >= 1
    assert eng.index.vectors.is_ivf and eng.index.vectors.nprobe == m["vectors"]["nprobe"]
    seed = corpus / "hessen-seed" / "HE_20_hessenconnect-2-0.txt"
    seed.write_text(seed.read_text(encoding="utf-8") + "\nNachtrag: Gesundheitsregionen.\n",
                    encoding="utf-8")
    assert eng.ingest([corpus]).changed == 1
    again = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert again["vectors"] == m["vectors"]  # carried over, not retrained
    assert eng.index.vectors.is_ivf and eng.index.counts()["vectors"] == m["counts"]["vectors"]
    hits = eng.search("HessenConnect Kommunen", RetrievalConfig(mode="dense", k=5),
                      Filters(parliaments=("Hessischer Landtag",)))
    assert hits and {h.doc["parliament"] for h in hits} == {"Hessischer Landtag"}
    assert all(h.scores["cosine"] == pytest.approx(h.scores["dense"], abs=0.02) for h in hits)
    eng.close()


def test_scale_bench_writes_markdown_and_json(fake_index, tmp_path):
    lines = (ROOT / "eval/datasets/dev/queries.jsonl").read_text(encoding="utf-8").splitlines()
    queries = tmp_path / "q.jsonl"
    queries.write_text("\n".join(lines[:12]) + "\n", encoding="utf-8")
    n = json.loads((fake_index / "manifest.json").read_text())["counts"]["vectors"]
    rc = main(["bench", "--index", str(fake_index), "--model", "fake", "--queries", str(queries),
               "--scale", str(2 * n), "--scale-dir", str(tmp_path), "--out",
               str(tmp_path / "out")])
    assert rc == 0
    (js,), (md,) = (tmp_path / "out").glob("scale-*.json"), (tmp_path / "out").glob("scale-*.md")
    r = json.loads(js.read_text())
    assert {"provenance", "source", "noise_sigma", "query_embedding_ms", "read_bandwidth_gb_s",
            "sizes"} <= r.keys() and r["query_embedding_ms"]["n"] == 12
    (z,) = r["sizes"]
    assert z["copies"] == 2 and z["vectors"] == 2 * n and z["documents"] == 28
    assert z["serve"]["exact"]["latency_ms"].keys() == {"bm25", "dense", "hybrid"}
    assert z["serve"]["ivf"]["latency_ms"].keys() == {"dense", "hybrid"}
    assert 0 <= z["recall@10"] <= 1 and z["nprobe_sweep"] and z["limits"]["flat_bytes_per_query"]
    assert z["limits"]["flat_bytes_per_query"] == 2 * n * r["source"]["dim"] * 4
    assert {"sql", "vectors", "ivf", "total"} <= z["build_seconds"].keys()
    for layout in ("exact", "ivf"):
        lat = z["serve"][layout]["latency_ms"]
        for mode in ("dense", "hybrid"):  # embedding included: never below the search alone
            assert lat[mode]["with_embedding"]["p50"] >= lat[mode]["p50"]
    assert "recall@10 vs exact" in md.read_text() and "Physical bounds" in md.read_text()
    assert not list(Path(tmp_path).glob("anfragen-scale-*"))  # test indexes cleaned up
