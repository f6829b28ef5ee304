"""The content-addressed embedding cache: bundled shards first, then the user's cache."""

from __future__ import annotations

import numpy as np

from anfragen.embed.cache import EmbeddingCache, export_bundled, model_dirname, text_key


def vecs(n: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def test_keys_depend_on_model_and_text():
    assert text_key("m1", "Text") == text_key("m1", "Text")
    assert text_key("m1", "Text") != text_key("m2", "Text") != text_key("m1", "Text ")
    assert model_dirname("sha256:ab/cd") == "sha256-ab-cd"


def test_bundled_shards_then_user_cache(tmp_path):
    texts = [f"Antwort {i}" for i in range(40)]
    v = vecs(40)
    keys = [text_key("fp", t) for t in texts]
    written = export_bundled(keys[:30], v[:30], tmp_path / "bundled", "fp")
    assert 1 < len(written) <= 16
    cache = EmbeddingCache("fp", bundled=tmp_path / "bundled", user=tmp_path / "user")
    cache.store(keys[30:35], v[30:35])
    got_keys, found = cache.lookup(texts)
    assert got_keys == keys
    assert sorted(found) == list(range(35))  # 30 bundled + 5 from the user's cache
    np.testing.assert_allclose(found[3], v[3], atol=1e-2)  # float16 round trip
    np.testing.assert_allclose(found[32], v[32], atol=1e-2)


def test_export_rewrites_only_changed_shards(tmp_path):
    keys = [text_key("fp", f"t{i}") for i in range(64)]
    v = vecs(64)
    first = export_bundled(keys, v, tmp_path, "fp")
    assert export_bundled(keys, v, tmp_path, "fp") == []  # nothing changed, nothing written
    changed = export_bundled(keys[:-1], v[:-1], tmp_path, "fp")
    assert len(changed) == 1 and changed[0] in first


def test_bundled_cache_folder_is_the_committed_one() -> None:
    from support import ROOT

    from anfragen.embed.cache import BUNDLED_DIR

    assert BUNDLED_DIR == ROOT / "data" / "embeddings"
    assert any(BUNDLED_DIR.glob("*/shard-*.npz"))


def test_sentence_shards_are_int8_and_read_back_close(tmp_path):
    texts = [f"Satz {i}" for i in range(50)]
    v = vecs(50, dim=384)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    keys = [text_key("fp", t) for t in texts]
    export_bundled(keys[:10], v[:10], tmp_path / "b", "fp")  # passages: float16
    export_bundled(keys[10:], v[10:], tmp_path / "b", "fp", kind="sent")
    with np.load(next((tmp_path / "b" / "fp").glob("sent-*.npz"))) as z:
        assert z["vecs"].dtype == np.int8 and z["scale"].shape == (len(z["keys"]),)
    cache = EmbeddingCache("fp", bundled=tmp_path / "b", user=tmp_path / "user")
    _, found = cache.lookup(texts)
    assert sorted(found) == list(range(50))
    cos = [float(found[i].astype(np.float32) @ v[i]) for i in range(10, 50)]
    assert min(cos) > 0.998  # int8 with a scale per vector (and float16 after): within 2e-3
    assert export_bundled(keys[10:], v[10:], tmp_path / "b", "fp", kind="sent") == []
