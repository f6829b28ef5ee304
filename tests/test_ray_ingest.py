"""Ingest on a real local Ray cluster yields the index a local ingest builds."""

from __future__ import annotations

import numpy as np
import pytest
from support import CORPUS

from anfragen.embed import FakeEmbedder
from anfragen.embed.cache import EmbeddingCache
from anfragen.index import store
from anfragen.index.directory import Index
from anfragen.index.ingest import ingest

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.slow  # a Ray cluster takes 20-60 s to start on two shared cores

FOLDERS = ("hessen-seed", "hamburg-ska-archiv-md", "openka-cli-fixtures")


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             log_to_driver=False)
    yield
    ray.shutdown()


def _contents(root):
    idx = Index.open(root)
    try:
        rows = store.dense_chunk_texts(idx.conn)
        ids = [i for i, _ in rows]
        return ids, [t for _, t in rows], idx.vectors.reconstruct(ids), idx.manifest
    finally:
        idx.close()


def test_ray_ingest_equals_local_ingest(cluster, tmp_path):
    from anfragen.index.ray_ingest import RayOptions, ray_ingest

    paths = [CORPUS / f for f in FOLDERS]
    fp = FakeEmbedder(dim=64).fingerprint
    local_cache = EmbeddingCache(fp, bundled=tmp_path / "none", user=tmp_path / "c1")
    ingest(paths, tmp_path / "local", FakeEmbedder(dim=64), cache=local_cache)
    ray_cache = EmbeddingCache(fp, bundled=tmp_path / "none", user=tmp_path / "c2")
    opts = RayOptions(actors=2, batch_size=4, model="fake", fake_dim=64)
    report, stats = ray_ingest(paths, tmp_path / "ray", FakeEmbedder(dim=64), opts=opts,
                               cache=ray_cache)
    local_ids, local_texts, local_vecs, local_manifest = _contents(tmp_path / "local")
    ray_ids, ray_texts, ray_vecs, ray_manifest = _contents(tmp_path / "ray")
    assert stats.passages == len(set(local_texts)) > 10  # every passage went through Ray
    assert report.embedded == 0 and report.from_cache == len(local_texts)
    assert ray_ids == local_ids and ray_texts == local_texts
    # Ray's vectors reach the index through the embedding cache, which stores float16 (as for
    # any cached vector): equal to the local float32 ones within float16 rounding
    np.testing.assert_allclose(ray_vecs, local_vecs, atol=1e-3)
    assert float((ray_vecs * local_vecs).sum(axis=1).min()) > 0.999
    assert ray_manifest["model"] == local_manifest["model"]
    again, stats2 = ray_ingest(paths, tmp_path / "ray", FakeEmbedder(dim=64), opts=opts,
                               cache=ray_cache)
    assert stats2.passages == 0 and again.unchanged == report.added  # nothing left to embed


def test_actor_refuses_a_different_model(cluster):
    from anfragen.errors import ModelError
    from anfragen.index.ray_ingest import EmbedActor

    with pytest.raises(ModelError, match="fingerprint"):
        EmbedActor("fake", "sha256:other", 64)
