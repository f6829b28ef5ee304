"""A deterministic stand-in embedder for fast tests: no model, no torch."""

from __future__ import annotations

import re
import zlib

import numpy as np

from .base import Progress

_WORD = re.compile(r"\w+")


def _fake_features(text: str) -> list[str]:
    feats: list[str] = []
    for word in _WORD.findall(text.lower()):
        feats.append("w:" + word[:6])  # crude stem: Kommunen/Kommune share "kommun"
        padded = f"#{word}#"
        feats.extend("t:" + padded[i : i + 3] for i in range(len(padded) - 2))
    return feats


class FakeEmbedder:
    """Deterministic hashed bag of word stems and character trigrams; no model, no torch.

    Similar wording gives similar vectors, which is enough to test retrieval logic.
    """

    model_id = "fake"

    def __init__(self, dim: int = 64) -> None:
        if dim < 2:
            raise ValueError(f"FakeEmbedder needs dim >= 2, got {dim}")
        self.dim = dim
        self.fingerprint = f"fake-v1-dim{dim}"

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, np.float32)
        for feat in _fake_features(text):
            h = zlib.crc32(feat.encode("utf-8"))  # stable across processes, unlike hash()
            vec[h % self.dim] += 1.0 if (h >> 31) & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            vec[0], norm = 1.0, 1.0  # empty text still gets a unit vector
        return vec / norm

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            out[i] = self._vector(text)
        return out

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        out = self._embed(texts)
        if progress is not None and texts:
            progress(len(texts))
        return out
